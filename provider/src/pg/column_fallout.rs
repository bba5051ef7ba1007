//! What a table-level REVOKE takes from the table's columns, and what the grant engine gives
//! back.
//!
//! PostgreSQL follows the SQL standard here: `REVOKE p ON TABLE t FROM r` (run as grantor G)
//! also revokes r's column-level `p` granted by G on every column of t, and `REVOKE GRANT
//! OPTION FOR p` takes the column-level grant options with it. A write that means to change
//! only the table would so silently wipe column privileges that another resource manages (or
//! that the same write wants to keep), and convergence would take a second apply.
//!
//! The engine works out the fallout from the ACLs it read under the table's lock (columns are
//! locked under their table), and in the same transaction grants back, as the same grantor,
//! every column privilege it did not mean to take: all of them on columns the write does not
//! cover, and on columns it covers what their desired state keeps. The columns it does not
//! cover are checked after the write to still hold everything they held before.

use std::collections::{BTreeSet, HashMap};

use super::acl::{AclEntry, DatabaseAcls, ObjectAcl, PUBLIC};
use super::error::PgError;
use super::privileges::{ObjectType, Privilege};

/// One table-level revoke as the engine runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TableRevoke {
    /// `REVOKE GRANT OPTION FOR` (the privileges themselves stay).
    pub option_only: bool,
    /// The grantor whose grants it takes (the role it runs as).
    pub grantor: u32,
    pub privileges: Vec<Privilege>,
}

/// A column privilege to grant back: `GRANT privilege (column) ON TABLE … TO grantee [WITH
/// GRANT OPTION]`, run as `grantor`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Restore {
    pub column: String,
    pub grantor: u32,
    pub privilege: Privilege,
    pub grant_option: bool,
}

/// What the write must do for one table's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Fallout {
    pub restores: Vec<Restore>,
    /// Columns the write does not cover, with what the grantee holds on each before the write
    /// (and must still hold after it).
    pub kept: Vec<(String, BTreeSet<AclEntry>)>,
}

/// What a column the write covers should end up with: (privileges, the subset WITH GRANT
/// OPTION).
pub(super) type ColumnWant<'a> = (&'a BTreeSet<Privilege>, &'a BTreeSet<Privilege>);

/// The columns of each table that carry an ACL entry for `grantee`, keyed by (schema, table).
pub(super) fn columns_by_table(
    acls: &DatabaseAcls,
    grantee: u32,
) -> HashMap<(Option<&str>, &str), Vec<&ObjectAcl>> {
    let mut out: HashMap<(Option<&str>, &str), Vec<&ObjectAcl>> = HashMap::new();
    for c in acls.objects_of(ObjectType::Column, None) {
        if c.entries(Some(acls.major))
            .iter()
            .any(|e| e.grantee == grantee)
        {
            out.entry((c.schema.as_deref(), c.name.as_str()))
                .or_default()
                .push(c);
        }
    }
    out
}

/// The fallout of `revokes` on `table` for `grantee` over `columns` (the table's columns with
/// an entry for the grantee), given what the write wants on the columns it covers (`want`, by
/// column name). Refused, naming who depends, when a column grant option the revokes take was
/// passed on: PostgreSQL would need CASCADE.
pub(super) fn fallout<'a>(
    acls: &DatabaseAcls,
    table: &ObjectAcl,
    columns: &[&ObjectAcl],
    grantee: u32,
    grantee_name: &str,
    revokes: &[TableRevoke],
    want: impl Fn(&str) -> Option<ColumnWant<'a>>,
) -> Result<Fallout, PgError> {
    let major = acls.major;
    let column_privileges = ObjectType::Column.privileges(Some(major));
    let hits = |e: &AclEntry, option_only: bool| {
        column_privileges.contains(&e.privilege)
            && revokes.iter().any(|r| {
                r.option_only == option_only
                    && r.grantor == e.grantor
                    && r.privileges.contains(&e.privilege)
            })
    };
    let mut out = Fallout::default();
    for column in columns {
        let name = column.column.clone().unwrap_or_default();
        let entries = column.entries(Some(major));
        let mine: Vec<&AclEntry> = entries.iter().filter(|e| e.grantee == grantee).collect();
        let wanted = want(&name);
        // Grant options the revokes take: (privilege), to check for dependents.
        let mut options_lost: BTreeSet<Privilege> = BTreeSet::new();
        let mut options_left: BTreeSet<Privilege> = BTreeSet::new();
        for e in &mine {
            let (privilege, grantor) = (e.privilege, e.grantor);
            let restore = |grant_option| Restore {
                column: name.clone(),
                grantor,
                privilege,
                grant_option,
            };
            if hits(e, false) {
                if e.grantable {
                    options_lost.insert(privilege);
                }
                match wanted {
                    Some((ps, _)) if !ps.contains(&privilege) => {}
                    Some((_, gs)) => {
                        out.restores
                            .push(restore(e.grantable && gs.contains(&privilege)));
                    }
                    None => out.restores.push(restore(e.grantable)),
                }
            } else if e.grantable && hits(e, true) {
                options_lost.insert(privilege);
                if wanted.is_none_or(|(_, gs)| gs.contains(&privilege)) {
                    out.restores.push(restore(true));
                }
            } else if e.grantable {
                options_left.insert(privilege);
            }
        }
        refuse_dependents(
            acls,
            table,
            &name,
            &entries,
            grantee,
            grantee_name,
            options_lost.difference(&options_left).copied().collect(),
        )?;
        if wanted.is_none() {
            out.kept
                .push((name, mine.into_iter().copied().collect::<BTreeSet<_>>()));
        }
    }
    out.restores.sort();
    Ok(out)
}

/// A column grant option passed on cannot be taken without CASCADE; say who depends on it.
fn refuse_dependents(
    acls: &DatabaseAcls,
    table: &ObjectAcl,
    column: &str,
    entries: &[AclEntry],
    grantee: u32,
    grantee_name: &str,
    losing: BTreeSet<Privilege>,
) -> Result<(), PgError> {
    if grantee == PUBLIC || losing.is_empty() {
        return Ok(());
    }
    let dependents = acls.passed_on(entries, grantee, &losing);
    if dependents.is_empty() {
        return Ok(());
    }
    let privileges: Vec<&str> = losing.iter().map(|p| p.name()).collect();
    Err(PgError::invalid(format!(
        "cannot revoke {} on table {:?}.{:?} from \"{grantee_name}\": PostgreSQL also takes \
         the grant option on every column with it, and \"{grantee_name}\" granted column \
         {column:?} onward ({}). Revoke those first (or keep with_grant_option); dbre does not \
         revoke them in cascade",
        privileges.join(", "),
        table.schema.as_deref().unwrap_or_default(),
        table.name,
        dependents.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::acl::Acl;
    use Privilege::*;

    const OWNER: u32 = 10;
    const R: u32 = 20;
    const G: u32 = 30;
    const LEAF: u32 = 40;

    fn object(t: ObjectType, column: Option<&str>, entries: Vec<AclEntry>) -> ObjectAcl {
        ObjectAcl {
            object_type: t,
            schema: Some("s".into()),
            name: "t".into(),
            column: column.map(Into::into),
            oid: 100,
            owner: OWNER,
            acl: Acl::Explicit(entries),
        }
    }

    fn e(grantee: u32, grantor: u32, privilege: Privilege, grantable: bool) -> AclEntry {
        AclEntry {
            grantee,
            grantor,
            privilege,
            grantable,
        }
    }

    fn acls(objects: Vec<ObjectAcl>) -> DatabaseAcls {
        DatabaseAcls::new(
            "app".into(),
            15,
            objects,
            Vec::new(),
            HashMap::from([(R, "r".to_string()), (LEAF, "leaf".to_string())]),
        )
    }

    fn revoke(option_only: bool, grantor: u32, privileges: &[Privilege]) -> TableRevoke {
        TableRevoke {
            option_only,
            grantor,
            privileges: privileges.to_vec(),
        }
    }

    fn restore(column: &str, grantor: u32, privilege: Privilege, option: bool) -> Restore {
        Restore {
            column: column.into(),
            grantor,
            privilege,
            grant_option: option,
        }
    }

    fn run(
        columns: Vec<ObjectAcl>,
        revokes: &[TableRevoke],
        want: Option<(&str, &BTreeSet<Privilege>, &BTreeSet<Privilege>)>,
    ) -> Result<Fallout, PgError> {
        let table = object(ObjectType::Table, None, vec![]);
        let a = acls(columns.clone());
        let refs: Vec<&ObjectAcl> = columns.iter().collect();
        fallout(&a, &table, &refs, R, "r", revokes, |c| match want {
            Some((name, ps, gs)) if name == c => Some((ps, gs)),
            _ => None,
        })
    }

    #[test]
    fn unmanaged_columns_get_back_what_the_grantors_revoke_took() {
        let a = object(
            ObjectType::Column,
            Some("a"),
            vec![
                e(R, OWNER, Select, true),
                e(R, OWNER, Update, false),
                e(R, G, Select, false),
            ],
        );
        // As the owner: SELECT (with its option) from the owner goes; UPDATE and G's grant stay.
        let f = run(
            vec![a.clone()],
            &[revoke(false, OWNER, &[Select, Delete])],
            None,
        )
        .unwrap();
        assert_eq!(f.restores, [restore("a", OWNER, Select, true)]);
        assert_eq!(f.kept.len(), 1);
        assert_eq!(f.kept[0].1.len(), 3);
        // As the third grantor: only its own.
        let f = run(vec![a.clone()], &[revoke(false, G, &[Select])], None).unwrap();
        assert_eq!(f.restores, [restore("a", G, Select, false)]);
        // Grant option only: given back as an option.
        let f = run(vec![a.clone()], &[revoke(true, OWNER, &[Select])], None).unwrap();
        assert_eq!(f.restores, [restore("a", OWNER, Select, true)]);
        // Table-only privileges have no column fallout.
        assert!(
            run(vec![a], &[revoke(false, OWNER, &[Delete, Truncate])], None)
                .unwrap()
                .restores
                .is_empty()
        );
    }

    #[test]
    fn covered_columns_get_back_only_what_their_desired_state_keeps() {
        let a = object(
            ObjectType::Column,
            Some("a"),
            vec![e(R, OWNER, Select, true), e(R, OWNER, Insert, false)],
        );
        let ps: BTreeSet<Privilege> = [Select].into();
        let none = BTreeSet::new();
        let f = run(
            vec![a.clone()],
            &[revoke(false, OWNER, &[Select, Insert])],
            Some(("a", &ps, &none)),
        )
        .unwrap();
        assert_eq!(f.restores, [restore("a", OWNER, Select, false)]);
        assert!(f.kept.is_empty(), "covered columns are checked by the plan");
        let f = run(
            vec![a],
            &[revoke(true, OWNER, &[Select])],
            Some(("a", &ps, &none)),
        )
        .unwrap();
        assert!(f.restores.is_empty());
    }

    #[test]
    fn a_column_grant_option_passed_on_is_refused() {
        let a = object(
            ObjectType::Column,
            Some("a"),
            vec![e(R, OWNER, Select, true), e(LEAF, R, Select, false)],
        );
        let err = run(vec![a.clone()], &[revoke(false, OWNER, &[Select])], None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SELECT to leaf") && err.contains("\"a\""),
            "{err}"
        );
        // Still held WITH GRANT OPTION from another grantor: nothing depends on this one.
        let mut b = a;
        if let Acl::Explicit(entries) = &mut b.acl {
            entries.push(e(R, G, Select, true));
        }
        assert!(run(vec![b], &[revoke(false, OWNER, &[Select])], None).is_ok());
    }
}
