//! go-plugin's process contract: the magic cookie, protocol negotiation, where the socket goes,
//! and the lines we print on stdout (the handshake, or reattach instructions in debug mode).

use std::path::PathBuf;

const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own protocol version (the first handshake field).
const CORE_PROTOCOL_VERSION: u32 = 1;

/// The only Terraform plugin protocol we speak.
pub const PROTOCOL_VERSION: u32 = 5;

/// Where Terraform finds this provider; used in the reattach instructions.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/dbre/dbre";

/// The explanation for someone who ran the binary by hand.
pub const NOT_BY_HAND: &str = "\
This binary is a plugin. These are not meant to be executed directly.
Please execute the program that consumes these plugins, which will
load any plugins automatically.

terraform-provider-dbre is a Terraform provider: list it under
required_providers as source = \"dbre/dbre\" and run terraform.
To debug it, run it with --debug and follow the instructions it prints.";

pub fn cookie_ok() -> bool {
    std::env::var(MAGIC_COOKIE_KEY).is_ok_and(|v| v == MAGIC_COOKIE_VALUE)
}

/// Picks protocol 5 from `PLUGIN_PROTOCOL_VERSIONS` (absent: Terraform did not say, assume 5).
pub fn negotiate_version() -> Result<u32, String> {
    match std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        Err(_) => Ok(PROTOCOL_VERSION),
        Ok(list) => {
            let offered = list.split(',').filter_map(|v| v.trim().parse::<u32>().ok());
            if offered.clone().any(|v| v == PROTOCOL_VERSION) {
                Ok(PROTOCOL_VERSION)
            } else {
                Err(format!(
                    "this provider speaks plugin protocol {PROTOCOL_VERSION}; Terraform offered {list:?}. \
                     Use Terraform 0.12 or later."
                ))
            }
        }
    }
}

/// The directory the socket's temporary directory goes into.
pub fn socket_base_dir() -> PathBuf {
    std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
        .or_else(|| std::env::var_os("TMPDIR"))
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

/// `CORE|APP|unix|ADDR|grpc|CERT`, the certificate as unpadded standard base64 of its DER.
pub fn handshake_line(socket: &std::path::Path, server_cert_der: Option<&[u8]>) -> String {
    use base64::Engine;
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|unix|{}|grpc|{cert}",
        socket.display()
    )
}

/// The `TF_REATTACH_PROVIDERS` value for a provider we serve ourselves (`--debug`).
pub fn reattach_value(socket: &std::path::Path) -> String {
    serde_json::json!({
        PROVIDER_ADDRESS: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": "unix", "String": socket.display().to_string() },
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_line_has_unpadded_base64() {
        let line = handshake_line(std::path::Path::new("/tmp/x/p.sock"), Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|5|unix|/tmp/x/p.sock|grpc|AQIDBA");
        let plain = handshake_line(std::path::Path::new("/tmp/x/p.sock"), None);
        assert_eq!(plain, "1|5|unix|/tmp/x/p.sock|grpc|");
    }

    #[test]
    fn reattach_value_names_our_address() {
        let v: serde_json::Value =
            serde_json::from_str(&reattach_value(std::path::Path::new("/s"))).unwrap();
        let p = &v[PROVIDER_ADDRESS];
        assert_eq!(p["ProtocolVersion"], 5);
        assert_eq!(p["Test"], true);
        assert_eq!(p["Addr"]["String"], "/s");
    }
}
