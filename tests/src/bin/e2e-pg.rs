//! `e2e-pg`: a throwaway PostgreSQL 15 for scripts (scripts/run-example.sh), the same one the
//! tests use. Starts the server, writes `export PG...=` lines, then waits for SIGINT/SIGTERM and
//! stops the server, deleting its files.
//!
//! Usage: e2e-pg [--env-file PATH] [--admin NAME] [--database NAME]
//!   --env-file PATH  write the variables to PATH (atomically, so a script can wait for the file)
//!                    instead of stdout
//!   --admin NAME     create a non-superuser admin (LOGIN CREATEROLE CREATEDB, like managed
//!                    services) with a random password and export its credentials instead of the
//!                    superuser's
//!   --database NAME  create a database owned by that login (as a managed service's admin
//!                    would), e.g. for the quickstart's grants on schema public

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use dbre_e2e::PgServer;

fn main() {
    if let Err(err) = run() {
        eprintln!("e2e-pg: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let mut env_file: Option<PathBuf> = None;
    let mut admin: Option<String> = None;
    let mut database: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--env-file" => env_file = Some(args.next().context("--env-file needs a path")?.into()),
            "--admin" => admin = Some(args.next().context("--admin needs a role name")?),
            "--database" => database = Some(args.next().context("--database needs a name")?),
            "-h" | "--help" => {
                println!("usage: e2e-pg [--env-file PATH] [--admin NAME] [--database NAME]");
                return Ok(());
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }

    let pg = PgServer::start()?;
    let conn = match admin {
        Some(name) => {
            let password = format!("pw-{}", pg.superuser_password());
            pg.create_admin(&name, &password)?
        }
        None => pg.superuser(),
    };
    if let Some(name) = &database {
        conn.execute(&format!("CREATE DATABASE {}", dbre_e2e::quote_ident(name)))
            .with_context(|| format!("creating database {name:?} as {}", conn.user))?;
    }
    let mut text = String::new();
    for (key, value) in conn.env() {
        text.push_str(&format!("export {key}={}\n", shell_quote(&value)));
    }
    match env_file {
        Some(path) => {
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, &text)?;
            std::fs::rename(&tmp, &path)?;
        }
        None => print!("{text}"),
    }
    eprintln!(
        "e2e-pg: PostgreSQL listening on 127.0.0.1:{} as {}; stop with SIGINT or SIGTERM",
        pg.port(),
        conn.user
    );

    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = signal(SignalKind::terminate())?;
            let mut int = signal(SignalKind::interrupt())?;
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            anyhow::Ok(())
        })?;
    drop(pg);
    Ok(())
}

fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}
