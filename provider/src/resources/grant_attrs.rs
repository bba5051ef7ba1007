//! What `dbre_grant`, `dbre_default_privileges` and `dbre_role_privileges` blocks share: the
//! object types a grant names, privilege lists checked at `privileges[i]`, the PUBLIC grantee,
//! and the read rules that keep a user's spelling and make mixed grant options show as drift.
//! One piece of code, so the three resources judge and read privileges the same way.

use std::collections::BTreeSet;

use crate::pg::privileges::{self, ObjectType, Privilege};
use crate::tf::{AttrPath, Diagnostic, PlanContext, Value};

/// The object types a grant (`dbre_grant`, a `dbre_role_privileges` block) may name.
pub const OBJECT_TYPES: &[&str] = &[
    "database",
    "schema",
    "table",
    "sequence",
    "function",
    "procedure",
    "routine",
    "foreign_data_wrapper",
    "foreign_server",
    "column",
    "type",
];

/// A list of strings; `None` when null, not wholly known, or not a list of strings.
pub fn names(v: &Value) -> Option<Vec<String>> {
    if !v.is_wholly_known() {
        return None;
    }
    v.as_elements()?
        .iter()
        .map(|e| e.as_str().map(str::to_owned))
        .collect()
}

/// `names` as a list value.
pub fn string_list(names: &[String]) -> Value {
    Value::List(names.iter().map(|n| Value::from(n.as_str())).collect())
}

/// `set` as a list of canonical privilege names.
pub fn privilege_list(set: &BTreeSet<Privilege>) -> Value {
    Value::List(set.iter().map(|p| Value::from(p.name())).collect())
}

/// Whether a `role` attribute names PUBLIC (any case, as PostgreSQL reads it).
pub fn is_public(role: &Value) -> bool {
    role.as_str().is_some_and(crate::pg::acl::is_public)
}

/// The set a privilege list means for `object_type` on a server of `major` (`None`: not known
/// yet; then only what holds on every version is checked). Unknown elements are left out, a
/// null list is the empty set; a name that is no privilege of the type is an error at
/// `path[i]`.
pub fn resolve_at(
    list: &Value,
    object_type: ObjectType,
    major: Option<i32>,
    path: &AttrPath,
) -> Result<BTreeSet<Privilege>, Diagnostic> {
    let known: Vec<(usize, &str)> = list
        .as_elements()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.as_str().map(|s| (i, s)))
        .collect();
    let plain: Vec<&str> = known.iter().map(|(_, s)| *s).collect();
    privileges::resolve(&plain, object_type, major).map_err(|(i, message)| {
        Diagnostic::error("Invalid privilege", message).at(path.then_index(known[i].0))
    })
}

/// The `privileges` value to store for `held`: `prior`'s own spelling (`["ALL"]`, case, order)
/// while it means exactly `held`, else the canonical names.
pub fn spelled_like(
    prior: &Value,
    held: &BTreeSet<Privilege>,
    object_type: ObjectType,
    major: Option<i32>,
) -> Value {
    let same = prior.is_wholly_known()
        && !prior.is_null()
        && resolve_at(prior, object_type, major, &AttrPath::root())
            .ok()
            .as_ref()
            == Some(held);
    if same {
        prior.clone()
    } else {
        privilege_list(held)
    }
}

/// At plan time: keeps the prior state's `privileges` spelling when the configured list means
/// the same set for the same object type (`["ALL"]` vs the list it stands for, case, order,
/// duplicates), so an equivalent spelling plans no change.
pub fn keep_prior_spelling(plan: &mut PlanContext, object_type: ObjectType, major: Option<i32>) {
    let (planned, prior) = (
        plan.planned.attr("privileges"),
        plan.prior.attr("privileges"),
    );
    let same_type = plan
        .prior
        .attr("object_type")
        .as_str()
        .and_then(ObjectType::parse)
        == Some(object_type);
    if !same_type || planned == prior || !planned.is_wholly_known() || !prior.is_wholly_known() {
        return;
    }
    let root = AttrPath::root();
    let (Ok(a), Ok(b)) = (
        resolve_at(planned, object_type, major, &root),
        resolve_at(prior, object_type, major, &root),
    ) else {
        return;
    };
    if a == b && !prior.is_null() {
        let prior = prior.clone();
        plan.planned.set_attr("privileges", prior);
    }
}

/// The read rule for `with_grant_option` over objects given as (held, held grantable): per
/// object that holds anything, all grantable (true) or none (false). Mixed, across objects or
/// within one: the opposite of `prior`, so the plan shows a change and apply evens it out.
/// Nothing held anywhere says nothing: `prior`.
pub fn read_grant_option<'a>(
    objects: impl IntoIterator<Item = (&'a BTreeSet<Privilege>, &'a BTreeSet<Privilege>)>,
    prior: bool,
) -> bool {
    let mut seen: Option<bool> = None;
    for (held, grantable) in objects {
        if held.is_empty() {
            continue;
        }
        let this = if grantable.is_empty() {
            false
        } else if grantable == held {
            true
        } else {
            return !prior;
        };
        match seen {
            Some(s) if s != this => return !prior,
            _ => seen = Some(this),
        }
    }
    seen.unwrap_or(prior)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Privilege::*;

    fn s(ps: &[Privilege]) -> BTreeSet<Privilege> {
        ps.iter().copied().collect()
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::from(*s)).collect())
    }

    #[test]
    fn privilege_errors_name_the_index_as_written() {
        let v = Value::List(vec![
            Value::unknown(),
            Value::from("SELECT"),
            Value::from("EXECUTE"),
        ]);
        let path = AttrPath::attr("grant")
            .then_index(1)
            .then_attr("privileges");
        let err = resolve_at(&v, ObjectType::Table, Some(15), &path).unwrap_err();
        assert_eq!(err.path, Some(path.then_index(2)));
        assert_eq!(
            resolve_at(&Value::Null, ObjectType::Table, None, &path).unwrap(),
            s(&[])
        );
    }

    #[test]
    fn reads_keep_the_users_spelling_while_it_means_the_same() {
        let all = s(&ObjectType::Table.privileges(Some(15)));
        let prior = list(&["all"]);
        assert_eq!(
            spelled_like(&prior, &all, ObjectType::Table, Some(15)),
            prior
        );
        assert_eq!(
            spelled_like(&prior, &s(&[Select]), ObjectType::Table, Some(15)),
            list(&["SELECT"])
        );
        assert_eq!(
            spelled_like(&Value::Null, &s(&[]), ObjectType::Table, Some(15)),
            list(&[])
        );
    }

    #[test]
    fn grant_options_read_like_privileges() {
        let (sel, none) = (s(&[Select]), s(&[]));
        let both = s(&[Select, Insert]);
        assert!(read_grant_option([(&sel, &sel), (&sel, &sel)], false));
        assert!(!read_grant_option([(&sel, &none)], true));
        assert!(read_grant_option([(&sel, &sel), (&sel, &none)], false));
        assert!(!read_grant_option([(&sel, &sel), (&sel, &none)], true));
        assert!(
            read_grant_option([(&both, &sel)], false),
            "mixed within one"
        );
        assert!(read_grant_option([(&none, &none)], true));
    }
}
