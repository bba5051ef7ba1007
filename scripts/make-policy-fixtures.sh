#!/usr/bin/env bash
# Regenerates the real Terraform plans under policy/tests/data/plans/terraform_data/ with the real
# terraform CLI and the built-in terraform_data resource (no provider download, works offline).
#
# Each scenario is a directory of configurations applied in order; the plan of the LAST one is
# written as JSON (so deletes, replaces, moves and forgets are real). Usage:
#   scripts/make-policy-fixtures.sh            # all scenarios
#   TERRAFORM=/path/to/terraform scripts/make-policy-fixtures.sh
# The output is normalised (no timestamp, numbered ids) so that re-running it gives no diff.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/policy/tests/data/plans/terraform_data"
tf="${TERRAFORM:-terraform}"
command -v "$tf" >/dev/null || { echo "error: terraform not found (set TERRAFORM)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "error: python3 is needed to normalise the JSON" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
touch "$work/terraformrc"
export TF_CLI_CONFIG_FILE="$work/terraformrc"
mkdir -p "$out"

# A module used by the scenarios: a "database server" with nested "roles" module.
write_modules() {
	local dir="$1"
	mkdir -p "$dir/modules/server" "$dir/modules/server/modules/roles"
	cat >"$dir/modules/server/main.tf" <<'HCL'
variable "name" { type = string }
variable "admin_password" {
  type      = string
  sensitive = true
}
variable "public" { type = bool }
variable "roles" { type = set(string) }

resource "terraform_data" "server" {
  input = {
    kind                          = "postgresql_flexible_server"
    name                          = var.name
    public_network_access_enabled = var.public
    backup_retention_days         = 7
    administrator_password        = var.admin_password
    tags                          = { env = "prod", owner = "dbre" }
  }
}

module "roles" {
  source    = "./modules/roles"
  server_id = terraform_data.server.id
  roles     = var.roles
}

output "id" { value = terraform_data.server.id }
HCL
	cat >"$dir/modules/server/modules/roles/main.tf" <<'HCL'
variable "server_id" { type = string }
variable "roles" { type = set(string) }

resource "terraform_data" "role" {
  for_each = var.roles
  input = {
    kind      = "role"
    name      = each.key
    server_id = var.server_id # unknown until the server exists
    login     = each.key != "readers"
    superuser = each.key == "admin"
  }
}
HCL
}

# Scenario "create": modules (two levels), count, for_each, sensitive and unknown values.
scenario_create() {
	local d="$work/create"
	mkdir -p "$d"
	write_modules "$d"
	cat >"$d/main.tf" <<'HCL'
variable "db_password" {
  type      = string
  sensitive = true
  default   = "fixture-password-not-real"
}

module "primary" {
  source         = "./modules/server"
  name           = "orders-prod"
  admin_password = var.db_password
  public         = true
  roles          = ["admin", "app", "readers"]
}

module "replica" {
  source         = "./modules/server"
  name           = "orders-replica"
  admin_password = var.db_password
  public         = false
  roles          = ["app"]
}

resource "terraform_data" "instance" {
  count = 2
  input = {
    kind                    = "db_instance"
    identifier              = "legacy-${count.index}"
    publicly_accessible     = count.index == 0
    storage_encrypted       = count.index == 1
    backup_retention_period = count.index == 0 ? 1 : 14
    password                = var.db_password
  }
}

resource "terraform_data" "grant" {
  for_each = {
    "app/orders_prod"    = { role = "app", database = "orders_prod", privileges = ["ALL"] }
    "PUBLIC/orders_prod" = { role = "PUBLIC", database = "orders_prod", privileges = ["CONNECT"] }
    "PUBLIC/scratch"     = { role = "PUBLIC", database = "scratch", privileges = ["SELECT", "USAGE"] }
  }
  input = merge(each.value, { kind = "grant", server_id = module.primary.id })
}

resource "terraform_data" "params" {
  input = {
    kind       = "parameter_set"
    parameters = { ssl = "on", log_connections = "off", ssl_min_protocol_version = "TLSv1.2" }
  }
  triggers_replace = [module.primary.id]
}
HCL
	plan_last "$d" "create"
}

# Scenario "changes": apply a first configuration, then plan a second one that deletes, replaces
# (both orders), updates in place, moves, forgets and leaves some resources unchanged.
scenario_changes() {
	local d1="$work/changes1" d2="$work/changes2"
	mkdir -p "$d1" "$d2"
	cat >"$d1/main.tf" <<'HCL'
resource "terraform_data" "role" {
  for_each = toset(["app", "legacy", "reporting"])
  input    = { kind = "role", name = each.key, login = true, valid_until = "2027-01-01" }
}

resource "terraform_data" "failover_group" {
  input            = { kind = "failover_group", mode = "Automatic", grace_minutes = 60 }
  triggers_replace = ["partner-a"]
}

resource "terraform_data" "cbd" {
  input            = { kind = "server", name = "blue" }
  triggers_replace = ["v1"]
  lifecycle { create_before_destroy = true }
}

resource "terraform_data" "old_name" {
  input = { kind = "database", name = "inventory" }
}

resource "terraform_data" "keep_in_cloud" {
  input = { kind = "database", name = "archive" }
}

resource "terraform_data" "unchanged" {
  input = { kind = "database", name = "static" }
}
HCL
	cp "$d1/main.tf" "$d2/main.tf"
	cat >"$d2/main.tf" <<'HCL'
# "legacy" is gone (delete), "reporting" loses login (update).
resource "terraform_data" "role" {
  for_each = {
    app       = { login = true, valid_until = "2027-01-01" }
    reporting = { login = false, valid_until = null }
  }
  input = merge({ kind = "role", name = each.key }, each.value)
}

# New partner: replaced (delete, then create); grace shortened.
resource "terraform_data" "failover_group" {
  input            = { kind = "failover_group", mode = "Automatic", grace_minutes = 30 }
  triggers_replace = ["partner-b"]
}

# Replaced with create_before_destroy (create, then delete).
resource "terraform_data" "cbd" {
  input            = { kind = "server", name = "green" }
  triggers_replace = ["v2"]
  lifecycle { create_before_destroy = true }
}

moved {
  from = terraform_data.old_name
  to   = terraform_data.renamed
}

resource "terraform_data" "renamed" {
  input = { kind = "database", name = "inventory" }
}

removed {
  from = terraform_data.keep_in_cloud
  lifecycle { destroy = false }
}

resource "terraform_data" "unchanged" {
  input = { kind = "database", name = "static" }
}

# A new resource whose value is only known after apply.
resource "terraform_data" "late" {
  input = { kind = "role", name = "late", valid_until = terraform_data.cbd.id }
}
HCL
	apply "$d1"
	cp "$d1/terraform.tfstate" "$d2/terraform.tfstate"
	plan_last "$d2" "changes"
}

# Scenario "destroy": a destroy plan of the create scenario's first config.
scenario_destroy() {
	local d="$work/destroy"
	mkdir -p "$d"
	cat >"$d/main.tf" <<'HCL'
resource "terraform_data" "role" {
  count = 2
  input = { kind = "role", name = "r${count.index}", superuser = count.index == 1 }
}
HCL
	apply "$d"
	(cd "$d" && "$tf" plan -destroy -out=plan.bin >/dev/null && "$tf" show -json plan.bin >plan.json)
	normalise "$d/plan.json" "$out/destroy.json"
}

apply() {
	(cd "$1" && "$tf" init -no-color >/dev/null && "$tf" apply -auto-approve -no-color >/dev/null)
}

plan_last() {
	local d="$1" name="$2"
	(cd "$d" && "$tf" init -no-color >/dev/null && "$tf" plan -no-color -out=plan.bin >/dev/null && "$tf" show -json plan.bin >plan.json)
	normalise "$d/plan.json" "$out/$name.json"
}

# Drop the timestamp and number terraform_data's random ids in order of appearance, so that
# regenerating gives no diff; pretty-print for reviewable diffs.
normalise() {
	python3 - "$1" "$2" <<'PY'
import json, re, sys
plan = json.load(open(sys.argv[1]))
plan.pop("timestamp", None)
text = json.dumps(plan, indent=1, sort_keys=True)
ids = {}
def stable(m):
    return ids.setdefault(m.group(0), "00000000-0000-4000-8000-%012d" % (len(ids) + 1))
text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", stable, text)
with open(sys.argv[2], "w") as f:
    f.write(text + "\n")
PY
	echo "wrote ${2#"$root"/}"
}

scenario_create
scenario_changes
scenario_destroy
