#!/usr/bin/env bash
# Recomputes the OPA golden files of the differential test (policy/tests/differential.rs).
# Installs OPA's Python bindings (a wheel embedding OPA 1.20.2) into a cached venv, offline from
# PyPI's wheel; needs python3 (3.11+ works with --ignore-requires-python).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${DBRE_OPA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dbre/opa-venv}"
if ! "$venv/bin/python" -c 'import opa_bindings' 2>/dev/null; then
	echo "installing opa-golib-python-bindings into $venv" >&2
	wheels="$(mktemp -d)"
	trap 'rm -rf "$wheels"' EXIT
	python3 -m venv "$venv"
	"$venv/bin/pip" download -q --no-deps --only-binary=:all: --python-version 3.14 \
		--platform manylinux_2_34_x86_64 -d "$wheels" 'opa-golib-python-bindings==0.4.4'
	"$venv/bin/pip" install -q --ignore-requires-python "$wheels"/*.whl
fi
exec "$venv/bin/python" "$root/scripts/opa-golden.py" "$@"
