//! `dbre policy check`: every plan against every policy, in parallel, into one report.

use crate::azure_bridge::AzurePolicies;
use crate::error::Error;
use crate::finding::{sort_findings, Finding, Summary};
use crate::plan::{dbre_plan_view_value, Plan};
use crate::rego::RegoPolicies;
use crate::waiver::Waivers;
use rayon::prelude::*;
use serde::Serialize;

/// What was checked and what was found: the document every reporter renders, and the `json`
/// output format (its JSON Schema is printed by `dbre policy schema`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// Version of the report format.
    pub report_version: String,
    /// Version of dbre that wrote the report.
    pub dbre_version: String,
    pub plans: Vec<PlanSummary>,
    /// Sorted by plan, address, rule.
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PlanSummary {
    pub path: String,
    pub format_version: String,
    pub terraform_version: String,
    /// Number of entries in `resource_changes`.
    pub resources: usize,
}

pub const REPORT_VERSION: &str = "1";

/// The plan path that means "read the plan from standard input".
pub const STDIN: &str = "-";

pub struct Checker<'a> {
    pub rego: &'a RegoPolicies,
    pub azure: &'a AzurePolicies,
    pub waivers: Option<&'a Waivers>,
    pub today: time::Date,
}

impl Checker<'_> {
    /// Checks the plan files (paths as the user named them). Any unusable plan makes the whole
    /// check an error listing every unusable plan.
    pub fn check(&self, plan_paths: &[String]) -> Result<Report, Error> {
        let outcomes: Vec<Result<(PlanSummary, Vec<Finding>), Error>> = plan_paths
            .par_iter()
            .map(|path| self.check_one(path))
            .collect();
        let mut plans = Vec::new();
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for outcome in outcomes {
            match outcome {
                Ok((summary, mut f)) => {
                    plans.push(summary);
                    findings.append(&mut f);
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.len() == 1 {
            return Err(errors.remove(0));
        }
        if !errors.is_empty() {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return Err(Error::Usage(text.join("\n")));
        }
        if let Some(waivers) = self.waivers {
            let mut reports = waivers.apply(&mut findings, self.today);
            findings.append(&mut reports);
        }
        sort_findings(&mut findings);
        let mut summary = Summary {
            plans: plans.len(),
            resources: plans.iter().map(|p| p.resources).sum(),
            ..Summary::default()
        };
        findings.iter().for_each(|f| summary.add(f));
        Ok(Report {
            report_version: REPORT_VERSION.to_string(),
            dbre_version: env!("CARGO_PKG_VERSION").to_string(),
            plans,
            findings,
            summary,
        })
    }

    fn check_one(&self, path: &str) -> Result<(PlanSummary, Vec<Finding>), Error> {
        let text = if path == STDIN {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Error::io(path, e))?;
            text
        } else {
            std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?
        };
        // The typed model and regorus's own value are built from the same text at once.
        let (plan, input) = rayon::join(
            || Plan::parse(path, &text),
            || regorus::Value::from_json_str(&text),
        );
        let plan = plan?;
        let input = input.map_err(|e| Error::Eval {
            plan: path.to_string(),
            message: format!("{e:#}"),
        })?;
        let view = dbre_plan_view_value(&plan);
        let mut findings = self.rego.evaluate(&plan, input, view)?;
        findings.extend(self.azure.evaluate(&plan));
        if findings.iter().any(|f| f.address.is_some()) {
            let lines = crate::plan::address_lines(&text);
            for f in &mut findings {
                f.plan_line = f.address.as_ref().and_then(|a| lines.get(a).copied());
            }
        }
        let summary = PlanSummary {
            path: plan.path.clone(),
            format_version: plan.format_version.clone(),
            terraform_version: plan.terraform_version.clone(),
            resources: plan.changes.len(),
        };
        Ok((summary, findings))
    }
}
