#!/usr/bin/env bash
# The main job from the README, end to end on this machine with nothing but local parts:
#   1. start a throwaway PostgreSQL 15 (the test harness's own, via the `e2e-pg` binary),
#   2. build the provider and the `dbre` CLI,
#   3. lay out an offline filesystem mirror so `terraform init` finds dbre/dbre locally,
#   4. terraform init, then plan -out + show -json and `dbre policy check` on that plan,
#   5. terraform apply of exactly that plan, a second plan that must say "No changes", destroy,
#   6. clean up (stop the server, delete the temp dir).
#
#   scripts/run-example.sh [EXAMPLE_DIR]     (default: examples/quickstart)
#
# Set DBRE_KEEP=1 to keep the temp dir (state, plan JSON) for a look afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
source scripts/prereqs.sh

example="${1:-examples/quickstart}"
version="$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)"
platform="linux_amd64"
[[ "$(uname -m)" == aarch64 ]] && platform="linux_arm64"
todo=()

require_cargo
require_terraform
require_postgres

say "building the provider, the dbre CLI and e2e-pg"
cargo build --locked --workspace --bins
target_dir="$(cargo metadata --format-version 1 --no-deps | grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)"
bin_dir="$target_dir/debug"

work="$(mktemp -d /tmp/dbre-example.XXXXXX)"
pg_pid=""
cleanup() {
    local status=$?
    if [[ -n "$pg_pid" ]] && kill -0 "$pg_pid" 2>/dev/null; then
        kill -TERM "$pg_pid" 2>/dev/null || true
        wait "$pg_pid" 2>/dev/null || true
    fi
    if [[ "${DBRE_KEEP:-0}" == 1 ]]; then say "kept $work"; else rm -rf "$work"; fi
    exit "$status"
}
trap cleanup EXIT INT TERM

say "starting a throwaway PostgreSQL 15"
"$bin_dir/e2e-pg" --env-file "$work/pg.env" --admin dbre_admin --database app 2>"$work/e2e-pg.log" &
pg_pid=$!
for _ in $(seq 1 120); do
    [[ -f "$work/pg.env" ]] && break
    kill -0 "$pg_pid" 2>/dev/null || die "PostgreSQL did not start: $(cat "$work/e2e-pg.log")"
    sleep 0.5
done
[[ -f "$work/pg.env" ]] || die "PostgreSQL did not start within 60 s: $(cat "$work/e2e-pg.log")"
# PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE: the provider's defaults.
# shellcheck disable=SC1091
source "$work/pg.env"
say "PostgreSQL on $PGHOST:$PGPORT, admin $PGUSER (CREATEROLE CREATEDB, not superuser), database app owned by it"
# The example's grants go to database app, which the admin owns (as on a managed service,
# where the admin creates the application's databases).
export TF_VAR_app_database=app

say "laying out the filesystem mirror"
mirror="$work/mirror"
plugin_dir="$mirror/registry.terraform.io/dbre/dbre/$version/$platform"
mkdir -p "$plugin_dir"
cp "$bin_dir/terraform-provider-dbre" "$plugin_dir/terraform-provider-dbre_v$version"
cat >"$work/terraform.tfrc" <<TFRC
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/dbre/*"]
  }
  direct {
    exclude = ["registry.terraform.io/dbre/*"]
  }
}
TFRC
export TF_CLI_CONFIG_FILE="$work/terraform.tfrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
unset TF_PLUGIN_CACHE_DIR

# The example runs from a copy at its repository-relative path next to a copy of modules/, so
# module sources like ../../modules/postgres-schema-access resolve as in the repository.
example_rel="$(realpath -m --relative-to="$repo" "$example")"
case "$example_rel" in
    ../* | /*) config="$work/config" ;; # outside the repository: no modules to keep beside it
    *) config="$work/$example_rel" ;;
esac

tf() { say "terraform $*"; "$DBRE_TERRAFORM" -chdir="$config" "$@"; }

# The example's variables: the connection (the same values the PG* variables already give the
# provider, passed explicitly to show the variable route) and the app login's write-only
# password, fresh for this run. It is ephemeral, so it must be supplied again at apply time;
# the environment does that.
export TF_VAR_pg_host="$PGHOST" TF_VAR_pg_port="$PGPORT" TF_VAR_pg_username="$PGUSER" \
    TF_VAR_pg_password="$PGPASSWORD" TF_VAR_pg_database="$PGDATABASE" TF_VAR_pg_sslmode="$PGSSLMODE"
app_password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
export TF_VAR_app_password="$app_password"

# What the provider promised, checked the way a user would.
check_applied() {
    local psql="$PG_BIN_DIR/psql"
    [[ -x "$psql" ]] || psql="$(command -v psql || true)"
    if [[ -n "$psql" ]]; then
        PGUSER=app PGPASSWORD="$app_password" "$psql" -XtAc "SELECT 'app logs in as ' || current_user" \
            || die "the app role cannot log in with the password just applied"
    else
        todo+=("psql not found: the app login check was skipped")
    fi
    if grep -qF "$app_password" "$config/terraform.tfstate" "$work/plan.json"; then
        die "the write-only password reached the state or the plan JSON"
    fi
    say "the write-only password is in neither the state nor the plan JSON"
    tf output -no-color
}

policy_check() {
    # The pull-request gate: built-in database guardrails on the saved plan. A failure stops the
    # run before anything is applied, exactly as it would block a merge.
    say "dbre policy check $1"
    "$bin_dir/dbre" policy check "$1" || die "dbre policy check found failures in the plan"
}

if [[ -d "$example" ]]; then
    mkdir -p "$(dirname "$config")"
    cp -r "$example" "$config"
    cp -r modules "$work/modules"
    rm -rf "$config/.terraform" "$config/.terraform.lock.hcl" "$config"/*.tfstate*
    tf init -input=false -no-color
    # The pull-request flow: plan to a file, check that plan, apply exactly that plan.
    tf plan -input=false -no-color -out="$work/tfplan"
    "$DBRE_TERRAFORM" -chdir="$config" show -json "$work/tfplan" >"$work/plan.json"
    say "plan JSON: $work/plan.json ($(wc -c <"$work/plan.json") bytes)"
    policy_check "$work/plan.json"
    tf apply -input=false -no-color "$work/tfplan"
    check_applied
    # The next plan must be empty: the provider converged.
    set +e
    tf plan -input=false -no-color -detailed-exitcode
    code=$?
    set -e
    [[ $code == 0 ]] || die "the plan after apply is not empty (exit $code)"
    tf destroy -input=false -no-color -auto-approve
else
    todo+=("$example does not exist yet: terraform init/plan/apply/destroy and the policy check skipped")
fi

if ((${#todo[@]})); then
    printf 'TODO (the example is not complete yet):\n' >&2
    printf '  - %s\n' "${todo[@]}" >&2
    exit 1
fi
say "example ran end to end"
