//! The provider's resources and data sources, one file each, mapping schema to engine calls.

pub mod provider_config;

use std::sync::Arc;

use crate::pg::settings::ConnSettings;
use crate::tf::{self, Diagnostic, Diagnostics, Schema, Value};

/// What every resource call receives: the provider configuration, resolved.
#[derive(Debug)]
pub struct Ctx {
    /// How to reach PostgreSQL. `None` while the provider's connection details are unknown
    /// (during plan, when they come from resources not created yet): resources then plan what
    /// they can without connecting and connect at apply.
    pub postgres: Option<ConnSettings>,
}

impl Ctx {
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
        Ok(Ctx { postgres })
    }

    fn resources(&self) -> Vec<Arc<dyn tf::Resource<Ctx>>> {
        Vec::new()
    }

    fn data_sources(&self) -> Vec<Arc<dyn tf::DataSource<Ctx>>> {
        Vec::new()
    }
}
