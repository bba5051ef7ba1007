output "read_role" {
  description = "The read group role."
  value       = module.app_public.read_role
}

output "write_role" {
  description = "The write group role."
  value       = module.app_public.write_role
}

output "granted" {
  description = "What each group role got, and who its members are."
  value       = module.app_public.granted
}
