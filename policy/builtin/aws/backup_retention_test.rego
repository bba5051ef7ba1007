package dbre.builtin.aws_backup_retention

import data.dbre.mock
import rego.v1

test_short_or_missing_retention_denied if {
	a := mock.create("aws_db_instance", "a", {"backup_retention_period": 0})
	b := mock.create("aws_rds_cluster", "b", {"backup_retention_period": null})
	fs := deny with data.dbre.plan as mock.plan([a, b])
	{f.msg | some f in fs} == {
		"aws_db_instance.a: backup_retention_period is 0 days; keep backups at least 7 days",
		"aws_rds_cluster.b: backup_retention_period is not set (AWS keeps 1 day); keep backups at least 7 days",
	}
}

test_week_passes if {
	r := mock.create("aws_rds_cluster", "c", {"backup_retention_period": 14})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([r])
}

test_unknown_retention_indeterminate if {
	r := mock.with_unknown(mock.create("aws_db_instance", "a", {}), ["backup_retention_period"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
