//! PostgreSQL engine layer: connection settings, pooled connections, identifier and literal
//! quoting, catalog reads and SQL building. Knows nothing of Terraform.

pub mod settings;
