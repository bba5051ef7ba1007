# Builders for data.dbre.plan documents in the guardrail tests (loaded only with the tests).
package dbre.mock

import rego.v1

# A resource change as the Rust core would compute it. actions is the plan's action list.
change(type, name, actions, before, after) := {
	"address": sprintf("%s.%s", [type, name]),
	"module_address": "",
	"mode": "managed",
	"type": type,
	"name": name,
	"index": null,
	"provider_name": "registry.terraform.io/test/test",
	"deposed": null,
	"actions": actions,
	"action": _action(actions),
	"create": "create" in actions,
	"update": "update" in actions,
	"delete": "delete" in actions,
	"replace": count(actions) == 2,
	"no_op": "no-op" in actions,
	"before": before,
	"after": after,
	"unknown": {},
	"sensitive": {},
}

_action(actions) := "replace" if count(actions) == 2

else := actions[0]

create(type, name, after) := change(type, name, ["create"], null, after)

update(type, name, before, after) := change(type, name, ["update"], before, after)

delete(type, name, before) := change(type, name, ["delete"], before, null)

replace(type, name, before, after) := change(type, name, ["delete", "create"], before, after)

# The resource with the given paths marked unknown (their values should be absent from after).
with_unknown(r, paths) := object.union(r, {"unknown": {p: true | some p in paths}})

# The resource with the given paths marked sensitive (their values masked in after).
with_sensitive(r, paths) := object.union(r, {"sensitive": {p: true | some p in paths}})

# A data.dbre.plan document holding the given resources.
plan(rs) := {
	"format_version": "1.2",
	"terraform_version": "1.11.4",
	"resources": rs,
	"by_type": {t: [r | some r in rs; r.type == t] | some x in rs; t := x.type},
}
