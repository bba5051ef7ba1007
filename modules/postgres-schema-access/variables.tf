variable "database" {
  description = "The database the schema lives in."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.database) > 0
    error_message = "database must name a database; it is empty."
  }
}

variable "schema" {
  description = "The schema whose objects the group roles may use. It must exist."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.schema) > 0 && length(var.schema) <= 63
    error_message = "schema must be 1 to 63 characters long."
  }
  validation {
    condition     = !startswith(lower(var.schema), "pg_") && lower(var.schema) != "information_schema"
    error_message = "schema must not be a system schema (pg_* or information_schema): their privileges belong to PostgreSQL."
  }
}

variable "owners" {
  description = "The roles that create objects in the schema (migrations, the application's owner role). Default privileges are set FOR each of them, so the objects they create later are covered without another apply."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.owners) > 0
    error_message = "owners must name at least one role: without an owner no default privileges can be set, and objects created after apply would not be covered."
  }
  validation {
    condition     = alltrue([for o in var.owners : length(o) > 0 && upper(o) != "PUBLIC"])
    error_message = "owners must be role names: no empty strings, and not PUBLIC (PUBLIC owns nothing)."
  }
  validation {
    condition     = length(distinct(var.owners)) == length(var.owners)
    error_message = "owners lists a role twice."
  }
}

variable "readers" {
  description = "Existing roles to make members of the read group role (names exactly as in PostgreSQL)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for r in var.readers : length(r) > 0 && upper(r) != "PUBLIC"])
    error_message = "readers must be role names: no empty strings, and not PUBLIC (PUBLIC cannot be a member of a role)."
  }
  validation {
    condition     = length(distinct(var.readers)) == length(var.readers)
    error_message = "readers lists a role twice."
  }
}

variable "writers" {
  description = "Existing roles to make members of the write group role (names exactly as in PostgreSQL)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for w in var.writers : length(w) > 0 && upper(w) != "PUBLIC"])
    error_message = "writers must be role names: no empty strings, and not PUBLIC (PUBLIC cannot be a member of a role)."
  }
  validation {
    condition     = length(distinct(var.writers)) == length(var.writers)
    error_message = "writers lists a role twice."
  }
}

variable "role_prefix" {
  description = "Prefix of the group roles' names: <prefix>read and <prefix>write. null (the default) means \"<schema>_\"."
  type        = string
  default     = null

  validation {
    condition     = var.role_prefix != ""
    error_message = "role_prefix must not be empty: \"read\" and \"write\" alone are too generic for roles shared by a whole server (leave it null for \"<schema>_\")."
  }
  validation {
    # PostgreSQL truncates longer names silently: two schemas could end up sharing one role.
    condition     = length("${coalesce(var.role_prefix, "${var.schema}_")}write") <= 63
    error_message = "The group role names (<role_prefix>read, <role_prefix>write) must be at most 63 characters: choose a shorter role_prefix."
  }
}

variable "create_roles" {
  description = "true: the module creates the NOLOGIN group roles. false: they exist already (made elsewhere) and the module only manages their privileges and memberships."
  type        = bool
  default     = true
  nullable    = false
}

variable "grant_connect" {
  description = "Also give both group roles CONNECT on the database: needed where PUBLIC's CONNECT has been revoked (hardened databases). The login granting it must own the database or be able to act for its owner."
  type        = bool
  default     = false
  nullable    = false
}

variable "write_truncate" {
  description = "Also give the write role TRUNCATE on tables. Off by default: TRUNCATE skips DELETE triggers and row-level security and takes an ACCESS EXCLUSIVE lock."
  type        = bool
  default     = false
  nullable    = false
}

variable "execute_functions" {
  description = "Who gets EXECUTE on the schema's functions and procedures: \"none\", \"write\" (the default) or \"read_and_write\"."
  type        = string
  default     = "write"
  nullable    = false

  validation {
    condition     = contains(["none", "write", "read_and_write"], var.execute_functions)
    error_message = "execute_functions must be \"none\", \"write\" or \"read_and_write\"."
  }
}
