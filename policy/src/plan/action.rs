//! The one-word summary of a resource change's `actions` list.

use serde::Serialize;

/// What Terraform will do to one resource instance, folded from the plan's `actions` list.
///
/// Terraform encodes a replacement as two actions (`["delete","create"]` or, with
/// `create_before_destroy`, `["create","delete"]`); policies almost always want to treat both
/// as one "replace", and every replace is also a delete of the existing object.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Delete,
    Replace,
    NoOp,
    Read,
    Forget,
}

impl Action {
    /// Folds a plan's `actions` list. Unknown action words (from a future Terraform) yield `None`
    /// so the caller can report them instead of guessing.
    pub fn from_actions<S: AsRef<str>>(actions: &[S]) -> Option<Action> {
        let words: Vec<&str> = actions.iter().map(AsRef::as_ref).collect();
        Some(match words.as_slice() {
            ["create"] => Action::Create,
            ["update"] => Action::Update,
            ["delete"] => Action::Delete,
            ["no-op"] => Action::NoOp,
            ["read"] => Action::Read,
            ["forget"] => Action::Forget,
            ["delete", "create"] | ["create", "delete"] => Action::Replace,
            // A forced replacement under `removed { lifecycle { destroy = false } }`: a new object
            // is created and the old one only leaves the state; nothing is destroyed, so this
            // is judged as a create (as the Azure Policy engine does).
            ["create", "forget"] | ["forget", "create"] => Action::Create,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Replace => "replace",
            Action::NoOp => "no-op",
            Action::Read => "read",
            Action::Forget => "forget",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_every_action_list_terraform_writes() {
        let cases: &[(&[&str], Action)] = &[
            (&["create"], Action::Create),
            (&["update"], Action::Update),
            (&["delete"], Action::Delete),
            (&["no-op"], Action::NoOp),
            (&["read"], Action::Read),
            (&["forget"], Action::Forget),
            (&["delete", "create"], Action::Replace),
            (&["create", "delete"], Action::Replace),
            (&["create", "forget"], Action::Create),
        ];
        for (actions, want) in cases {
            assert_eq!(Action::from_actions(actions), Some(*want), "{actions:?}");
        }
    }

    #[test]
    fn unknown_action_words_are_not_guessed() {
        assert_eq!(Action::from_actions(&["teleport"]), None);
        assert_eq!(Action::from_actions::<&str>(&[]), None);
    }
}
