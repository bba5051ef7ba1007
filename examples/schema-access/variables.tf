# Connection settings. null (the default) means: use libpq's environment variable.

variable "pg_host" {
  description = "PostgreSQL host (null: PGHOST, then 127.0.0.1)."
  type        = string
  default     = null
}

variable "pg_port" {
  description = "PostgreSQL port (null: PGPORT, then 5432)."
  type        = number
  default     = null
}

variable "pg_username" {
  description = "Admin role to connect as; CREATEROLE is enough (null: PGUSER, then postgres)."
  type        = string
  default     = null
}

variable "pg_password" {
  description = "The admin's password (null: PGPASSWORD)."
  type        = string
  default     = null
  sensitive   = true
}

variable "pg_database" {
  description = "Maintenance database (null: PGDATABASE, then postgres)."
  type        = string
  default     = null
}

variable "pg_sslmode" {
  description = "disable, prefer, require, verify-ca or verify-full (null: PGSSLMODE, then prefer)."
  type        = string
  default     = null
}

variable "app_database" {
  description = "The database whose objects the grants cover. Its schema public belongs to the database owner: connect as that owner, a role it may act for, or a superuser."
  type        = string
  default     = "postgres"
}

# The application's password: ephemeral, so Terraform keeps it in neither plan nor state.
variable "app_password" {
  description = "Password for the app login (e.g. TF_VAR_app_password from your secret store)."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "app_password_version" {
  description = "Bump to rotate app's password in place (write-only values are never compared)."
  type        = number
  default     = 1
}
