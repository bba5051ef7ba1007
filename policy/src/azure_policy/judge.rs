//! Judging one resource change with one bound definition: which state to look at for
//! the effect and action, and how the three-valued result becomes an outcome.

use serde_json::Value;

use super::eval::{At, Subject, Truth};
use super::field::Node;
use super::{Action, AzureDefinition, AzureOutcome, Effect, Member, ResourceInput, Tri};

/// The resource's identity as JSON strings, built once per [`AzureDefinition::evaluate`].
struct Ids {
    type_: Value,
    name: Value,
    address: Value,
}

/// `before` has no unknown parts.
static NOTHING_UNKNOWN: Value = Value::Null;

impl AzureDefinition {
    /// Judges one resource change: one outcome per definition (per member of an initiative).
    pub fn evaluate(&self, r: &ResourceInput) -> Vec<AzureOutcome> {
        let ids = Ids {
            type_: Value::String(r.type_.to_string()),
            name: Value::String(r.name.to_string()),
            address: Value::String(r.address.to_string()),
        };
        self.members
            .iter()
            .map(|m| self.evaluate_member(m, r, &ids))
            .collect()
    }

    fn evaluate_member(&self, m: &Member, r: &ResourceInput, ids: &Ids) -> AzureOutcome {
        let p = &m.policy;
        let outcome = |result: Tri, message: String| AzureOutcome {
            definition: p.name.clone(),
            display_name: p.display_name.clone(),
            initiative: self.initiative.as_ref().map(|i| i.name.clone()),
            reference_id: m.reference_id.clone(),
            effect: m.effect.clone(),
            result,
            message,
            severity: p
                .metadata
                .get("severity")
                .and_then(Value::as_str)
                .map(str::to_string),
            file: p.file.clone(),
            line: p.line,
        };
        let not_applicable =
            |why: &str| outcome(Tri::NoMatch, format!("{}: {why}", p.display_name));

        // Which state to judge, if any.
        let (value, unknown) = match (&m.effect, r.action) {
            (Effect::Disabled, _) => return not_applicable("disabled"),
            (Effect::DenyAction, Action::Delete | Action::Replace) => {
                let deletes = p
                    .action_names
                    .as_ref()
                    .is_none_or(|names| names.iter().any(|n| n == "delete"));
                if !deletes {
                    return not_applicable("denyAction does not cover delete");
                }
                (r.before, &NOTHING_UNKNOWN)
            }
            (Effect::DenyAction, _) => {
                return not_applicable("denyAction applies only to deletes and replaces")
            }
            (_, Action::Delete | Action::Forget) => {
                return not_applicable("the resource does not exist after this change")
            }
            _ => (r.after, r.after_unknown),
        };
        let subject = Subject {
            type_: ids.type_.clone(),
            name: ids.name.clone(),
            address: ids.address.clone(),
            root: Node::new(value, unknown),
        };
        let truth = At::new(&subject, &m.values).eval(&p.rule);
        let name = &p.display_name;
        match truth {
            Err(e) => outcome(
                Tri::Indeterminate { fields: Vec::new() },
                format!("{name}: could not evaluate the policy rule: {e}"),
            ),
            Ok(Truth::False) => outcome(Tri::NoMatch, String::new()),
            Ok(Truth::True) => {
                let msg = match &m.effect {
                    Effect::DenyAction => {
                        format!("{name}: deleting this resource is denied (denyAction)")
                    }
                    Effect::Unsupported(e) => format!(
                        "{name}: the rule matches, but effect '{e}' cannot be enforced on a plan"
                    ),
                    _ => name.clone(),
                };
                outcome(Tri::Match, msg)
            }
            Ok(Truth::Unknown(fields)) => {
                let fields: Vec<String> = fields.into_iter().collect();
                let mut msg = format!(
                    "{name}: cannot be decided before apply; depends on unknown value(s) of {}",
                    fields.join(", ")
                );
                if let Effect::Unsupported(e) = &m.effect {
                    msg.push_str(&format!(" (and effect '{e}' cannot be enforced on a plan)"));
                }
                outcome(Tri::Indeterminate { fields }, msg)
            }
        }
    }
}
