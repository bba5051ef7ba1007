//! Role memberships (`GRANT role TO member`): read, grant, change options in place, revoke.
//!
//! # One membership, several rows
//! PostgreSQL 15 keeps one `pg_auth_members` row per (role, member). PostgreSQL 16 keeps one
//! per (role, member, grantor), each with its own `admin_option`, `inherit_option` and
//! `set_option`, so a membership granted by two roles is two rows. We manage the membership as
//! a whole and read it aggregated over its rows: an option is on when ANY row has it. That is
//! exactly how the server decides what the member may do (it may administer, inherit or SET
//! ROLE if any grant lets it), and it is deterministic whatever order the rows come in, so
//! several grantors never make a plan flip or replace forever.
//!
//! To converge on the wanted options:
//! - an option wanted on and not on in any row: one `GRANT … WITH …` (our own row);
//! - an option wanted off: `REVOKE <option> OPTION FOR … GRANTED BY g` for every row that has it;
//! - revoking the membership: `REVOKE … GRANTED BY g` for every row (PostgreSQL 16+), or one
//!   plain `REVOKE` (PostgreSQL 15, one row whatever the grantor).
//!
//! Each change runs in one transaction that first takes [`lock_in_order`] keys for both roles,
//! then reads the rows, changes them, reads them again and commits only when the aggregate is
//! what was asked for. A grant made by a role the provider's login cannot act for cannot be
//! revoked (PostgreSQL 16+: only the grantor, a role with its privileges, or a superuser may);
//! then nothing is changed and the error names those grantors.
//!
//! Refreshes and imports read from the server's snapshot of every membership
//! ([`Server::membership_catalog`], one `pg_auth_members` query per Terraform walk, rows
//! aggregated exactly as here). Writes never trust it: they read fresh under their locks, and
//! every write forgets the snapshot afterwards, committed or not.
//!
//! SQL texts are fixed per server major version; every name goes through [`quote_ident`].

use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

use super::error::{sqlstate, PgError};
use super::quote::quote_ident;
use super::roles::validate_role_name;
use super::server::Server;
use super::tx::{lock_in_order, retry, Tx};

/// The first major version with per-grant `INHERIT` and `SET` options and one row per grantor.
pub const GRANT_OPTIONS_MAJOR: i32 = 16;

/// What a membership should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipSpec {
    /// The role granted (the group).
    pub role: String,
    /// The role that becomes a member.
    pub member: String,
    pub admin_option: bool,
    /// `None`: leave as the server has it (or, on a new grant, as the server defaults it: the
    /// member's `INHERIT` attribute). `Some` needs PostgreSQL 16+.
    pub inherit_option: Option<bool>,
    /// `None`: leave as the server has it (new grants default to true). `Some` needs 16+.
    pub set_option: Option<bool>,
}

/// One `pg_auth_members` row of a membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipGrant {
    /// The grantor's name; `None` when the grantor role no longer exists (PostgreSQL 15 and
    /// older do not track it).
    pub grantor: Option<String>,
    pub admin_option: bool,
    /// `None` before PostgreSQL 16.
    pub inherit_option: Option<bool>,
    /// `None` before PostgreSQL 16.
    pub set_option: Option<bool>,
}

/// A membership as the server has it: at least one row, ordered by grantor name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub role: String,
    pub member: String,
    pub grants: Vec<MembershipGrant>,
}

impl Membership {
    /// Whether any grant carries ADMIN OPTION.
    pub fn admin_option(&self) -> bool {
        self.grants.iter().any(|g| g.admin_option)
    }

    /// Whether any grant carries INHERIT (`None` before PostgreSQL 16).
    pub fn inherit_option(&self) -> Option<bool> {
        any_of(self.grants.iter().map(|g| g.inherit_option))
    }

    /// Whether any grant carries SET (`None` before PostgreSQL 16).
    pub fn set_option(&self) -> Option<bool> {
        any_of(self.grants.iter().map(|g| g.set_option))
    }

    /// Whether the aggregated options are what `spec` asks for (options it leaves `None` match
    /// anything).
    pub fn satisfies(&self, spec: &MembershipSpec) -> bool {
        let matches = |want: Option<bool>, have: Option<bool>| want.is_none() || want == have;
        self.admin_option() == spec.admin_option
            && matches(spec.inherit_option, self.inherit_option())
            && matches(spec.set_option, self.set_option())
    }
}

fn any_of(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    values.fold(None, |acc, v| match (acc, v) {
        (None, v) => v,
        (Some(a), Some(b)) => Some(a || b),
        (a, None) => a,
    })
}

/// Refuses what the server would refuse or silently change, before any SQL: bad names, a role
/// granted to itself, per-grant options on a server that has none.
pub fn validate_spec(spec: &MembershipSpec, major: i32) -> Result<(), PgError> {
    validate_role_name(&spec.role)?;
    validate_role_name(&spec.member)?;
    if spec.role == spec.member {
        return Err(PgError::invalid(format!(
            "role \"{}\" cannot be a member of itself",
            spec.role
        )));
    }
    if major < GRANT_OPTIONS_MAJOR {
        for (name, value) in [
            ("inherit_option", spec.inherit_option),
            ("set_option", spec.set_option),
        ] {
            if value.is_some() {
                return Err(PgError::invalid(options_need_16(name, major)));
            }
        }
    }
    Ok(())
}

/// Why `option` cannot be set on a server of `major`.
pub fn options_need_16(option: &str, major: i32) -> String {
    format!(
        "{option} needs PostgreSQL {GRANT_OPTIONS_MAJOR} or later; this server is PostgreSQL \
         {major}, where membership inheritance follows the member's INHERIT attribute and every \
         member may SET ROLE. Leave {option} out (null)."
    )
}

/// Every grant of `$1` to `$2` (one row per grantor) with a version's option columns.
macro_rules! select_grants {
    ($options:literal) => {
        concat!(
            "SELECT g.rolname::text, m.admin_option, ",
            $options,
            " FROM pg_catalog.pg_auth_members m \
             JOIN pg_catalog.pg_roles r ON r.oid = m.roleid \
             JOIN pg_catalog.pg_roles u ON u.oid = m.member \
             LEFT JOIN pg_catalog.pg_roles g ON g.oid = m.grantor \
             WHERE r.rolname = $1 AND u.rolname = $2 \
             ORDER BY g.rolname, m.grantor"
        )
    };
}

/// PG15 has no per-grant INHERIT and SET options.
const SELECT_GRANTS_15: &str = select_grants!("NULL::bool, NULL::bool");

const SELECT_GRANTS_16: &str = select_grants!("m.inherit_option, m.set_option");

fn grant_from_row(row: &Row) -> MembershipGrant {
    MembershipGrant {
        grantor: row.get(0),
        admin_option: row.get(1),
        inherit_option: row.get(2),
        set_option: row.get(3),
    }
}

/// The membership of `member` in `role`, or `None` when there is none (or either role does
/// not exist). One query; `pg_auth_members` and `pg_roles` are readable by any role.
pub async fn read_membership<C: GenericClient + Sync>(
    client: &C,
    major: i32,
    role: &str,
    member: &str,
) -> Result<Option<Membership>, PgError> {
    let sql = if major >= GRANT_OPTIONS_MAJOR {
        SELECT_GRANTS_16
    } else {
        SELECT_GRANTS_15
    };
    let rows = client
        .query_typed(sql, &[(&role, Type::TEXT), (&member, Type::TEXT)])
        .await
        .map_err(|e| PgError::query(describe(role, member, "reading"), &e))?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(Membership {
        role: role.to_owned(),
        member: member.to_owned(),
        grants: rows.iter().map(grant_from_row).collect(),
    }))
}

/// One statement and what it does, for error messages (never the SQL text itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub context: String,
    pub sql: String,
    pub kind: StepKind,
}

/// Whether a step adds or takes away: says who may do it when the server refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Grant,
    Revoke,
}

/// The statements that turn `current` (`None`: no membership) into `spec`. Empty when it is
/// already so.
pub fn converge_steps(
    major: i32,
    current: Option<&Membership>,
    spec: &MembershipSpec,
) -> Result<Vec<Step>, PgError> {
    validate_spec(spec, major)?;
    let role = quote_ident(&spec.role)?;
    let member = quote_ident(&spec.member)?;
    let context = |what: &str| describe(&spec.role, &spec.member, what);
    let mut steps = Vec::new();
    if major < GRANT_OPTIONS_MAJOR {
        // One row per pair: GRANT adds the membership or, WITH ADMIN OPTION, the option to it.
        let has_admin = current.map(Membership::admin_option);
        match (has_admin, spec.admin_option) {
            (None, false) => steps.push(Step {
                context: context("granting"),
                sql: format!("GRANT {role} TO {member}"),
                kind: StepKind::Grant,
            }),
            (None | Some(false), true) => steps.push(Step {
                context: context("granting with ADMIN OPTION"),
                sql: format!("GRANT {role} TO {member} WITH ADMIN OPTION"),
                kind: StepKind::Grant,
            }),
            (Some(true), false) => steps.push(Step {
                context: context("revoking ADMIN OPTION of"),
                sql: format!("REVOKE ADMIN OPTION FOR {role} FROM {member}"),
                kind: StepKind::Revoke,
            }),
            (Some(_), _) => {}
        }
        return Ok(steps);
    }

    let Some(current) = current else {
        // A new grant: options left out get the server's defaults.
        let mut options = vec![format!("ADMIN {}", sql_bool(spec.admin_option))];
        if let Some(inherit) = spec.inherit_option {
            options.push(format!("INHERIT {}", sql_bool(inherit)));
        }
        if let Some(set) = spec.set_option {
            options.push(format!("SET {}", sql_bool(set)));
        }
        steps.push(Step {
            context: context("granting"),
            sql: format!("GRANT {role} TO {member} WITH {}", options.join(", ")),
            kind: StepKind::Grant,
        });
        return Ok(steps);
    };

    let have = (
        current.admin_option(),
        current.inherit_option().unwrap_or(false),
        current.set_option().unwrap_or(false),
    );
    let want = (
        spec.admin_option,
        spec.inherit_option.unwrap_or(have.1),
        spec.set_option.unwrap_or(have.2),
    );
    // Turning an option on needs one row with it: our own, created or updated by GRANT. All
    // three options are spelled out, with the aggregate's value for the ones not managed, so a
    // new row of ours never changes what the other rows add up to.
    if (want.0 && !have.0) || (want.1 && !have.1) || (want.2 && !have.2) {
        steps.push(Step {
            context: context("granting"),
            sql: format!(
                "GRANT {role} TO {member} WITH ADMIN {}, INHERIT {}, SET {}",
                sql_bool(want.0),
                sql_bool(want.1),
                sql_bool(want.2)
            ),
            kind: StepKind::Grant,
        });
    }
    // Turning an option off needs it off in every row, whoever granted it.
    for (option, wanted, row_has) in [
        (
            "ADMIN",
            want.0,
            (|g: &MembershipGrant| g.admin_option) as fn(&MembershipGrant) -> bool,
        ),
        ("INHERIT", want.1, |g| g.inherit_option == Some(true)),
        ("SET", want.2, |g| g.set_option == Some(true)),
    ] {
        if wanted {
            continue;
        }
        for grant in current.grants.iter().filter(|g| row_has(g)) {
            // A grantor that no longer exists cannot be named; the check after the change
            // reports the row.
            let Some(grantor) = &grant.grantor else {
                continue;
            };
            steps.push(Step {
                context: format!(
                    "{} (as granted by \"{grantor}\")",
                    context(&format!("revoking {option} OPTION of"))
                ),
                sql: format!(
                    "REVOKE {option} OPTION FOR {role} FROM {member} GRANTED BY {}",
                    quote_ident(grantor)?
                ),
                kind: StepKind::Revoke,
            });
        }
    }
    Ok(steps)
}

/// The statements that remove every row of `current`.
pub fn revoke_steps(major: i32, current: &Membership) -> Result<Vec<Step>, PgError> {
    let role = quote_ident(&current.role)?;
    let member = quote_ident(&current.member)?;
    if major < GRANT_OPTIONS_MAJOR {
        return Ok(vec![Step {
            context: describe(&current.role, &current.member, "revoking"),
            sql: format!("REVOKE {role} FROM {member}"),
            kind: StepKind::Revoke,
        }]);
    }
    let mut steps = Vec::new();
    for grantor in current.grants.iter().filter_map(|g| g.grantor.as_ref()) {
        steps.push(Step {
            context: format!(
                "{} (as granted by \"{grantor}\")",
                describe(&current.role, &current.member, "revoking")
            ),
            sql: format!(
                "REVOKE {role} FROM {member} GRANTED BY {}",
                quote_ident(grantor)?
            ),
            kind: StepKind::Revoke,
        });
    }
    Ok(steps)
}

fn sql_bool(b: bool) -> &'static str {
    if b {
        "TRUE"
    } else {
        "FALSE"
    }
}

/// e.g. `granting membership of "alice" in role "readers"`.
fn describe(role: &str, member: &str, what: &str) -> String {
    format!("{what} membership of \"{member}\" in role \"{role}\"")
}

/// The advisory lock keys for a change to the membership of `member` in `role`: both roles, so
/// concurrent changes to one group queue up (no `tuple concurrently updated`), and so do
/// opposite grants that could together form a membership loop.
pub fn lock_keys(role: &str, member: &str) -> Vec<String> {
    vec![format!("membership:{role}"), format!("membership:{member}")]
}

/// Lists the rows as `"grantor" (ADMIN, INHERIT, SET)` for error messages.
fn list_grants(grants: &[MembershipGrant]) -> String {
    grants
        .iter()
        .map(|g| {
            let mut options = Vec::new();
            if g.admin_option {
                options.push("ADMIN");
            }
            if g.inherit_option == Some(true) {
                options.push("INHERIT");
            }
            if g.set_option == Some(true) {
                options.push("SET");
            }
            let who = match &g.grantor {
                Some(name) => format!("granted by \"{name}\""),
                None => "granted by a role that no longer exists".to_string(),
            };
            if options.is_empty() {
                who
            } else {
                format!("{who} with {}", options.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a change the server accepted may still not converge: on 16+ a row of a grantor the
/// login may not act for (a REVOKE of it only warns); before 16 only someone else's change.
fn unconverged_hint(major: i32) -> &'static str {
    if major >= GRANT_OPTIONS_MAJOR {
        WHO_MAY_REVOKE
    } else {
        "Something outside Terraform changed the membership at the same time; run apply again. \
         Nothing was changed."
    }
}

const WHO_MAY_GRANT: &str = "Granting membership in a role needs ADMIN OPTION on it (PostgreSQL \
    16+: a CREATEROLE admin has it on the roles it created), or CREATEROLE (PostgreSQL 15 and \
    older, for roles that are not superusers), or superuser. Nothing was changed.";

const WHO_MAY_REVOKE: &str = "Only the grantor, a role that has the grantor's privileges, or a \
    superuser may revoke a grant (PostgreSQL 16+); a grant that other grants depend on (its \
    ADMIN OPTION was used) must be revoked with them. Revoke these as that role, then try again. \
    Nothing was changed.";

impl Server {
    /// The membership of `member` in `role`, read now on the maintenance database (one query;
    /// refreshes use [`Server::membership_catalog`] instead).
    pub async fn read_membership(
        &self,
        major: i32,
        role: &str,
        member: &str,
    ) -> Result<Option<Membership>, PgError> {
        read_membership(&*self.maintenance().await?, major, role, member).await
    }

    /// Grants the membership or brings its options to `spec`, in one transaction, retried on a
    /// concurrent update. An existing membership (made outside Terraform) is adopted. Returns
    /// the membership as it is afterwards; fails, changing nothing, unless it then satisfies
    /// `spec`.
    pub async fn set_membership(
        &self,
        major: i32,
        spec: &MembershipSpec,
    ) -> Result<Membership, PgError> {
        validate_spec(spec, major)?;
        let result = retry(|| async {
            let tx = self.locked_tx(&spec.role, &spec.member).await?;
            let current = match read_membership(&*tx, major, &spec.role, &spec.member).await {
                Ok(current) => current,
                Err(e) => return rollback_with(tx, e).await,
            };
            let steps = match converge_steps(major, current.as_ref(), spec) {
                Ok(steps) => steps,
                Err(e) => return rollback_with(tx, e).await,
            };
            let tx = run_steps(tx, &steps).await?;
            let after = match read_membership(&*tx, major, &spec.role, &spec.member).await {
                Ok(after) => after,
                Err(e) => return rollback_with(tx, e).await,
            };
            match after {
                Some(after) if after.satisfies(spec) => {
                    tx.commit().await?;
                    Ok(after)
                }
                other => {
                    let left = match other {
                        Some(m) => list_grants(&m.grants),
                        None => "none".to_string(),
                    };
                    let err = PgError::Query {
                        context: describe(&spec.role, &spec.member, "changing"),
                        code: None,
                        message: format!(
                            "the server accepted the change but the grants are not what was \
                             asked for; they would be: {left}. {}",
                            unconverged_hint(major)
                        ),
                    };
                    rollback_with(tx, err).await
                }
            }
        })
        .await;
        self.memberships_changed();
        result
    }

    /// Revokes the membership of `member` in `role` — every grantor's row — in one transaction,
    /// retried on a concurrent update. Nothing to revoke (either role gone, or no membership) is
    /// success. Fails, changing nothing, when a row cannot be revoked.
    pub async fn revoke_membership(
        &self,
        major: i32,
        role: &str,
        member: &str,
    ) -> Result<(), PgError> {
        let result = retry(|| async {
            let tx = self.locked_tx(role, member).await?;
            let current = match read_membership(&*tx, major, role, member).await {
                Ok(Some(current)) => current,
                Ok(None) => {
                    tx.rollback().await;
                    return Ok(());
                }
                Err(e) => return rollback_with(tx, e).await,
            };
            let steps = match revoke_steps(major, &current) {
                Ok(steps) => steps,
                Err(e) => return rollback_with(tx, e).await,
            };
            let tx = run_steps(tx, &steps).await?;
            match read_membership(&*tx, major, role, member).await {
                Ok(None) => tx.commit().await,
                Ok(Some(left)) => {
                    let err = PgError::Query {
                        context: describe(role, member, "revoking"),
                        code: None,
                        message: format!(
                            "these grants remain: {}. {WHO_MAY_REVOKE}",
                            list_grants(&left.grants)
                        ),
                    };
                    rollback_with(tx, err).await
                }
                Err(e) => rollback_with(tx, e).await,
            }
        })
        .await;
        self.memberships_changed();
        result
    }

    /// A transaction on the maintenance database holding the locks for `role` and `member`.
    async fn locked_tx(&self, role: &str, member: &str) -> Result<Tx, PgError> {
        let tx = self.begin(self.maintenance_database()).await?;
        match lock_in_order(&*tx, &lock_keys(role, member)).await {
            Ok(()) => Ok(tx),
            Err(e) => rollback_with(tx, e).await,
        }
    }
}

/// Runs each step; on the first failure rolls back and returns the error under the step's
/// context (which names the grantor when there is one).
async fn run_steps(tx: Tx, steps: &[Step]) -> Result<Tx, PgError> {
    let mut tx = tx;
    for step in steps {
        tx = tx
            .execute_all(&step.context, std::slice::from_ref(&step.sql))
            .await
            .map_err(|e| explain_refusal(e, step.kind))?;
    }
    Ok(tx)
}

/// Adds who may do what the server refused (no privilege, or other grants depending on this
/// one's ADMIN OPTION) to its error.
fn explain_refusal(err: PgError, kind: StepKind) -> PgError {
    match err {
        PgError::Query {
            context,
            code,
            message,
        } if matches!(
            code.as_deref(),
            Some(sqlstate::INSUFFICIENT_PRIVILEGE | sqlstate::DEPENDENT_OBJECTS_STILL_EXIST)
        ) =>
        {
            let why = match kind {
                StepKind::Grant => WHO_MAY_GRANT,
                StepKind::Revoke => WHO_MAY_REVOKE,
            };
            PgError::Query {
                context,
                code,
                message: format!("{message}\n\n{why}"),
            }
        }
        other => other,
    }
}

async fn rollback_with<T>(tx: Tx, err: PgError) -> Result<T, PgError> {
    tx.rollback().await;
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(admin: bool, inherit: Option<bool>, set: Option<bool>) -> MembershipSpec {
        MembershipSpec {
            role: "readers".into(),
            member: "alice".into(),
            admin_option: admin,
            inherit_option: inherit,
            set_option: set,
        }
    }

    fn grant(grantor: &str, admin: bool, inherit: bool, set: bool) -> MembershipGrant {
        MembershipGrant {
            grantor: Some(grantor.into()),
            admin_option: admin,
            inherit_option: Some(inherit),
            set_option: Some(set),
        }
    }

    fn membership(grants: Vec<MembershipGrant>) -> Membership {
        Membership {
            role: "readers".into(),
            member: "alice".into(),
            grants,
        }
    }

    fn sql(steps: Vec<Step>) -> Vec<String> {
        steps.into_iter().map(|s| s.sql).collect()
    }

    #[test]
    fn options_are_on_when_any_grant_has_them_in_any_order() {
        let a = grant("a", true, false, false);
        let b = grant("b", false, true, false);
        let one = membership(vec![a.clone(), b.clone()]);
        let other = membership(vec![b, a]);
        for m in [&one, &other] {
            assert!(m.admin_option());
            assert_eq!(m.inherit_option(), Some(true));
            assert_eq!(m.set_option(), Some(false));
        }
        let pg15 = membership(vec![MembershipGrant {
            grantor: None,
            admin_option: false,
            inherit_option: None,
            set_option: None,
        }]);
        assert_eq!(pg15.inherit_option(), None);
        assert!(pg15.satisfies(&spec(false, None, None)));
        assert!(!pg15.satisfies(&spec(false, Some(true), None)));
    }

    #[test]
    fn pg15_grants_and_toggles_admin_option() {
        let plain = membership(vec![MembershipGrant {
            grantor: Some("dbadmin".into()),
            admin_option: false,
            inherit_option: None,
            set_option: None,
        }]);
        let mut admin = plain.clone();
        admin.grants[0].admin_option = true;
        let steps = |current: Option<&Membership>, want: bool| {
            sql(converge_steps(15, current, &spec(want, None, None)).unwrap())
        };
        assert_eq!(steps(None, false), [r#"GRANT "readers" TO "alice""#]);
        assert_eq!(
            steps(None, true),
            [r#"GRANT "readers" TO "alice" WITH ADMIN OPTION"#]
        );
        assert_eq!(
            steps(Some(&plain), true),
            [r#"GRANT "readers" TO "alice" WITH ADMIN OPTION"#]
        );
        assert_eq!(
            steps(Some(&admin), false),
            [r#"REVOKE ADMIN OPTION FOR "readers" FROM "alice""#]
        );
        assert!(steps(Some(&plain), false).is_empty());
        assert!(steps(Some(&admin), true).is_empty());
        assert_eq!(
            sql(revoke_steps(15, &admin).unwrap()),
            [r#"REVOKE "readers" FROM "alice""#]
        );
    }

    #[test]
    fn pg15_refuses_grant_options() {
        let err = converge_steps(15, None, &spec(false, Some(false), None)).unwrap_err();
        assert!(err.to_string().contains("inherit_option"), "{err}");
        assert!(err.to_string().contains("PostgreSQL 16"), "{err}");
        assert!(converge_steps(15, None, &spec(false, None, Some(true))).is_err());
    }

    #[test]
    fn pg16_new_grant_spells_out_only_the_managed_options() {
        assert_eq!(
            sql(converge_steps(16, None, &spec(false, None, None)).unwrap()),
            [r#"GRANT "readers" TO "alice" WITH ADMIN FALSE"#]
        );
        assert_eq!(
            sql(converge_steps(17, None, &spec(true, Some(false), Some(true))).unwrap()),
            [r#"GRANT "readers" TO "alice" WITH ADMIN TRUE, INHERIT FALSE, SET TRUE"#]
        );
    }

    #[test]
    fn pg16_turning_on_keeps_unmanaged_options_as_they_add_up() {
        let current = membership(vec![grant("bob", false, false, true)]);
        assert_eq!(
            sql(converge_steps(16, Some(&current), &spec(true, None, None)).unwrap()),
            [r#"GRANT "readers" TO "alice" WITH ADMIN TRUE, INHERIT FALSE, SET TRUE"#]
        );
        assert!(
            converge_steps(16, Some(&current), &spec(false, Some(false), Some(true)))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn pg16_turning_off_revokes_it_from_every_grantor_that_has_it() {
        let current = membership(vec![
            grant("a\"dmin", true, true, true),
            grant("bob", true, false, true),
            grant("carol", false, true, true),
        ]);
        let steps = converge_steps(16, Some(&current), &spec(false, Some(false), None)).unwrap();
        assert_eq!(
            sql(steps.clone()),
            [
                r#"REVOKE ADMIN OPTION FOR "readers" FROM "alice" GRANTED BY "a""dmin""#,
                r#"REVOKE ADMIN OPTION FOR "readers" FROM "alice" GRANTED BY "bob""#,
                r#"REVOKE INHERIT OPTION FOR "readers" FROM "alice" GRANTED BY "a""dmin""#,
                r#"REVOKE INHERIT OPTION FOR "readers" FROM "alice" GRANTED BY "carol""#,
            ]
        );
        assert!(steps[1].context.contains("\"bob\""), "{:?}", steps[1]);
    }

    #[test]
    fn pg16_revokes_every_grantors_row() {
        let current = membership(vec![
            grant("bob", false, true, true),
            grant("dbadmin", true, true, true),
        ]);
        assert_eq!(
            sql(revoke_steps(16, &current).unwrap()),
            [
                r#"REVOKE "readers" FROM "alice" GRANTED BY "bob""#,
                r#"REVOKE "readers" FROM "alice" GRANTED BY "dbadmin""#,
            ]
        );
    }

    #[test]
    fn names_are_quoted_and_validated() {
        let odd = MembershipSpec {
            role: "grp.\"x\"; DROP ROLE y".into(),
            member: "user@contoso.com".into(),
            ..spec(false, None, None)
        };
        assert_eq!(
            sql(converge_steps(15, None, &odd).unwrap()),
            [r#"GRANT "grp.""x""; DROP ROLE y" TO "user@contoso.com""#]
        );
        let mut itself = spec(false, None, None);
        itself.member = itself.role.clone();
        assert!(converge_steps(15, None, &itself).is_err());
        let mut empty = spec(false, None, None);
        empty.role = String::new();
        assert!(converge_steps(16, None, &empty).is_err());
    }

    #[test]
    fn lock_keys_name_both_roles() {
        assert_eq!(
            lock_keys("readers", "alice"),
            ["membership:readers", "membership:alice"]
        );
    }
}
