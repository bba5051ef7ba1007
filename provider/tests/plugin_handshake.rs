//! Runs the real provider binary the way Terraform does (go-plugin handshake, AutoMTLS with a
//! P-521 CA-flagged client certificate like Terraform's) and the way a person would (by hand).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use dbre_provider::plugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
use dbre_provider::plugin::proto::go_plugin::Empty;
use dbre_provider::plugin::proto::tfplugin5::provider_client::ProviderClient;
use dbre_provider::plugin::proto::tfplugin5::{
    get_provider_schema, prepare_provider_config, schema, DynamicValue,
};
use dbre_provider::tf::{Provider as _, Value};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-dbre");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A client certificate shaped like Terraform's: ECDSA P-521, self-signed, marked as a CA.
struct ClientCert {
    pem: String,
    der: CertificateDer<'static>,
    key: Vec<u8>,
}

fn terraform_like_client_cert() -> ClientCert {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    let cert = params.self_signed(&key).unwrap();
    ClientCert {
        pem: cert.pem(),
        der: cert.der().clone(),
        key: key.serialize_der(),
    }
}

struct Plugin {
    child: Child,
    socket: PathBuf,
    server_cert: Vec<u8>,
    stderr_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Plugin {
    fn start(client_cert_pem: Option<&str>) -> Plugin {
        let dir = tempfile::tempdir().unwrap();
        let stderr_path = dir.path().join("stderr.log");
        let mut cmd = Command::new(BIN);
        cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
            .env_remove("PLUGIN_CLIENT_CERT")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap());
        if let Some(pem) = client_cert_pem {
            cmd.env("PLUGIN_CLIENT_CERT", pem);
        }
        let mut child = cmd.spawn().expect("start the provider binary");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let parts: Vec<&str> = line.trim_end().split('|').collect();
        assert_eq!(parts.len(), 6, "handshake line: {line:?}");
        assert_eq!(&parts[..3], ["1", "5", "unix"], "handshake line: {line:?}");
        assert_eq!(parts[4], "grpc");
        let socket = PathBuf::from(parts[3]);
        assert!(
            socket.starts_with(dir.path()),
            "socket {socket:?} honours PLUGIN_UNIX_SOCKET_DIR"
        );
        let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(parts[5])
            .expect("certificate is unpadded standard base64");
        Plugin {
            child,
            socket,
            server_cert,
            stderr_path,
            _dir: dir,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Waits up to `limit` for the process to exit; returns how long it took. Async, so the
    /// client side keeps running meanwhile (answering the server's goodbye, as Terraform does).
    async fn wait_exit(&mut self, limit: Duration) -> Option<(Duration, std::process::ExitStatus)> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some((start.elapsed(), status));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A gRPC channel over the plugin's unix socket, with TLS when `tls` is given.
async fn connect(
    socket: &Path,
    tls: Option<rustls::ClientConfig>,
) -> Result<Channel, tonic::transport::Error> {
    let socket = socket.to_path_buf();
    let tls = tls.map(|c| tokio_rustls::TlsConnector::from(Arc::new(c)));
    Endpoint::try_from("http://localhost")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            let tls = tls.clone();
            async move {
                let stream = UnixStream::connect(socket).await?;
                let io: Box<dyn IoStream> = match tls {
                    None => Box::new(stream),
                    Some(tls) => {
                        let name = ServerName::try_from("localhost").unwrap();
                        Box::new(tls.connect(name, stream).await?)
                    }
                };
                Ok::<_, std::io::Error>(TokioIo::new(io))
            }
        }))
        .await
}

trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> IoStream for T {}

/// What Terraform's client does: trust exactly the server certificate from the handshake and
/// present its own certificate.
fn client_tls(server_cert: &[u8], client: &ClientCert) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(server_cert.to_vec()))
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(client.key.clone()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![client.der.clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

async fn get_schema(channel: Channel) -> Result<get_provider_schema::Response, tonic::Status> {
    let response = ProviderClient::new(channel)
        .get_schema(get_provider_schema::Request {})
        .await?;
    Ok(response.into_inner())
}

fn assert_is_our_schema(schema: &get_provider_schema::Response) {
    let provider = schema.provider.as_ref().unwrap().block.as_ref().unwrap();
    let postgres = provider
        .block_types
        .iter()
        .find(|b| b.type_name == "postgres")
        .expect("provider schema has a postgres block");
    assert_eq!(
        postgres.nesting,
        schema::nested_block::NestingMode::Single as i32
    );
    let password = postgres
        .block
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .find(|a| a.name == "password")
        .unwrap();
    assert!(password.sensitive);
    let caps = schema.server_capabilities.as_ref().unwrap();
    assert!(!caps.plan_destroy);
    // Terraform may skip GetProviderSchema on the 2nd and 3rd provider process of a command:
    // every RPC works without it (schemas are built at start).
    assert!(caps.get_provider_schema_optional);
}

#[test]
fn run_by_hand_explains_and_exits_1() {
    let out = Command::new(BIN)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("This binary is a plugin"),
        "stderr: {stderr}"
    );
    assert!(stderr.contains("--debug"), "stderr: {stderr}");
}

#[test]
fn wrong_cookie_is_refused_too() {
    let out = Command::new(BIN)
        .env("TF_PLUGIN_MAGIC_COOKIE", "nope")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn mtls_with_the_pinned_client_cert_serves_schema_health_and_shuts_down() {
    let client = terraform_like_client_cert();
    let mut plugin = Plugin::start(Some(&client.pem));
    let channel = connect(
        &plugin.socket,
        Some(client_tls(&plugin.server_cert, &client)),
    )
    .await
    .expect("mTLS connection with Terraform's certificate");

    let schema = get_schema(channel.clone())
        .await
        .expect("GetSchema over mTLS");
    assert_is_our_schema(&schema);

    let health = tonic_health::pb::health_client::HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    GrpcControllerClient::new(channel.clone())
        .shutdown(Empty {})
        .await
        .expect("Shutdown answers");
    drop(channel);
    let (took, status) = plugin
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("provider exits after Shutdown");
    assert!(status.success(), "exit status {status:?}");
    eprintln!("exit after Shutdown took {took:?}");
    assert!(took < Duration::from_secs(1), "Shutdown took {took:?}");
    assert!(!plugin.socket.exists(), "socket cleaned up");
    assert!(
        plugin.stderr().contains("[INFO] serving tfplugin5"),
        "{}",
        plugin.stderr()
    );
}

#[tokio::test]
async fn a_wrong_client_cert_is_rejected() {
    let expected = terraform_like_client_cert();
    let intruder = terraform_like_client_cert();
    let plugin = Plugin::start(Some(&expected.pem));
    let result = match connect(
        &plugin.socket,
        Some(client_tls(&plugin.server_cert, &intruder)),
    )
    .await
    {
        Err(e) => Err(e.to_string()),
        Ok(channel) => get_schema(channel).await.map_err(|s| s.to_string()),
    };
    assert!(
        result.is_err(),
        "a foreign client certificate must not get a schema"
    );
    // The rejection is logged (without secrets) for whoever reads TF_LOG output.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        plugin.stderr().contains("[WARN] rejected a connection"),
        "{}",
        plugin.stderr()
    );
}

#[tokio::test]
async fn no_client_cert_at_all_is_rejected() {
    let expected = terraform_like_client_cert();
    let plugin = Plugin::start(Some(&expected.pem));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(plugin.server_cert.clone()))
        .unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let result = match connect(&plugin.socket, Some(config)).await {
        Err(e) => Err(e.to_string()),
        Ok(channel) => get_schema(channel).await.map_err(|s| s.to_string()),
    };
    assert!(
        result.is_err(),
        "a client without a certificate must not get a schema"
    );
}

#[tokio::test]
async fn plaintext_only_when_terraform_sends_no_client_cert() {
    let mut plugin = Plugin::start(None);
    assert!(plugin.server_cert.is_empty(), "no certificate announced");
    let channel = connect(&plugin.socket, None).await.unwrap();
    assert_is_our_schema(&get_schema(channel.clone()).await.unwrap());
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    assert!(plugin.wait_exit(Duration::from_secs(5)).await.is_some());
}

#[test]
fn debug_mode_prints_reattach_instructions() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("--debug")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut reattach = None;
    for _ in 0..10 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(value.trim_end_matches('\'').to_owned());
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let reattach = reattach.expect("a TF_REATTACH_PROVIDERS line");
    let json: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    let entry = &json["registry.terraform.io/dbre/dbre"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 5);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Addr"]["Network"], "unix");
    assert!(Path::new(entry["Addr"]["String"].as_str().unwrap()).starts_with(dir.path()));
}

#[tokio::test]
async fn provider_config_errors_come_back_with_attribute_paths() {
    use dbre_provider::plugin::proto::tfplugin5::attribute_path::step::Selector;

    let mut plugin = Plugin::start(None);
    let channel = connect(&plugin.socket, None).await.unwrap();
    let schema = dbre_provider::resources::DbreProvider.schema();
    let postgres = schema.block.blocks[0].block.complete(Value::object([
        ("port", Value::from(70000)),
        ("sslmode", Value::from("sometimes")),
        ("password", Value::from("hunter2")),
    ]));
    let config = Value::object([("postgres", postgres)]);
    let msgpack = dbre_provider::tf::msgpack::encode(&config, &schema.value_type()).unwrap();
    let response = ProviderClient::new(channel.clone())
        .prepare_provider_config(prepare_provider_config::Request {
            config: Some(DynamicValue {
                msgpack,
                json: Vec::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let found: Vec<(Vec<String>, String)> = response
        .diagnostics
        .iter()
        .map(|d| {
            let steps = d
                .attribute
                .as_ref()
                .map(|p| {
                    p.steps
                        .iter()
                        .map(|s| match s.selector.as_ref().unwrap() {
                            Selector::AttributeName(n) => n.clone(),
                            other => format!("{other:?}"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            (steps, d.detail.clone())
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, ["postgres", "port"]);
    assert!(found[0].1.contains("from 1 to 65535"), "{found:?}");
    assert_eq!(found[1].0, ["postgres", "sslmode"]);
    assert!(
        found[1].1.contains("\"sometimes\" is not allowed"),
        "{found:?}"
    );
    assert!(
        !format!("{response:?}").contains("hunter2"),
        "no secret in diagnostics"
    );
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    assert!(plugin.wait_exit(Duration::from_secs(5)).await.is_some());
    assert!(!plugin.stderr().contains("hunter2"), "no secret in logs");
}
