package dbre.lib

import rego.v1

_r := {
	"address": "x.y",
	"after": {"a": {"b": [{"c": 1}, {"c": 2}]}, "n": null},
	"before": null,
	"unknown": {"u": true, "blk.0": true},
	"sensitive": {"s.k": true},
}

test_value_walks_objects_and_lists if {
	value(_r, "a.b.1.c") == 2
	value(_r, "n") == null
	value(_r, "missing.path") == null
	before_value(_r, "a") == null
}

test_unknown_matches_prefixes if {
	unknown(_r, "u")
	unknown(_r, "blk.0.mode")
	not unknown(_r, "blk.1.mode")
	not unknown(_r, "a.b")
}

test_sensitive_matches_prefixes if {
	sensitive(_r, "s.k")
	not sensitive(_r, "s")
}

test_is_off if {
	is_off("OFF")
	is_off(false)
	is_off(" 0 ")
	not is_off("on")
	not is_off(true)
}

test_production_database_defaults if {
	production_database("prod")
	production_database("Orders_Prod")
	production_database("production-eu")
	not production_database("products")
	not production_database("staging")
	not production_database(null)
}

test_production_database_configurable if {
	production_database("live-orders") with data.dbre.config.production_databases as ["live-*"]
	not production_database("prod") with data.dbre.config.production_databases as ["live-*"]
}
