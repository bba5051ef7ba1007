# A login role needs either an expiry (valid_until) or a write-only password
# (password_wo + password_wo_version), so that no long-lived password sits in state and plan.
package dbre.builtin.role_login_credentials

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-PG-002",
	"severity": "high",
	"title": "Login roles expire or use a write-only password",
	"description": "A dbre_role with login = true must set valid_until or a write-only password (password_wo with password_wo_version), so that no long-lived password is kept in state.",
	"resource_types": ["dbre_role"],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

# password_wo itself is write-only: it is always null in plans, its version is what shows.
_credentials := ["valid_until", "password_wo_version"]

_covered(r) if _known_covered(r)

_covered(r) if {
	some attr in _credentials
	r.unknown[attr]
}

deny contains f if {
	some r in _planned
	r.after.login == true
	not _covered(r)
	f := lib.finding(r, "valid_until", sprintf(
		"%s: login role has neither valid_until nor a write-only password (password_wo + password_wo_version)",
		[r.address],
	))
}

# login itself unknown: only a problem if the role has no expiry or write-only password either.
indeterminate contains f if {
	some r in _planned
	r.unknown.login
	not _covered(r)
	f := lib.unknown_finding(r, "login", "whether the role needs valid_until or a write-only password")
}

# Login role whose only coverage is an unknown value: we cannot tell whether it ends up null.
indeterminate contains f if {
	some r in _planned
	r.after.login == true
	not _known_covered(r)
	some attr in _credentials
	r.unknown[attr]
	f := lib.unknown_finding(r, attr, "whether the login role expires or uses a write-only password")
}

_known_covered(r) if {
	some attr in _credentials
	r.after[attr] != null
}
