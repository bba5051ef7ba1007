//! The provider's resources and data sources, one file each, mapping schema to engine calls.

pub mod default_privileges;
pub mod grant;
pub mod grant_attrs;
pub mod import_id;
pub mod pg_errors;
pub mod privileges_data_source;
pub mod provider_config;
pub mod role;
pub mod role_membership;
pub mod role_privileges;
pub mod roles_data_source;
pub mod timestamp;

use std::sync::Arc;

use crate::pg::settings::ConnSettings;
use crate::pg::{Pools, Server, ServerInfo};
use crate::tf::{self, Diagnostic, Diagnostics, Schema, Value};

/// What every resource call receives: the provider configuration, resolved.
pub struct Ctx {
    /// How to reach PostgreSQL. `None` while the provider's connection details are unknown
    /// (during plan, when they come from resources not created yet): resources then plan what
    /// they can without connecting and connect at apply.
    pub postgres: Option<ConnSettings>,
    /// The server `postgres` describes, already connected to once (at configure), sharing the
    /// process-wide pools. `None` exactly when `postgres` is.
    pub server: Option<Server>,
    /// Who the provider logged in as (from the configure-time check): lets plans refuse what
    /// this login may not do, at the attribute, before apply.
    pub server_info: Option<ServerInfo>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("postgres", &self.postgres)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    /// The configured server, or a diagnostic saying its details are not known yet.
    pub fn server(&self) -> Result<&Server, Diagnostics> {
        self.postgres()?;
        self.server.as_ref().ok_or_else(|| {
            Diagnostic::error(
                "PostgreSQL not configured",
                "The provider has no PostgreSQL server configured.",
            )
            .into()
        })
    }

    /// What the configure-time check learned about the server (its version, whether the login
    /// is superuser), or a diagnostic saying the provider has not connected yet.
    pub fn info(&self) -> Result<&ServerInfo, Diagnostics> {
        self.server_info.as_ref().ok_or_else(|| {
            Diagnostic::error(
                "PostgreSQL not configured",
                "The provider has not connected to PostgreSQL yet.",
            )
            .into()
        })
    }

    /// The connection settings, or a diagnostic saying they are not known yet.
    pub fn postgres(&self) -> Result<&ConnSettings, Diagnostics> {
        self.postgres.as_ref().ok_or_else(|| {
            Diagnostic::error(
                "PostgreSQL connection details not known yet",
                "The provider's postgres block depends on values known only after apply, so \
                 the provider cannot connect during this plan.",
            )
            .into()
        })
    }
}

/// The dbre provider.
#[derive(Debug, Default)]
pub struct DbreProvider;

#[async_trait::async_trait]
impl tf::Provider for DbreProvider {
    type Meta = Ctx;

    fn schema(&self) -> Schema {
        provider_config::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        provider_config::validate(config)
    }

    async fn configure(
        &self,
        config: &Value,
        _terraform_version: &str,
    ) -> Result<Ctx, Diagnostics> {
        let postgres = provider_config::settings(config, &|name| std::env::var(name).ok())?;
        // Connect once now: a wrong password or an unreachable host is then ONE diagnostic
        // here, instead of one per resource (the pool also remembers the failure briefly).
        let (server, server_info) = match &postgres {
            Some(settings) => {
                let server = Server::new(Pools::global(), settings.clone());
                let info = server
                    .check()
                    .await
                    .map_err(|e| Diagnostics::from(pg_errors::diagnostic(&e, None)))?;
                (Some(server), Some(info))
            }
            None => (None, None),
        };
        Ok(Ctx {
            postgres,
            server,
            server_info,
        })
    }

    fn resources(&self) -> Vec<Arc<dyn tf::Resource<Ctx>>> {
        vec![
            Arc::new(role::RoleResource),
            Arc::new(role_privileges::RolePrivilegesResource),
            Arc::new(role_membership::RoleMembershipResource),
            Arc::new(default_privileges::DefaultPrivilegesResource),
            Arc::new(grant::GrantResource),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn tf::DataSource<Ctx>>> {
        vec![
            Arc::new(roles_data_source::RolesDataSource),
            Arc::new(privileges_data_source::PrivilegesDataSource),
        ]
    }
}
