#!/usr/bin/env python3
"""Computes OPA's answers for the differential test corpus and writes them as golden files.

For every policy in policy/tests/data/differential/policies/ and every plan under
policy/tests/data/plans/{real,terraform_data}/, evaluates the policy with OPA itself (the
opa-golib-python-bindings wheel, which embeds OPA) the way conftest does:
  * input is the plan JSON as it is;
  * failures are the values of rules named ^(deny|violation)(_[a-zA-Z0-9]+)*$,
    warnings of ^warn(_[a-zA-Z0-9]+)*$, in the policy's package (its namespace);
  * a value is a string message or an object whose "msg" is the message;
  * `exception` rules (sets of lists of rule names without their deny_/violation_/warn_
    prefix, "" for the bare family name) suppress whole rules for the input; their messages are
    kept under "waived" (dbre reports them as waived findings).
Writes policy/tests/data/differential/golden/<policy stem>.json. Run through scripts/opa-golden.sh,
which installs the bindings offline into a cache directory.
"""
import json
import pathlib
import re
import sys

from opa_bindings import OpaEngine

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIFF = ROOT / "policy/tests/data/differential"
PLANS = ROOT / "policy/tests/data/plans"
FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
OPA = "OPA 1.20.2 via opa-golib-python-bindings 0.4.4"


def package_of(src):
    m = re.search(r"^package\s+([\w.]+)", src, re.M)
    if not m:
        sys.exit("no package line")
    return m.group(1)


def exception_name(rule):
    """The name an `exception` rule uses for a rule, as conftest computes it."""
    for prefix in ("violation_", "deny_", "warn_"):
        if rule.startswith(prefix):
            return rule[len(prefix):]
    return ""  # deny, violation, warn


def message(value, where):
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("msg"), str):
        return value["msg"]
    sys.exit(f"{where}: a result is neither a string nor an object with a string msg: {value!r}")


def evaluate(engine, namespace, plan, where):
    doc = engine.eval_document(namespace, plan) or {}
    excepted = set()
    for rules in doc.get("exception", []) or []:
        excepted.update(rules)
    out = {"failures": [], "warnings": [], "exceptions": [], "waived": [], "rules": {}}
    for rule in sorted(doc):
        kind = "failures" if FAILURE.match(rule) else "warnings" if WARNING.match(rule) else None
        if kind is None:
            continue
        values = doc[rule]
        if not isinstance(values, list):  # a complete rule: conftest takes a single value
            values = [values]
        msgs = sorted(message(v, f"{where}: {rule}") for v in values)
        if exception_name(rule) in excepted:
            if msgs:
                out["exceptions"].append(rule)
                out["waived"].extend(msgs)
            continue
        out["rules"][rule] = msgs
        out[kind].extend(msgs)
    out["failures"].sort()
    out["warnings"].sort()
    out["waived"].sort()
    return out


def main():
    plans = sorted(p for d in ("real", "terraform_data") for p in (PLANS / d).glob("*.json"))
    golden_dir = DIFF / "golden"
    golden_dir.mkdir(exist_ok=True)
    policies = sorted((DIFF / "policies").glob("*.rego"))
    if not policies or not plans:
        sys.exit("no policies or no plans found")
    for policy in policies:
        src = policy.read_text()
        namespace = package_of(src)
        engine = OpaEngine()
        engine.add_policy(policy.name, src)
        results = {}
        for plan in plans:
            rel = plan.relative_to(PLANS).as_posix()
            results[rel] = evaluate(engine, namespace, json.loads(plan.read_text()), f"{policy.name} on {rel}")
        golden = {"policy": policy.name, "namespace": namespace, "computed_by": OPA, "plans": results}
        target = golden_dir / (policy.stem + ".json")
        target.write_text(json.dumps(golden, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        total = sum(len(r["failures"]) + len(r["warnings"]) for r in results.values())
        print(f"{target.relative_to(ROOT)}: {total} messages over {len(plans)} plans")
        engine.close()


if __name__ == "__main__":
    main()
