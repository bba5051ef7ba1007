#!/usr/bin/env bash
# Regenerates the plans under policy/tests/data/plans/core/ with the real terraform CLI and the
# built-in terraform_data resource (offline, no provider). They exercise what the core of
# `dbre policy check` must get right beyond the guardrail fixtures:
#   secrets.json     sensitive values in every shape: a sensitive variable inside a nested object,
#                    a wholly sensitive object (sensitive({...})), a sensitive output, in a module
#                    instance with a for_each key holding a dot and a quote
#   no_changes.json  the plan of an already applied configuration (only no-op changes)
# Usage: scripts/make-core-plans.sh   (TERRAFORM=/path/to/terraform to choose the binary)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/policy/tests/data/plans/core"
tf="${TERRAFORM:-terraform}"
command -v "$tf" >/dev/null || { echo "error: terraform not found (set TERRAFORM)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
touch "$work/terraformrc"
export TF_CLI_CONFIG_FILE="$work/terraformrc"
mkdir -p "$out" "$work/cfg/modules/db"

cat >"$work/cfg/modules/db/main.tf" <<'HCL'
variable "password" {
  type      = string
  sensitive = true
}
variable "name" { type = string }

resource "terraform_data" "role" {
  input = {
    kind     = "role"
    name     = var.name
    login    = true
    password = var.password
    options  = { superuser = var.name == "admin", connection_limit = 5 }
  }
}

resource "terraform_data" "credentials" {
  input = sensitive({ user = var.name, token = "tok-${var.name}-0123456789" })
}
HCL

cat >"$work/cfg/main.tf" <<'HCL'
variable "db_password" {
  type      = string
  sensitive = true
  default   = "core-fixture-secret-42"
}

module "db" {
  source   = "./modules/db"
  for_each = toset(["admin", "app.v2", "q\"uote"])
  name     = each.key
  password = var.db_password
}

resource "terraform_data" "audit" {
  input = {
    kind    = "audit"
    targets = [for k, m in module.db : k]
  }
}

output "first_password" {
  value     = var.db_password
  sensitive = true
}
HCL

normalise() {
	python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("timestamp", None); print(json.dumps(d, indent=2, sort_keys=True))'
}

cd "$work/cfg"
"$tf" init -input=false >/dev/null
"$tf" plan -input=false -out=plan.bin >/dev/null
"$tf" show -json plan.bin | normalise >"$out/secrets.json"
"$tf" apply -input=false -auto-approve plan.bin >/dev/null
"$tf" plan -input=false -out=plan2.bin >/dev/null
"$tf" show -json plan2.bin | normalise >"$out/no_changes.json"
echo "wrote $out/secrets.json and $out/no_changes.json"
