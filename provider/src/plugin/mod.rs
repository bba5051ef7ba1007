//! The go-plugin side of a Terraform provider: handshake, AutoMTLS, and the gRPC services
//! Terraform expects next to `tfplugin5.Provider`. Knows nothing of databases or of our framework:
//! it serves any implementation of the generated `tfplugin5` provider service.

mod conn;
pub mod handshake;
pub mod log;
pub mod proto;
mod services;
pub mod tls;

use std::process::ExitCode;
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use self::conn::Conn;
use self::proto::go_plugin::grpc_controller_server::GrpcControllerServer;
use self::proto::go_plugin::grpc_stdio_server::GrpcStdioServer;
use self::proto::tfplugin5::provider_server::{Provider, ProviderServer};

/// Terraform's own limit on gRPC messages, both ways.
const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// How long a client gets to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a graceful shutdown may take before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Started by Terraform: cookie, handshake line, mTLS.
    Managed,
    /// `--debug`: started by a person, plaintext, prints `TF_REATTACH_PROVIDERS`, Ctrl-C stops it.
    Debug,
}

/// Runs the plugin until Terraform shuts it down; returns the process exit code.
pub async fn serve<P: Provider>(provider: P, mode: Mode) -> ExitCode {
    match run(provider, mode).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run<P: Provider>(provider: P, mode: Mode) -> Result<(), String> {
    if mode == Mode::Managed && !handshake::cookie_ok() {
        return Err(handshake::NOT_BY_HAND.to_owned());
    }
    let _version = handshake::negotiate_version()?;

    let tls = match (mode, std::env::var("PLUGIN_CLIENT_CERT")) {
        (Mode::Managed, Ok(pem)) if !pem.trim().is_empty() => Some(tls::server_tls(&pem)?),
        _ => None,
    };

    // The socket lives in a private temporary directory, removed when we return. Its path must
    // stay under the 108-byte limit of unix socket addresses, hence the short names.
    let dir = tempfile::Builder::new()
        .prefix("plugin")
        .tempdir_in(handshake::socket_base_dir())
        .map_err(|e| format!("creating the plugin socket directory: {e}"))?;
    let socket = dir.path().join("p.sock");
    let listener = UnixListener::bind(&socket)
        .map_err(|e| format!("listening on {}: {e}", socket.display()))?;

    let shutdown = CancellationToken::new();
    match mode {
        Mode::Managed => {
            // Ctrl-C reaches us too; Terraform follows it with `Stop`, which is ours to handle.
            ignore_sigint();
            print_stdout_line(&handshake::handshake_line(
                &socket,
                tls.as_ref().map(|t| t.cert_der.as_ref()),
            ))?;
            crate::log_info!(
                "serving tfplugin5 on {} ({})",
                socket.display(),
                if tls.is_some() {
                    "mutual TLS, client certificate pinned"
                } else {
                    "plaintext: Terraform disabled plugin TLS"
                }
            );
        }
        Mode::Debug => {
            let reattach = handshake::reattach_value(&socket);
            print_stdout_line(&format!(
                "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS \
                 environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n\n\
                 Stop the provider with Ctrl-C."
            ))?;
            let on_ctrl_c = shutdown.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_ctrl_c.cancel();
                }
            });
        }
    }

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let incoming = accept_loop(
        listener,
        tls.map(|t| TlsAcceptor::from(t.config)),
        shutdown.clone(),
    );

    // Should a client keep a connection open past Shutdown, do not hang: exit anyway.
    let watchdog_shutdown = shutdown.clone();
    let watchdog_dir = dir.path().to_path_buf();
    tokio::spawn(async move {
        watchdog_shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
        let _ = std::fs::remove_dir_all(&watchdog_dir);
        std::process::exit(0);
    });

    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(
            ProviderServer::new(provider)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(GrpcControllerServer::new(services::Controller::new(
            shutdown.clone(),
        )))
        .add_service(GrpcStdioServer::new(services::Stdio::new(shutdown.clone())))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
        .map_err(|e| format!("gRPC server: {e}"))?;
    crate::log_debug!("plugin server stopped");
    drop(dir);
    Ok(())
}

/// Accepts connections until shutdown, finishing TLS handshakes off the accept path. A client
/// that fails the handshake (wrong certificate) is logged and dropped; it never reaches gRPC.
fn accept_loop(
    listener: UnixListener,
    tls: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> tokio_stream::wrappers::ReceiverStream<Result<Conn, std::io::Error>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                () = shutdown.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        crate::log_warn!("accepting a connection: {e}");
                        continue;
                    }
                },
            };
            let tx = tx.clone();
            match &tls {
                None => {
                    let _ = tx.send(Ok(Conn::Plain(stream))).await;
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(tls)) => {
                                let _ = tx.send(Ok(Conn::Tls(Box::new(tls)))).await;
                            }
                            Ok(Err(e)) => {
                                crate::log_warn!("rejected a connection: TLS handshake failed: {e}")
                            }
                            Err(_) => {
                                crate::log_warn!("rejected a connection: TLS handshake timed out")
                            }
                        }
                    });
                }
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

fn print_stdout_line(line: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("writing the handshake to stdout: {e}"))
}

fn ignore_sigint() {
    // SAFETY: installing SIG_IGN for SIGINT has no preconditions; it is done once, at start-up.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
}
