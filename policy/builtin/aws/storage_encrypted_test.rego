package dbre.builtin.aws_storage_encrypted

import data.dbre.mock
import rego.v1

test_unencrypted_denied if {
	a := mock.create("aws_db_instance", "a", {"storage_encrypted": false})
	b := mock.create("aws_rds_cluster", "b", {"storage_encrypted": null})
	fs := deny with data.dbre.plan as mock.plan([a, b])
	{f.address | some f in fs} == {a.address, b.address}
}

test_encrypted_passes if {
	r := mock.create("aws_rds_cluster", "c", {"storage_encrypted": true})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([r])
}

test_unknown_encryption_indeterminate if {
	r := mock.with_unknown(mock.create("aws_rds_cluster", "c", {}), ["storage_encrypted"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
