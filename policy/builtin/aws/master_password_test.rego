package dbre.builtin.aws_master_password

import data.dbre.mock
import rego.v1

test_plain_password_denied_without_leaking_it if {
	r := mock.create("aws_db_instance", "db", {"username": "admin", "password": "Sup3rS3cret!"})
	fs := deny with data.dbre.plan as mock.plan([r])
	count(fs) == 1
	some f in fs
	f.attribute == "password"
	not contains(f.msg, "Sup3rS3cret!")
}

test_sensitive_password_warned if {
	r := mock.with_sensitive(mock.create("aws_rds_cluster", "c", {"master_password": "(sensitive value)"}), ["master_password"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(warn) == 1 with data.dbre.plan as mock.plan([r])
}

test_managed_password_passes if {
	r := mock.create("aws_db_instance", "db", {"password": null, "manage_master_user_password": true})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(warn) == 0 with data.dbre.plan as mock.plan([r])
}

# A password known only after apply (e.g. from random_password) is not in this plan.
test_unknown_password_passes if {
	r := mock.with_unknown(mock.create("aws_db_instance", "db", {}), ["password"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(warn) == 0 with data.dbre.plan as mock.plan([r])
}
