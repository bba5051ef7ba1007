//! sslmode semantics against a real PostgreSQL with TLS on, certificates made here with rcgen:
//! a P-384 CA signs the server certificate (for `localhost` only) and a client certificate.

mod support;

use std::path::PathBuf;

use dbre_provider::pg::{PgError, Pools, Server, SslMode};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use support::{Options, TestPg, TlsFiles};

struct Pki {
    ca_pem: String,
    server_cert_pem: String,
    server_key_pem: String,
    client_cert_pem: String,
    client_key_pem: String,
}

fn make_pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "dbre test CA");
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut server_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, "certuser");
    let client_cert = client_params.signed_by(&client_key, &ca).unwrap();

    Pki {
        ca_pem: ca.pem(),
        server_cert_pem: server_cert.pem(),
        server_key_pem: server_key.serialize_pem(),
        client_cert_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn uses_tls(server: &Server) -> Result<bool, PgError> {
    let c = server.maintenance().await?;
    let row = c
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| PgError::query("reading pg_stat_ssl", &e))?;
    Ok(row.get(0))
}

#[tokio::test]
async fn sslmodes_behave_like_libpq() {
    let pki = make_pki();
    let pg = TestPg::start_with(Options {
        tls: Some(TlsFiles {
            cert_pem: pki.server_cert_pem.clone(),
            key_pem: pki.server_key_pem.clone(),
            client_ca_pem: Some(pki.ca_pem.clone()),
        }),
        hba_first: vec!["hostssl all certuser 127.0.0.1/32 cert".to_string()],
    });
    pg.psql_super("postgres", "CREATE ROLE certuser LOGIN");
    let files = tempfile::tempdir().unwrap();
    let ca = write(&files, "ca.crt", &pki.ca_pem);
    let wrong_ca = write(&files, "wrong-ca.crt", &make_pki().ca_pem);
    let pools = Pools::new();
    let with = |mode: SslMode, host: &str, root: Option<&PathBuf>| {
        let mut s = pg.superuser();
        s.sslmode = mode;
        s.host = host.to_string();
        s.sslrootcert = root.cloned();
        Server::new(&pools, s)
    };

    // disable: plain. prefer / require: TLS without checking the certificate. A password login
    // over TLS also proves the SCRAM-SHA-256-PLUS channel binding hash (SHA-384 here) is right.
    assert!(!uses_tls(&with(SslMode::Disable, "127.0.0.1", None))
        .await
        .unwrap());
    assert!(uses_tls(&with(SslMode::Prefer, "127.0.0.1", None))
        .await
        .unwrap());
    assert!(uses_tls(&with(SslMode::Require, "127.0.0.1", None))
        .await
        .unwrap());

    // verify-ca: the chain must be right, the name need not be (cert is for localhost only).
    assert!(uses_tls(&with(SslMode::VerifyCa, "127.0.0.1", Some(&ca)))
        .await
        .unwrap());
    let err = uses_tls(&with(SslMode::VerifyCa, "127.0.0.1", Some(&wrong_ca)))
        .await
        .unwrap_err();
    println!("verify-ca, wrong CA: {err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    // require with a root certificate checks the chain, like libpq.
    assert!(
        uses_tls(&with(SslMode::Require, "127.0.0.1", Some(&wrong_ca)))
            .await
            .is_err()
    );

    // verify-full: chain and name.
    assert!(uses_tls(&with(SslMode::VerifyFull, "localhost", Some(&ca)))
        .await
        .unwrap());
    let err = uses_tls(&with(SslMode::VerifyFull, "127.0.0.1", Some(&ca)))
        .await
        .unwrap_err();
    println!("verify-full, wrong name: {err}");
    assert!(err.to_string().contains("not valid for name"), "{err}");

    // A client certificate authenticates `certuser` (pg_hba: cert), no password.
    let mut s = pg.settings("certuser", "");
    s.password = None;
    s.sslmode = SslMode::VerifyFull;
    s.host = "localhost".into();
    s.sslrootcert = Some(ca.clone());
    s.sslcert = Some(write(&files, "client.crt", &pki.client_cert_pem));
    s.sslkey = Some(write(&files, "client.key", &pki.client_key_pem));
    let info = Server::new(&pools, s.clone()).check().await.unwrap();
    assert_eq!(info.current_user, "certuser");
    s.sslcert = None;
    s.sslkey = None;
    assert!(Server::new(&pools, s).check().await.is_err());

    // A missing root certificate file is a clear connect error.
    let err = with(
        SslMode::VerifyFull,
        "localhost",
        Some(&files.path().join("nope.crt")),
    )
    .check()
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cannot read sslrootcert"), "{err}");
}

#[tokio::test]
async fn prefer_falls_back_to_plain_and_require_refuses_a_server_without_tls() {
    let pg = TestPg::start();
    let pools = Pools::new();
    let mut s = pg.superuser();
    s.sslmode = SslMode::Prefer;
    assert!(!uses_tls(&Server::new(&pools, s.clone())).await.unwrap());
    s.sslmode = SslMode::Require;
    let err = Server::new(&pools, s).check().await.unwrap_err();
    assert!(err.to_string().contains("TLS"), "{err}");
}
