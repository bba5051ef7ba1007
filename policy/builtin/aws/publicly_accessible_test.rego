package dbre.builtin.aws_publicly_accessible

import data.dbre.mock
import rego.v1

test_public_instance_denied if {
	r := mock.create("aws_db_instance", "db", {"publicly_accessible": true})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"publicly_accessible"}
}

test_private_instance_passes if {
	a := mock.create("aws_db_instance", "a", {"publicly_accessible": false})
	b := mock.create("aws_rds_cluster_instance", "b", {"publicly_accessible": null})
	count(deny) == 0 with data.dbre.plan as mock.plan([a, b])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([a, b])
}

test_unknown_public_access_indeterminate if {
	r := mock.with_unknown(mock.create("aws_rds_cluster_instance", "i", {}), ["publicly_accessible"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
