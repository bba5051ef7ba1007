//! Evaluating the loaded policies against one plan.

use super::diagnostic::{explain_missing_function, format_regorus_error};
use super::load::{RegoPolicies, COLLECTOR_PACKAGE};
use super::results::{findings_from_value, ExceptionSet, TargetContext};
use crate::error::Error;
use crate::finding::Finding;
use crate::plan::Plan;
use serde_json::Value as Json;

impl RegoPolicies {
    /// Evaluates every selected rule against one plan. `input` is the plan file's JSON exactly
    /// as written (what conftest passes), `view` the precomputed `data.dbre.plan`.
    pub fn evaluate(
        &self,
        plan: &Plan,
        input: regorus::Value,
        view: regorus::Value,
    ) -> Result<Vec<Finding>, Error> {
        if self.targets.is_empty() {
            return Ok(Vec::new());
        }
        let fail = |message: String| Error::Eval {
            plan: plan.path.clone(),
            message: plan.redactor.scrub(&message),
        };
        let mut engine = self.engine.clone();
        let mut dbre = regorus::Value::new_object();
        let mut plan_doc = regorus::Value::new_object();
        plan_doc
            .as_object_mut()
            .map_err(|e| fail(e.to_string()))?
            .insert(regorus::Value::from("plan"), view);
        dbre.as_object_mut()
            .map_err(|e| fail(e.to_string()))?
            .insert(regorus::Value::from("dbre"), plan_doc);
        engine
            .add_data(dbre)
            .map_err(|e| fail(format!("cannot add data.dbre.plan: {e:#}")))?;
        engine.set_input(input);

        let results = engine
            .eval_query(format!("data.{COLLECTOR_PACKAGE}"), false)
            .map_err(|e| fail(explain_missing_function(&format_regorus_error(&e))))?;
        let collected: Json = results
            .result
            .first()
            .and_then(|r| r.expressions.first())
            .map(|e| serde_json::to_value(&e.value))
            .transpose()
            .map_err(|e| fail(e.to_string()))?
            .unwrap_or(Json::Null);

        let exceptions: std::collections::BTreeMap<&str, ExceptionSet> = self
            .exceptions
            .iter()
            .map(|(package, key)| {
                (
                    package.as_str(),
                    ExceptionSet::from_value(collected.get(key)),
                )
            })
            .collect();

        let mut findings = Vec::new();
        for target in &self.targets {
            let Some(value) = collected.get(&target.key) else {
                continue;
            };
            let ctx = TargetContext {
                target,
                builtin: target.builtin.map(|i| &self.builtin_rules[i]),
                exceptions: exceptions.get(target.package.as_str()),
                plan,
            };
            findings_from_value(&ctx, value, &mut findings);
        }
        Ok(findings)
    }
}
