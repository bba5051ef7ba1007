//! The `provider "dbre"` block: its schema, and how it (with libpq's environment variables as
//! fallbacks) becomes the PostgreSQL [`ConnSettings`].

use std::path::PathBuf;
use std::time::Duration;

use crate::pg::settings::{ConnSettings, SslMode};
use crate::tf::{
    validators, AttrPath, Attribute, Block, Diagnostic, Diagnostics, Nesting, Schema, Value,
};

const DEFAULT_HOST: &str = "127.0.0.1";
const DEFAULT_PORT: u16 = 5432;
const DEFAULT_USER: &str = "postgres";
const DEFAULT_DATABASE: &str = "postgres";
const DEFAULT_CONNECT_TIMEOUT_SECS: i64 = 15;
const DEFAULT_MAX_CONNECTIONS: i64 = 4;
const SSL_MODES: &[&str] = &["disable", "prefer", "require", "verify-ca", "verify-full"];

pub fn schema() -> Schema {
    let postgres = Block::new()
        .description("How to reach the PostgreSQL server. Every setting falls back to libpq's environment variable.")
        .attribute(Attribute::string("host").optional().description("Host name or address (`PGHOST`, default `127.0.0.1`)."))
        .attribute(
            Attribute::number("port")
                .optional()
                .validate(validators::int_between(1, 65535))
                .description("TCP port (`PGPORT`, default 5432)."),
        )
        .attribute(
            Attribute::string("username")
                .optional()
                .validate(validators::not_empty)
                .description("Role to log in as (`PGUSER`, default `postgres`)."),
        )
        .attribute(Attribute::string("password").optional().sensitive().description("Password (`PGPASSWORD`)."))
        .attribute(
            Attribute::string("database")
                .optional()
                .validate(validators::not_empty)
                .description("Maintenance database to connect to (`PGDATABASE`, default `postgres`)."),
        )
        .attribute(
            Attribute::string("sslmode")
                .optional()
                .validate(validators::one_of(SSL_MODES))
                .description("`disable`, `prefer`, `require`, `verify-ca` or `verify-full` (`PGSSLMODE`, default `prefer`)."),
        )
        .attribute(Attribute::string("sslrootcert").optional().description("CA certificate file to verify the server with (`PGSSLROOTCERT`)."))
        .attribute(Attribute::string("sslcert").optional().description("Client certificate file (`PGSSLCERT`)."))
        .attribute(Attribute::string("sslkey").optional().description("Client private key file (`PGSSLKEY`)."))
        .attribute(
            Attribute::number("connect_timeout")
                .optional()
                .validate(validators::int_between(1, 3600))
                .description("Seconds to wait for a connection (`PGCONNECT_TIMEOUT`, default 15)."),
        )
        .attribute(
            Attribute::number("max_connections")
                .optional()
                .validate(validators::int_between(1, 100))
                .description("Connections per database the provider may open at once (default 4)."),
        );
    Schema::new(
        0,
        Block::new()
            .description("dbre manages what lives inside and around a database server.")
            .block("postgres", Nesting::Single, postgres),
    )
}

/// Checks that need more than one attribute; single attributes have validators in the schema.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let pg = config.attr("postgres");
    let (cert, key) = (pg.attr("sslcert"), pg.attr("sslkey"));
    if cert.is_null() != key.is_null() && !cert.is_unknown() && !key.is_unknown() {
        let missing = if cert.is_null() { "sslcert" } else { "sslkey" };
        diags.error_at(
            AttrPath::attr("postgres").then_attr(missing),
            "Incomplete client certificate",
            "sslcert and sslkey go together: set both or neither.",
        );
    }
    diags
}

/// Resolves the provider configuration into connection settings. `Ok(None)` when some of them are
/// unknown (during plan). `env` looks up an environment variable.
pub fn settings(
    config: &Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ConnSettings>, Diagnostics> {
    let pg = config.attr("postgres");
    if !pg.is_wholly_known() {
        return Ok(None);
    }
    let mut diags = Diagnostics::new();
    let path = |name: &str| AttrPath::attr("postgres").then_attr(name);

    let string = |name: &str, var: &str| -> Option<String> {
        pg.attr(name)
            .as_str()
            .map(str::to_owned)
            .or_else(|| env(var).filter(|v| !v.is_empty()))
    };
    let mut number = |name: &str, var: Option<&str>, default: i64, min: i64, max: i64| -> i64 {
        if let Some(n) = pg.attr(name).as_i64() {
            return n;
        }
        let Some(var) = var else { return default };
        match env(var).filter(|v| !v.is_empty()) {
            None => default,
            Some(text) => match text.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    diags.push(
                        Diagnostic::error(
                            format!("Invalid {var}"),
                            format!("{var} must be a whole number from {min} to {max} (it sets {name})."),
                        )
                        .at(path(name)),
                    );
                    default
                }
            },
        }
    };
    let port = number("port", Some("PGPORT"), i64::from(DEFAULT_PORT), 1, 65535);
    let connect_timeout = number(
        "connect_timeout",
        Some("PGCONNECT_TIMEOUT"),
        DEFAULT_CONNECT_TIMEOUT_SECS,
        1,
        3600,
    );
    let max_connections = number("max_connections", None, DEFAULT_MAX_CONNECTIONS, 1, 100);

    let sslmode_text = string("sslmode", "PGSSLMODE").unwrap_or_else(|| "prefer".to_owned());
    let sslmode = match sslmode_text.as_str() {
        "disable" => SslMode::Disable,
        "prefer" => SslMode::Prefer,
        "require" => SslMode::Require,
        "verify-ca" => SslMode::VerifyCa,
        "verify-full" => SslMode::VerifyFull,
        _ => {
            diags.error_at(
                path("sslmode"),
                "Invalid sslmode",
                format!(
                    "{sslmode_text:?} (from PGSSLMODE) is not a supported sslmode; expected one of: {}.",
                    SSL_MODES.join(", ")
                ),
            );
            SslMode::Prefer
        }
    };
    let settings = ConnSettings {
        host: string("host", "PGHOST").unwrap_or_else(|| DEFAULT_HOST.to_owned()),
        port: u16::try_from(port).unwrap_or(DEFAULT_PORT),
        username: string("username", "PGUSER").unwrap_or_else(|| DEFAULT_USER.to_owned()),
        password: string("password", "PGPASSWORD"),
        database: string("database", "PGDATABASE").unwrap_or_else(|| DEFAULT_DATABASE.to_owned()),
        sslmode,
        sslrootcert: string("sslrootcert", "PGSSLROOTCERT").map(PathBuf::from),
        sslcert: string("sslcert", "PGSSLCERT").map(PathBuf::from),
        sslkey: string("sslkey", "PGSSLKEY").map(PathBuf::from),
        connect_timeout: Duration::from_secs(connect_timeout.unsigned_abs()),
        max_connections: usize::try_from(max_connections).unwrap_or(4),
    };
    if settings.sslcert.is_some() != settings.sslkey.is_some() {
        diags.error_at(
            path(if settings.sslcert.is_none() {
                "sslcert"
            } else {
                "sslkey"
            }),
            "Incomplete client certificate",
            "sslcert and sslkey (or PGSSLCERT and PGSSLKEY) go together: set both or neither.",
        );
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(Some(settings))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn postgres(pairs: &[(&str, Value)]) -> Value {
        let block = schema().block;
        let mut pg = Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())));
        pg = block.blocks[0].block.complete(pg);
        Value::object([("postgres", pg)])
    }

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn absent_block_uses_environment_then_defaults() {
        let config = Value::object([("postgres", Value::Null)]);
        let s = settings(
            &config,
            &env(&[("PGHOST", "db.internal"), ("PGPASSWORD", "pw")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.host, "db.internal");
        assert_eq!(s.port, 5432);
        assert_eq!(s.username, "postgres");
        assert_eq!(s.password.as_deref(), Some("pw"));
        assert_eq!(s.database, "postgres");
        assert_eq!(s.sslmode, SslMode::Prefer);
        assert_eq!(s.connect_timeout, Duration::from_secs(15));
        assert_eq!(s.max_connections, 4);
    }

    #[test]
    fn configuration_wins_over_environment() {
        let config = postgres(&[
            ("host", "10.0.0.5".into()),
            ("port", 6432.into()),
            ("sslmode", "verify-full".into()),
            ("max_connections", 8.into()),
        ]);
        let s = settings(&config, &env(&[("PGHOST", "ignored"), ("PGPORT", "1")]))
            .unwrap()
            .unwrap();
        assert_eq!((s.host.as_str(), s.port), ("10.0.0.5", 6432));
        assert_eq!(s.sslmode, SslMode::VerifyFull);
        assert_eq!(s.max_connections, 8);
    }

    #[test]
    fn unknown_details_mean_not_known_yet() {
        let config = postgres(&[("host", Value::unknown())]);
        assert!(settings(&config, &env(&[])).unwrap().is_none());
        let config = Value::object([("postgres", Value::unknown())]);
        assert!(settings(&config, &env(&[])).unwrap().is_none());
    }

    #[test]
    fn bad_environment_is_a_diagnostic_at_the_attribute() {
        let config = Value::object([("postgres", Value::Null)]);
        let err = settings(
            &config,
            &env(&[("PGPORT", "abc"), ("PGSSLMODE", "sometimes")]),
        )
        .unwrap_err();
        let paths: Vec<String> = err
            .0
            .iter()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["postgres.port", "postgres.sslmode"]);
    }

    #[test]
    fn schema_validators_point_at_the_attribute() {
        let config = postgres(&[("port", 0.into()), ("sslmode", "maybe".into())]);
        let mut diags = Diagnostics::new();
        schema()
            .block
            .run_validators(&config, &AttrPath::root(), &mut diags);
        let paths: Vec<String> = diags
            .0
            .iter()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["postgres.port", "postgres.sslmode"]);
    }

    #[test]
    fn sslcert_without_sslkey_is_rejected() {
        let config = postgres(&[("sslcert", "/c.pem".into())]);
        let diags = validate(&config);
        assert_eq!(
            diags.0[0].path.as_ref().unwrap().to_string(),
            "postgres.sslkey"
        );
    }
}
