#!/usr/bin/env bash
# Benchmark: `terraform plan` of N dbre_role resources against the same count of terraform_data
# (Terraform's own floor), measured alternately in one run, plus connections opened per plan.
# Prints a markdown section to paste into BENCHMARKS.md.
#
#   scripts/bench-plan.sh                       # 100 resources, 5 runs each
#   scripts/bench-plan.sh --count 200 --runs 3  # arguments go to the bench-plan binary
#   scripts/bench-plan.sh --baseline-only       # terraform_data only (no provider needed)
#   DBRE_BENCH_RELEASE=1 scripts/bench-plan.sh  # measure a release build of the provider
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/prereqs.sh

require_cargo
require_terraform
require_postgres

profile=debug
build_args=(--locked --workspace --bins)
if [[ "${DBRE_BENCH_RELEASE:-0}" == 1 ]]; then
    profile=release
    build_args+=(--release)
fi
say "cargo build ${build_args[*]}"
cargo build "${build_args[@]}"
target_dir="$(cargo metadata --format-version 1 --no-deps | grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)"
# The harness takes the provider from the same profile directory.
export DBRE_E2E_BIN_DIR="$target_dir/$profile"
say "bench-plan $* (provider: $profile build)"
"$DBRE_E2E_BIN_DIR/bench-plan" "$@"
