//! Opening one connection: settings → tokio-postgres config, TLS per `sslmode`, a deadline over
//! the whole connect (TCP, TLS, authentication), and one error that names the target.

use std::sync::Arc;

use rustls::ClientConfig;
use tokio_postgres::config::SslMode as DriverSslMode;
use tokio_postgres::{Client, Config, NoTls};

use super::error::{describe_driver_error, sqlstate, PgError};
use super::settings::{ConnSettings, SslMode};
use super::tls::RustlsConnect;

/// Shown in `pg_stat_activity` and the server log, so operators can tell our sessions apart.
pub const APPLICATION_NAME: &str = "terraform-provider-dbre";

/// Session settings every connection gets, so values we read back print the same way whatever
/// the server's or the role's defaults are (e.g. `valid_until` always in UTC, ISO format).
const SESSION_SETUP: &str = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'";

/// Opens one connection to `database`. `tls` is what [`super::tls::client_config`] built for the
/// same settings (`None` for `sslmode=disable`).
pub(crate) async fn connect(
    settings: &ConnSettings,
    database: &str,
    tls: Option<&Arc<ClientConfig>>,
) -> Result<Client, PgError> {
    let fail = |message: String| PgError::Connect {
        host: settings.host.clone(),
        port: settings.port,
        user: settings.username.clone(),
        database: database.to_string(),
        message,
    };
    let deadline = settings.connect_timeout;
    let attempt = async {
        let mut config = driver_config(settings, database);
        match (settings.sslmode, tls) {
            (SslMode::Disable, _) | (_, None) => open(config, None).await,
            (SslMode::Prefer, Some(tls)) => {
                // libpq's prefer: TLS if the server offers it, plain if it does not — and plain
                // again if the TLS attempt fails for any reason but a wrong password.
                config.ssl_mode(DriverSslMode::Prefer);
                match open(config.clone(), Some(tls)).await {
                    Err(tls_err) if tls_err.code() != Some(sqlstate::INVALID_PASSWORD) => {
                        config.ssl_mode(DriverSslMode::Disable);
                        open(config, None).await.map_err(|plain_err| {
                            let (tls_msg, plain_msg) = (tls_err.message(), plain_err.message());
                            if tls_msg == plain_msg {
                                plain_err
                            } else {
                                // Keep both reasons, as libpq does.
                                ConnectFailure::Both {
                                    tls: tls_msg,
                                    plain: plain_msg,
                                }
                            }
                        })
                    }
                    other => other,
                }
            }
            (_, Some(tls)) => {
                config.ssl_mode(DriverSslMode::Require);
                open(config, Some(tls)).await
            }
        }
    };
    let client = match tokio::time::timeout(deadline, attempt).await {
        Err(_) => {
            return Err(fail(format!(
                "timed out after {}s (connect_timeout)",
                deadline.as_secs_f64()
            )))
        }
        Ok(Err(e)) => return Err(fail(e.message())),
        Ok(Ok(client)) => client,
    };
    client
        .batch_execute(SESSION_SETUP)
        .await
        .map_err(|e| fail(describe_driver_error(&e)))?;
    Ok(client)
}

fn driver_config(settings: &ConnSettings, database: &str) -> Config {
    let mut config = Config::new();
    if settings.host.starts_with('/') {
        config.host_path(&settings.host);
    } else {
        config.host(&settings.host);
    }
    config
        .port(settings.port)
        .user(&settings.username)
        .dbname(database)
        .application_name(APPLICATION_NAME)
        .connect_timeout(settings.connect_timeout)
        .ssl_mode(DriverSslMode::Disable);
    if let Some(password) = &settings.password {
        config.password(password.as_bytes());
    }
    config
}

/// A failed connect: either the driver's error or, for `prefer`, both attempts' reasons.
enum ConnectFailure {
    Driver(tokio_postgres::Error),
    Both { tls: String, plain: String },
}

impl ConnectFailure {
    fn code(&self) -> Option<&str> {
        match self {
            ConnectFailure::Driver(e) => e.code().map(|c| c.code()),
            ConnectFailure::Both { .. } => None,
        }
    }

    fn message(&self) -> String {
        match self {
            ConnectFailure::Driver(e) => describe_driver_error(e),
            ConnectFailure::Both { tls, plain } => {
                format!("with TLS: {tls}; without TLS: {plain}")
            }
        }
    }
}

async fn open(config: Config, tls: Option<&Arc<ClientConfig>>) -> Result<Client, ConnectFailure> {
    let client = match tls {
        None => {
            let (client, connection) = config
                .connect(NoTls)
                .await
                .map_err(ConnectFailure::Driver)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            client
        }
        Some(tls) => {
            let (client, connection) = config
                .connect(RustlsConnect(tls.clone()))
                .await
                .map_err(ConnectFailure::Driver)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            client
        }
    };
    Ok(client)
}
