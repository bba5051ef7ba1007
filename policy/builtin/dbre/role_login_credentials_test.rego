package dbre.builtin.role_login_credentials

import data.dbre.mock
import rego.v1

test_login_with_plain_password_denied if {
	r := mock.with_sensitive(
		mock.create("dbre_role", "app", {"name": "app", "login": true, "password": "(sensitive value)", "valid_until": null, "password_wo_version": null}),
		["password"],
	)
	fs := deny with data.dbre.plan as mock.plan([r])
	count(fs) == 1
	some f in fs
	f.address == "dbre_role.app"
	not contains(f.msg, "sensitive")
}

test_login_with_valid_until_passes if {
	r := mock.create("dbre_role", "app", {"name": "app", "login": true, "valid_until": "2027-01-01T00:00:00Z"})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([r])
}

test_login_with_write_only_password_passes if {
	r := mock.create("dbre_role", "app", {"name": "app", "login": true, "password_wo": null, "password_wo_version": 3})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}

test_nologin_role_passes if {
	r := mock.create("dbre_role", "grp", {"name": "grp", "login": false})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}

test_unknown_valid_until_is_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_role", "app", {"name": "app", "login": true}), ["valid_until"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	fs := indeterminate with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"valid_until"}
}

test_unknown_login_without_credentials_is_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_role", "app", {"name": "app"}), ["login"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	fs := indeterminate with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"login"}
}
