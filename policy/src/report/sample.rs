//! A small report exercising every outcome and awkward characters, for reporter tests.

use crate::check::{PlanSummary, Report};
use crate::finding::{Finding, Outcome, PolicyLocation, Severity, Summary, WaiverRef};
use crate::plan::{Action, SourceRef};
use crate::rego::BuiltinRule;
use std::collections::BTreeMap;

pub fn builtin_rules() -> Vec<BuiltinRule> {
    vec![BuiltinRule {
        id: "DBRE-PG-001".into(),
        severity: Severity::Critical,
        title: "No superuser roles".into(),
        description: "Roles must not be SUPERUSER.".into(),
        resource_types: vec!["dbre_role".into()],
        package: "dbre.builtin.no_superuser".into(),
        file: "builtin:pg/no_superuser.rego".into(),
    }]
}

fn finding(rule: &str, outcome: Outcome, address: Option<&str>, message: &str) -> Finding {
    Finding {
        rule: rule.into(),
        severity: Some(Severity::Critical),
        outcome,
        address: address.map(Into::into),
        action: address.map(|_| Action::Create),
        message: message.into(),
        attribute: None,
        policy: PolicyLocation {
            file: "builtin:pg/no_superuser.rego".into(),
            line: Some(7),
        },
        plan: "plans/a.json".into(),
        plan_line: address.map(|_| 12),
        source: address.map(|_| SourceRef {
            module: "modules/db".into(),
            resource: "dbre_role.app".into(),
        }),
        waiver: None,
        metadata: BTreeMap::new(),
    }
}

pub fn report() -> Report {
    let mut waived = finding(
        "DBRE-PG-001",
        Outcome::Waived,
        Some("dbre_role.legacy"),
        "role legacy is SUPERUSER",
    );
    waived.waiver = Some(WaiverRef {
        reason: "migration <ticket #12>".into(),
        owner: Some("team-db".into()),
        expires: Some("2030-01-31".into()),
        source: "waivers.yaml".into(),
    });
    let mut unknown = finding(
        "DBRE-PG-003",
        Outcome::Indeterminate,
        Some("dbre_role.x[\"a,b\"]"),
        "valid_until is unknown until apply",
    );
    unknown.attribute = Some("valid_until".into());
    let mut plan_wide = finding(
        "main.warn",
        Outcome::Warn,
        None,
        "50% of changes: delete | replace\nsecond line & <more>",
    );
    plan_wide.severity = None;
    let findings = vec![
        finding(
            "DBRE-PG-001",
            Outcome::Fail,
            Some("module.db.dbre_role.app[\"x\"]"),
            "role app is SUPERUSER: a,b:c",
        ),
        waived,
        unknown,
        plan_wide,
    ];
    let mut summary = Summary {
        plans: 1,
        resources: 3,
        ..Summary::default()
    };
    findings.iter().for_each(|f| summary.add(f));
    Report {
        report_version: "1".into(),
        dbre_version: "0.1.0".into(),
        plans: vec![PlanSummary {
            path: "plans/a.json".into(),
            format_version: "1.2".into(),
            terraform_version: "1.11.4".into(),
            resources: 3,
        }],
        findings,
        summary,
    }
}
