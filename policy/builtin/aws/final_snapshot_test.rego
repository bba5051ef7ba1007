package dbre.builtin.aws_final_snapshot

import data.dbre.mock
import rego.v1

test_skip_final_snapshot_denied if {
	r := mock.create("aws_db_instance", "a", {"skip_final_snapshot": true})
	count(deny) == 1 with data.dbre.plan as mock.plan([r])
}

test_final_snapshot_kept_passes if {
	a := mock.create("aws_db_instance", "a", {"skip_final_snapshot": false})
	b := mock.create("aws_rds_cluster", "b", {"skip_final_snapshot": null})
	count(deny) == 0 with data.dbre.plan as mock.plan([a, b])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([a, b])
}

test_unknown_skip_indeterminate if {
	r := mock.with_unknown(mock.create("aws_rds_cluster", "b", {}), ["skip_final_snapshot"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
