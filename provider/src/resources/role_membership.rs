//! `dbre_role_membership`: one role granted to another (`GRANT role TO member`), with its
//! ADMIN, INHERIT and SET options.
//!
//! - Identity is the pair of names; changing either replaces the membership.
//! - Options are read aggregated over every grantor's row (PostgreSQL 16+ keeps one per
//!   grantor): an option is on when any grant has it — see [`crate::pg::memberships`]. Drift
//!   in `admin_option` (and in `inherit_option` / `set_option` when configured) is changed in
//!   place; a membership revoked outside Terraform is granted again.
//! - `inherit_option` and `set_option` exist on PostgreSQL 16+ only. Configuring one against
//!   an older server is a plan-time error at the attribute (at apply when the connection is not
//!   known at plan). Left out, they are not managed: state shows what the server has.
//! - Import id: `role/member` ([`super::import_id`]).
//! - Read and import answer from the server's membership snapshot: one `pg_auth_members` query
//!   for every membership refreshed in the same Terraform command, forgotten by each of our
//!   membership or role writes, so drift made outside Terraform shows in the next command.
//!   Create, update and delete read fresh under their locks.

use async_trait::async_trait;

use super::import_id;
use super::pg_errors::diagnostic;
use super::Ctx;
use crate::pg::error::sqlstate;
use crate::pg::memberships::{options_need_16, Membership, MembershipSpec, GRANT_OPTIONS_MAJOR};
use crate::pg::roles;
use crate::pg::{PgError, Server};
use crate::tf::{
    ApplyRequest, ApplyResult, AttrPath, Attribute, Block, Diagnostic, Diagnostics, PlanContext,
    Resource, Schema, Value,
};

#[derive(Debug, Default)]
pub struct RoleMembershipResource;

/// The options only PostgreSQL 16+ has.
const GRANT_OPTIONS: [&str; 2] = ["inherit_option", "set_option"];

pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .description(
                "Membership of one PostgreSQL role in another (GRANT role TO member). Import id: \
                 \"role/member\", each name exactly as written, with \"%\", \"/\" and \",\" \
                 inside a name written \"%25\", \"%2F\" and \"%2C\".",
            )
            .attribute(
                Attribute::string("role")
                    .required()
                    .requires_replace()
                    .validate(role_name)
                    .description("The role granted (the group), exactly as named."),
            )
            .attribute(
                Attribute::string("member")
                    .required()
                    .requires_replace()
                    .validate(role_name)
                    .description("The role that becomes a member of role, exactly as named."),
            )
            .attribute(Attribute::bool("admin_option").default(false).description(
                "The member may grant and revoke membership in role to others \
                         (WITH ADMIN OPTION). Default false.",
            ))
            .attribute(
                Attribute::bool("inherit_option")
                    .optional()
                    .computed()
                    .use_state_for_unknown()
                    .description(
                        "PostgreSQL 16+: the member uses role's privileges without SET ROLE \
                         (WITH INHERIT). Left out: not managed; a new membership gets the \
                         member's INHERIT attribute. An error on older servers.",
                    ),
            )
            .attribute(
                Attribute::bool("set_option")
                    .optional()
                    .computed()
                    .use_state_for_unknown()
                    .description(
                        "PostgreSQL 16+: the member may SET ROLE to role (WITH SET). Left out: \
                         not managed; a new membership gets true. An error on older servers.",
                    ),
            )
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("\"role/member\", the import id."),
            ),
    )
}

fn role_name(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(name) => roles::validate_role_name(name).map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

/// `role/member`, each escaped by the shared import id scheme.
pub fn id_of(role: &str, member: &str) -> String {
    import_id::encode(&[import_id::escape(role), import_id::escape(member)])
}

#[async_trait]
impl Resource<Ctx> for RoleMembershipResource {
    fn type_name(&self) -> &'static str {
        "dbre_role_membership"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let (Some(role), Some(member)) =
            (config.attr("role").as_str(), config.attr("member").as_str())
        {
            if role == member {
                diags.error_at(
                    AttrPath::attr("member"),
                    "A role cannot be a member of itself",
                    format!("member must name another role than \"{role}\"."),
                );
            }
        }
        diags
    }

    /// Plans the id, and refuses PostgreSQL 16 options on an older server at the attribute.
    async fn plan(&self, meta: &Ctx, plan: &mut PlanContext) -> Diagnostics {
        if plan.planned.is_null() {
            return Diagnostics::new();
        }
        if let (Some(role), Some(member)) = (
            plan.planned.attr("role").as_str(),
            plan.planned.attr("member").as_str(),
        ) {
            let id = id_of(role, member);
            plan.planned.set_attr("id", id.into());
        }
        match &meta.server_info {
            Some(info) => unsupported_options(&plan.config, info.major()),
            None => Diagnostics::new(), // checked at apply, once the server is known
        }
    }

    async fn read(&self, meta: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        // Connection details unknown during this plan: take the membership to be as the state
        // says; apply connects once they are known.
        let Ok((server, major)) = server_and_major(meta) else {
            return Ok(Some(state.clone()));
        };
        let (Some(role), Some(member)) =
            (state.attr("role").as_str(), state.attr("member").as_str())
        else {
            return Ok(None);
        };
        match server.membership_catalog(major).await {
            Ok(catalog) => Ok(catalog.get(role, member).map(to_state)),
            Err(e) => Err(diagnostic(&e, None).into()),
        }
    }

    async fn create(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        converge(meta, &request, "Cannot grant the membership").await
    }

    async fn update(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        converge(meta, &request, "Cannot change the membership").await
    }

    async fn delete(&self, meta: &Ctx, request: ApplyRequest) -> Diagnostics {
        let (server, major) = match server_and_major(meta) {
            Ok(s) => s,
            Err(d) => return d,
        };
        let prior = &request.prior;
        let (Some(role), Some(member)) =
            (prior.attr("role").as_str(), prior.attr("member").as_str())
        else {
            return Diagnostics::new();
        };
        match server.revoke_membership(major, role, member).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => membership_diagnostic(&e, "Cannot revoke the membership").into(),
        }
    }

    async fn import(&self, meta: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let bad_id = |message: String| -> Diagnostics {
            Diagnostic::error("Invalid import id", message).into()
        };
        let fields = import_id::decode(id, 2, 2, "role/member").map_err(bad_id)?;
        let role = fields.name(0).map_err(bad_id)?;
        let member = fields.name(1).map_err(bad_id)?;
        for name in [&role, &member] {
            roles::validate_role_name(name)
                .map_err(|e| bad_id(format!("The import id {id:?} names a bad role: {e}.")))?;
        }
        let (server, major) = server_and_major(meta)?;
        let catalog = server
            .membership_catalog(major)
            .await
            .map_err(|e| Diagnostics::from(diagnostic(&e, None)))?;
        match catalog.get(&role, &member) {
            Some(m) => Ok(to_state(m)),
            None => Err(Diagnostic::error(
                "Membership not found",
                format!(
                    "Role \"{member}\" is not a member of role \"{role}\" (or one of them does \
                     not exist). The import id is \"role/member\": the granted role first, then \
                     the member, each exactly as named."
                ),
            )
            .into()),
        }
    }
}

/// Create and update both bring the server to the planned membership: a membership made
/// outside Terraform is adopted, and options drifted since the plan are repaired too.
async fn converge(meta: &Ctx, request: &ApplyRequest, failed: &str) -> ApplyResult {
    let (server, major) = match server_and_major(meta) {
        Ok(s) => s,
        Err(d) => return ApplyResult::failed(d),
    };
    let unsupported = unsupported_options(&request.config, major);
    if unsupported.has_errors() {
        return ApplyResult::failed(unsupported);
    }
    let spec = match spec_of(&request.planned, &request.config) {
        Ok(spec) => spec,
        Err(d) => return ApplyResult::failed(d),
    };
    match server.set_membership(major, &spec).await {
        Ok(m) => ApplyResult::ok(to_state(&m)),
        Err(e) => ApplyResult::failed(match missing_role_path(&e, &spec) {
            Some(path) => membership_diagnostic(&e, failed).at(path),
            None => membership_diagnostic(&e, failed),
        }),
    }
}

/// `role` or `member` when the server says that role does not exist (roles created by the same
/// apply cannot be checked at plan time).
fn missing_role_path(err: &PgError, spec: &MembershipSpec) -> Option<AttrPath> {
    let PgError::Query {
        code: Some(code),
        message,
        ..
    } = err
    else {
        return None;
    };
    if code != sqlstate::UNDEFINED_OBJECT {
        return None;
    }
    let names = |role: &str| message.contains(&format!("role \"{role}\" does not exist"));
    if names(&spec.role) {
        Some(AttrPath::attr("role"))
    } else if names(&spec.member) {
        Some(AttrPath::attr("member"))
    } else {
        None
    }
}

/// A failed statement says itself what was refused and who may do it (the engine adds that),
/// so it gets its own summary instead of the generic hints about role attributes.
fn membership_diagnostic(err: &PgError, summary: &str) -> Diagnostic {
    match err {
        PgError::Query { .. } => Diagnostic::error(summary, err.to_string()),
        other => diagnostic(other, None),
    }
}

/// Errors at `inherit_option` / `set_option` when configured against a server older than 16.
fn unsupported_options(config: &Value, major: i32) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if major >= GRANT_OPTIONS_MAJOR {
        return diags;
    }
    for name in GRANT_OPTIONS {
        let value = config.attr(name);
        if !value.is_null() && !value.is_unknown() {
            diags.error_at(
                AttrPath::attr(name),
                "Not supported by this PostgreSQL version",
                options_need_16(name, major),
            );
        }
    }
    diags
}

fn server_and_major(meta: &Ctx) -> Result<(&Server, i32), Diagnostics> {
    let server = meta.server()?;
    match &meta.server_info {
        Some(info) => Ok((server, info.major())),
        None => Err(Diagnostic::error(
            "PostgreSQL version not known",
            "The provider connected without learning the server's version.",
        )
        .into()),
    }
}

/// What the planned membership asks for. Grant options come from the configuration: left out
/// there, they are not managed (the plan holds the server's value or unknown).
fn spec_of(planned: &Value, config: &Value) -> Result<MembershipSpec, Diagnostics> {
    let name = |attr: &str| {
        planned
            .attr(attr)
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error("Missing value", format!("{attr} must be set."))
                        .at(AttrPath::attr(attr)),
                )
            })
    };
    Ok(MembershipSpec {
        role: name("role")?,
        member: name("member")?,
        admin_option: planned.attr("admin_option").as_bool().unwrap_or(false),
        inherit_option: config.attr("inherit_option").as_bool(),
        set_option: config.attr("set_option").as_bool(),
    })
}

/// The state of a membership as the server has it (options aggregated over grantors; the
/// PostgreSQL 16 options null on older servers).
fn to_state(m: &Membership) -> Value {
    Value::object([
        ("role", Value::from(m.role.as_str())),
        ("member", Value::from(m.member.as_str())),
        ("admin_option", m.admin_option().into()),
        ("inherit_option", m.inherit_option().into()),
        ("set_option", m.set_option().into()),
        ("id", id_of(&m.role, &m.member).into()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::memberships::MembershipGrant;

    #[test]
    fn id_round_trips_odd_names() {
        for (role, member) in [
            ("readers", "alice"),
            ("grp/a,b%c", "us\"er@contoso.com"),
            ("dot.ted name", "Ünïcødé 'q'"),
        ] {
            let id = id_of(role, member);
            let f = import_id::decode(&id, 2, 2, "role/member").unwrap();
            assert_eq!(
                (f.name(0).unwrap(), f.name(1).unwrap()),
                (role.into(), member.into())
            );
        }
        assert_eq!(id_of("readers", "alice@x.com"), "readers/alice@x.com");
    }

    #[test]
    fn pg16_options_are_refused_on_15_only_when_configured() {
        let config = Value::object([
            ("inherit_option", Value::Bool(false)),
            ("set_option", Value::Null),
        ]);
        let diags = unsupported_options(&config, 15);
        assert_eq!(diags.0.len(), 1);
        assert_eq!(diags.0[0].path, Some(AttrPath::attr("inherit_option")));
        assert!(unsupported_options(&config, 16).is_empty());
        let unknown = Value::object([("set_option", Value::unknown())]);
        assert!(unsupported_options(&unknown, 15).is_empty());
    }

    #[test]
    fn state_aggregates_grantors() {
        let m = Membership {
            role: "r".into(),
            member: "m".into(),
            grants: vec![
                MembershipGrant {
                    grantor: Some("a".into()),
                    admin_option: false,
                    inherit_option: Some(false),
                    set_option: Some(true),
                },
                MembershipGrant {
                    grantor: Some("b".into()),
                    admin_option: true,
                    inherit_option: Some(true),
                    set_option: Some(false),
                },
            ],
        };
        let state = to_state(&m);
        assert_eq!(state.attr("admin_option"), &Value::Bool(true));
        assert_eq!(state.attr("inherit_option"), &Value::Bool(true));
        assert_eq!(state.attr("set_option"), &Value::Bool(true));
        assert_eq!(state.attr("id"), &Value::from("r/m"));
    }

    #[test]
    fn a_missing_role_at_apply_points_at_its_attribute() {
        let spec = MembershipSpec {
            role: "team".into(),
            member: "bob".into(),
            admin_option: false,
            inherit_option: None,
            set_option: None,
        };
        let missing = |name: &str| PgError::Query {
            context: "granting".into(),
            code: Some(sqlstate::UNDEFINED_OBJECT.into()),
            message: format!("ERROR: role \"{name}\" does not exist"),
        };
        assert_eq!(
            missing_role_path(&missing("bob"), &spec),
            Some(AttrPath::attr("member"))
        );
        assert_eq!(
            missing_role_path(&missing("team"), &spec),
            Some(AttrPath::attr("role"))
        );
        assert_eq!(missing_role_path(&missing("eve"), &spec), None);
    }
}
