//! The Provider service against a test-only resource: Stop, write-only, upgrade, import.

use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::plugin::proto::tfplugin5::provider_server::Provider as _;
use crate::tf::schema::{Attribute, Block};
use crate::tf::value::Type;
use crate::tf::wire::{path_pb, schema_pb};

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

    // The next command (reattach mode: same process) configures again and is not interrupted.
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
    let response = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: dv(&thing(&[("name", "a".into())])),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
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
    assert_eq!(
        apply.private, b"p",
        "planned private bytes kept when apply sets none"
    );
}

#[tokio::test]
async fn unknown_type_names_are_diagnostics_not_crashes() {
    let service = configured().await;
    let response = service
        .validate_resource_type_config(Request::new(pb::validate_resource_type_config::Request {
            type_name: "test_nope".into(),
            ..Default::default()
        }))
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
