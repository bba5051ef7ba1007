//! The `tfplugin5.Provider` gRPC service, built from a [`Provider`]: decodes requests under the
//! schemas, dispatches by type name, applies the framework's rules and encodes the answers.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::resource::{ApplyRequest, ApplyResult, DataSource, Provider, Resource};
use super::schema::Schema;
use super::value::Value;
use super::wire::{decode, diagnostics_pb, encode, path_pb, schema_pb};
use super::{json, plan};
use crate::plugin::proto::tfplugin5 as pb;
use crate::{log_debug, log_trace};

type Meta<P> = <P as Provider>::Meta;
/// A registered resource with its schema, computed once.
type ResourceEntry<P> = (Arc<dyn Resource<Meta<P>>>, Schema);
/// A registered data source with its schema, computed once.
type DataSourceEntry<P> = (Arc<dyn DataSource<Meta<P>>>, Schema);

/// Serves one [`Provider`] over tfplugin5. Cheap to clone; clones share state.
pub struct ProviderService<P: Provider> {
    inner: Arc<Inner<P>>,
}

impl<P: Provider> Clone for ProviderService<P> {
    fn clone(&self) -> Self {
        ProviderService {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<P: Provider> {
    provider: P,
    schema: Schema,
    resources: BTreeMap<&'static str, ResourceEntry<P>>,
    data_sources: BTreeMap<&'static str, DataSourceEntry<P>>,
    meta: RwLock<Option<Arc<Meta<P>>>>,
    /// Cancelled by Terraform's `Stop`; every resource call races it. Replaced by a fresh one
    /// at `Configure`, because a provider in reattach mode serves one command after another.
    stop: RwLock<CancellationToken>,
}

impl<P: Provider> ProviderService<P> {
    pub fn new(provider: P) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), (r.clone(), r.schema())))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), (d.clone(), d.schema())))
            .collect();
        ProviderService {
            inner: Arc::new(Inner {
                schema: provider.schema(),
                provider,
                resources,
                data_sources,
                meta: RwLock::new(None),
                stop: RwLock::new(CancellationToken::new()),
            }),
        }
    }

    /// The token the next `Stop` cancels.
    pub fn stop_token(&self) -> CancellationToken {
        self.inner.stop.read().expect("stop lock").clone()
    }

    fn resource(&self, type_name: &str) -> Result<ResourceEntry<P>, Diagnostics> {
        self.inner
            .resources
            .get(type_name)
            .cloned()
            .ok_or_else(|| unknown_type("resource", type_name))
    }

    fn data_source(&self, type_name: &str) -> Result<DataSourceEntry<P>, Diagnostics> {
        self.inner
            .data_sources
            .get(type_name)
            .cloned()
            .ok_or_else(|| unknown_type("data source", type_name))
    }

    fn meta(&self) -> Result<Arc<Meta<P>>, Diagnostics> {
        self.inner
            .meta
            .read()
            .expect("meta lock")
            .clone()
            .ok_or_else(|| {
                Diagnostic::error(
                    "Provider not configured",
                    "Terraform called the provider before configuring it. This is a bug in the \
                     provider or in Terraform.",
                )
                .into()
            })
    }

    /// Runs `work` unless Terraform's `Stop` comes first.
    async fn race<T>(&self, work: impl Future<Output = T>) -> Result<T, Diagnostics> {
        let stop = self.stop_token();
        tokio::select! {
            out = work => Ok(out),
            () = stop.cancelled() => Err(Diagnostic::error(
                "Interrupted",
                "Terraform asked the provider to stop; the operation was cancelled and may have \
                 completed only in part.",
            ).into()),
        }
    }
}

fn unknown_type(kind: &str, type_name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type {type_name:?}."),
    )
    .into()
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
    }
}

/// Collects the diagnostics of a step that returns `Result<T, Diagnostics>`; `None` on error.
macro_rules! attempt {
    ($diags:ident, $e:expr) => {
        match $e {
            Ok(v) => Some(v),
            Err(d) => {
                $diags.extend(d);
                None
            }
        }
    };
}

/// Turns a step that failed into the RPC's answer right away.
macro_rules! or_answer {
    ($diags:ident, $e:expr, $answer:expr) => {
        match attempt!($diags, $e) {
            Some(v) => v,
            None => return Ok(Response::new($answer($diags))),
        }
    };
}

// ---- the RPCs ---------------------------------------------------------------------------------

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: Vec::new(),
            resources: (self.inner.resources.keys())
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            data_sources: (self.inner.data_sources.keys())
                .map(|n| pb::get_metadata::DataSourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
        }))
    }

    async fn get_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let inner = &self.inner;
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema_pb(&inner.schema)),
            resource_schemas: (inner.resources.iter())
                .map(|(n, (_, s))| (n.to_string(), schema_pb(s)))
                .collect(),
            data_source_schemas: (inner.data_sources.iter())
                .map(|(n, (_, s))| (n.to_string(), schema_pb(s)))
                .collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(capabilities()),
        }))
    }

    async fn prepare_provider_config(
        &self,
        request: Request<pb::prepare_provider_config::Request>,
    ) -> Result<Response<pb::prepare_provider_config::Response>, Status> {
        let raw = request.into_inner().config;
        let answer = |diags: Diagnostics| pb::prepare_provider_config::Response {
            prepared_config: None,
            diagnostics: diagnostics_pb(diags),
        };
        let mut diags = Diagnostics::new();
        let schema = &self.inner.schema;
        let config = or_answer!(
            diags,
            decode(raw.clone(), &schema.value_type(), "provider configuration"),
            answer
        );
        schema
            .block
            .run_validators(&config, &AttrPath::root(), &mut diags);
        diags.extend(self.inner.provider.validate(&config));
        Ok(Response::new(pb::prepare_provider_config::Response {
            prepared_config: raw,
            diagnostics: diagnostics_pb(diags),
        }))
    }

    async fn validate_resource_type_config(
        &self,
        request: Request<pb::validate_resource_type_config::Request>,
    ) -> Result<Response<pb::validate_resource_type_config::Response>, Status> {
        let request = request.into_inner();
        let answer = |diags: Diagnostics| pb::validate_resource_type_config::Response {
            diagnostics: diagnostics_pb(diags),
        };
        let mut diags = Diagnostics::new();
        let (resource, schema) = or_answer!(diags, self.resource(&request.type_name), answer);
        let config = or_answer!(
            diags,
            decode(request.config, &schema.value_type(), "configuration"),
            answer
        );
        schema
            .block
            .run_validators(&config, &AttrPath::root(), &mut diags);
        diags.extend(resource.validate(&config));
        Ok(Response::new(answer(diags)))
    }

    async fn validate_data_source_config(
        &self,
        request: Request<pb::validate_data_source_config::Request>,
    ) -> Result<Response<pb::validate_data_source_config::Response>, Status> {
        let request = request.into_inner();
        let answer = |diags: Diagnostics| pb::validate_data_source_config::Response {
            diagnostics: diagnostics_pb(diags),
        };
        let mut diags = Diagnostics::new();
        let (source, schema) = or_answer!(diags, self.data_source(&request.type_name), answer);
        let config = or_answer!(
            diags,
            decode(request.config, &schema.value_type(), "configuration"),
            answer
        );
        schema
            .block
            .run_validators(&config, &AttrPath::root(), &mut diags);
        diags.extend(source.validate(&config));
        Ok(Response::new(answer(diags)))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let answer = |diags: Diagnostics| pb::upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics: diagnostics_pb(diags),
        };
        let mut diags = Diagnostics::new();
        let (resource, schema) = or_answer!(diags, self.resource(&request.type_name), answer);
        let raw = request.raw_state.unwrap_or_default();
        if raw.json.is_empty() {
            diags.error(
                "Unsupported state format",
                "The stored state is in the legacy flatmap format, which this provider never wrote.",
            );
            return Ok(Response::new(answer(diags)));
        }
        if request.version > schema.version {
            diags.error(
                "State written by a newer provider",
                format!(
                    "The state of this {} was written with schema version {}, this provider knows \
                     version {}. Upgrade the provider.",
                    request.type_name, request.version, schema.version
                ),
            );
            return Ok(Response::new(answer(diags)));
        }
        let stored: serde_json::Value = or_answer!(
            diags,
            serde_json::from_slice(&raw.json).map_err(|e| Diagnostics::from(Diagnostic::error(
                "Invalid stored state",
                format!("The stored state is not valid JSON: {e}"),
            ))),
            answer
        );
        let upgraded = or_answer!(
            diags,
            resource.upgrade_state(request.version, stored),
            answer
        );
        let mut state = or_answer!(
            diags,
            json::from_json(&upgraded, &schema.value_type(), &mut String::new()).map_err(|e| {
                Diagnostics::from(Diagnostic::error(
                    "Invalid stored state",
                    format!("The stored state does not fit the current schema: {e}"),
                ))
            }),
            answer
        );
        state = schema.block.complete(state);
        schema.block.null_write_only(&mut state);
        let upgraded_state =
            or_answer!(diags, encode(&state, &schema.value_type(), "state"), answer);
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: Some(upgraded_state),
            diagnostics: diagnostics_pb(diags),
        }))
    }

    async fn configure(
        &self,
        request: Request<pb::configure::Request>,
    ) -> Result<Response<pb::configure::Response>, Status> {
        let request = request.into_inner();
        let answer = |diags: Diagnostics| pb::configure::Response {
            diagnostics: diagnostics_pb(diags),
        };
        let mut diags = Diagnostics::new();
        // A new command begins: an earlier command's Stop must not interrupt this one.
        {
            let mut stop = self.inner.stop.write().expect("stop lock");
            if stop.is_cancelled() {
                *stop = CancellationToken::new();
            }
        }
        let schema = &self.inner.schema;
        let config = or_answer!(
            diags,
            decode(
                request.config,
                &schema.value_type(),
                "provider configuration"
            ),
            answer
        );
        let configured = self
            .inner
            .provider
            .configure(&config, &request.terraform_version);
        let meta = or_answer!(diags, self.race(configured).await.and_then(|r| r), answer);
        *self.inner.meta.write().expect("meta lock") = Some(Arc::new(meta));
        log_debug!(
            "provider configured by Terraform {}",
            request.terraform_version
        );
        Ok(Response::new(answer(diags)))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let private = request.private;
        let answer = |diags: Diagnostics| pb::read_resource::Response {
            new_state: None,
            diagnostics: diagnostics_pb(diags),
            private: Vec::new(),
            deferred: None,
        };
        let mut diags = Diagnostics::new();
        let (resource, schema) = or_answer!(diags, self.resource(&request.type_name), answer);
        let ty = schema.value_type();
        let state = or_answer!(diags, decode(request.current_state, &ty, "state"), answer);
        let new_state = if state.is_null() {
            Value::Null
        } else {
            let meta = or_answer!(diags, self.meta(), answer);
            log_trace!("ReadResource {}", request.type_name);
            let read = self
                .race(resource.read(&meta, &state))
                .await
                .and_then(|r| r);
            match or_answer!(diags, read, answer) {
                None => Value::Null,
                Some(v) => {
                    let mut v = schema.block.complete(v);
                    schema.block.null_write_only(&mut v);
                    v
                }
            }
        };
        let new_state = or_answer!(diags, encode(&new_state, &ty, "state"), answer);
        Ok(Response::new(pb::read_resource::Response {
            new_state: Some(new_state),
            diagnostics: diagnostics_pb(diags),
            private,
            deferred: None,
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let answer = |diags: Diagnostics| pb::plan_resource_change::Response {
            diagnostics: diagnostics_pb(diags),
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let (resource, schema) = or_answer!(diags, self.resource(&request.type_name), answer);
        let ty = schema.value_type();
        let prior = or_answer!(
            diags,
            decode(request.prior_state, &ty, "prior state"),
            answer
        );
        let proposed = or_answer!(
            diags,
            decode(request.proposed_new_state, &ty, "proposed state"),
            answer
        );
        let config = or_answer!(diags, decode(request.config, &ty, "configuration"), answer);

        let (planned, requires_replace) = plan::plan(&schema.block, &prior, &config, &proposed);
        let mut ctx = plan::PlanContext {
            prior,
            config,
            planned,
            requires_replace,
            private: request.prior_private,
        };
        if !ctx.planned.is_null() {
            let meta = or_answer!(diags, self.meta(), answer);
            log_trace!("PlanResourceChange {}", request.type_name);
            let hook = self.race(resource.plan(&meta, &mut ctx)).await;
            let hook_diags = or_answer!(diags, hook, answer);
            diags.extend(hook_diags);
            schema.block.null_write_only(&mut ctx.planned);
        }
        let planned_state = or_answer!(diags, encode(&ctx.planned, &ty, "plan"), answer);
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state: Some(planned_state),
            requires_replace: ctx.requires_replace.iter().map(path_pb).collect(),
            planned_private: ctx.private,
            diagnostics: diagnostics_pb(diags),
            deferred: None,
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let answer = |diags: Diagnostics| pb::apply_resource_change::Response {
            diagnostics: diagnostics_pb(diags),
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let (resource, schema) = or_answer!(diags, self.resource(&request.type_name), answer);
        let ty = schema.value_type();
        let prior = or_answer!(
            diags,
            decode(request.prior_state, &ty, "prior state"),
            answer
        );
        let planned = or_answer!(
            diags,
            decode(request.planned_state, &ty, "planned state"),
            answer
        );
        let config = or_answer!(diags, decode(request.config, &ty, "configuration"), answer);
        let meta = or_answer!(diags, self.meta(), answer);
        let apply = ApplyRequest {
            prior: prior.clone(),
            planned,
            config,
            private: request.planned_private.clone(),
        };
        let planned_private = request.planned_private;

        let result = if apply.planned.is_null() {
            log_trace!("ApplyResourceChange {} (delete)", request.type_name);
            let deleted = self
                .race(resource.delete(&meta, apply))
                .await
                .unwrap_or_else(|d| d);
            // A failed delete leaves the object, and so its state, in place.
            let state = if deleted.has_errors() {
                prior.clone()
            } else {
                Value::Null
            };
            ApplyResult {
                state,
                private: None,
                diagnostics: deleted,
            }
        } else if prior.is_null() {
            log_trace!("ApplyResourceChange {} (create)", request.type_name);
            self.race(resource.create(&meta, apply))
                .await
                .unwrap_or_else(ApplyResult::failed)
        } else {
            log_trace!("ApplyResourceChange {} (update)", request.type_name);
            let mut result = self
                .race(resource.update(&meta, apply))
                .await
                .unwrap_or_else(ApplyResult::failed);
            // The object still exists when an update fails; never drop it from state.
            if result.state.is_null() {
                result.state = prior.clone();
            }
            result
        };

        diags.extend(result.diagnostics);
        let mut state = schema.block.complete(result.state);
        schema.block.null_write_only(&mut state);
        if !diags.has_errors() && !state.is_wholly_known() {
            diags.error(
                "Provider produced an incomplete state",
                format!(
                    "The {} state after apply still holds unknown values. This is a bug in the provider.",
                    request.type_name
                ),
            );
        }
        let new_state = or_answer!(diags, encode(&state, &ty, "state"), answer);
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: Some(new_state),
            private: result.private.unwrap_or(planned_private),
            diagnostics: diagnostics_pb(diags),
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let answer = |diags: Diagnostics| pb::import_resource_state::Response {
            diagnostics: diagnostics_pb(diags),
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let (resource, schema) = or_answer!(diags, self.resource(&request.type_name), answer);
        let meta = or_answer!(diags, self.meta(), answer);
        log_trace!("ImportResourceState {}", request.type_name);
        let imported = self
            .race(resource.import(&meta, &request.id))
            .await
            .and_then(|r| r);
        let mut state = schema.block.complete(or_answer!(diags, imported, answer));
        if state.is_null() {
            diags.error(
                "Cannot import a non-existent object",
                format!("No {} matches the import id.", request.type_name),
            );
            return Ok(Response::new(answer(diags)));
        }
        schema.block.null_write_only(&mut state);
        let state = or_answer!(diags, encode(&state, &schema.value_type(), "state"), answer);
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: request.type_name,
                state: Some(state),
                private: Vec::new(),
            }],
            diagnostics: diagnostics_pb(diags),
            deferred: None,
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let answer = |diags: Diagnostics| pb::read_data_source::Response {
            diagnostics: diagnostics_pb(diags),
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let (source, schema) = or_answer!(diags, self.data_source(&request.type_name), answer);
        let ty = schema.value_type();
        let config = or_answer!(diags, decode(request.config, &ty, "configuration"), answer);
        let meta = or_answer!(diags, self.meta(), answer);
        log_trace!("ReadDataSource {}", request.type_name);
        let read = self.race(source.read(&meta, &config)).await.and_then(|r| r);
        let mut state = schema.block.complete(or_answer!(diags, read, answer));
        schema.block.null_write_only(&mut state);
        let state = or_answer!(diags, encode(&state, &ty, "data source result"), answer);
        Ok(Response::new(pb::read_data_source::Response {
            state: Some(state),
            diagnostics: diagnostics_pb(diags),
            deferred: None,
        }))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn stop(
        &self,
        _: Request<pb::stop::Request>,
    ) -> Result<Response<pb::stop::Response>, Status> {
        log_debug!("Stop: cancelling in-flight work");
        self.stop_token().cancel();
        Ok(Response::new(pb::stop::Response::default()))
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
