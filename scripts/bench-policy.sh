#!/usr/bin/env bash
# Benchmark of `dbre policy check` on synthetic plans of 1,000 and 10,000 resource changes with
# the built-in guardrails plus 30 conftest-style Rego rules (scripts/bench/rules30.rego), next to
# Checkov's terraform_plan scan of the same plan file, in the same run on the same machine.
#
#   scripts/bench-policy.sh                 # dbre at 1,000 and 10,000; Checkov at 1,000
#   CHECKOV_SIZES="1000 10000" scripts/bench-policy.sh   # Checkov at 10,000 too (minutes, GBs)
#   CHECKOV_SIZES= scripts/bench-policy.sh  # no Checkov
#   RUNS=5 scripts/bench-policy.sh          # best-of-N for dbre (default 3)
#   DBRE=path/to/dbre scripts/bench-policy.sh   # use a prebuilt binary instead of building one
#
# Prints a markdown table (wall time, CPU time = user+sys, and peak RSS from /usr/bin/time -v) for
# BENCHMARKS.md, with the machine and its load average: on a shared machine CPU time is the
# steadier number, wall time the one a user waits for.
# Checkov is installed with pip into a venv under the cache directory on first use.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
sizes="${SIZES:-1000 10000}"
checkov_sizes="${CHECKOV_SIZES-1000}"
runs="${RUNS:-3}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/dbre"
checkov_venv="${CHECKOV_VENV:-$cache/checkov-venv}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

[ -x /usr/bin/time ] || { echo "error: /usr/bin/time (GNU time) is needed: apt-get install time" >&2; exit 2; }

if [ -n "${DBRE:-}" ]; then
	dbre="$DBRE" # a prebuilt binary
else
	echo "building dbre (release)..." >&2
	(cd "$root" && cargo build --release -q -p dbre)
	dbre="${CARGO_TARGET_DIR:-$root/target}/release/dbre"
fi

if [ -n "$checkov_sizes" ] && ! "$checkov_venv/bin/checkov" --version >/dev/null 2>&1; then
	echo "installing checkov into $checkov_venv..." >&2
	python3 -m venv "$checkov_venv"
	"$checkov_venv/bin/pip" install -q checkov
fi

# measure COMMAND...: runs the command under GNU time; prints "wall_seconds kilobytes cpu_seconds".
# Exit codes 0 and 1 (findings) are both a successful run.
measure() {
	local log="$work/time.log" rc=0
	/usr/bin/time -v -o "$log" "$@" >"$work/out" 2>"$work/err" || rc=$?
	if [ "$rc" -gt 1 ]; then
		echo "error: '$*' exited with $rc:" >&2
		tail -n 20 "$work/err" >&2
		exit 2
	fi
	local wall kb user sys
	wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")"
	kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")"
	user="$(sed -n 's/.*User time (seconds): //p' "$log")"
	sys="$(sed -n 's/.*System time (seconds): //p' "$log")"
	python3 -c 'import sys
parts = sys.argv[1].split(":")
secs = sum(float(p) * 60 ** i for i, p in enumerate(reversed(parts)))
print(f"{secs:.3f} {sys.argv[2]} {float(sys.argv[3]) + float(sys.argv[4]):.2f}")' "$wall" "$kb" "$user" "$sys"
}

best_of() {
	local best="" line
	for _ in $(seq "$runs"); do
		line="$(measure "$@")"
		if [ -z "$best" ] || python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "${line%% *}" "${best%% *}"; then
			best="$line"
		fi
	done
	echo "$best"
}

fmt_mb() { python3 -c 'import sys; print(f"{int(sys.argv[1]) / 1024:.0f} MB")' "$1"; }

cpu="$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
mem="$(free -m | awk '/^Mem:/ {print $2}')"
echo "### dbre policy check vs Checkov ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "Machine: $(nproc) cores, ${cpu:-unknown CPU}, ${mem} MB memory; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Command: \`scripts/bench-policy.sh\` (dbre: best of $runs runs; built-in guardrails + 30 Rego rules in"
echo "\`scripts/bench/rules30.rego\`; Checkov: \`BC_SKIP_MAPPING=TRUE checkov -f plan.json --framework terraform_plan\`, one run)."
echo
echo "| resources | plan size | dbre wall | dbre CPU | dbre peak RSS | findings | Checkov wall | Checkov CPU | Checkov peak RSS | speed-up (wall) | speed-up (CPU) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $sizes; do
	plan="$work/plan-$n.json"
	python3 "$root/scripts/bench/gen-plan.py" "$n" >"$plan"
	size="$(python3 -c 'import os, sys; print(f"{os.path.getsize(sys.argv[1]) / 1e6:.1f} MB")' "$plan")"
	read -r d_wall d_kb d_cpu < <(best_of "$dbre" policy check "$plan" -p "$root/scripts/bench/rules30.rego" -o json)
	findings="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/out" 2>/dev/null || echo "?")"
	c_wall="-" c_cpu="-" c_mem="-" ratio="-" cpu_ratio="-"
	if [[ " $checkov_sizes " == *" $n "* ]]; then
		read -r c_s c_kb c_cpu_s < <(measure env BC_SKIP_MAPPING=TRUE "$checkov_venv/bin/checkov" -f "$plan" --framework terraform_plan --quiet --compact -o json)
		c_wall="${c_s} s" c_cpu="${c_cpu_s} s" c_mem="$(fmt_mb "$c_kb")"
		ratio="$(python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.0f}x")' "$c_s" "$d_wall")"
		cpu_ratio="$(python3 -c 'import sys; print(f"{float(sys.argv[1]) / max(float(sys.argv[2]), 0.01):.0f}x")' "$c_cpu_s" "$d_cpu")"
	fi
	echo "| $n | $size | ${d_wall} s | ${d_cpu} s | $(fmt_mb "$d_kb") | $findings | $c_wall | $c_cpu | $c_mem | $ratio | $cpu_ratio |"
done
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
