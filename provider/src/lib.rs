//! terraform-provider-dbre: a Terraform provider (plugin protocol 5) for what lives inside and
//! around a database server.
//!
//! The layers, each knowing only the one below it:
//! - [`plugin`]: go-plugin handshake, mTLS and the gRPC services. Knows nothing of databases.
//! - [`tf`]: cty values, msgpack, schema, diagnostics with paths, plan helpers, and the
//!   `tfplugin5.Provider` service that runs resources declared with them.
//! - [`pg`]: pooled PostgreSQL connections, catalog reads, SQL building.
//! - [`resources`]: one file per resource or data source, mapping schema to engine calls.

pub mod pg;
pub mod plugin;
pub mod resources;
pub mod tf;
