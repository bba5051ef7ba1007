#!/usr/bin/env python3
"""Runs the built-in guardrails' Rego tests (test_* rules under policy/builtin/) with OPA itself,
as a cross-check that they are valid OPA Rego v1 and pass there too (cargo test runs them with
regorus through `dbre policy test`). Run with the venv made by scripts/opa-golden.sh:
  ~/.cache/dbre/opa-venv/bin/python scripts/opa-test-builtins.py
"""
import pathlib
import re
import sys

from opa_bindings import OpaEngine

root = pathlib.Path(__file__).resolve().parent.parent / "policy/builtin"
engine = OpaEngine()
tests = []
for f in sorted(root.rglob("*.rego")):
    src = f.read_text()
    engine.add_policy(str(f.relative_to(root)), src)
    package = re.search(r"^package\s+(\S+)", src, re.M).group(1)
    tests += [(package, m.group(1)) for m in re.finditer(r"^(test_\w+)", src, re.M)]
passed = failed = 0
for package, test in tests:
    try:
        ok = engine.eval_document(f"{package}.{test}", {}) is True
        detail = "undefined or false"
    except Exception as e:  # an evaluation error fails the test, with its message
        ok, detail = False, str(e)
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {package}.{test}: {detail}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
