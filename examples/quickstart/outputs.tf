output "app_oid" {
  description = "The app role's oid: stable across renames."
  value       = dbre_role.app.oid
}

output "app_roles" {
  description = "Names of every role starting with \"app\"."
  value       = data.dbre_roles.app.names
}

output "app_logins" {
  description = "Which of those can log in."
  value       = [for r in data.dbre_roles.app.roles : r.name if r.login]
}

output "reporting_effective_privileges" {
  description = "Per object in schema public of the app database: what reporting can use."
  value = {
    for o in data.dbre_privileges.reporting.objects :
    "${o.object_type} ${o.name}" => o.effective_privileges
  }
}
