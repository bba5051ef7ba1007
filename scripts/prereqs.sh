# Shared prerequisite checks for scripts/test.sh, scripts/run-example.sh and .ci/run.
# Source it; it defines functions only. Each check fails loudly: a missing tool is never a skip.

PG_BIN_DIR="${DBRE_PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Terraform cannot be fetched here (no network to its releases), so it must already exist.
require_terraform() {
    local tf="${DBRE_TERRAFORM:-}"
    if [[ -n "$tf" && ! -x "$tf" ]]; then
        die "DBRE_TERRAFORM=$tf is not an executable terraform"
    fi
    if [[ -z "$tf" ]]; then
        tf="$(command -v terraform || true)"
        [[ -z "$tf" && -x /usr/local/bin/terraform ]] && tf=/usr/local/bin/terraform
    fi
    [[ -n "$tf" && -x "$tf" ]] || die "terraform not found (not on PATH, not at /usr/local/bin/terraform).
  The end-to-end tests drive the real Terraform CLI (1.11.x): install it, or set DBRE_TERRAFORM."
    say "terraform: $tf ($("$tf" version 2>/dev/null | head -n1))"
    export DBRE_TERRAFORM="$tf"
}

# PostgreSQL 15 server binaries; installs Debian's postgresql-15 when we are root and apt exists.
require_postgres() {
    if [[ ! -x "$PG_BIN_DIR/initdb" || ! -x "$PG_BIN_DIR/pg_ctl" ]]; then
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
            say "PostgreSQL 15 binaries missing in $PG_BIN_DIR: installing postgresql-15 with apt-get"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >&2 || say "apt-get update failed; trying the install anyway"
            apt-get install -y -qq postgresql-15 >&2 || true
        fi
    fi
    [[ -x "$PG_BIN_DIR/initdb" && -x "$PG_BIN_DIR/pg_ctl" ]] || die "PostgreSQL 15 server binaries not found in $PG_BIN_DIR (need initdb and pg_ctl).
  Install them (Debian/Ubuntu, as root: apt-get install -y postgresql-15), or set DBRE_PG_BIN_DIR."
    if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
        die "running as root but there is no 'postgres' account to run PostgreSQL as (the postgresql-15 package creates it)"
    fi
    say "postgresql: $("$PG_BIN_DIR/postgres" --version)"
    export DBRE_PG_BIN_DIR="$PG_BIN_DIR"
}

require_cargo() {
    command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (rustup)"
}
