//! Waivers: reasoned, owned, expiring exceptions keyed on stable resource addresses — what
//! conftest's `exception` rules lack.
//!
//! ```yaml
//! - rule: DBRE-PG-007            # rule id or wildcard (`*`, `?`)
//!   address: module.legacy.*     # resource address or wildcard; brackets are literal
//!   reason: legacy role, removed in Q3
//!   owner: team-db
//!   expires: 2026-09-30          # last day the waiver applies
//! ```
//! A matched waiver turns a failure or warning into "waived"; an expired waiver stops waiving
//! and is itself reported; a waiver that matches nothing is reported as stale.

use crate::error::Error;
use crate::finding::{Finding, Outcome, PolicyLocation, Severity, WaiverRef};
use crate::util::glob::wildcard_match;
use serde::Deserialize;
use std::collections::BTreeMap;
use time::Date;

/// Rule id of the finding reporting an expired waiver.
pub const EXPIRED_RULE: &str = "DBRE-WAIVER-EXPIRED";
/// Rule id of the finding reporting a waiver that matched nothing.
pub const STALE_RULE: &str = "DBRE-WAIVER-STALE";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub rule: String,
    pub address: String,
    pub reason: String,
    pub owner: String,
    pub expires: Date,
}

#[derive(Debug, Clone, Default)]
pub struct Waivers {
    pub path: String,
    pub entries: Vec<Waiver>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: String,
    address: String,
    reason: String,
    owner: String,
    expires: serde_yaml_ng::Value,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFile {
    List(Vec<serde_yaml_ng::Value>),
    Wrapped { waivers: Vec<serde_yaml_ng::Value> },
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl Waivers {
    pub fn load(path: &str) -> Result<Waivers, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Waivers::parse(path, &text)
    }

    /// Parses a YAML (or JSON, which is YAML) list of waivers, or `{waivers: [...]}`.
    pub fn parse(path: &str, text: &str) -> Result<Waivers, Error> {
        let raw: RawFile = serde_yaml_ng::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            Error::Policy(format!(
                "{path}{at}: not a waivers file (expected a list of {{rule, address, reason, \
                 owner, expires}}): {e}"
            ))
        })?;
        let items = match raw {
            RawFile::List(v) | RawFile::Wrapped { waivers: v } => v,
        };
        let mut entries = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let n = i + 1;
            let bad = |why: String| Error::Policy(format!("{path}: waiver #{n}: {why}"));
            let w: RawWaiver = serde_yaml_ng::from_value(item).map_err(|e| bad(e.to_string()))?;
            let expires_text = match &w.expires {
                serde_yaml_ng::Value::String(s) => s.clone(),
                other => serde_yaml_ng::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            };
            let expires = Date::parse(&expires_text, DATE).map_err(|_| {
                bad(format!(
                    "expires {expires_text:?} is not a date like 2026-09-30"
                ))
            })?;
            for (field, value) in [
                ("rule", &w.rule),
                ("address", &w.address),
                ("reason", &w.reason),
                ("owner", &w.owner),
            ] {
                if value.trim().is_empty() {
                    return Err(bad(format!("{field} must not be empty")));
                }
            }
            entries.push(Waiver {
                rule: w.rule,
                address: w.address,
                reason: w.reason,
                owner: w.owner,
                expires,
            });
        }
        Ok(Waivers {
            path: path.to_string(),
            entries,
        })
    }

    /// Applies the waivers to every finding (of every plan) and returns the findings that
    /// report expired and stale waivers. `today` decides expiry: a waiver applies up to and
    /// including its `expires` day.
    pub fn apply(&self, findings: &mut [Finding], today: Date) -> Vec<Finding> {
        let mut used = vec![false; self.entries.len()];
        for f in findings.iter_mut() {
            if !matches!(
                f.outcome,
                Outcome::Fail | Outcome::Warn | Outcome::Indeterminate
            ) {
                continue;
            }
            let address = f.address.as_deref().unwrap_or("");
            for (i, w) in self.entries.iter().enumerate() {
                if !(wildcard_match(&w.rule, &f.rule) && wildcard_match(&w.address, address)) {
                    continue;
                }
                used[i] = true;
                if w.expires < today {
                    continue;
                }
                f.outcome = Outcome::Waived;
                f.waiver = Some(WaiverRef {
                    reason: w.reason.clone(),
                    owner: Some(w.owner.clone()),
                    expires: Some(w.expires.format(DATE).unwrap_or_default()),
                    source: self.path.clone(),
                });
                break;
            }
        }

        let mut reports = Vec::new();
        for (i, w) in self.entries.iter().enumerate() {
            let expires = w.expires.format(DATE).unwrap_or_default();
            let (rule, message) = if w.expires < today {
                (
                    EXPIRED_RULE,
                    format!(
                        "waiver #{} for {} on {} (owner {}) expired on {expires} and no longer \
                         waives anything; renew it or fix the finding. Reason given: {}",
                        i + 1,
                        w.rule,
                        w.address,
                        w.owner,
                        w.reason
                    ),
                )
            } else if !used[i] {
                (
                    STALE_RULE,
                    format!(
                        "waiver #{} for {} on {} (owner {}) matches no finding; remove it. \
                         Reason given: {}",
                        i + 1,
                        w.rule,
                        w.address,
                        w.owner,
                        w.reason
                    ),
                )
            } else {
                continue;
            };
            reports.push(Finding {
                rule: rule.to_string(),
                severity: Some(Severity::Low),
                outcome: Outcome::Warn,
                address: Some(w.address.clone()),
                action: None,
                message,
                attribute: None,
                policy: PolicyLocation {
                    file: self.path.clone(),
                    line: None,
                },
                plan: self.path.clone(),
                plan_line: None,
                source: None,
                waiver: None,
                metadata: BTreeMap::new(),
            });
        }
        reports
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn finding(rule: &str, address: &str) -> Finding {
        Finding {
            rule: rule.into(),
            severity: None,
            outcome: Outcome::Fail,
            address: Some(address.into()),
            action: None,
            message: "m".into(),
            attribute: None,
            policy: PolicyLocation {
                file: "p".into(),
                line: None,
            },
            plan: "plan.json".into(),
            plan_line: None,
            source: None,
            waiver: None,
            metadata: BTreeMap::new(),
        }
    }

    const FILE: &str = r#"
- rule: DBRE-PG-001
  address: module.db.dbre_role.app["x"]
  reason: migrating
  owner: team-db
  expires: 2030-01-31
- rule: DBRE-PG-00?
  address: "*"
  reason: old
  owner: team-old
  expires: 2020-01-01
- rule: DBRE-NOPE
  address: "*"
  reason: nothing
  owner: nobody
  expires: "2030-01-01"
"#;

    #[test]
    fn waives_reports_expired_and_stale() {
        let waivers = Waivers::parse("w.yaml", FILE).unwrap();
        let mut findings = vec![
            finding("DBRE-PG-001", r#"module.db.dbre_role.app["x"]"#),
            finding("DBRE-PG-002", "dbre_role.b"),
        ];
        let reports = waivers.apply(&mut findings, date!(2026 - 01 - 01));
        assert_eq!(findings[0].outcome, Outcome::Waived);
        assert_eq!(
            findings[0].waiver.as_ref().unwrap().owner.as_deref(),
            Some("team-db")
        );
        // Only the expired waiver matched the second finding: it stays a failure.
        assert_eq!(findings[1].outcome, Outcome::Fail);
        let rules: Vec<_> = reports.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(rules, [EXPIRED_RULE, STALE_RULE]);
        assert!(reports[0].message.contains("2020-01-01"));
    }

    #[test]
    fn expiry_day_itself_still_waives() {
        let waivers = Waivers::parse("w.yaml", FILE).unwrap();
        let mut findings = vec![finding("DBRE-PG-001", r#"module.db.dbre_role.app["x"]"#)];
        waivers.apply(&mut findings, date!(2030 - 01 - 31));
        assert_eq!(findings[0].outcome, Outcome::Waived);
        let mut findings = vec![finding("DBRE-PG-001", r#"module.db.dbre_role.app["x"]"#)];
        waivers.apply(&mut findings, date!(2030 - 02 - 01));
        assert_eq!(findings[0].outcome, Outcome::Fail);
    }

    #[test]
    fn bad_entries_are_named() {
        let err = Waivers::parse(
            "w.yaml",
            "- rule: X\n  address: a\n  reason: r\n  owner: o\n  expires: soon\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("w.yaml: waiver #1: expires \"soon\""), "{err}");
        let err = Waivers::parse("w.yaml", "- rule: X\n  address: a\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("waiver #1") && err.contains("reason"), "{err}");
        let err = Waivers::parse(
            "w.json",
            r#"[{"rule": "X", "address": "a", "reason": "r", "owner": "o", "expires": "2030-01-01"}]"#,
        );
        assert!(err.is_ok());
    }
}
