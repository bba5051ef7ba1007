//! Reading a `dbre_role_privileges` state back from the database: blocks that still hold read
//! as written; drifted ones read with what is held (in the block's own spelling); privileges
//! held beyond every block read as extra blocks. All from one ACL snapshot.

use std::collections::{BTreeMap, BTreeSet};

use super::{check_block, strings};
use crate::pg::acl::DatabaseAcls;
use crate::pg::grants::{self, held_on, Signatures};
use crate::pg::privileges::{self, ObjectType, Privilege};
use crate::pg::{Held, PgError, Server};
use crate::resources::grant_attrs::privilege_list;
use crate::tf::{AttrPath, Diagnostics, Value};

/// The routine names the blocks write, as the snapshot spells them (one lookup per name it
/// does not spell so already).
pub async fn routine_signatures(
    server: &Server,
    acls: &DatabaseAcls,
    blocks: &[Value],
) -> Result<Signatures, PgError> {
    let mut wanted: Vec<(ObjectType, String, String)> = Vec::new();
    for block in blocks {
        let object_type = block
            .attr("object_type")
            .as_str()
            .and_then(ObjectType::parse);
        if let (Some(t), Some(schema)) = (object_type, block.attr("schema").as_str()) {
            for name in strings(block.attr("objects")).unwrap_or_default() {
                wanted.push((t, schema.to_owned(), name));
            }
        }
    }
    server.routine_signatures(acls, &wanted).await
}

/// The `grant` blocks as the database has them, given the blocks in state (see the module
/// docs): each block kept as it is while everything it asks for is held; otherwise read with
/// what is held (privileges held on every object it covers; objects that still exist); then
/// one extra block per group of privileges held beyond all blocks.
pub fn read_blocks(
    acls: &DatabaseAcls,
    grantee: u32,
    database: &str,
    blocks: &[Value],
    signatures: &Signatures,
) -> Vec<Value> {
    let major = Some(acls.major);
    // What the blocks claim, per object.
    let mut claimed: BTreeMap<grants::ObjectKey, Held> = BTreeMap::new();
    let mut out = Vec::new();
    for block in blocks {
        let mut ignored = Diagnostics::new();
        let Some(entry) = check_block(
            block,
            &AttrPath::root(),
            Some(database),
            grantee == crate::pg::PUBLIC,
            major,
            &mut ignored,
        ) else {
            out.push(block.clone()); // not ours to judge here; plan reports it
            continue;
        };
        let schema = entry.schema.clone().unwrap_or_default();
        // Routine names as the snapshot spells them; named objects that do not exist.
        let mut present = Vec::new();
        let mut missing = false;
        for name in &entry.objects {
            let lookup = match entry.object_type {
                ObjectType::Column => ObjectType::Table,
                t => t,
            };
            let spelled = signatures
                .get(&(entry.object_type, schema.clone(), name.clone()))
                .unwrap_or(name);
            if acls
                .find(lookup, entry.schema.as_deref(), spelled, None)
                .is_some()
            {
                present.push((name.clone(), spelled.clone()));
            } else {
                missing = true;
            }
        }
        let mut resolved = entry.clone();
        if !entry.objects.is_empty() {
            resolved.objects = present.iter().map(|(_, s)| s.clone()).collect();
        }
        let mut held = if entry.objects.is_empty() || !present.is_empty() {
            held_on(acls, grantee, &resolved.target(database))
        } else {
            Vec::new()
        };
        if entry.objects.is_empty() {
            // As the engine: "every object in the schema" leaves out the role's own objects.
            held.retain(|((t, schema, name, column), _)| {
                acls.find(*t, schema.as_deref(), name, column.as_deref())
                    .is_none_or(|o| o.owner != grantee)
            });
        }
        for (key, _) in &held {
            let c = claimed.entry(key.clone()).or_default();
            c.privileges.extend(entry.privileges.iter().copied());
            if entry.with_grant_option {
                c.grantable.extend(entry.privileges.iter().copied());
            }
        }
        let holds_all = |h: &Held| {
            entry.privileges.is_subset(&h.privileges)
                && (!entry.with_grant_option || entry.privileges.is_subset(&h.grantable))
        };
        if !missing && held.iter().all(|(_, h)| holds_all(h)) {
            out.push(block.clone());
            continue;
        }
        // Drift: what is held on every object the block covers, of what it asks for.
        let mut common = entry.privileges.clone();
        let mut common_grantable = entry.privileges.clone();
        for (_, h) in &held {
            common.retain(|p| h.privileges.contains(p));
            common_grantable.retain(|p| h.grantable.contains(p));
        }
        if held.is_empty() && !entry.objects.is_empty() {
            common.clear();
        }
        let mut read = block.clone();
        if missing {
            let kept: Vec<Value> = present
                .iter()
                .map(|(as_written, _)| Value::from(as_written.clone()))
                .collect();
            read.set_attr("objects", Value::List(kept));
        }
        if common != entry.privileges {
            let written = strings(block.attr("privileges")).unwrap_or_default();
            read.set_attr(
                "privileges",
                spelled_as_written(&written, &common, entry.object_type, major),
            );
        } else if entry.with_grant_option && common_grantable != entry.privileges {
            read.set_attr("with_grant_option", Value::Bool(false));
        }
        out.push(read);
    }
    out.extend(extra_blocks(acls, grantee, &claimed));
    out
}

/// Privileges held beyond what the blocks claim, as blocks: one per (object type, schema,
/// table for columns, privileges, grant option), objects sorted by bytes.
fn extra_blocks(
    acls: &DatabaseAcls,
    grantee: u32,
    claimed: &BTreeMap<grants::ObjectKey, Held>,
) -> Vec<Value> {
    type GroupKey = (
        ObjectType,
        Option<String>,
        Option<String>,
        Vec<Privilege>,
        bool,
    );
    let mut groups: BTreeMap<GroupKey, Vec<String>> = BTreeMap::new();
    let none = Held::default();
    for o in &acls.objects {
        let key = (
            o.object_type,
            o.schema.clone(),
            o.name.clone(),
            o.column.clone(),
        );
        // As the engine: the role's own objects, and PUBLIC's (default) USAGE on types no
        // block covers, are left alone.
        if o.owner == grantee
            || (o.object_type == ObjectType::Type
                && grantee == crate::pg::PUBLIC
                && !claimed.contains_key(&key))
        {
            continue;
        }
        let held = o.held_by(grantee, Some(acls.major));
        if held.privileges.is_empty() {
            continue;
        }
        let c = claimed.get(&key).unwrap_or(&none);
        let grantable: Vec<Privilege> = held.grantable.difference(&c.grantable).copied().collect();
        let plain: Vec<Privilege> = held
            .privileges
            .iter()
            .filter(|p| !held.grantable.contains(p) && !c.privileges.contains(p))
            .copied()
            .collect();
        let (table, item) = match &o.column {
            Some(col) => (Some(o.name.clone()), col.clone()),
            None => (None, o.name.clone()),
        };
        for (privileges, wgo) in [(plain, false), (grantable, true)] {
            if !privileges.is_empty() {
                groups
                    .entry((
                        o.object_type,
                        o.schema.clone(),
                        table.clone(),
                        privileges,
                        wgo,
                    ))
                    .or_default()
                    .push(item.clone());
            }
        }
    }
    groups
        .into_iter()
        .map(|((t, schema, table, privileges, wgo), mut items)| {
            items.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            let list = |v: Vec<String>| Value::List(v.into_iter().map(Value::from).collect());
            let (objects, columns) = match table {
                Some(table) => (list(vec![table]), list(items)),
                None => (list(items), Value::Null),
            };
            Value::object([
                ("object_type", Value::from(t.name())),
                ("schema", schema.into()),
                ("objects", objects),
                ("columns", columns),
                (
                    "privileges",
                    privilege_list(&privileges.into_iter().collect()),
                ),
                ("with_grant_option", Value::Bool(wgo)),
            ])
        })
        .collect()
}

/// `held` as a privilege list that keeps the block's own spelling where it can (`"select"`
/// stays `"select"`; an `"ALL"` that no longer holds becomes the names still held), so the plan
/// shows only what is missing.
fn spelled_as_written(
    written: &[String],
    held: &BTreeSet<Privilege>,
    object_type: ObjectType,
    major: Option<i32>,
) -> Value {
    let mut out: Vec<Value> = Vec::new();
    let mut covered = BTreeSet::new();
    for name in written {
        let Ok(set) = privileges::resolve(&[name.as_str()], object_type, major) else {
            continue;
        };
        if set.is_subset(held) {
            out.push(Value::from(name.clone()));
            covered.extend(set);
        } else if set.len() > 1 {
            for p in set.intersection(held) {
                if covered.insert(*p) {
                    out.push(Value::from(p.name()));
                }
            }
        }
    }
    Value::List(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::block;
    use super::*;
    use crate::pg::acl::{Acl, AclEntry, ObjectAcl};
    use std::collections::HashMap;

    const APP: u32 = 20;
    const OWNER: u32 = 10;

    fn table(name: &str, grants: &[(Privilege, bool)]) -> ObjectAcl {
        ObjectAcl {
            object_type: ObjectType::Table,
            schema: Some("s".into()),
            name: name.into(),
            column: None,
            oid: 1,
            owner: OWNER,
            acl: Acl::Explicit(
                grants
                    .iter()
                    .map(|&(privilege, grantable)| AclEntry {
                        grantee: APP,
                        grantor: OWNER,
                        privilege,
                        grantable,
                    })
                    .collect(),
            ),
        }
    }

    fn acls(objects: Vec<ObjectAcl>) -> DatabaseAcls {
        DatabaseAcls::new(
            "db".into(),
            15,
            objects,
            Vec::new(),
            HashMap::from([(OWNER, "owner".into()), (APP, "app".into())]),
        )
    }

    fn read(acls: &DatabaseAcls, blocks: &[Value]) -> Vec<Value> {
        read_blocks(acls, APP, "db", blocks, &Signatures::new())
    }

    use Privilege::{Insert, Select};

    #[test]
    fn blocks_that_hold_read_back_as_written() {
        let a = acls(vec![
            table("t1", &[(Select, false), (Insert, false)]),
            table("t2", &[(Select, false)]),
        ]);
        let blocks = [
            block(&[], &["select"], false),
            block(&["t1"], &["INSERT"], false),
        ];
        assert_eq!(read(&a, &blocks), blocks);
    }

    #[test]
    fn drifted_privileges_keep_the_blocks_spelling() {
        let a = acls(vec![table("t1", &[(Select, false)])]);
        let got = read(&a, &[block(&["t1"], &["select", "INSERT"], false)]);
        assert_eq!(got, [block(&["t1"], &["select"], false)]);
        let a = acls(vec![table(
            "t1",
            &[(Select, false), (Privilege::Update, false)],
        )]);
        let got = read(&a, &[block(&["t1"], &["ALL"], false)]);
        assert_eq!(got, [block(&["t1"], &["SELECT", "UPDATE"], false)]);
    }

    #[test]
    fn a_missing_privilege_reads_as_what_is_held() {
        let a = acls(vec![
            table("t1", &[(Select, false), (Insert, false)]),
            table("t2", &[(Select, false)]),
        ]);
        let got = read(&a, &[block(&[], &["SELECT", "INSERT"], false)]);
        assert_eq!(got, [block(&[], &["SELECT"], false)]);
    }

    #[test]
    fn extra_grants_read_as_added_blocks_grouped() {
        let a = acls(vec![
            table("t1", &[(Select, false)]),
            table("t2", &[(Select, false), (Insert, true)]),
            table("t3", &[(Insert, true)]),
        ]);
        let got = read(&a, &[block(&["t1"], &["SELECT"], false)]);
        assert_eq!(
            got,
            [
                block(&["t1"], &["SELECT"], false),
                block(&["t2"], &["SELECT"], false),
                block(&["t2", "t3"], &["INSERT"], true),
            ]
        );
    }

    #[test]
    fn a_grant_option_beyond_the_block_is_an_extra_and_a_lost_one_is_drift() {
        let a = acls(vec![table("t1", &[(Select, true)])]);
        let got = read(&a, &[block(&["t1"], &["SELECT"], false)]);
        assert_eq!(
            got,
            [
                block(&["t1"], &["SELECT"], false),
                block(&["t1"], &["SELECT"], true)
            ]
        );
        let a = acls(vec![table("t1", &[(Select, false)])]);
        let got = read(&a, &[block(&["t1"], &["SELECT"], true)]);
        assert_eq!(got, [block(&["t1"], &["SELECT"], false)]);
    }

    #[test]
    fn gone_objects_drop_out_and_owned_objects_are_left_alone() {
        let mut owned = table("mine", &[(Select, false)]);
        owned.owner = APP;
        owned.acl = Acl::Default;
        let a = acls(vec![table("t1", &[(Select, false)]), owned]);
        let got = read(&a, &[block(&["t1", "gone"], &["SELECT"], false)]);
        assert_eq!(got, [block(&["t1"], &["SELECT"], false)]);
    }
}
