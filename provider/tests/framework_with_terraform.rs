//! The framework under the real `terraform`: a test-only resource type (kept in this file, never
//! shipped) backed by an in-memory store, served in reattach mode from this process. Terraform
//! enforces its plan/apply invariants strictly, so this exercises what every real resource relies
//! on: computed values, defaults, diff suppression, requires-replace, write-only attributes, drift,
//! import and destroy.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use dbre_provider::tf::{
    ApplyRequest, ApplyResult, Attribute, Block, DataSource, Diagnostic, Diagnostics, Provider,
    Resource, Schema, Type, Value,
};
use tokio_util::sync::CancellationToken;

const TERRAFORM: &str = "/usr/local/bin/terraform";

/// The "remote system": objects by id, and the last write-only secret each one received.
#[derive(Default)]
struct Store {
    objects: BTreeMap<String, Value>,
    secrets: BTreeMap<String, String>,
    next_id: u32,
}

type Shared = Arc<Mutex<Store>>;

struct Thing;

#[async_trait]
impl Resource<Shared> for Thing {
    fn type_name(&self) -> &'static str {
        "dbre_test_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .attribute(Attribute::string("name").required())
                .attribute(Attribute::bool("login").default(false))
                .attribute(
                    Attribute::string("database")
                        .default("main")
                        .requires_replace(),
                )
                .attribute(Attribute::new("tags", Type::set(Type::String)).optional())
                .attribute(
                    Attribute::string("privilege")
                        .optional()
                        .semantic_equality(|a, b| {
                            a.as_str().map(str::to_lowercase) == b.as_str().map(str::to_lowercase)
                        }),
                )
                .attribute(
                    Attribute::string("secret_wo")
                        .optional()
                        .sensitive()
                        .write_only(),
                )
                .attribute(Attribute::number("secret_wo_version").optional())
                .attribute(Attribute::string("id").computed().use_state_for_unknown())
                .attribute(Attribute::number("revision").computed()),
        )
    }

    async fn read(&self, store: &Shared, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let id = state.attr("id").as_str().unwrap_or_default();
        Ok(store.lock().unwrap().objects.get(id).cloned())
    }

    async fn create(&self, store: &Shared, request: ApplyRequest) -> ApplyResult {
        let mut store = store.lock().unwrap();
        store.next_id += 1;
        let id = format!("thing-{}", store.next_id);
        let mut state = request.planned;
        state.set_attr("id", id.as_str().into());
        state.set_attr("revision", 1.into());
        if let Some(secret) = request.config.attr("secret_wo").as_str() {
            store.secrets.insert(id.clone(), secret.to_owned());
        }
        store.objects.insert(id, state.clone());
        ApplyResult::ok(state)
    }

    async fn update(&self, store: &Shared, request: ApplyRequest) -> ApplyResult {
        let mut store = store.lock().unwrap();
        let id = request.prior.attr("id").as_str().unwrap().to_owned();
        let mut state = request.planned;
        let revision = request.prior.attr("revision").as_i64().unwrap_or(0) + 1;
        state.set_attr("revision", revision.into());
        if request.prior.attr("secret_wo_version") != state.attr("secret_wo_version") {
            if let Some(secret) = request.config.attr("secret_wo").as_str() {
                store.secrets.insert(id.clone(), secret.to_owned());
            }
        }
        store.objects.insert(id, state.clone());
        ApplyResult::ok(state)
    }

    async fn delete(&self, store: &Shared, request: ApplyRequest) -> Diagnostics {
        let id = request.prior.attr("id").as_str().unwrap_or_default();
        store.lock().unwrap().objects.remove(id);
        Diagnostics::new()
    }

    async fn import(&self, store: &Shared, id: &str) -> Result<Value, Diagnostics> {
        if !store.lock().unwrap().objects.contains_key(id) {
            return Err(Diagnostic::error("Cannot import", format!("no thing {id:?}")).into());
        }
        // Only what read needs; the framework fills the rest with nulls, read fills it in.
        Ok(Value::object([("id", Value::from(id))]))
    }
}

/// Lists the names of things whose name starts with `prefix`.
struct Things;

#[async_trait]
impl DataSource<Shared> for Things {
    fn type_name(&self) -> &'static str {
        "dbre_test_things"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .attribute(Attribute::string("prefix").required())
                .attribute(Attribute::new("names", Type::list(Type::String)).computed()),
        )
    }

    async fn read(&self, store: &Shared, config: &Value) -> Result<Value, Diagnostics> {
        let prefix = config.attr("prefix").as_str().unwrap_or_default();
        let mut names: Vec<String> = (store.lock().unwrap().objects.values())
            .filter_map(|o| o.attr("name").as_str().map(str::to_owned))
            .filter(|n| n.starts_with(prefix))
            .collect();
        // Results must be deterministic: Terraform compares reads across plan and apply.
        names.sort();
        let names = names.into_iter().map(Value::from).collect();
        Ok(Value::object([
            ("prefix", Value::from(prefix)),
            ("names", Value::List(names)),
        ]))
    }
}

struct TestProvider {
    store: Shared,
}

#[async_trait]
impl Provider for TestProvider {
    type Meta = Shared;

    fn schema(&self) -> Schema {
        Schema::new(0, Block::new())
    }

    async fn configure(&self, _: &Value, _: &str) -> Result<Shared, Diagnostics> {
        Ok(self.store.clone())
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Shared>>> {
        vec![Arc::new(Thing)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Shared>>> {
        vec![Arc::new(Things)]
    }
}

struct Harness {
    dir: tempfile::TempDir,
    reattach: String,
    store: Shared,
    shutdown: CancellationToken,
    _runtime: tokio::runtime::Runtime,
}

impl Harness {
    fn start() -> Harness {
        assert!(
            Path::new(TERRAFORM).exists(),
            "terraform is missing: install Terraform 1.11 at {TERRAFORM} to run this test"
        );
        let dir = tempfile::tempdir().unwrap();
        let store = Shared::default();
        let shutdown = CancellationToken::new();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let service = dbre_provider::tf::ProviderService::new(TestProvider {
            store: store.clone(),
        });
        let base = dir.path().to_path_buf();
        let stop = shutdown.clone();
        runtime.spawn(async move {
            let served = dbre_provider::plugin::serve_reattach(service, &base, stop, move |r| {
                ready_tx.send(r).unwrap();
            })
            .await;
            served.expect("serve in reattach mode");
        });
        let reattach = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("provider listening");
        std::fs::write(dir.path().join("cli.tfrc"), "").unwrap();
        Harness {
            dir,
            reattach,
            store,
            shutdown,
            _runtime: runtime,
        }
    }

    fn write_config(&self, body: &str) {
        let main = format!(
            "terraform {{\n  required_providers {{\n    dbre = {{ source = \"dbre/dbre\" }}\n  }}\n}}\n\n{body}"
        );
        std::fs::write(self.dir.path().join("main.tf"), main).unwrap();
    }

    fn terraform(&self, args: &[&str]) -> Output {
        self.terraform_with(args, &[])
    }

    fn terraform_with(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        Command::new(TERRAFORM)
            .args(args)
            .arg("-no-color")
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("cli.tfrc"))
            .env("TF_REATTACH_PROVIDERS", &self.reattach)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .envs(envs.iter().copied())
            .output()
            .expect("run terraform")
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.terraform(args);
        assert!(
            out.status.success(),
            "terraform {args:?} failed: {}",
            describe(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes; returns (code, stdout).
    fn plan(&self) -> (i32, String) {
        let out = self.terraform(&["plan", "-input=false", "-detailed-exitcode"]);
        let code = out.status.code().unwrap_or(-1);
        assert!(code == 0 || code == 2, "plan failed: {}", describe(&out));
        (code, String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn apply(&self) -> String {
        self.ok(&["apply", "-input=false", "-auto-approve"])
    }

    fn object(&self, id: &str) -> Value {
        self.store
            .lock()
            .unwrap()
            .objects
            .get(id)
            .cloned()
            .expect("object in the store")
    }

    fn state_file(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("terraform.tfstate")).unwrap_or_default()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn thing(extra: &str) -> String {
    format!(
        r#"resource "dbre_test_thing" "a" {{
  name              = "alpha"
  tags              = ["y", "x"]
  secret_wo_version = 1
  secret_wo         = "s3cret-1"
{extra}
}}
"#
    )
}

#[test]
fn terraform_drives_a_framework_resource_through_its_whole_life() {
    let h = Harness::start();
    h.write_config(&thing(r#"  privilege = "SELECT""#));
    h.ok(&["init", "-input=false"]);

    // Create: defaults planned, computed values known after apply.
    let (code, plan) = h.plan();
    assert_eq!(code, 2);
    assert!(
        plan.contains("+ id                = (known after apply)"),
        "{plan}"
    );
    assert!(plan.contains("+ login             = false"), "{plan}");
    assert!(plan.contains("+ database          = \"main\""), "{plan}");
    assert!(
        plan.contains("secret_wo         = (write-only attribute)"),
        "{plan}"
    );
    h.apply();
    let created = h.object("thing-1");
    assert_eq!(created.attr("revision"), &Value::from(1));
    assert_eq!(
        h.store.lock().unwrap().secrets["thing-1"],
        "s3cret-1",
        "apply saw the write-only value"
    );
    assert!(
        !h.state_file().contains("s3cret"),
        "write-only value never stored"
    );

    // Converged.
    assert_eq!(h.plan().0, 0, "second plan is empty");

    // Semantically equal configuration: no diff.
    h.write_config(&thing(r#"  privilege = "select""#));
    assert_eq!(h.plan().0, 0, "case-only change is suppressed");

    // Update in place: the unchanged computed id stays, revision is recomputed.
    h.write_config(&thing("  privilege = \"select\"\n  login = true"));
    let (code, plan) = h.plan();
    assert_eq!(code, 2);
    assert!(plan.contains("will be updated in-place"), "{plan}");
    assert!(
        plan.contains("~ revision          = 1 -> (known after apply)"),
        "{plan}"
    );
    assert!(!plan.contains("~ id"), "id kept from state: {plan}");
    h.apply();
    assert_eq!(h.object("thing-1").attr("login"), &Value::Bool(true));
    assert_eq!(h.plan().0, 0);

    // Rotating a write-only value through its version attribute: in place, never stored.
    let rotated = thing("  privilege = \"select\"\n  login = true")
        .replace("secret_wo_version = 1", "secret_wo_version = 2")
        .replace("s3cret-1", "s3cret-2");
    h.write_config(&rotated);
    let (code, plan) = h.plan();
    assert_eq!(code, 2);
    assert!(plan.contains("1 to change"), "{plan}");
    // Apply at TF_LOG=trace: neither Terraform's log nor ours may carry the secret.
    let traced = h.terraform_with(
        &["apply", "-input=false", "-auto-approve"],
        &[("TF_LOG", "trace")],
    );
    assert!(traced.status.success(), "{}", describe(&traced));
    let log = String::from_utf8_lossy(&traced.stderr);
    assert!(log.contains("ApplyResourceChange"), "trace log captured");
    assert!(!log.contains("s3cret"), "secret in TF_LOG=trace output");
    assert_eq!(h.store.lock().unwrap().secrets["thing-1"], "s3cret-2");
    assert!(!h.state_file().contains("s3cret"));
    assert_eq!(h.plan().0, 0);

    // Drift made outside Terraform shows up and is repaired.
    h.store
        .lock()
        .unwrap()
        .objects
        .get_mut("thing-1")
        .unwrap()
        .set_attr("login", false.into());
    let (code, plan) = h.plan();
    assert_eq!(code, 2);
    assert!(
        plan.contains("~ login             = false -> true"),
        "{plan}"
    );
    h.apply();
    assert_eq!(h.object("thing-1").attr("login"), &Value::Bool(true));
    assert_eq!(h.plan().0, 0);

    // A requires-replace attribute: destroy and create.
    h.write_config(&rotated.replace("  login = true", "  login = true\n  database = \"other\""));
    let (code, plan) = h.plan();
    assert_eq!(code, 2);
    assert!(plan.contains("must be replaced"), "{plan}");
    assert!(plan.contains("# forces replacement"), "{plan}");
    h.apply();
    assert!(h.store.lock().unwrap().objects.contains_key("thing-2"));
    assert!(!h.store.lock().unwrap().objects.contains_key("thing-1"));

    // Deleted outside Terraform: planned for re-creation.
    h.store.lock().unwrap().objects.clear();
    let (code, plan) = h.plan();
    assert_eq!(code, 2);
    assert!(plan.contains("will be created"), "{plan}");
    h.apply();

    // Import: an object made elsewhere comes under management without changes.
    let outside = Value::object([
        ("name", Value::from("beta")),
        ("login", Value::from(false)),
        ("database", Value::from("main")),
        ("tags", Value::Null),
        ("privilege", Value::Null),
        ("secret_wo", Value::Null),
        ("secret_wo_version", Value::Null),
        ("id", Value::from("outside-1")),
        ("revision", Value::from(7)),
    ]);
    h.store
        .lock()
        .unwrap()
        .objects
        .insert("outside-1".into(), outside);
    h.write_config(&format!(
        "{rotated_db}\nimport {{\n  to = dbre_test_thing.b\n  id = \"outside-1\"\n}}\n\nresource \"dbre_test_thing\" \"b\" {{\n  name = \"beta\"\n}}\n",
        rotated_db = rotated.replace("  login = true", "  login = true\n  database = \"other\"")
    ));
    let (code, plan) = h.plan();
    assert_eq!(code, 2);
    assert!(
        plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    h.apply();
    assert_eq!(h.plan().0, 0, "imported object converged");

    // A data source reads what exists.
    let with_data = std::fs::read_to_string(h.dir.path().join("main.tf")).unwrap()
        + "\ndata \"dbre_test_things\" \"all\" {\n  prefix = \"\"\n}\n\noutput \"names\" {\n  value = data.dbre_test_things.all.names\n}\n";
    std::fs::write(h.dir.path().join("main.tf"), with_data).unwrap();
    h.apply();
    let names = h.ok(&["output", "-json", "names"]);
    let names: Vec<String> = serde_json::from_str(&names).unwrap();
    assert_eq!(names, ["alpha", "beta"]);

    // Destroy removes everything.
    h.ok(&["destroy", "-input=false", "-auto-approve"]);
    assert!(h.store.lock().unwrap().objects.is_empty());
}
