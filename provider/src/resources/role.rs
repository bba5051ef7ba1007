//! `dbre_role`: a PostgreSQL role (`CREATE ROLE`), its attributes, comment and password.
//!
//! - Identity is the oid: reads go by oid (falling back to the name, for imports and roles
//!   re-created outside Terraform), so a rename made outside shows up as a rename back, and a
//!   rename in the configuration is `ALTER ROLE … RENAME`, never a replacement.
//! - `password` is sensitive and drift-free: the server keeps only a SCRAM verifier, which we
//!   never read; state keeps the configured value. `password_wo` is write-only: it reaches the
//!   server at create, and again whenever `password_wo_version` changes — in place.
//! - Delete hands what the role owns to `on_delete_reassign_to` in every database, or refuses
//!   with one diagnostic listing what is left, touching nothing.

use async_trait::async_trait;

use super::pg_errors::{diagnostic, pg_diag};
use super::timestamp;
use super::Ctx;
use crate::pg::error::sqlstate;
use crate::pg::roles;
use crate::pg::{PgError, RoleCatalog, RoleSpec, RoleState, Server};
use crate::tf::{
    validators, ApplyRequest, ApplyResult, AttrPath, Attribute, Block, Diagnostic, Diagnostics,
    PlanContext, Resource, Schema, Value,
};

#[derive(Debug, Default)]
pub struct RoleResource;

pub fn schema() -> Schema {
    let flag = |name: &str, default: bool, what: &str| {
        Attribute::bool(name)
            .default(default)
            .description(&format!("{what} Default {default}."))
    };
    Schema::new(
        0,
        Block::new()
            .description("A PostgreSQL role (user or group).")
            .attribute(
                Attribute::string("name")
                    .required()
                    .validate(role_name)
                    .description(
                        "The role's name, exactly as written (any characters, at most 63 bytes). \
                         Changing it renames the role in place.",
                    ),
            )
            .attribute(flag("login", false, "May log in (LOGIN)."))
            .attribute(flag("superuser", false, "Is a superuser (SUPERUSER)."))
            .attribute(flag(
                "create_database",
                false,
                "May create databases (CREATEDB).",
            ))
            .attribute(flag("create_role", false, "May create roles (CREATEROLE)."))
            .attribute(flag(
                "inherit",
                true,
                "Uses the privileges of roles it is a member of (INHERIT).",
            ))
            .attribute(flag(
                "replication",
                false,
                "May start streaming replication (REPLICATION).",
            ))
            .attribute(flag(
                "bypass_row_level_security",
                false,
                "Bypasses row-level security policies (BYPASSRLS).",
            ))
            .attribute(
                Attribute::number("connection_limit")
                    .default(-1)
                    .validate(validators::int_between(-1, i64::from(i32::MAX)))
                    .description("Concurrent connections allowed; -1 (the default) for no limit."),
            )
            .attribute(
                Attribute::string("valid_until")
                    .optional()
                    .validate(|v| match v.as_str().and_then(timestamp::parse) {
                        Some(_) => Ok(()),
                        None => Err(format!("valid_until must be {}.", timestamp::EXPECTED_FORM)),
                    })
                    .semantic_equality(|a, b| match (a.as_str(), b.as_str()) {
                        (Some(a), Some(b)) => timestamp::same_instant(a, b),
                        _ => false,
                    })
                    .description(
                        "When the password stops being valid, e.g. \"2030-01-01T00:00:00Z\" \
                         (no offset means UTC). Null or \"infinity\": never.",
                    ),
            )
            .attribute(
                Attribute::string("password")
                    .optional()
                    .sensitive()
                    .description(
                        "The password (stored as a SCRAM-SHA-256 verifier computed by the \
                         provider). Kept in state; prefer password_wo.",
                    ),
            )
            .attribute(
                Attribute::string("password_wo")
                    .optional()
                    .sensitive()
                    .write_only()
                    .description(
                        "Write-only password (Terraform 1.11+): never stored in state or plan. \
                         Set at create, and again whenever password_wo_version changes.",
                    ),
            )
            .attribute(
                Attribute::number("password_wo_version")
                    .optional()
                    .description(
                        "Change it (e.g. increment) to set password_wo again: rotates the \
                         password in place.",
                    ),
            )
            .attribute(
                Attribute::string("comment")
                    .optional()
                    .validate(|v| match v.as_str() {
                        Some("") => Err("comment must not be empty; leave it out (null) to \
                                         have no comment."
                            .into()),
                        _ => Ok(()),
                    })
                    .description("COMMENT ON ROLE."),
            )
            .attribute(
                Attribute::string("on_delete_reassign_to")
                    .optional()
                    .validate(role_name)
                    .description(
                        "On destroy, hand everything the role owns, in every database, to this \
                         role (REASSIGN OWNED + DROP OWNED), then drop it. Without it, destroy \
                         fails while the role owns or holds anything, and says where.",
                    ),
            )
            .attribute(
                Attribute::number("oid")
                    .computed()
                    .use_state_for_unknown()
                    .description("The role's oid: its identity, unchanged by renames."),
            ),
    )
}

/// Names the server would refuse or silently truncate are refused at plan time, by the same
/// check the engine layer applies before any SQL.
fn role_name(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(name) => roles::validate_role_name(name).map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

#[async_trait]
impl Resource<Ctx> for RoleResource {
    fn type_name(&self) -> &'static str {
        "dbre_role"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let set = |name: &str| !config.attr(name).is_null();
        if set("password") && set("password_wo") {
            diags.error_at(
                AttrPath::attr("password_wo"),
                "Conflicting passwords",
                "Set either password or password_wo (write-only, preferred), not both.",
            );
        }
        if set("password_wo_version") && !set("password_wo") {
            diags.error_at(
                AttrPath::attr("password_wo_version"),
                "password_wo_version without password_wo",
                "password_wo_version says when to set password_wo again; set password_wo too.",
            );
        }
        if let (Some(name), Some(heir)) = (
            config.attr("name").as_str(),
            config.attr("on_delete_reassign_to").as_str(),
        ) {
            if name == heir {
                diags.error_at(
                    AttrPath::attr("on_delete_reassign_to"),
                    "A role cannot inherit from itself",
                    "on_delete_reassign_to must name another role.",
                );
            }
        }
        diags
    }

    /// Refuses at plan time, at the attribute, what the provider's login cannot do: a
    /// CREATEROLE admin (managed services) may not grant or revoke SUPERUSER, REPLICATION or
    /// BYPASSRLS. Without this the plan succeeds and the apply fails half-way through a run.
    async fn plan(&self, meta: &Ctx, plan: &mut PlanContext) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(info) = &meta.server_info else {
            return diags;
        };
        if info.superuser {
            return diags;
        }
        for (attr, keyword) in [
            ("superuser", "SUPERUSER"),
            ("replication", "REPLICATION"),
            ("bypass_row_level_security", "BYPASSRLS"),
        ] {
            let wanted = plan.planned.attr(attr).as_bool() == Some(true);
            let was = plan.prior.attr(attr).as_bool() == Some(true);
            if plan.changed(attr) && (wanted || was) {
                diags.error_at(
                    AttrPath::attr(attr),
                    "Needs a superuser",
                    format!(
                        "The provider logs in as \"{}\", which is not a superuser, and only a \
                         superuser may grant or revoke {keyword}. Leave {attr} as it is, or \
                         connect as a superuser.",
                        info.current_user
                    ),
                );
            }
        }
        diags
    }

    async fn read(&self, meta: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        // Connection details unknown during this plan (they come from resources not created
        // yet): nothing can be read, so the role is taken to be as the state says; apply
        // connects once they are known.
        let Ok(server) = meta.server() else {
            return Ok(Some(state.clone()));
        };
        // From the server's role snapshot: refreshing a thousand roles costs a few bulk reads,
        // not a thousand queries; our own writes invalidate it, so apply's reads stay exact.
        let catalog = server.role_catalog().await.map_err(pg_diag)?;
        Ok(find_in(&catalog, state).map(|role| to_state(role, state)))
    }

    async fn create(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        let planned = &request.planned;
        let spec = match spec_of(planned) {
            Ok(spec) => spec,
            Err(d) => return ApplyResult::failed(d),
        };
        let password = planned
            .attr("password")
            .as_str()
            .or_else(|| request.config.attr("password_wo").as_str());
        let server = match meta.server() {
            Ok(s) => s,
            Err(d) => return ApplyResult::failed(d),
        };
        match server.create_role(&spec, password).await {
            Ok(role) => {
                let mut state = planned.clone();
                state.set_attr("oid", i64::from(role.oid).into());
                ApplyResult::ok(state)
            }
            Err(e) => ApplyResult::failed(diagnostic(&e, Some(AttrPath::attr("name")))),
        }
    }

    async fn update(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        let ApplyRequest {
            prior,
            planned,
            config,
            ..
        } = &request;
        let mut desired = match spec_of(planned) {
            Ok(spec) => spec,
            Err(d) => return ApplyResult::failed(d),
        };
        let server = match meta.server() {
            Ok(s) => s,
            Err(d) => return ApplyResult::failed(d),
        };
        // Which password to set, if any: a new write-only version wins over `password`, which
        // is only touched when it changed (null: remove the password).
        let rotate_wo = planned.attr("password_wo_version") != prior.attr("password_wo_version")
            && config.attr("password_wo").as_str().is_some();
        let new_password: Option<Option<&str>> = if rotate_wo {
            Some(config.attr("password_wo").as_str())
        } else if planned.attr("password") != prior.attr("password") {
            Some(planned.attr("password").as_str())
        } else {
            None
        };
        // Alter from what the server has now, not from the state: whatever changed since the
        // plan was read is brought to the configuration as well.
        let live = match find(server, prior).await {
            Ok(Some(live)) => live,
            Ok(None) => {
                return ApplyResult::failed(Diagnostic::error(
                    "Role no longer exists",
                    format!(
                        "Role {} was dropped after this plan was made. Run terraform plan \
                         again: it will plan to create it.",
                        display_name(prior)
                    ),
                ))
            }
            Err(e) => return ApplyResult::failed(diagnostic(&e, None)),
        };
        if let (Some(want), Some(have)) = (&desired.valid_until, &live.spec.valid_until) {
            if timestamp::same_instant(want, have) {
                desired.valid_until = Some(have.clone());
            }
        }
        let altered = match server.alter_role(&live.spec, &desired).await {
            Ok(role) => role,
            Err(e) => return ApplyResult::failed(diagnostic(&e, None)),
        };
        let mut state = planned.clone();
        state.set_attr("oid", i64::from(altered.oid).into());
        if let Some(password) = new_password {
            if let Err(e) = server.set_role_password(&desired.name, password).await {
                // The attributes changed, the password did not: say so in the state, so the
                // next plan tries the password again.
                for name in ["password", "password_wo_version"] {
                    state.set_attr(name, prior.attr(name).clone());
                }
                return ApplyResult::partial(state, diagnostic(&e, None));
            }
        }
        ApplyResult::ok(state)
    }

    async fn delete(&self, meta: &Ctx, request: ApplyRequest) -> Diagnostics {
        let prior = &request.prior;
        let server = match meta.server() {
            Ok(s) => s,
            Err(d) => return d,
        };
        let heir = prior.attr("on_delete_reassign_to").as_str();
        match drop_role(server, prior, heir).await {
            Ok(()) => Diagnostics::new(),
            Err(e)
                if e.code() == Some(sqlstate::DEPENDENT_OBJECTS_STILL_EXIST) && heir.is_some() =>
            {
                leftovers_after_reassign(server, prior, heir.unwrap_or_default(), &e).await
            }
            Err(e) => diagnostic(&e, None).into(),
        }
    }

    async fn import(&self, meta: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let server = meta.server()?;
        match server.read_role(id).await.map_err(pg_diag)? {
            Some(role) => Ok(Value::object([
                ("name", Value::from(role.spec.name)),
                ("oid", i64::from(role.oid).into()),
            ])),
            None => Err(Diagnostic::error(
                "Role not found",
                format!(
                    "There is no role named {id:?} to import (the import id is the role's name, \
                     exactly, case included)."
                ),
            )
            .into()),
        }
    }
}

/// The role `state` describes: by oid while there is one, else (import, or an oid that no longer
/// exists because the role was re-created outside Terraform) by name.
async fn find(server: &Server, state: &Value) -> Result<Option<RoleState>, PgError> {
    let client = server.maintenance().await?;
    if let Some(oid) = state
        .attr("oid")
        .as_i64()
        .and_then(|o| u32::try_from(o).ok())
    {
        if let Some(role) = roles::read_role_by_oid(&*client, oid).await? {
            return Ok(Some(role));
        }
    }
    match state.attr("name").as_str() {
        Some(name) => roles::read_role(&*client, name).await,
        None => Ok(None),
    }
}

/// [`find`], in a snapshot of the catalog.
fn find_in<'a>(catalog: &'a RoleCatalog, state: &Value) -> Option<&'a RoleState> {
    let by_oid = state
        .attr("oid")
        .as_i64()
        .and_then(|o| u32::try_from(o).ok())
        .and_then(|oid| catalog.by_oid(oid));
    by_oid.or_else(|| state.attr("name").as_str().and_then(|n| catalog.by_name(n)))
}

async fn drop_role(server: &Server, prior: &Value, heir: Option<&str>) -> Result<(), PgError> {
    if let Some(heir) = heir {
        if server.read_role(heir).await?.is_none() {
            return Err(PgError::invalid(format!(
                "on_delete_reassign_to names role \"{heir}\", which does not exist; nothing was \
                 changed. Create it, or point on_delete_reassign_to at another role."
            )));
        }
    }
    match find(server, prior).await? {
        Some(role) => server.drop_role(&role.spec.name, heir).await,
        None => Ok(()), // already gone
    }
}

/// REASSIGN OWNED and DROP OWNED ran, yet DROP ROLE still found dependents: privileges that
/// some other role granted, which only that role (or a superuser) may revoke — typical for a
/// managed-service admin facing grants a superuser made. Say exactly what is left and where.
async fn leftovers_after_reassign(
    server: &Server,
    prior: &Value,
    heir: &str,
    err: &PgError,
) -> Diagnostics {
    let name = prior.attr("name").as_str().unwrap_or_default();
    let listed = match server.dependents(name).await {
        Ok(deps) if !deps.is_empty() => deps
            .iter()
            .map(|db| {
                let objects: Vec<String> = db.objects.iter().map(ToString::to_string).collect();
                format!("\n  {}: {}", db.location(), objects.join(", "))
            })
            .collect::<String>(),
        _ => format!("\n  {err}"),
    };
    Diagnostic::error(
        "Role still holds privileges after reassigning",
        format!(
            "Everything role \"{name}\" owned was handed to \"{heir}\" and its privileges were \
             revoked where the provider's login may revoke them, but these remain:{listed}\n\n\
             They were granted by a role the provider's login cannot act for (e.g. a \
             superuser). Revoke them as that role, then destroy again. The role was not \
             dropped."
        ),
    )
    .into()
}

/// The server-side attributes the planned (wholly known) value asks for.
fn spec_of(v: &Value) -> Result<RoleSpec, Diagnostics> {
    let flag = |name: &str, default: bool| v.attr(name).as_bool().unwrap_or(default);
    let connection_limit = v
        .attr("connection_limit")
        .as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(-1);
    let valid_until = v
        .attr("valid_until")
        .as_str()
        .filter(|t| timestamp::parse(t) != Some(timestamp::Instant::Never))
        .map(str::to_owned);
    let Some(name) = v.attr("name").as_str() else {
        return Err(Diagnostic::error("Missing role name", "name must be set.").into());
    };
    Ok(RoleSpec {
        name: name.to_owned(),
        login: flag("login", false),
        superuser: flag("superuser", false),
        create_database: flag("create_database", false),
        create_role: flag("create_role", false),
        inherit: flag("inherit", true),
        replication: flag("replication", false),
        bypass_row_level_security: flag("bypass_row_level_security", false),
        connection_limit,
        valid_until,
        comment: v.attr("comment").as_str().map(str::to_owned),
    })
}

/// State for `role` as the server has it, keeping from `prior` what the server cannot tell:
/// the passwords, the write-only version, the delete policy, and `valid_until` as the user wrote
/// it while it names the same instant.
fn to_state(role: &RoleState, prior: &Value) -> Value {
    let spec = &role.spec;
    let valid_until = match (prior.attr("valid_until").as_str(), &spec.valid_until) {
        (Some(p), Some(s)) if timestamp::same_instant(p, s) => Value::from(p),
        (Some(p), None) if timestamp::parse(p) == Some(timestamp::Instant::Never) => Value::from(p),
        (_, s) => s.clone().into(),
    };
    Value::object([
        ("name", Value::from(spec.name.clone())),
        ("login", spec.login.into()),
        ("superuser", spec.superuser.into()),
        ("create_database", spec.create_database.into()),
        ("create_role", spec.create_role.into()),
        ("inherit", spec.inherit.into()),
        ("replication", spec.replication.into()),
        (
            "bypass_row_level_security",
            spec.bypass_row_level_security.into(),
        ),
        ("connection_limit", i64::from(spec.connection_limit).into()),
        ("valid_until", valid_until),
        ("comment", spec.comment.clone().into()),
        ("password", prior.attr("password").clone()),
        ("password_wo", Value::Null),
        (
            "password_wo_version",
            prior.attr("password_wo_version").clone(),
        ),
        (
            "on_delete_reassign_to",
            prior.attr("on_delete_reassign_to").clone(),
        ),
        ("oid", i64::from(role.oid).into()),
    ])
}

fn display_name(v: &Value) -> String {
    match v.attr("name").as_str() {
        Some(name) => format!("{name:?}"),
        None => "(unnamed)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role_state() -> RoleState {
        RoleState {
            oid: 16_384,
            spec: RoleSpec {
                name: "app".into(),
                login: true,
                valid_until: Some("2030-01-01 00:00:00+00".into()),
                ..RoleSpec::default()
            },
        }
    }

    #[test]
    fn state_keeps_what_the_server_cannot_tell() {
        let prior = Value::object([
            ("name", Value::from("app")),
            ("password", "s3cret".into()),
            ("password_wo_version", 3.into()),
            ("on_delete_reassign_to", "heir".into()),
            ("valid_until", "2030-01-01T00:00:00Z".into()),
        ]);
        let state = to_state(&role_state(), &prior);
        assert_eq!(state.attr("password"), &Value::from("s3cret"));
        assert_eq!(state.attr("password_wo_version"), &Value::from(3));
        assert_eq!(state.attr("on_delete_reassign_to"), &Value::from("heir"));
        assert_eq!(
            state.attr("valid_until"),
            &Value::from("2030-01-01T00:00:00Z")
        );
        assert_eq!(state.attr("oid"), &Value::from(16_384));
    }

    #[test]
    fn a_different_instant_is_drift() {
        let prior = Value::object([("valid_until", Value::from("2031-01-01T00:00:00Z"))]);
        let state = to_state(&role_state(), &prior);
        assert_eq!(
            state.attr("valid_until"),
            &Value::from("2030-01-01 00:00:00+00")
        );
    }

    #[test]
    fn infinity_is_no_expiry() {
        let planned = Value::object([
            ("name", Value::from("app")),
            ("valid_until", "infinity".into()),
        ]);
        assert_eq!(spec_of(&planned).unwrap().valid_until, None);
        let mut role = role_state();
        role.spec.valid_until = None;
        let state = to_state(&role, &planned);
        assert_eq!(state.attr("valid_until"), &Value::from("infinity"));
    }

    #[test]
    fn snapshot_lookup_goes_by_oid_then_by_name() {
        let mut renamed = role_state();
        renamed.spec.name = "app_renamed".into();
        let mut recreated = role_state();
        recreated.oid = 20_000;
        recreated.spec.name = "other".into();
        let catalog = RoleCatalog::from_roles([renamed, recreated]);
        let by_oid = Value::object([("name", Value::from("app")), ("oid", 16_384.into())]);
        assert_eq!(
            find_in(&catalog, &by_oid).map(|r| r.spec.name.as_str()),
            Some("app_renamed"),
            "a rename made outside is found by oid"
        );
        let gone_oid = Value::object([("name", Value::from("other")), ("oid", 1.into())]);
        assert_eq!(find_in(&catalog, &gone_oid).map(|r| r.oid), Some(20_000));
        let import = Value::object([("name", Value::from("other"))]);
        assert_eq!(find_in(&catalog, &import).map(|r| r.oid), Some(20_000));
        let missing = Value::object([("name", Value::from("nobody")), ("oid", 2.into())]);
        assert!(find_in(&catalog, &missing).is_none());
    }

    #[test]
    fn names_are_checked_by_bytes() {
        assert!(role_name(&Value::from("app@contoso.com")).is_ok());
        assert!(role_name(&Value::from("")).is_err());
        assert!(role_name(&Value::from("é".repeat(32))).is_err()); // 64 bytes
        assert!(role_name(&Value::from("é".repeat(31))).is_ok());
    }
}
