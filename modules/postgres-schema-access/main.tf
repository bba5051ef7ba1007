# Access to one schema through two NOLOGIN group roles, <prefix>read and <prefix>write:
#   - objects that exist now: dbre_role_privileges, one per group role (authoritative: the
#     group roles are this module's, so whatever else they hold in the database is drift);
#   - objects the owners create later: dbre_default_privileges FOR each owner IN this schema,
#     per object type and group role, so a new table is usable at once, with no further apply,
#     and the next plan still says "No changes";
#   - people and applications: dbre_role_membership into the group roles.
# README.md explains the choices.

locals {
  prefix = coalesce(var.role_prefix, "${var.schema}_")
  role_names = {
    read  = "${local.prefix}read"
    write = "${local.prefix}write"
  }
  # What the module names, whether it created the roles or found them.
  roles = {
    for kind, name in local.role_names :
    kind => var.create_roles ? dbre_role.group[kind].name : name
  }

  execute = {
    read  = var.execute_functions == "read_and_write"
    write = var.execute_functions != "none"
  }

  # Privileges per group role and object type ("routine" = functions and procedures). One
  # table drives the grants on existing objects, the default privileges and the output.
  granted = {
    for kind in ["read", "write"] : kind => merge(
      {
        schema = ["USAGE"]
        table = kind == "read" ? ["SELECT"] : concat(
          ["SELECT", "INSERT", "UPDATE", "DELETE"],
          var.write_truncate ? ["TRUNCATE"] : [],
        )
        sequence = kind == "read" ? ["SELECT"] : ["USAGE", "SELECT", "UPDATE"]
      },
      local.execute[kind] ? { routine = ["EXECUTE"] } : {},
      var.grant_connect ? { database = ["CONNECT"] } : {},
    )
  }

  # Object types that live in the schema (the rest are the schema and the database themselves).
  in_schema = ["table", "sequence", "routine"]

  # ALTER DEFAULT PRIVILEGES names functions and procedures together as FUNCTIONS.
  default_privileges_type = {
    table    = "table"
    sequence = "sequence"
    routine  = "function"
  }

  # "<kind> <object type> <owner>" => one dbre_default_privileges.
  default_privileges = merge([
    for kind, types in local.granted : {
      for pair in setproduct([for t in keys(types) : t if contains(local.in_schema, t)], var.owners) :
      "${kind} ${pair[0]} ${pair[1]}" => {
        kind        = kind
        object_type = local.default_privileges_type[pair[0]]
        owner       = pair[1]
        privileges  = types[pair[0]]
      }
    }
  ]...)

  memberships = merge(
    { for m in var.readers : "read ${m}" => { kind = "read", member = m } },
    { for m in var.writers : "write ${m}" => { kind = "write", member = m } },
  )
}

resource "dbre_role" "group" {
  for_each = var.create_roles ? local.role_names : {}

  name    = each.value
  comment = "${each.key == "read" ? "Read" : "Read-write"} access to schema ${var.schema} of database ${var.database} (module postgres-schema-access)."
}

# Existing objects (and objects someone other than the owners creates later: they show in the
# next plan and that apply grants them).
resource "dbre_role_privileges" "group" {
  for_each = local.granted

  database = var.database
  role     = local.roles[each.key]

  grant {
    object_type = "schema"
    objects     = [var.schema]
    privileges  = each.value.schema
  }

  dynamic "grant" {
    for_each = { for t, p in each.value : t => p if t == "database" }
    content {
      object_type = "database" # objects left out: var.database itself
      privileges  = grant.value
    }
  }

  dynamic "grant" {
    for_each = { for t, p in each.value : t => p if contains(local.in_schema, t) }
    content {
      object_type = grant.key
      schema      = var.schema # objects left out: every object of the type in the schema
      privileges  = grant.value
    }
  }
}

# Future objects: what each owner creates in the schema from now on.
resource "dbre_default_privileges" "group" {
  for_each = local.default_privileges

  database    = var.database
  owner       = each.value.owner
  role        = local.roles[each.value.kind]
  schema      = var.schema
  object_type = each.value.object_type
  privileges  = each.value.privileges
}

resource "dbre_role_membership" "group" {
  for_each = local.memberships

  role   = local.roles[each.value.kind]
  member = each.value.member
}
