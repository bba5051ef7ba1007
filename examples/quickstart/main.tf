# Quick start: a few PostgreSQL roles managed by dbre, and what they may do.
#
# The connection comes from variables; every one left unset falls back to libpq's environment
# variable (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE), so
#   export PGHOST=... PGUSER=... PGPASSWORD=...
#   export TF_VAR_app_password="$(openssl rand -base64 24)"
#   terraform init && terraform apply
# works as well as a terraform.tfvars file. scripts/run-example.sh runs exactly this against a
# throwaway PostgreSQL.

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

# A group role: owns the application's objects, nobody logs in as it.
resource "dbre_role" "app_owner" {
  name    = "app_owner"
  comment = "Owns the application's schema objects."
}

# The application's login. Its password is write-only: Terraform passes it to the server and
# forgets it (it is never stored in state or plan). Bump password_version to rotate it in place.
resource "dbre_role" "app" {
  name                = "app"
  login               = true
  connection_limit    = 20
  password_wo         = var.app_password
  password_wo_version = var.app_password_version
  comment             = "The application's runtime login."
}

# A read-only reporting login that expires, e.g. for a contractor.
resource "dbre_role" "reporting" {
  name             = "reporting"
  login            = true
  connection_limit = 2
  valid_until      = "2030-01-01T00:00:00Z"
}

# A Microsoft Entra-style principal name: any legal role name works, `@` and `.` included.
# Whatever it owns at destroy time is handed to app_owner in every database.
resource "dbre_role" "entra_admin" {
  name                  = "dba@contoso.com"
  create_database       = true
  create_role           = true
  on_delete_reassign_to = dbre_role.app_owner.name
}

# reporting may read every table in schema public of the app database — tables created later
# included: they show as drift in the next plan until an apply grants them. The resource owns
# exactly these privileges of reporting on those tables: anything else granted to it there by
# hand (INSERT, say) is drift too, and revoked.
resource "dbre_grant" "reporting_reads" {
  database    = var.app_database
  role        = dbre_role.reporting.name
  object_type = "table"
  schema      = "public"
  objects     = [] # every table in the schema, now and later
  privileges  = ["SELECT"]
}

# app may run the functions of schema public. Destroying this revokes exactly EXECUTE from app
# (PUBLIC keeps its built-in EXECUTE unless a grant for role "PUBLIC" with privileges = []
# takes it away).
resource "dbre_grant" "app_functions" {
  database    = var.app_database
  role        = dbre_role.app.name
  object_type = "function"
  schema      = "public"
  privileges  = ["EXECUTE"]
}

# A group for read access; reporting gets it through membership, not grants of its own.
resource "dbre_role" "readers" {
  name    = "readers"
  comment = "Read access to the application's data."
}

resource "dbre_role_membership" "reporting_reads" {
  role   = dbre_role.readers.name
  member = dbre_role.reporting.name
}

# Tables app_owner creates from now on in schema public are readable by readers: no drift
# window between "table created" and "next apply grants it". (The admin needs no membership in
# app_owner: dbre borrows it for the change and gives it back.)
resource "dbre_default_privileges" "readers_future_tables" {
  database    = var.app_database
  owner       = dbre_role.app_owner.name
  role        = dbre_role.readers.name
  schema      = "public"
  object_type = "table"
  privileges  = ["SELECT"]
}

# An auditor whose privileges in the app database are exactly these blocks — one resource
# instead of one per object type and schema. Anything else granted to it there by hand shows
# in the next plan as a block to remove, and the apply revokes it.
resource "dbre_role" "auditor" {
  name = "auditor"
}

resource "dbre_role_privileges" "auditor" {
  database = var.app_database
  role     = dbre_role.auditor.name

  grant {
    object_type = "schema"
    objects     = ["public"]
    privileges  = ["USAGE"]
  }
  grant {
    object_type = "table"
    schema      = "public" # every table in public, now and later
    privileges  = ["SELECT"]
  }
}

# What reporting can actually use in the app database: its own grants, its groups' (readers)
# and PUBLIC's — for audits and for modules.
data "dbre_privileges" "reporting" {
  database   = var.app_database
  role       = dbre_role.reporting.name
  schemas    = ["public"]
  depends_on = [dbre_grant.reporting_reads, dbre_role_membership.reporting_reads]
}

# Every role whose name starts with "app", managed by this configuration or not.
data "dbre_roles" "app" {
  like       = "app%"
  depends_on = [dbre_role.app_owner, dbre_role.app]
}
