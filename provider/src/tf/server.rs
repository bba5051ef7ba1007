//! The `tfplugin5.Provider` gRPC service, built from a [`Provider`]: decodes requests under the
//! schemas, dispatches by type name, applies the framework's rules and encodes the answers.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag::{AttrPath, Diagnostic, Diagnostics, PathStep, Severity};
use super::resource::{ApplyRequest, ApplyResult, DataSource, Provider, Resource};
use super::schema::{Attribute, Block, Nesting, Schema};
use super::value::{Type, Value};
use super::{json, msgpack, plan};
use crate::plugin::proto::tfplugin5 as pb;
use crate::{log_debug, log_trace};

type Meta<P> = <P as Provider>::Meta;

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
    resources: BTreeMap<&'static str, (Arc<dyn Resource<Meta<P>>>, Schema)>,
    data_sources: BTreeMap<&'static str, (Arc<dyn DataSource<Meta<P>>>, Schema)>,
    meta: RwLock<Option<Arc<Meta<P>>>>,
    /// Cancelled by Terraform's `Stop`; every resource call races it.
    stop: CancellationToken,
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
                stop: CancellationToken::new(),
            }),
        }
    }

    /// The token `Stop` cancels.
    pub fn stop_token(&self) -> CancellationToken {
        self.inner.stop.clone()
    }

    fn resource(
        &self,
        type_name: &str,
    ) -> Result<(Arc<dyn Resource<Meta<P>>>, Schema), Diagnostics> {
        self.inner
            .resources
            .get(type_name)
            .cloned()
            .ok_or_else(|| unknown_type("resource", type_name))
    }

    fn data_source(
        &self,
        type_name: &str,
    ) -> Result<(Arc<dyn DataSource<Meta<P>>>, Schema), Diagnostics> {
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
        tokio::select! {
            out = work => Ok(out),
            () = self.inner.stop.cancelled() => Err(Diagnostic::error(
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

// ---- conversions between our model and the protocol -------------------------------------------

fn decode(dv: Option<pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let decoded = if !dv.msgpack.is_empty() {
        msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        json::decode(&dv.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|e| {
        Diagnostic::error(
            format!("Invalid {what}"),
            format!("Terraform sent a {what} the provider could not read: {e}"),
        )
        .into()
    })
}

fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
    match msgpack::encode(value, ty) {
        Ok(msgpack) => Ok(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(e) => Err(Diagnostic::error(
            "Provider produced an invalid value",
            format!("The provider built a {what} that does not fit its schema ({e}). This is a bug in the provider."),
        )
        .into()),
    }
}

fn diagnostics_pb(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags
        .into_iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary,
            detail: d.detail,
            attribute: d.path.map(|p| path_pb(&p)),
        })
        .collect()
}

fn path_pb(path: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attr(n) => Selector::AttributeName(n.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

fn schema_pb(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_pb(&schema.block, schema.version)),
    }
}

fn block_pb(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute_pb).collect(),
        block_types: block
            .blocks
            .iter()
            .map(|n| pb::schema::NestedBlock {
                type_name: n.name.clone(),
                block: Some(block_pb(&n.block, 0)),
                nesting: match n.nesting {
                    Nesting::Single => pb::schema::nested_block::NestingMode::Single,
                    Nesting::List => pb::schema::nested_block::NestingMode::List,
                    Nesting::Set => pb::schema::nested_block::NestingMode::Set,
                } as i32,
                min_items: n.min_items,
                max_items: n.max_items,
            })
            .collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: block.deprecated,
    }
}

fn attribute_pb(a: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: a.ty.to_json_bytes(),
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecated,
        write_only: a.write_only,
    }
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
                private: request.planned_private,
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
            private: result.private,
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
        self.inner.stop.cancel();
        Ok(Response::new(pb::stop::Response::default()))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::plugin::proto::tfplugin5::provider_server::Provider as _;

    /// A test-only resource: `slow` makes read wait forever, `secret` is write-only.
    struct Thing;

    #[async_trait]
    impl Resource<()> for Thing {
        fn type_name(&self) -> &'static str {
            "test_thing"
        }

        fn schema(&self) -> Schema {
            Schema::new(
                1,
                Block::new()
                    .attribute(Attribute::string("name").required())
                    .attribute(Attribute::bool("slow").optional())
                    .attribute(Attribute::string("secret").optional().write_only())
                    .attribute(Attribute::string("id").computed()),
            )
        }

        async fn read(&self, _: &(), state: &Value) -> Result<Option<Value>, Diagnostics> {
            if state.attr("slow") == &Value::Bool(true) {
                std::future::pending::<()>().await;
            }
            Ok(Some(state.clone()))
        }

        async fn create(&self, _: &(), request: ApplyRequest) -> ApplyResult {
            assert_eq!(
                request.config.attr("secret"),
                &Value::from("s3cret"),
                "apply sees write-only config"
            );
            let mut state = request.planned;
            state.set_attr("id", "id-1".into());
            // A careless resource copies the secret into state; the framework must drop it.
            state.set_attr("secret", "s3cret".into());
            ApplyResult::ok(state)
        }

        async fn update(&self, _: &(), request: ApplyRequest) -> ApplyResult {
            ApplyResult::ok(request.planned)
        }

        async fn delete(&self, _: &(), _: ApplyRequest) -> Diagnostics {
            Diagnostics::new()
        }

        async fn import(&self, _: &(), id: &str) -> Result<Value, Diagnostics> {
            Ok(Value::object([
                ("name", Value::from(id)),
                ("id", Value::from(id)),
            ]))
        }
    }

    struct TestProvider;

    #[async_trait]
    impl Provider for TestProvider {
        type Meta = ();

        fn schema(&self) -> Schema {
            Schema::new(0, Block::new())
        }

        async fn configure(&self, _: &Value, _: &str) -> Result<(), Diagnostics> {
            Ok(())
        }

        fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
            vec![Arc::new(Thing)]
        }

        fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
            Vec::new()
        }
    }

    async fn configured() -> ProviderService<TestProvider> {
        let service = ProviderService::new(TestProvider);
        let config = encode(
            &Value::object::<&str>([]),
            &Type::object::<&str>([]),
            "config",
        )
        .unwrap();
        service
            .configure(Request::new(pb::configure::Request {
                config: Some(config),
                ..Default::default()
            }))
            .await
            .unwrap();
        service
    }

    fn thing_type() -> Type {
        Thing.schema().value_type()
    }

    fn thing(pairs: &[(&str, Value)]) -> Value {
        Thing
            .schema()
            .block
            .complete(Value::object(pairs.iter().map(|(k, v)| (*k, v.clone()))))
    }

    fn dv(v: &Value) -> Option<pb::DynamicValue> {
        Some(encode(v, &thing_type(), "test").unwrap())
    }

    fn value(dv: Option<pb::DynamicValue>) -> Value {
        decode(dv, &thing_type(), "test").unwrap()
    }

    #[tokio::test]
    async fn stop_interrupts_in_flight_calls() {
        let service = configured().await;
        let reader = service.clone();
        let read = tokio::spawn(async move {
            reader
                .read_resource(Request::new(pb::read_resource::Request {
                    type_name: "test_thing".into(),
                    current_state: dv(&thing(&[("name", "a".into()), ("slow", true.into())])),
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner()
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        service
            .stop(Request::new(pb::stop::Request {}))
            .await
            .unwrap();
        let response = tokio::time::timeout(Duration::from_secs(2), read)
            .await
            .expect("the read returns promptly after Stop")
            .unwrap();
        assert_eq!(response.diagnostics.len(), 1);
        assert_eq!(response.diagnostics[0].summary, "Interrupted");
        assert_eq!(
            response.diagnostics[0].severity,
            pb::diagnostic::Severity::Error as i32
        );
    }

    #[tokio::test]
    async fn write_only_values_reach_apply_but_never_plan_or_state() {
        let service = configured().await;
        let config = thing(&[("name", "a".into()), ("secret", "s3cret".into())]);
        let plan = service
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dv(&Value::Null),
                proposed_new_state: dv(&config),
                config: dv(&config),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        let planned = value(plan.planned_state);
        assert!(planned.attr("secret").is_null());
        assert!(planned.attr("id").is_unknown());

        let apply = service
            .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dv(&Value::Null),
                planned_state: dv(&planned),
                config: dv(&config),
                planned_private: b"p".to_vec(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(apply.diagnostics.is_empty(), "{:?}", apply.diagnostics);
        let state = value(apply.new_state);
        assert_eq!(state.attr("id"), &Value::from("id-1"));
        assert!(state.attr("secret").is_null(), "write-only never stored");
    }

    #[tokio::test]
    async fn unknown_type_names_are_diagnostics_not_crashes() {
        let service = configured().await;
        let response = service
            .validate_resource_type_config(Request::new(
                pb::validate_resource_type_config::Request {
                    type_name: "test_nope".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.diagnostics[0].summary, "Unknown resource type");
    }

    #[tokio::test]
    async fn upgrade_reads_stored_json_under_the_current_schema() {
        let service = configured().await;
        let response = service
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: "test_thing".into(),
                version: 0,
                raw_state: Some(pb::RawState {
                    json: br#"{"name":"a","id":"x","dropped_since":1}"#.to_vec(),
                    ..Default::default()
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            response.diagnostics.is_empty(),
            "{:?}",
            response.diagnostics
        );
        let state = value(response.upgraded_state);
        assert_eq!(state, thing(&[("name", "a".into()), ("id", "x".into())]));

        let newer = service
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: "test_thing".into(),
                version: 7,
                raw_state: Some(pb::RawState {
                    json: b"{}".to_vec(),
                    ..Default::default()
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            newer.diagnostics[0].summary,
            "State written by a newer provider"
        );
    }

    #[tokio::test]
    async fn import_fills_the_rest_with_nulls() {
        let service = configured().await;
        let response = service
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: "test_thing".into(),
                id: "abc".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        let imported = &response.imported_resources[0];
        assert_eq!(imported.type_name, "test_thing");
        let state = value(imported.state.clone());
        assert_eq!(
            state,
            thing(&[("name", "abc".into()), ("id", "abc".into())])
        );
    }

    #[test]
    fn schemas_carry_types_as_json_and_paths_as_steps() {
        let schema = schema_pb(&Thing.schema());
        let block = schema.block.unwrap();
        assert_eq!(schema.version, 1);
        let secret = block
            .attributes
            .iter()
            .find(|a| a.name == "secret")
            .unwrap();
        assert!(secret.write_only);
        assert_eq!(secret.r#type, br#""string""#);
        let path = path_pb(&AttrPath::attr("a").then_index(2).then_key("k"));
        assert_eq!(path.steps.len(), 3);
    }
}
