//! The end-to-end harness: a throwaway PostgreSQL 15, the freshly built provider in an offline
//! filesystem mirror, and the real `terraform` CLI in temporary working directories.
//!
//! ```no_run
//! use dbre_e2e::{PgServer, TfWorkspace};
//! # fn main() -> anyhow::Result<()> {
//! let pg = PgServer::start()?;
//! let admin = pg.create_admin("dbadmin", "s3cret")?; // CREATEROLE CREATEDB, not superuser
//! let mut tf = TfWorkspace::with_provider()?;
//! tf.set_pg_env(&admin);
//! tf.write_config(&format!("{}\nresource \"dbre_role\" \"app\" {{ name = \"app\" }}\n",
//!     dbre_e2e::required_providers_hcl()))?;
//! tf.init()?;
//! tf.apply(&[])?;
//! tf.assert_no_changes()?;
//! assert_eq!(pg.scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'app'")?.as_deref(), Some("1"));
//! # Ok(()) }
//! ```
//!
//! Missing prerequisites (terraform, PostgreSQL 15 binaries, a built provider) are errors with a
//! message saying what to install or run: tests fail, they never skip.

pub mod binaries;
pub mod pg;
pub mod process;
pub mod sql;
pub mod terraform;
pub mod tls;

pub use binaries::{dbre_binary, provider_binary, target_bin_dir, workspace_root};
pub use pg::{sqlstate, ConnInfo, Connection, LogMark, PgBuilder, PgServer};
pub use process::Output;
pub use sql::{hcl_string, quote_ident, quote_literal};
pub use terraform::{required_providers_hcl, terraform_binary, TfWorkspace};
pub use tls::TlsFiles;
