#!/usr/bin/env bash
# Benchmark: what the dbre provider costs a Terraform run. For each N (default 100 and 1000):
# `terraform apply` and a refresh `terraform plan` of N dbre_role + N dbre_grant, next to the same
# number of terraform_data resources (Terraform's own floor) and to N of them, in the same run
# against the same throwaway PostgreSQL, plus the connections each plan opened next to the pool
# size. Prints a markdown section for BENCHMARKS.md; progress goes to stderr.
#
#   scripts/bench-provider.sh                          # N = 100 and 1000, 5 runs each
#   scripts/bench-provider.sh --count 1000 --runs 3    # arguments go to the bench-provider binary
#   scripts/bench-provider.sh --roles-only             # dbre_role only (N resources vs N)
#   scripts/bench-provider.sh --direct-names           # grants name roles directly (no index reference)
#   scripts/bench-provider.sh --count 1000 --runs 1 --plans 5   # 5 refresh plans per apply
#   scripts/bench-provider.sh --help                   # all options
#
# The provider is built in release (that is what users run); the driver itself is a debug build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/prereqs.sh

require_cargo
require_terraform
require_postgres

say "cargo build --release -p terraform-provider-dbre"
cargo build --locked --release -p terraform-provider-dbre
say "cargo build -p dbre-e2e --bin bench-provider"
cargo build --locked -p dbre-e2e --bin bench-provider
target_dir="$(cargo metadata --format-version 1 --no-deps | grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)"

# The harness takes exactly this provider binary (checked to be newer than its sources) and
# never builds one itself.
export DBRE_E2E_PROVIDER="$target_dir/release/terraform-provider-dbre"
export DBRE_E2E_NO_BUILD=1
say "bench-provider $* (provider: $DBRE_E2E_PROVIDER)"
"$target_dir/debug/bench-provider" "$@"
