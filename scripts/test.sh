#!/usr/bin/env bash
# The test command from the README: builds every binary, then runs every test of the workspace,
# end-to-end tests included (real terraform, real PostgreSQL 15, the provider just built).
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -p dbre-e2e     # extra arguments go to the test runner
#   scripts/test.sh -E 'binary(grant_lifecycle)'   # one test file (nextest; a bare word filters names)
#
# Uses cargo-nextest when installed (a process per test, a hung test is killed), else cargo test.
# Set DBRE_TEST_RUNNER=cargo to force plain cargo test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/prereqs.sh

require_cargo
require_terraform
require_postgres

# The tests cannot build the provider themselves (cargo holds its build lock while tests run),
# so the binaries come first; the harness rejects a binary older than its sources.
say "cargo build --workspace --bins"
cargo build --locked --workspace --bins

runner="${DBRE_TEST_RUNNER:-auto}"
if [[ "$runner" == auto ]]; then
    if cargo nextest --version >/dev/null 2>&1; then runner=nextest; else runner=cargo; fi
fi

if [[ "$runner" == nextest ]]; then
    say "cargo nextest run --workspace $*"
    cargo nextest run --locked --workspace --no-fail-fast "$@"
    # nextest does not run doctests.
    say "cargo test --workspace --doc"
    cargo test --locked --workspace --doc
else
    say "cargo test --workspace $*"
    cargo test --locked --workspace --no-fail-fast "$@"
fi
say "all tests passed"
