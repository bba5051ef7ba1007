//! The harness checks itself: a real PostgreSQL starts and enforces passwords, the managed-service
//! style admin is not a superuser, and Terraform runs offline through the workspace plumbing.

use dbre_e2e::{quote_ident, sqlstate, PgServer, TfWorkspace};

#[test]
fn postgres_15_starts_and_answers() -> anyhow::Result<()> {
    let pg = PgServer::start()?;
    let version = pg.scalar("SHOW server_version_num")?.unwrap_or_default();
    assert!(version.starts_with("15"), "server_version_num = {version}");
    assert_eq!(pg.scalar("SHOW log_connections")?.as_deref(), Some("on"));
    assert_eq!(
        pg.scalar("SHOW password_encryption")?.as_deref(),
        Some("scram-sha-256")
    );
    assert!(pg
        .socket_dir()
        .join(format!(".s.PGSQL.{}", pg.port()))
        .exists());
    Ok(())
}

#[test]
fn wrong_password_is_refused() -> anyhow::Result<()> {
    let pg = PgServer::start()?;
    let mut wrong = pg.superuser();
    wrong.password = "not-the-password".into();
    let err = wrong.check_login().unwrap_err();
    assert_eq!(sqlstate(&err).as_deref(), Some("28P01"), "{err:#}");
    Ok(())
}

#[test]
fn connections_are_counted_from_the_server_log() -> anyhow::Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("counter", "pw-counter")?;
    let mark = pg.log_mark();
    admin.check_login()?;
    admin.check_login()?;
    pg.execute("SELECT 1")?;
    let seen = pg.connections_since(mark);
    let by_admin = seen.iter().filter(|c| c.user == "counter").count();
    assert_eq!(by_admin, 2, "{seen:?}");
    assert_eq!(seen.len(), 3, "{seen:?}");
    // All three came from the harness itself, so none counts as a client connection.
    assert!(pg.client_connections_since(mark).is_empty());
    Ok(())
}

#[test]
fn managed_style_admin_can_create_roles_but_not_superusers() -> anyhow::Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin pw with 'quotes'")?;
    admin.check_login()?;
    assert_eq!(
        admin.scalar("SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user")?,
        Some("false".into())
    );

    admin.execute(&format!(
        "CREATE ROLE {} LOGIN",
        quote_ident("app@contoso.com")
    ))?;
    admin.execute("CREATE DATABASE appdb")?;
    let err = admin.execute("CREATE ROLE boss SUPERUSER").unwrap_err();
    assert_eq!(sqlstate(&err).as_deref(), Some("42501"), "{err:#}");

    let names =
        pg.psql("SELECT rolname FROM pg_roles WHERE rolname IN ('app@contoso.com', 'boss')")?;
    assert_eq!(names, vec![vec![Some("app@contoso.com".to_string())]]);
    Ok(())
}

#[test]
fn create_database_returns_a_connection_to_it() -> anyhow::Result<()> {
    let pg = PgServer::start()?;
    let db = pg.create_database("odd \"name\"")?;
    assert_eq!(
        db.scalar("SELECT current_database()")?.as_deref(),
        Some("odd \"name\"")
    );
    let rows = db.query("SELECT $1::int + 1", &[&41i32])?;
    assert_eq!(rows[0].get::<_, i32>(0), 42);
    Ok(())
}

#[test]
fn terraform_data_lifecycle_runs_offline() -> anyhow::Result<()> {
    let mut tf = TfWorkspace::new()?;
    tf.set_parallelism(4);
    tf.write_config(
        r#"
resource "terraform_data" "greeting" {
  input = "hello"
}

output "greeting" {
  value = terraform_data.greeting.output
}
"#,
    )?;
    tf.init()?;
    assert_eq!(tf.plan_detailed_exitcode(&[])?, 2);
    tf.apply(&[])?;
    tf.assert_no_changes()?;

    let state = tf.show_json()?;
    let resources = &state["values"]["root_module"]["resources"];
    assert_eq!(resources[0]["address"], "terraform_data.greeting");
    assert_eq!(tf.output_json()?["greeting"]["value"], "hello");

    tf.write_config("resource \"terraform_data\" \"greeting\" {\n  input = \"bye\"\n}\n")?;
    let plan = tf.assert_changes()?;
    assert!(plan.stdout.contains("will be updated in-place"), "{plan}");

    tf.destroy(&[])?;
    assert!(tf.state_list()?.is_empty());
    Ok(())
}

#[test]
fn invalid_configuration_fails_with_terraforms_diagnostic() -> anyhow::Result<()> {
    let tf = TfWorkspace::new()?;
    tf.write_config("resource \"terraform_data\" \"x\" {\n  no_such_argument = 1\n}\n")?;
    tf.init()?;
    let out = tf.plan_expect_failure(&[])?;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("Unsupported argument"), "{out}");
    Ok(())
}

#[test]
fn plan_out_and_show_plan_json() -> anyhow::Result<()> {
    let tf = TfWorkspace::new()?;
    tf.write_config("resource \"terraform_data\" \"x\" {\n  input = 1\n}\n")?;
    tf.init()?;
    tf.plan_out("tfplan", &[])?;
    let plan = tf.show_plan_json("tfplan")?;
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"][0],
        "create"
    );
    Ok(())
}

#[test]
fn provider_installs_from_the_filesystem_mirror_offline() -> anyhow::Result<()> {
    // init only unpacks and hashes the binary; it does not start it, so this needs the provider
    // built but not yet speaking the protocol.
    let tf = TfWorkspace::with_provider()?;
    tf.write_config(&dbre_e2e::required_providers_hcl())?;
    let out = tf.init()?;
    assert!(out.stdout.contains("Installing dbre/dbre v0.1.0"), "{out}");
    let lock = std::fs::read_to_string(tf.dir().join(".terraform.lock.hcl"))?;
    assert!(lock.contains("registry.terraform.io/dbre/dbre"), "{lock}");
    Ok(())
}

#[test]
fn e2e_pg_binary_serves_until_sigterm_then_cleans_up() -> anyhow::Result<()> {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir()?;
    let env_file = dir.path().join("pg.env");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_e2e-pg"))
        .arg("--env-file")
        .arg(&env_file)
        .args(["--admin", "script_admin"])
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !env_file.exists() {
        assert!(child.try_wait()?.is_none(), "e2e-pg exited early");
        assert!(
            Instant::now() < deadline,
            "e2e-pg did not write {env_file:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(&env_file)?;
    let var = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(|v| v.trim_matches('\'').to_string())
            .unwrap_or_default()
    };
    let conn = dbre_e2e::ConnInfo {
        host: var("PGHOST"),
        port: var("PGPORT").parse()?,
        user: var("PGUSER"),
        password: var("PGPASSWORD"),
        database: var("PGDATABASE"),
    };
    assert_eq!(conn.user, "script_admin");
    assert_eq!(
        conn.scalar(
            "SELECT rolcreaterole AND NOT rolsuper FROM pg_roles WHERE rolname = current_user"
        )?
        .as_deref(),
        Some("t")
    );

    // SAFETY: plain syscall on our own child's pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait()?;
    assert!(status.success(), "e2e-pg exited with {status}");
    assert!(
        conn.check_login().is_err(),
        "server still answers after SIGTERM"
    );
    Ok(())
}

/// psql (the libpq client) as an independent check that the TLS setup is what a strict client
/// accepts: `verify-full` against the throwaway CA, over TCP to 127.0.0.1.
fn psql_over_tls(pg: &PgServer, sslmode: &str) -> std::process::Output {
    let ca = pg
        .ca_cert()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    std::process::Command::new("psql")
        .arg(format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode={sslmode} sslrootcert={ca}",
            pg.port()
        ))
        .args(["-tAc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"])
        .env("PGPASSWORD", pg.superuser_password())
        .output()
        .expect("psql runs")
}

#[test]
fn tls_server_passes_verify_full_and_can_refuse_plaintext() -> anyhow::Result<()> {
    let pg = PgServer::builder().require_tls().start()?;
    assert_eq!(
        pg.scalar("SHOW ssl").ok(),
        None,
        "plaintext TCP must be refused"
    );
    let out = psql_over_tls(&pg, "verify-full");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "t");

    let lenient = PgServer::builder()
        .tls()
        .setting("max_connections", "20")
        .start()?;
    assert_eq!(
        lenient.scalar("SHOW max_connections")?.as_deref(),
        Some("20")
    );
    assert_eq!(lenient.scalar("SHOW ssl")?.as_deref(), Some("on"));
    Ok(())
}
