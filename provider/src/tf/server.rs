//! The `tfplugin5.Provider` gRPC service, built from a [`Provider`]: decodes requests under the
//! schemas, dispatches by type name, applies the framework's rules and encodes the answers.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::resource::{ApplyRequest, ApplyResult, DataSource, Provider, Resource};
use super::rpc::{answer, fail, Gather, Halt};
use super::schema::Schema;
use super::value::{Type, Value};
use super::wire::{decode, encode, path_pb, schema_pb};
use super::{json, plan};
use crate::plugin::proto::tfplugin5 as pb;
use crate::{log_debug, log_trace};

type Meta<P> = <P as Provider>::Meta;
/// A registered resource with its schema and value type, computed once (every call needs them;
/// building them per call cost more than the rest of a refresh's own work).
type ResourceEntry<P> = (Arc<dyn Resource<Meta<P>>>, Arc<Typed>);
/// A registered data source with its schema and value type, computed once.
type DataSourceEntry<P> = (Arc<dyn DataSource<Meta<P>>>, Arc<Typed>);

/// A schema with its value type.
struct Typed {
    schema: Schema,
    ty: Type,
}

impl Typed {
    fn new(schema: Schema) -> Arc<Typed> {
        let ty = schema.value_type();
        Arc::new(Typed { schema, ty })
    }
}

impl std::ops::Deref for Typed {
    type Target = Schema;
    fn deref(&self) -> &Schema {
        &self.schema
    }
}

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
    schema: Arc<Typed>,
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
            .map(|r| (r.type_name(), (r.clone(), Typed::new(r.schema()))))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), (d.clone(), Typed::new(d.schema()))))
            .collect();
        ProviderService {
            inner: Arc::new(Inner {
                schema: Typed::new(provider.schema()),
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

    /// [`race`](Self::race) for work that can fail by itself.
    async fn race_fallible<T>(
        &self,
        work: impl Future<Output = Result<T, Diagnostics>>,
    ) -> Result<T, Diagnostics> {
        self.race(work).await.and_then(|out| out)
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
        // Every RPC works without GetProviderSchema having been called in this process (schemas
        // are built at start), so Terraform may reuse the schema it already has instead of
        // asking each provider process it starts during one command.
        get_provider_schema_optional: true,
        move_resource_state: false,
    }
}

/// Decodes a configuration, then runs the schema's validators and the type's own `validate`.
fn validate_config(
    schema: &Typed,
    raw: Option<pb::DynamicValue>,
    what: &str,
    validate: impl FnOnce(&Value) -> Diagnostics,
    diags: &mut Diagnostics,
) -> Result<(), Halt> {
    let config = decode(raw, &schema.ty, what).gather(diags)?;
    schema
        .block
        .run_validators(&config, &AttrPath::root(), diags);
    diags.extend(validate(&config));
    Ok(())
}

/// The JSON state an upgrade starts from, unless it is in a format or version we cannot read.
fn stored_state(
    request: &pb::upgrade_resource_state::Request,
    current_version: i64,
) -> Result<serde_json::Value, Diagnostics> {
    let raw = request.raw_state.as_ref().map_or(&[][..], |raw| &raw.json);
    if raw.is_empty() {
        return Err(Diagnostic::error(
            "Unsupported state format",
            "The stored state is in the legacy flatmap format, which this provider never wrote.",
        )
        .into());
    }
    if request.version > current_version {
        return Err(Diagnostic::error(
            "State written by a newer provider",
            format!(
                "The state of this {} was written with schema version {}, this provider knows \
                 version {current_version}. Upgrade the provider.",
                request.type_name, request.version
            ),
        )
        .into());
    }
    serde_json::from_slice(raw)
        .map_err(|e| invalid_stored_state(format!("The stored state is not valid JSON: {e}")))
}

fn invalid_stored_state(detail: String) -> Diagnostics {
    Diagnostic::error("Invalid stored state", detail).into()
}

/// What every state handed back to Terraform goes through: completed to the schema's shape, with
/// write-only attributes nulled.
fn returned_state(schema: &Schema, state: Value) -> Value {
    let mut state = schema.block.complete(state);
    schema.block.null_write_only(&mut state);
    state
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
        answer(async |diags| {
            let provider = &self.inner.provider;
            let schema = &self.inner.schema;
            let what = "provider configuration";
            validate_config(schema, raw.clone(), what, |c| provider.validate(c), diags)?;
            Ok(pb::prepare_provider_config::Response {
                prepared_config: raw,
                ..Default::default()
            })
        })
        .await
    }

    async fn validate_resource_type_config(
        &self,
        request: Request<pb::validate_resource_type_config::Request>,
    ) -> Result<Response<pb::validate_resource_type_config::Response>, Status> {
        let request = request.into_inner();
        answer(async |diags| {
            let (resource, schema) = self.resource(&request.type_name).gather(diags)?;
            let validate = |c: &Value| resource.validate(c);
            validate_config(&schema, request.config, "configuration", validate, diags)?;
            Ok(Default::default())
        })
        .await
    }

    async fn validate_data_source_config(
        &self,
        request: Request<pb::validate_data_source_config::Request>,
    ) -> Result<Response<pb::validate_data_source_config::Response>, Status> {
        let request = request.into_inner();
        answer(async |diags| {
            let (source, schema) = self.data_source(&request.type_name).gather(diags)?;
            let validate = |c: &Value| source.validate(c);
            validate_config(&schema, request.config, "configuration", validate, diags)?;
            Ok(Default::default())
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        answer(async |diags| {
            let (resource, schema) = self.resource(&request.type_name).gather(diags)?;
            let stored = stored_state(&request, schema.version).gather(diags)?;
            let upgraded = resource
                .upgrade_state(request.version, stored)
                .gather(diags)?;
            let state = json::from_json(&upgraded, &schema.ty, &mut String::new())
                .map_err(|e| {
                    invalid_stored_state(format!(
                        "The stored state does not fit the current schema: {e}"
                    ))
                })
                .gather(diags)?;
            let state = returned_state(&schema, state);
            Ok(pb::upgrade_resource_state::Response {
                upgraded_state: Some(encode(&state, &schema.ty, "state").gather(diags)?),
                ..Default::default()
            })
        })
        .await
    }

    async fn configure(
        &self,
        request: Request<pb::configure::Request>,
    ) -> Result<Response<pb::configure::Response>, Status> {
        let request = request.into_inner();
        // A new command begins: an earlier command's Stop must not interrupt this one.
        {
            let mut stop = self.inner.stop.write().expect("stop lock");
            if stop.is_cancelled() {
                *stop = CancellationToken::new();
            }
        }
        answer(async |diags| {
            let schema = &self.inner.schema;
            let config =
                decode(request.config, &schema.ty, "provider configuration").gather(diags)?;
            let provider = &self.inner.provider;
            let configured = provider.configure(&config, &request.terraform_version);
            let meta = self.race_fallible(configured).await.gather(diags)?;
            *self.inner.meta.write().expect("meta lock") = Some(Arc::new(meta));
            log_debug!(
                "provider configured by Terraform {}",
                request.terraform_version
            );
            Ok(Default::default())
        })
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        answer(async |diags| {
            let (resource, schema) = self.resource(&request.type_name).gather(diags)?;
            let ty = &schema.ty;
            let state = decode(request.current_state, ty, "state").gather(diags)?;
            let new_state = if state.is_null() {
                Value::Null
            } else {
                let meta = self.meta().gather(diags)?;
                log_trace!("ReadResource {}", request.type_name);
                let read = self.race_fallible(resource.read(&meta, &state)).await;
                returned_state(&schema, read.gather(diags)?.unwrap_or(Value::Null))
            };
            Ok(pb::read_resource::Response {
                new_state: Some(encode(&new_state, ty, "state").gather(diags)?),
                private: request.private,
                ..Default::default()
            })
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        answer(async |diags| {
            let (resource, schema) = self.resource(&request.type_name).gather(diags)?;
            let ty = &schema.ty;
            let prior = decode(request.prior_state, ty, "prior state").gather(diags)?;
            let proposed =
                decode(request.proposed_new_state, ty, "proposed state").gather(diags)?;
            let config = decode(request.config, ty, "configuration").gather(diags)?;

            let (planned, requires_replace) = plan::plan(&schema.block, &prior, &config, &proposed);
            let mut ctx = plan::PlanContext {
                prior,
                config,
                planned,
                requires_replace,
                private: request.prior_private,
            };
            if !ctx.planned.is_null() {
                let meta = self.meta().gather(diags)?;
                log_trace!("PlanResourceChange {}", request.type_name);
                let hook = self
                    .race(resource.plan(&meta, &mut ctx))
                    .await
                    .gather(diags)?;
                diags.extend(hook);
                schema.block.null_write_only(&mut ctx.planned);
            }
            Ok(pb::plan_resource_change::Response {
                planned_state: Some(encode(&ctx.planned, ty, "plan").gather(diags)?),
                requires_replace: ctx.requires_replace.iter().map(path_pb).collect(),
                planned_private: ctx.private,
                ..Default::default()
            })
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        answer(async |diags| {
            let (resource, schema) = self.resource(&request.type_name).gather(diags)?;
            let ty = &schema.ty;
            let prior = decode(request.prior_state, ty, "prior state").gather(diags)?;
            let planned = decode(request.planned_state, ty, "planned state").gather(diags)?;
            let config = decode(request.config, ty, "configuration").gather(diags)?;
            let meta = self.meta().gather(diags)?;
            let type_name = request.type_name;
            let planned_private = request.planned_private;
            let apply = ApplyRequest {
                prior: prior.clone(),
                planned,
                config,
                private: planned_private.clone(),
            };

            let result = if apply.planned.is_null() {
                log_trace!("ApplyResourceChange {type_name} (delete)");
                let deleted = (self.race(resource.delete(&meta, apply)).await)
                    .unwrap_or_else(|interrupted| interrupted);
                // A failed delete leaves the object, and so its state, in place.
                let state = if deleted.has_errors() {
                    prior
                } else {
                    Value::Null
                };
                ApplyResult::partial(state, deleted)
            } else if prior.is_null() {
                log_trace!("ApplyResourceChange {type_name} (create)");
                (self.race(resource.create(&meta, apply)).await).unwrap_or_else(ApplyResult::failed)
            } else {
                log_trace!("ApplyResourceChange {type_name} (update)");
                let mut result = (self.race(resource.update(&meta, apply)).await)
                    .unwrap_or_else(ApplyResult::failed);
                // The object still exists when an update fails; never drop it from state.
                if result.state.is_null() {
                    result.state = prior;
                }
                result
            };

            diags.extend(result.diagnostics);
            let state = returned_state(&schema, result.state);
            if !diags.has_errors() && !state.is_wholly_known() {
                diags.error(
                    "Provider produced an incomplete state",
                    format!(
                        "The {type_name} state after apply still holds unknown values. This is a \
                         bug in the provider."
                    ),
                );
            }
            Ok(pb::apply_resource_change::Response {
                new_state: Some(encode(&state, ty, "state").gather(diags)?),
                private: result.private.unwrap_or(planned_private),
                ..Default::default()
            })
        })
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        answer(async |diags| {
            let (resource, schema) = self.resource(&request.type_name).gather(diags)?;
            let meta = self.meta().gather(diags)?;
            log_trace!("ImportResourceState {}", request.type_name);
            let imported = self
                .race_fallible(resource.import(&meta, &request.id))
                .await;
            let state = returned_state(&schema, imported.gather(diags)?);
            if state.is_null() {
                let missing = format!("No {} matches the import id.", request.type_name);
                return fail(diags, "Cannot import a non-existent object", missing);
            }
            let state = encode(&state, &schema.ty, "state").gather(diags)?;
            Ok(pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: request.type_name,
                    state: Some(state),
                    private: Vec::new(),
                }],
                ..Default::default()
            })
        })
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        answer(async |diags| {
            let (source, schema) = self.data_source(&request.type_name).gather(diags)?;
            let ty = &schema.ty;
            let config = decode(request.config, ty, "configuration").gather(diags)?;
            let meta = self.meta().gather(diags)?;
            log_trace!("ReadDataSource {}", request.type_name);
            let read = self.race_fallible(source.read(&meta, &config)).await;
            let state = returned_state(&schema, read.gather(diags)?);
            Ok(pb::read_data_source::Response {
                state: Some(encode(&state, ty, "data source result").gather(diags)?),
                ..Default::default()
            })
        })
        .await
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
