package dbre.builtin.aws_deletion_protection

import data.dbre.mock
import rego.v1

test_unprotected_denied if {
	a := mock.create("aws_db_instance", "a", {"deletion_protection": false})
	b := mock.create("aws_rds_cluster", "b", {"deletion_protection": null})
	fs := deny with data.dbre.plan as mock.plan([a, b])
	{f.address | some f in fs} == {a.address, b.address}
}

test_protected_passes if {
	r := mock.create("aws_db_instance", "a", {"deletion_protection": true})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([r])
}

test_unknown_protection_indeterminate if {
	r := mock.with_unknown(mock.create("aws_db_instance", "a", {}), ["deletion_protection"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
