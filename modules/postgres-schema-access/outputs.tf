output "read_role" {
  description = "Name of the read group role (<prefix>read)."
  value       = local.roles.read
}

output "write_role" {
  description = "Name of the write group role (<prefix>write)."
  value       = local.roles.write
}

output "granted" {
  description = "Per group role (read, write): its name, its privileges in the schema per object type (schema, table, sequence, routine = functions and procedures) — on existing objects and, FOR each owner in default_privileges_for, on objects created later — and its members."
  value = {
    for kind, types in local.granted : kind => {
      role       = dbre_role_privileges.group[kind].role
      privileges = types
      default_privileges_for = distinct([
        for key, d in dbre_default_privileges.group : d.owner
        if local.default_privileges[key].kind == kind
      ])
      members = [
        for key, m in dbre_role_membership.group : m.member
        if local.memberships[key].kind == kind
      ]
    }
  }
}
