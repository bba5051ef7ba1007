//! TLS for PostgreSQL connections: rustls on the aws-lc-rs provider with libpq's `sslmode`
//! semantics.
//!
//! Why our own `MakeTlsConnect` instead of `tokio-postgres-rustls`: that crate hashes the server
//! certificate for channel binding with `ring`, which would put a second crypto backend into the
//! binary, and it leaves the libpq verification modes (no verification for `require`, chain without
//! hostname for `verify-ca`) to the caller anyway. Both halves are small, so we write them here
//! and the process has exactly one crypto provider, passed explicitly (`builder_with_provider`),
//! never installed as the process default.
//!
//! | sslmode      | TLS tried | chain checked          | hostname checked |
//! |--------------|-----------|------------------------|------------------|
//! | disable      | no        | –                      | –                |
//! | prefer       | yes, plain if the server has no TLS or the handshake fails | no | no |
//! | require      | yes       | only if `sslrootcert` is set (as libpq does) | no |
//! | verify-ca    | yes       | yes                    | no               |
//! | verify-full  | yes       | yes                    | yes              |
//!
//! Roots for the verifying modes: `sslrootcert` (PEM file); without it `~/.postgresql/root.crt`
//! like libpq, and when that does not exist either the system trust store plus the Mozilla roots
//! (libpq would fail there; managed services use publicly trusted certificates, so we don't).
//! `sslrootcert = "system"` asks for the system store explicitly.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use super::settings::{ConnSettings, SslMode};

/// The crypto provider every PostgreSQL TLS session uses.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Builds the rustls client configuration for `settings`, or `None` for `sslmode=disable`.
/// Errors are human sentences about the files involved (never their contents).
pub fn client_config(settings: &ConnSettings) -> Result<Option<Arc<ClientConfig>>, String> {
    let provider = provider();
    let verification = match settings.sslmode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer => Verification::None,
        SslMode::Require if settings.sslrootcert.is_none() => Verification::None,
        SslMode::Require | SslMode::VerifyCa => Verification::Chain,
        SslMode::VerifyFull => Verification::ChainAndHost,
    };
    let verifier: Arc<dyn ServerCertVerifier> = match verification {
        Verification::None => Arc::new(AcceptAnyServerCert(provider.clone())),
        Verification::Chain | Verification::ChainAndHost => {
            let roots = Arc::new(load_roots(settings.sslrootcert.as_deref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| format!("cannot use the root certificates: {e}"))?;
            if verification == Verification::Chain {
                Arc::new(ChainOnly(webpki))
            } else {
                webpki
            }
        }
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&settings.sslcert, &settings.sslkey) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let chain = load_certs(cert, "sslcert")?;
            let key = load_key(key)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("cannot use the client certificate and key: {e}"))?
        }
        _ => return Err("sslcert and sslkey must be set together".to_string()),
    };
    Ok(Some(Arc::new(config)))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verification {
    None,
    Chain,
    ChainAndHost,
}

fn load_roots(path: Option<&Path>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let explicit = match path {
        Some(p) if p.as_os_str() == "system" => None,
        Some(p) => Some(p.to_path_buf()),
        None => home_root_cert().filter(|p| p.exists()),
    };
    if let Some(path) = explicit {
        for cert in load_certs(&path, "sslrootcert")? {
            store
                .add(cert)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
        }
        return Ok(store);
    }
    let native = rustls_native_certs::load_native_certs();
    store.add_parsable_certificates(native.certs);
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Ok(store)
}

fn home_root_cert() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".postgresql").join("root.crt"))
}

fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let data =
        std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    let certs = rustls_pemfile::certs(&mut data.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} {}: not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{what} {}: no PEM certificate found",
            path.display()
        ));
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let data =
        std::fs::read(path).map_err(|e| format!("cannot read sslkey {}: {e}", path.display()))?;
    rustls_pemfile::private_key(&mut data.as_slice())
        .map_err(|e| format!("sslkey {}: not a PEM private key: {e}", path.display()))?
        .ok_or_else(|| format!("sslkey {}: no PEM private key found", path.display()))
}

/// `prefer` and `require` (without roots): encrypt, but accept any server certificate, as libpq
/// does. The handshake signature is still checked so the session keys are bound to the
/// certificate that was presented (which matters for channel binding).
#[derive(Debug)]
struct AcceptAnyServerCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the full webpki check, except that a name mismatch is accepted. webpki checks
/// the chain (and validity dates) before the name, so reaching the name error means the chain
/// was good.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The `MakeTlsConnect` handed to tokio-postgres.
#[derive(Clone)]
pub struct RustlsConnect(pub Arc<ClientConfig>);

impl<S> MakeTlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsHandshake;
    type Error = io::Error;

    fn make_tls_connect(&mut self, host: &str) -> Result<RustlsHandshake, io::Error> {
        // An IP address becomes an IP server name (checked against IP SANs in verify-full).
        let name = ServerName::try_from(host.to_string()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid TLS server name {host:?}"),
            )
        })?;
        Ok(RustlsHandshake {
            config: self.0.clone(),
            name,
        })
    }
}

pub struct RustlsHandshake {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl<S> TlsConnect<S> for RustlsHandshake
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let tls = tokio_rustls::TlsConnector::from(self.config)
                .connect(self.name, stream)
                .await?;
            Ok(RustlsStream(tls))
        })
    }
}

pub struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        let (_, conn) = self.0.get_ref();
        conn.peer_certificates()
            .and_then(|certs| certs.first())
            .and_then(|cert| tls_server_end_point(cert.as_ref()))
            .map(ChannelBinding::tls_server_end_point)
            .unwrap_or_else(ChannelBinding::none)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// RFC 5929 `tls-server-end-point`: the server certificate hashed with the hash of its signature
/// algorithm (MD5 and SHA-1 upgraded to SHA-256), which is what SCRAM-SHA-256-PLUS binds to.
/// `None` for algorithms without a single hash (Ed25519, RSA-PSS): the client then simply does
/// not use channel binding, like libpq.
fn tls_server_end_point(cert_der: &[u8]) -> Option<Vec<u8>> {
    use aws_lc_rs::digest;
    let algorithm = match signature_algorithm_oid(cert_der)? {
        // sha{1,256}WithRSAEncryption, md5WithRSAEncryption, ecdsa-with-SHA{1,256}
        oid::MD5_RSA | oid::SHA1_RSA | oid::SHA256_RSA | oid::ECDSA_SHA1 | oid::ECDSA_SHA256 => {
            &digest::SHA256
        }
        oid::SHA224_RSA => &digest::SHA224,
        oid::SHA384_RSA | oid::ECDSA_SHA384 => &digest::SHA384,
        oid::SHA512_RSA | oid::ECDSA_SHA512 => &digest::SHA512,
        _ => return None,
    };
    Some(digest::digest(algorithm, cert_der).as_ref().to_vec())
}

/// DER contents of the signature algorithm OIDs we know a hash for.
mod oid {
    pub const MD5_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04];
    pub const SHA1_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
    pub const SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    pub const SHA384_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
    pub const SHA512_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
    pub const SHA224_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e];
    pub const ECDSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
    pub const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    pub const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    pub const ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
}

/// `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, … }, … }`:
/// walks just far enough to return the OID's content bytes.
fn signature_algorithm_oid(der: &[u8]) -> Option<&[u8]> {
    const SEQUENCE: u8 = 0x30;
    const OID: u8 = 0x06;
    let (tag, cert, _) = der_tlv(der)?;
    if tag != SEQUENCE {
        return None;
    }
    let (_, _tbs, rest) = der_tlv(cert)?;
    let (tag, alg, _) = der_tlv(rest)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, oid, _) = der_tlv(alg)?;
    (tag == OID).then_some(oid)
}

/// One DER tag-length-value: (tag, contents, what follows).
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_point_hash_follows_the_signature_algorithm() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["db.example".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der().as_ref();
        assert_eq!(signature_algorithm_oid(der), Some(oid::ECDSA_SHA384));
        assert_eq!(tls_server_end_point(der).unwrap().len(), 48);

        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["db.example".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert_eq!(tls_server_end_point(cert.der().as_ref()).unwrap().len(), 32);
    }

    #[test]
    fn garbage_certificates_give_no_binding() {
        assert_eq!(tls_server_end_point(&[]), None);
        assert_eq!(tls_server_end_point(&[0x30, 0x85, 1, 2, 3]), None);
        assert_eq!(tls_server_end_point(&[0x30, 0x03, 0x02, 0x01]), None);
    }

    #[test]
    fn disable_needs_no_config_and_half_a_client_cert_is_an_error() {
        let mut s = ConnSettings {
            host: "localhost".into(),
            port: 5432,
            username: "u".into(),
            password: None,
            database: "postgres".into(),
            sslmode: SslMode::Disable,
            sslrootcert: None,
            sslcert: None,
            sslkey: None,
            connect_timeout: std::time::Duration::from_secs(5),
            max_connections: 4,
        };
        assert!(client_config(&s).unwrap().is_none());
        s.sslmode = SslMode::Require;
        assert!(client_config(&s).unwrap().is_some());
        s.sslcert = Some("/nonexistent/client.crt".into());
        assert!(client_config(&s).unwrap_err().contains("together"));
        s.sslkey = Some("/nonexistent/client.key".into());
        assert!(client_config(&s)
            .unwrap_err()
            .contains("cannot read sslcert"));
    }
}
