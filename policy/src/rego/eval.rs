//! Evaluating the loaded policies against one plan.

use super::diagnostic::{explain_missing_function, format_regorus_error};
use super::load::{RegoPolicies, COLLECTOR_PACKAGE};
use super::results::{findings_from_value, ExceptionSet, TargetContext};
use crate::error::Error;
use crate::finding::Finding;
use crate::plan::Plan;
use rayon::prelude::*;
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
        let mut plan_doc = regorus::Value::new_object();
        plan_doc
            .as_object_mut()
            .map_err(|e| fail(e.to_string()))?
            .insert(regorus::Value::from("plan"), view);
        let mut data = regorus::Value::new_object();
        data.as_object_mut()
            .map_err(|e| fail(e.to_string()))?
            .insert(regorus::Value::from("dbre"), plan_doc);

        // A big plan on a machine with cores to spare: evaluate groups of packages on
        // separate threads (each on its own engine clone); otherwise one query does it all.
        let parallel = plan.changes.len() >= PARALLEL_MIN_CHANGES
            && !self.group_packages.is_empty()
            && rayon::current_num_threads() > 1;
        let collected = if parallel {
            let parts: Vec<Result<Json, Error>> = self
                .group_packages
                .par_iter()
                .map(|package| self.collect(package, &data, &input).map_err(&fail))
                .collect();
            let mut merged = serde_json::Map::new();
            for part in parts {
                if let Json::Object(map) = part? {
                    merged.extend(map);
                }
            }
            Json::Object(merged)
        } else {
            self.collect(COLLECTOR_PACKAGE, &data, &input)
                .map_err(&fail)?
        };

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

    /// Evaluates one collector package on a fresh clone of the base engine.
    fn collect(
        &self,
        package: &str,
        data: &regorus::Value,
        input: &regorus::Value,
    ) -> Result<Json, String> {
        let mut engine = self.engine.clone();
        engine
            .add_data(data.clone())
            .map_err(|e| format!("cannot add data.dbre.plan: {e:#}"))?;
        engine.set_input(input.clone());
        let results = engine
            .eval_query(format!("data.{package}"), false)
            .map_err(|e| explain_missing_function(&format_regorus_error(&e)))?;
        let value = results
            .result
            .first()
            .and_then(|r| r.expressions.first())
            .map(|e| serde_json::to_value(&e.value))
            .transpose()
            .map_err(|e| e.to_string())?;
        Ok(value.unwrap_or(Json::Null))
    }
}

/// Plans with fewer resource changes are evaluated on one thread: splitting costs a clone and
/// preparation of the engine per group, which only pays off on big plans.
const PARALLEL_MIN_CHANGES: usize = 1000;
