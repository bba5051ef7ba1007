# Schema access the way platform teams hand it out: two group roles for schema public of the
# app database — app_read and app_write — that cover the tables, sequences and functions there
# now AND the ones app_owner creates later, with people and applications made members.
# One module call instead of a grant, a set of default privileges and a membership per object
# type, owner and role.
#
# Connection: variables, each falling back to libpq's environment variable (PGHOST, PGUSER, ...)
# as in examples/quickstart.
#   export PGHOST=... PGUSER=... PGPASSWORD=...
#   export TF_VAR_app_password="$(openssl rand -base64 24)"
#   terraform init && terraform apply
# scripts/run-example.sh examples/schema-access runs exactly this against a throwaway PostgreSQL.

terraform {
  required_version = ">= 1.11"
  required_providers {
    dbre = {
      source  = "dbre/dbre"
      version = "0.1.0"
    }
  }
}

provider "dbre" {
  postgres {
    host     = var.pg_host
    port     = var.pg_port
    username = var.pg_username
    password = var.pg_password
    database = var.pg_database
    sslmode  = var.pg_sslmode
  }
}

# Owns the application's tables: its migrations run as this role (SET ROLE app_owner).
resource "dbre_role" "app_owner" {
  name    = "app_owner"
  comment = "Owns the application's schema objects."
}

# The application's runtime login: reads and writes data, owns nothing.
resource "dbre_role" "app" {
  name                = "app"
  login               = true
  connection_limit    = 20
  password_wo         = var.app_password
  password_wo_version = var.app_password_version
}

# A reporting login that reads only, and expires (the policy check wants logins to expire or
# to have a write-only password).
resource "dbre_role" "reporting" {
  name             = "reporting"
  login            = true
  connection_limit = 2
  valid_until      = "2030-01-01T00:00:00Z"
}

module "app_public" {
  source = "../../modules/postgres-schema-access"

  database    = var.app_database
  schema      = "public"
  role_prefix = "app_"                     # app_read, app_write
  owners      = [dbre_role.app_owner.name] # whose future objects are covered
  readers     = [dbre_role.reporting.name]
  writers     = [dbre_role.app.name]
}
