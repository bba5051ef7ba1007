#!/usr/bin/env python3
"""Expected built-in guardrail findings for every fixture plan, computed independently of dbre:
OPA itself evaluates policy/builtin/ over a data.dbre.plan document built here from the plan by a
separate reading of the contract (docs: /policy/builtin/README.md and the core's plan model).
A test can compare `dbre policy check -o json` (built-ins only) with these files; a difference
points at either the plan model or the engine.

Writes policy/tests/data/builtin_expected/<plans subdir>/<plan>.json, a sorted list of
{rule, outcome, address, attribute, message}. Run with the venv made by scripts/opa-golden.sh:
  ~/.cache/dbre/opa-venv/bin/python scripts/builtin-expected.py
"""
import json
import pathlib
import re

from opa_bindings import OpaEngine

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILTIN = ROOT / "policy/builtin"
PLANS = ROOT / "policy/tests/data/plans"
OUT = ROOT / "policy/tests/data/builtin_expected"
MASK = "(sensitive value)"
OUTCOME = {"deny": "fail", "warn": "warn", "indeterminate": "indeterminate"}


def leaf_paths(marks, prefix, out):
    """Every leaf path marked true in an after_unknown / *_sensitive shape."""
    if marks is True:
        if prefix:
            out[prefix] = True
    elif isinstance(marks, dict):
        for k, v in marks.items():
            leaf_paths(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(marks, list):
        for i, v in enumerate(marks):
            leaf_paths(v, f"{prefix}.{i}" if prefix else str(i), out)


def mask(value, marks):
    if marks is True:
        return None if value is None else MASK
    if isinstance(value, dict) and isinstance(marks, dict):
        return {k: mask(v, marks.get(k)) for k, v in value.items()}
    if isinstance(value, list) and isinstance(marks, list):
        return [mask(v, marks[i] if i < len(marks) else None) for i, v in enumerate(value)]
    return value


def plan_view(plan):
    resources = []
    for rc in plan.get("resource_changes", []):
        change = rc["change"]
        actions = change["actions"]
        replace = "delete" in actions and "create" in actions
        unknown, sensitive = {}, {}
        leaf_paths(change.get("after_unknown") or {}, "", unknown)
        leaf_paths(change.get("before_sensitive") or {}, "", sensitive)
        leaf_paths(change.get("after_sensitive") or {}, "", sensitive)
        resources.append({
            "address": rc["address"], "module_address": rc.get("module_address", ""),
            "mode": rc["mode"], "type": rc["type"], "name": rc["name"], "index": rc.get("index"),
            "provider_name": rc.get("provider_name"), "deposed": rc.get("deposed"),
            "actions": actions, "action": "replace" if replace else actions[0],
            "create": "create" in actions, "update": "update" in actions, "delete": "delete" in actions,
            "replace": replace, "no_op": actions == ["no-op"],
            "before": mask(change.get("before"), change.get("before_sensitive")),
            "after": mask(change.get("after"), change.get("after_sensitive")),
            "unknown": unknown, "sensitive": sensitive,
        })
    resources.sort(key=lambda r: (r["address"], r["deposed"] or ""))
    by_type = {}
    for r in resources:
        by_type.setdefault(r["type"], []).append(r)
    return {"format_version": plan.get("format_version"), "terraform_version": plan.get("terraform_version"),
            "resources": resources, "by_type": by_type}


def main():
    modules = [(f, f.read_text()) for f in sorted(BUILTIN.rglob("*.rego")) if not f.name.endswith("_test.rego")]
    packages = [p for _, src in modules for p in re.findall(r"^package (dbre\.builtin\.\S+)", src, re.M)]
    for plan_file in sorted(p for d in ("real", "terraform_data", "handmade") for p in (PLANS / d).glob("*.json")):
        engine = OpaEngine()
        for f, src in modules:
            engine.add_policy(str(f.relative_to(BUILTIN)), src)
        engine.add_data({"dbre": {"plan": plan_view(json.loads(plan_file.read_text()))}})
        findings = []
        for package in packages:
            doc = engine.eval_document(package, {}) or {}
            for kind, outcome in OUTCOME.items():
                for f in doc.get(kind, []):
                    findings.append({"rule": doc["metadata"]["id"], "outcome": outcome, "address": f.get("address"),
                                     "attribute": f.get("attribute"), "message": f["msg"]})
        engine.close()
        findings.sort(key=lambda f: (f["address"] or "", f["rule"], f["outcome"], f["attribute"] or "", f["message"]))
        rel = plan_file.relative_to(PLANS)
        target = OUT / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(findings, indent=1, ensure_ascii=False) + "\n")
        print(f"{target.relative_to(ROOT)}: {len(findings)} findings")


if __name__ == "__main__":
    main()
