//! Azure-Policy-style JSON rules: operators, effects, parameters, initiatives, `[*]` and
//! `count`, unknown values, and load errors with positions.

use std::path::Path;

use dbre_policy::azure_policy::{
    load, load_all, Action, AzureDefinition, AzureOutcome, Effect, ResourceInput, Tri,
};
use serde_json::{json, Value};

fn defs(text: &str) -> Vec<AzureDefinition> {
    load(Path::new("t.json"), text).unwrap_or_else(|e| panic!("load failed: {e}"))
}

/// A definition whose rule is `cond` with effect `effect`.
fn rule(cond: Value, effect: &str) -> AzureDefinition {
    let doc = json!({"properties": {"policyRule": {"if": cond, "then": {"effect": effect}}}});
    defs(&doc.to_string()).remove(0)
}

fn run_action(
    d: &AzureDefinition,
    action: Action,
    after: &Value,
    unknown: &Value,
    before: &Value,
) -> AzureOutcome {
    let r = ResourceInput {
        address: "azurerm_postgresql_flexible_server.main",
        type_: "azurerm_postgresql_flexible_server",
        name: "main",
        action,
        after,
        after_unknown: unknown,
        before,
    };
    let mut out = d.evaluate(&r);
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn run(d: &AzureDefinition, after: Value, unknown: Value) -> Tri {
    run_action(d, Action::Create, &after, &unknown, &Value::Null).result
}

/// Result of one condition on `after` (fully known).
fn check(cond: Value, after: Value) -> Tri {
    run(&rule(cond, "deny"), after, json!({}))
}

fn indeterminate(fields: &[&str]) -> Tri {
    Tri::Indeterminate {
        fields: fields.iter().map(|s| s.to_string()).collect(),
    }
}

const M: Tri = Tri::Match;
const N: Tri = Tri::NoMatch;

#[test]
fn equality_operators_are_case_insensitive_and_loose() {
    let after = json!({"sku_name": "GP_Standard_D2s_v3", "enabled": true, "days": 7, "tags": {"Env": "Prod"}});
    assert_eq!(
        check(
            json!({"field": "sku_name", "equals": "gp_standard_d2s_v3"}),
            after.clone()
        ),
        M
    );
    assert_eq!(
        check(
            json!({"field": "sku_name", "notEquals": "GP_Standard_D2s_v3"}),
            after.clone()
        ),
        N
    );
    assert_eq!(
        check(json!({"field": "enabled", "equals": "true"}), after.clone()),
        M
    );
    assert_eq!(
        check(json!({"field": "days", "equals": "7"}), after.clone()),
        M
    );
    assert_eq!(
        check(
            json!({"field": "tags['env']", "equals": "PROD"}),
            after.clone()
        ),
        M
    );
    assert_eq!(
        check(
            json!({"field": "tags.Env", "equals": "prod"}),
            after.clone()
        ),
        M
    );
    assert_eq!(
        check(
            json!({"field": "tags[env]", "equals": "prod"}),
            after.clone()
        ),
        M
    );
    // A missing attribute equals nothing, so notEquals holds (as in Azure).
    assert_eq!(
        check(json!({"field": "missing", "equals": "x"}), after.clone()),
        N
    );
    assert_eq!(
        check(json!({"field": "missing", "notEquals": "x"}), after),
        M
    );
}

#[test]
fn type_name_and_fullname_come_from_the_resource_change() {
    let a = json!({"name": "orders-pg"});
    assert_eq!(
        check(
            json!({"field": "type", "equals": "AZURERM_POSTGRESQL_FLEXIBLE_SERVER"}),
            a.clone()
        ),
        M
    );
    // `name` is the resource's own name attribute when it has one...
    assert_eq!(
        check(json!({"field": "name", "equals": "Orders-PG"}), a.clone()),
        M
    );
    assert_eq!(
        check(
            json!({"value": "[field('name')]", "equals": "orders-pg"}),
            a.clone()
        ),
        M
    );
    // ...else the name from the Terraform address
    assert_eq!(
        check(json!({"field": "name", "equals": "main"}), json!({})),
        M
    );
    assert_eq!(check(json!({"field": "fullName", "like": "*.main"}), a), M);
    // an unknown name stays unknown
    let d = rule(json!({"field": "name", "like": "prod-*"}), "deny");
    assert_eq!(
        run(&d, json!({}), json!({"name": true})),
        indeterminate(&["name"])
    );
}

#[test]
fn like_and_match_operators() {
    let a = json!({"name": "prod-db-01", "code": "AB-12"});
    assert_eq!(
        check(json!({"field": "name", "like": "PROD-*"}), a.clone()),
        M
    );
    assert_eq!(
        check(json!({"field": "name", "notLike": "prod-*"}), a.clone()),
        N
    );
    assert_eq!(
        check(json!({"field": "code", "match": "??-##"}), a.clone()),
        M
    );
    assert_eq!(
        check(json!({"field": "code", "match": "ab-##"}), a.clone()),
        N,
        "match is case-sensitive"
    );
    assert_eq!(
        check(
            json!({"field": "code", "matchInsensitively": "ab-##"}),
            a.clone()
        ),
        M
    );
    assert_eq!(
        check(json!({"field": "code", "notMatch": "ab-##"}), a.clone()),
        M
    );
    assert_eq!(
        check(
            json!({"field": "code", "notMatchInsensitively": "ab-##"}),
            a.clone()
        ),
        N
    );
    assert_eq!(check(json!({"field": "code", "match": "..-.."}), a), M);
}

#[test]
fn containment_operators() {
    let a = json!({"name": "Prod-DB", "zones": ["1", "2"], "tags": {"Owner": "dba"}});
    assert_eq!(
        check(json!({"field": "name", "contains": "db"}), a.clone()),
        M
    );
    assert_eq!(
        check(json!({"field": "name", "notContains": "DB"}), a.clone()),
        N
    );
    assert_eq!(
        check(json!({"field": "zones", "contains": "2"}), a.clone()),
        M
    );
    assert_eq!(
        check(json!({"field": "zones", "notContains": "3"}), a.clone()),
        M
    );
    assert_eq!(
        check(json!({"field": "name", "in": ["x", "prod-db"]}), a.clone()),
        M
    );
    assert_eq!(
        check(
            json!({"field": "name", "notIn": ["x", "PROD-DB"]}),
            a.clone()
        ),
        N
    );
    assert_eq!(
        check(json!({"field": "missing", "in": ["x"]}), a.clone()),
        N
    );
    assert_eq!(
        check(json!({"field": "missing", "notIn": ["x"]}), a.clone()),
        M
    );
    assert_eq!(
        check(json!({"field": "tags", "containsKey": "owner"}), a.clone()),
        M
    );
    assert_eq!(
        check(
            json!({"field": "tags", "notContainsKey": "owner"}),
            a.clone()
        ),
        N
    );
    assert_eq!(
        check(json!({"field": "tags", "containsKey": "costcenter"}), a),
        N
    );
}

#[test]
fn ordering_operators() {
    let a = json!({"days": 5, "version": "16", "expires": "2026-01-31T00:00:00Z"});
    assert_eq!(check(json!({"field": "days", "less": 7}), a.clone()), M);
    assert_eq!(
        check(json!({"field": "days", "lessOrEquals": 5}), a.clone()),
        M
    );
    assert_eq!(check(json!({"field": "days", "greater": 5}), a.clone()), N);
    assert_eq!(
        check(json!({"field": "days", "greaterOrEquals": "5"}), a.clone()),
        M
    );
    assert_eq!(
        check(
            json!({"field": "version", "greaterOrEquals": 15}),
            a.clone()
        ),
        M
    );
    assert_eq!(
        check(json!({"field": "expires", "less": "2026-06-01"}), a.clone()),
        M
    );
    // A missing attribute is neither less nor greater.
    assert_eq!(check(json!({"field": "missing", "less": 7}), a.clone()), N);
    assert_eq!(check(json!({"field": "missing", "greater": 7}), a), N);
}

#[test]
fn exists_operator() {
    let a = json!({"present": "x", "nothing": null});
    assert_eq!(
        check(json!({"field": "present", "exists": true}), a.clone()),
        M
    );
    assert_eq!(
        check(json!({"field": "present", "exists": "false"}), a.clone()),
        N
    );
    assert_eq!(
        check(json!({"field": "nothing", "exists": true}), a.clone()),
        N
    );
    assert_eq!(check(json!({"field": "absent", "exists": false}), a), M);
}

#[test]
fn logical_operators() {
    let a = json!({"x": 1});
    let t = json!({"field": "x", "equals": 1});
    let f = json!({"field": "x", "equals": 2});
    assert_eq!(check(json!({"allOf": [t, t]}), a.clone()), M);
    assert_eq!(check(json!({"allOf": [t, f]}), a.clone()), N);
    assert_eq!(check(json!({"anyOf": [f, t]}), a.clone()), M);
    assert_eq!(check(json!({"anyOf": [f, f]}), a.clone()), N);
    assert_eq!(check(json!({"not": f}), a.clone()), M);
    assert_eq!(check(json!({"not": {"anyOf": [t, f]}}), a), N);
}

#[test]
fn value_conditions_with_template_functions() {
    let a = json!({"name": "Prod-Orders", "tags": {"env": "prod"}, "admins": ["a", "b"]});
    let cases = [
        (
            json!({"value": "[toLower(field('name'))]", "equals": "prod-orders"}),
            M,
        ),
        (
            json!({"value": "[concat(field('tags.env'), '-', length(field('admins')))]", "equals": "prod-2"}),
            M,
        ),
        (
            json!({"value": "[if(empty(field('admins')), 'none', first(field('admins')))]", "equals": "a"}),
            M,
        ),
        (
            json!({"value": "[last(split(field('name'), '-'))]", "equals": "orders"}),
            M,
        ),
        (
            json!({"value": "[substring(field('name'), 0, 4)]", "equals": "prod"}),
            M,
        ),
        (
            json!({"value": "[coalesce(field('missing'), 'dflt')]", "equals": "dflt"}),
            M,
        ),
        (
            json!({"value": "[and(contains(field('admins'), 'b'), not(equals(1, 2)))]", "equals": true}),
            M,
        ),
        (
            json!({"value": "[or(bool('false'), greater(int('3'), 2))]", "equals": true}),
            M,
        ),
        (
            json!({"value": "[toUpper(replace(field('name'), 'Prod-', ''))]", "equals": "ORDERS"}),
            M,
        ),
        (json!({"value": "[string(add(1, 2))]", "equals": "3"}), M),
        (
            json!({"value": "[field('tags')['env']]", "equals": "prod"}),
            M,
        ),
        (
            json!({"value": "[[not a template]", "equals": "[[not a template]"}),
            M,
        ),
    ];
    for (cond, want) in cases {
        assert_eq!(check(cond.clone(), a.clone()), want, "{cond}");
    }
}

#[test]
fn computed_field_names() {
    let doc = json!({"properties": {
        "parameters": {"tagName": {"type": "String", "defaultValue": "cost-center"}},
        "policyRule": {
            "if": {"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": false},
            "then": {"effect": "audit"}}}});
    let d = defs(&doc.to_string()).remove(0);
    assert_eq!(
        run(&d, json!({"tags": {"cost-center": "42"}}), json!({})),
        N
    );
    assert_eq!(run(&d, json!({"tags": {}}), json!({})), M);
}

// ----------------------------------------------------------------------------------------
// [*] and count

#[test]
fn wildcard_means_every_member() {
    let cond = json!({"field": "ip_rules[*].start", "notEquals": "0.0.0.0"});
    assert_eq!(
        check(
            cond.clone(),
            json!({"ip_rules": [{"start": "10.0.0.1"}, {"start": "10.0.0.2"}]})
        ),
        M
    );
    assert_eq!(
        check(
            cond.clone(),
            json!({"ip_rules": [{"start": "10.0.0.1"}, {"start": "0.0.0.0"}]})
        ),
        N
    );
    // None at all: vacuously true, as in Azure.
    assert_eq!(check(cond.clone(), json!({"ip_rules": []})), M);
    assert_eq!(check(cond, json!({})), M);
    // field() over [*] gives the members' values as an array
    let a = json!({"ip_rules": [{"start": "a"}, {"start": "b"}]});
    let c = json!({"value": "[length(field('ip_rules[*].start'))]", "equals": 2});
    assert_eq!(check(c, a.clone()), M);
    let c = json!({"value": "[field('ip_rules[*].start')]", "equals": ["A", "B"]});
    assert_eq!(check(c, a), M);
}

#[test]
fn single_nested_blocks_can_be_walked_without_an_index() {
    let a = json!({"identity": [{"type": "SystemAssigned"}], "network": [{"a": 1}, {"a": 2}]});
    assert_eq!(
        check(
            json!({"field": "identity.type", "equals": "systemassigned"}),
            a.clone()
        ),
        M
    );
    assert_eq!(
        check(
            json!({"field": "identity[0].type", "equals": "SystemAssigned"}),
            a.clone()
        ),
        M
    );
    assert_eq!(check(json!({"field": "network[1].a", "equals": 2}), a), M);
}

#[test]
fn field_count_with_where() {
    let cond = |n: i64| {
        json!({"count": {"field": "rules[*]", "where": {"allOf": [
            {"field": "rules[*].port", "equals": 5432},
            {"field": "rules[*].source", "equals": "*"}]}}, "greaterOrEquals": n})
    };
    let a = json!({"rules": [
        {"port": 5432, "source": "*"},
        {"port": 5432, "source": "10.0.0.0/8"},
        {"port": 22, "source": "*"}]});
    assert_eq!(check(cond(1), a.clone()), M);
    assert_eq!(check(cond(2), a.clone()), N);
    // without where: the number of members
    assert_eq!(
        check(
            json!({"count": {"field": "rules[*]"}, "equals": 3}),
            a.clone()
        ),
        M
    );
    assert_eq!(
        check(
            json!({"count": {"field": "rules[*]"}, "equals": 0}),
            json!({})
        ),
        M
    );
    // current() inside a field count
    let c = json!({"count": {"field": "rules[*]", "where": {"value": "[current('rules[*].port')]", "equals": 22}}, "equals": 1});
    assert_eq!(check(c, a.clone()), M);
    let c = json!({"count": {"field": "rules[*]", "where": {"value": "[current().source]", "equals": "*"}}, "equals": 2});
    assert_eq!(check(c, a), M);
}

#[test]
fn nested_field_counts() {
    // servers with at least one database whose collation is not the approved one
    let cond = json!({"count": {"field": "servers[*]", "where": {
        "count": {"field": "servers[*].dbs[*]", "where": {"field": "servers[*].dbs[*].collation", "notEquals": "en_US.utf8"}},
        "greater": 0}}, "equals": 1});
    let a = json!({"servers": [
        {"dbs": [{"collation": "en_US.utf8"}, {"collation": "C"}]},
        {"dbs": [{"collation": "en_US.utf8"}]}]});
    assert_eq!(check(cond, a.clone()), M);
    let flat = json!({"count": {"field": "servers[*].dbs[*]"}, "equals": 3});
    assert_eq!(check(flat, a), M);
}

#[test]
fn value_count_with_name_and_current() {
    let doc = json!({"properties": {
        "parameters": {"required": {"type": "Array", "defaultValue": ["owner", "cost-center"]}},
        "policyRule": {
            "if": {"count": {"value": "[parameters('required')]", "name": "tag",
                             "where": {"field": "tags", "containsKey": "[current('tag')]"}},
                   "less": "[length(parameters('required'))]"},
            "then": {"effect": "deny"}}}});
    let d = defs(&doc.to_string()).remove(0);
    assert_eq!(
        run(
            &d,
            json!({"tags": {"Owner": "x", "Cost-Center": "y"}}),
            json!({})
        ),
        N
    );
    assert_eq!(run(&d, json!({"tags": {"Owner": "x"}}), json!({})), M);
    // current() without a name in a value count
    let c = json!({"count": {"value": [1, 2, 3], "where": {"value": "[current()]", "greater": 1}}, "equals": 2});
    assert_eq!(check(c, json!({})), M);
}

// ----------------------------------------------------------------------------------------
// Unknown values

#[test]
fn unknown_attribute_is_indeterminate_not_a_false_deny() {
    let d = rule(
        json!({"field": "public_network_access_enabled", "notEquals": false}),
        "deny",
    );
    // Terraform omits unknown attributes from `after` and marks them in after_unknown.
    let o = run_action(
        &d,
        Action::Create,
        &json!({"name": "x"}),
        &json!({"public_network_access_enabled": true}),
        &Value::Null,
    );
    assert_eq!(o.result, indeterminate(&["public_network_access_enabled"]));
    assert!(o.is_reportable());
    assert!(
        o.message.contains("public_network_access_enabled"),
        "{}",
        o.message
    );
    // Known values decide as usual.
    assert_eq!(
        run(
            &d,
            json!({"public_network_access_enabled": true}),
            json!({})
        ),
        M
    );
    assert_eq!(
        run(
            &d,
            json!({"public_network_access_enabled": false}),
            json!({})
        ),
        N
    );
}

#[test]
fn unknown_in_all_of_position() {
    let d = rule(
        json!({"allOf": [{"field": "sku", "equals": "B1"}, {"field": "tls", "notEquals": "1.2"}]}),
        "deny",
    );
    // known false decides: no match
    assert_eq!(run(&d, json!({"sku": "GP"}), json!({"tls": true})), N);
    // known true + unknown: indeterminate naming the unknown field only
    assert_eq!(
        run(&d, json!({"sku": "B1"}), json!({"tls": true})),
        indeterminate(&["tls"])
    );
}

#[test]
fn unknown_in_any_of_position() {
    let d = rule(
        json!({"anyOf": [{"field": "sku", "equals": "B1"}, {"field": "tls", "notEquals": "1.2"}]}),
        "deny",
    );
    // known true decides: match
    assert_eq!(run(&d, json!({"sku": "B1"}), json!({"tls": true})), M);
    // known false + unknown: indeterminate
    assert_eq!(
        run(&d, json!({"sku": "GP"}), json!({"tls": true})),
        indeterminate(&["tls"])
    );
}

#[test]
fn unknown_through_not_and_exists() {
    let d = rule(json!({"not": {"field": "tls", "exists": true}}), "deny");
    assert_eq!(
        run(&d, json!({}), json!({"tls": true})),
        indeterminate(&["tls"])
    );
    // A block known to exist with unknown parts exists.
    let d = rule(json!({"field": "backup", "exists": true}), "deny");
    assert_eq!(
        run(
            &d,
            json!({"backup": [{"days": 7}]}),
            json!({"backup": [{"id": true}]})
        ),
        M
    );
    // ...but comparing the whole block depends on its unknown parts.
    let d = rule(json!({"field": "backup", "equals": [{"days": 7}]}), "deny");
    assert_eq!(
        run(
            &d,
            json!({"backup": [{"days": 7}]}),
            json!({"backup": [{"id": true}]})
        ),
        indeterminate(&["backup.0.id"])
    );
}

#[test]
fn unknown_ancestor_makes_nested_paths_unknown() {
    let d = rule(
        json!({"field": "authentication[*].password_auth_enabled", "equals": true}),
        "deny",
    );
    assert_eq!(
        run(&d, json!({}), json!({"authentication": true})),
        indeterminate(&["authentication"])
    );
    let d = rule(json!({"field": "network.public", "equals": true}), "deny");
    assert_eq!(
        run(&d, json!({}), json!({"network": true})),
        indeterminate(&["network"])
    );
}

#[test]
fn unknown_list_member_in_wildcard() {
    let d = rule(
        json!({"field": "rules[*].start", "notEquals": "0.0.0.0"}),
        "deny",
    );
    let after = json!({"rules": [{"start": "10.0.0.1"}, {"start": null}]});
    let unknown = json!({"rules": [{}, {"start": true}]});
    assert_eq!(
        run(&d, after.clone(), unknown.clone()),
        indeterminate(&["rules.1.start"])
    );
    // a known violating member decides regardless of the unknown one
    let after2 = json!({"rules": [{"start": "0.0.0.0"}, {"start": null}]});
    assert_eq!(run(&d, after2, unknown), N);
}

#[test]
fn unknown_through_count() {
    let cond = json!({"count": {"field": "rules[*]", "where": {"field": "rules[*].start", "equals": "0.0.0.0"}}, "greater": 0});
    let d = rule(cond, "deny");
    // one unknown member, one known non-matching: count in 0..=1 → undecided
    let after = json!({"rules": [{"start": "10.0.0.1"}, {"start": null}]});
    let unknown = json!({"rules": [{}, {"start": true}]});
    assert_eq!(
        run(&d, after, unknown.clone()),
        indeterminate(&["rules.1.start"])
    );
    // one known matching member already decides `greater 0`
    let after = json!({"rules": [{"start": "0.0.0.0"}, {"start": null}]});
    assert_eq!(run(&d, after, unknown), M);
    // a wholly unknown list: any count is possible
    assert_eq!(
        run(&d, json!({}), json!({"rules": true})),
        indeterminate(&["rules"])
    );
    // ...but `less 0` can never hold, whatever the count
    let never = rule(json!({"count": {"field": "rules[*]"}, "less": 0}), "deny");
    assert_eq!(run(&never, json!({}), json!({"rules": true})), N);
}

#[test]
fn unknown_through_template_functions() {
    let d = rule(
        json!({"value": "[toLower(field('sku'))]", "equals": "b1"}),
        "deny",
    );
    assert_eq!(
        run(&d, json!({}), json!({"sku": true})),
        indeterminate(&["sku"])
    );
    // or() with a known true argument is decided
    let d = rule(
        json!({"value": "[or(equals(field('a'), 1), equals(field('sku'), 'b1'))]", "equals": true}),
        "deny",
    );
    assert_eq!(run(&d, json!({"a": 1}), json!({"sku": true})), M);
}

// ----------------------------------------------------------------------------------------
// Effects and actions

fn effect_rule(effect: &str) -> AzureDefinition {
    rule(
        json!({"field": "type", "equals": "azurerm_postgresql_flexible_server"}),
        effect,
    )
}

#[test]
fn effects_map_to_outcomes() {
    let a = json!({});
    let u = json!({});
    let o = run_action(&effect_rule("deny"), Action::Create, &a, &u, &Value::Null);
    assert_eq!((o.effect, o.result), (Effect::Deny, M));
    let o = run_action(&effect_rule("Audit"), Action::Update, &a, &u, &Value::Null);
    assert_eq!((o.effect, o.result), (Effect::Audit, M));
    let o = run_action(
        &effect_rule("disabled"),
        Action::Create,
        &a,
        &u,
        &Value::Null,
    );
    assert_eq!((o.effect.clone(), o.result.clone()), (Effect::Disabled, N));
    assert!(!o.is_reportable());
    for (name, canonical) in [
        ("modify", "modify"),
        ("append", "append"),
        ("deployIfNotExists", "deployIfNotExists"),
        ("AuditIfNotExists", "auditIfNotExists"),
    ] {
        let o = run_action(&effect_rule(name), Action::Create, &a, &u, &Value::Null);
        assert_eq!(o.effect, Effect::Unsupported(canonical.into()));
        assert_eq!(
            o.result, M,
            "unsupported effects are reported, never silently passed"
        );
        assert!(o.is_reportable());
        assert!(
            o.message.contains("cannot be enforced on a plan"),
            "{}",
            o.message
        );
    }
}

#[test]
fn deny_action_applies_only_to_deletes_and_replaces() {
    let d = rule(
        json!({"field": "tags['protected']", "equals": "true"}),
        "denyAction",
    );
    let before = json!({"tags": {"protected": "true"}});
    let after_create = json!({"tags": {"protected": "true"}});
    let u = json!({});
    for (action, want) in [
        (Action::Delete, M),
        (Action::Replace, M),
        (Action::Create, N),
        (Action::Update, N),
        (Action::NoOp, N),
    ] {
        let o = run_action(&d, action, &after_create, &u, &before);
        assert_eq!(o.result, want, "{action:?}");
        assert_eq!(o.effect, Effect::DenyAction);
    }
    // judged on the state being deleted
    let o = run_action(&d, Action::Delete, &Value::Null, &u, &json!({"tags": {}}));
    assert_eq!(o.result, N);
}

#[test]
fn deny_does_not_judge_a_pure_delete() {
    let d = effect_rule("deny");
    let o = run_action(
        &d,
        Action::Delete,
        &Value::Null,
        &json!({}),
        &json!({"x": 1}),
    );
    assert_eq!(o.result, N);
    // no-op resources are judged as they stand
    let o = run_action(&d, Action::NoOp, &json!({}), &json!({}), &json!({}));
    assert_eq!(o.result, M);
}

#[test]
fn action_from_plan_actions() {
    assert_eq!(
        Action::from_actions(&["delete", "create"]),
        Some(Action::Replace)
    );
    assert_eq!(
        Action::from_actions(&["create", "delete"]),
        Some(Action::Replace)
    );
    assert_eq!(Action::from_actions(&["delete"]), Some(Action::Delete));
    assert_eq!(Action::from_actions(&["no-op"]), Some(Action::NoOp));
    assert_eq!(Action::from_actions(&["create"]), Some(Action::Create));
    assert_eq!(Action::from_actions(&["read"]), Some(Action::Read));
    assert_eq!(Action::from_actions(&["forget"]), Some(Action::Forget));
    assert_eq!(
        Action::from_actions(&["create", "forget"]),
        Some(Action::Create)
    );
}

// ----------------------------------------------------------------------------------------
// Parameters

fn param_doc(default: Value, allowed: Value) -> String {
    json!({"properties": {
        "parameters": {"effect": {"type": "String", "allowedValues": allowed, "defaultValue": default}},
        "policyRule": {"if": {"field": "type", "like": "azurerm_*"}, "then": {"effect": "[parameters('effect')]"}}}})
    .to_string()
}

#[test]
fn parameter_defaults_and_effect_templates() {
    let d = defs(&param_doc(json!("Audit"), json!(["Audit", "Deny"]))).remove(0);
    assert_eq!(d.effects(), vec![Effect::Audit]);
    let o = run_action(&d, Action::Create, &json!({}), &json!({}), &Value::Null);
    assert_eq!((o.effect, o.result), (Effect::Audit, M));
    // assignment-style override
    let mut m = serde_json::Map::new();
    m.insert("effect".into(), json!("Deny"));
    assert_eq!(d.with_parameters(&m).unwrap().effects(), vec![Effect::Deny]);
    m.insert("effect".into(), json!("Modify"));
    let e = d.with_parameters(&m).unwrap_err();
    assert!(e.contains("allowedValues"), "{e}");
}

#[test]
fn default_outside_allowed_values_is_a_load_error() {
    let text = param_doc(json!("Bogus"), json!(["Audit", "Deny"]));
    let e = load(Path::new("bad.json"), &text).unwrap_err();
    assert!(e.message.contains("allowedValues"), "{e}");
    assert!(e.message.contains("defaultValue"), "{e}");
}

#[test]
fn parameter_type_is_checked() {
    let text = json!({"properties": {
        "parameters": {"days": {"type": "Integer", "defaultValue": "seven"}},
        "policyRule": {"if": {"field": "d", "less": "[parameters('days')]"}, "then": {"effect": "deny"}}}})
    .to_string();
    let e = load(Path::new("t.json"), &text).unwrap_err();
    assert!(e.message.contains("declared integer"), "{e}");
}

#[test]
fn parameter_without_value_is_a_load_error() {
    let text = json!({"properties": {
        "parameters": {"days": {"type": "Integer"}},
        "policyRule": {"if": {"field": "d", "less": "[parameters('days')]"}, "then": {"effect": "deny"}}}})
    .to_string();
    let e = load(Path::new("t.json"), &text).unwrap_err();
    assert!(e.message.contains("no value and no defaultValue"), "{e}");
}

#[test]
fn undeclared_parameter_is_a_load_error() {
    let text = json!({"properties": {"policyRule": {
        "if": {"field": "d", "equals": "[parameters('nope')]"}, "then": {"effect": "deny"}}}})
    .to_string();
    let e = load(Path::new("t.json"), &text).unwrap_err();
    assert!(e.message.contains("'nope'"), "{e}");
}

#[test]
fn parameter_names_are_case_insensitive() {
    let text = json!({"properties": {
        "parameters": {"Effect": {"type": "String", "defaultValue": "audit"}},
        "policyRule": {"if": {"field": "type", "like": "*"}, "then": {"effect": "[parameters('effect')]"}}}})
    .to_string();
    assert_eq!(defs(&text)[0].effects(), vec![Effect::Audit]);
}

// ----------------------------------------------------------------------------------------
// Document shapes and initiatives

#[test]
fn bare_policy_rule_and_arrays() {
    let text = r#"[
      {"policyRule": {"if": {"field": "a", "equals": 1}, "then": {"effect": "audit"}}},
      {"name": "second", "properties": {"displayName": "Second", "policyRule": {"if": {"field": "a", "equals": 2}, "then": {"effect": "deny"}}}}
    ]"#;
    let d = load(Path::new("dir/rules.json"), text).unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].id(), "rules[0]");
    assert_eq!(d[1].id(), "second");
    assert_eq!(d[1].display_name(), "Second");
    assert_eq!(d[1].line(), 3);
}

const INIT_DEFS: &str = r#"[
  {"name": "tls", "id": "/providers/Microsoft.Authorization/policyDefinitions/tls",
   "properties": {"displayName": "TLS",
     "parameters": {"effect": {"type": "String", "allowedValues": ["Audit", "Deny"], "defaultValue": "Deny"},
                    "versions": {"type": "Array"}},
     "policyRule": {"if": {"field": "minimum_tls_version", "notIn": "[parameters('versions')]"},
                    "then": {"effect": "[parameters('effect')]"}}}},
  {"name": "unrelated", "properties": {"policyRule": {"if": {"field": "x", "exists": true}, "then": {"effect": "audit"}}}}
]"#;

#[test]
fn initiatives_bind_member_parameters() {
    let init = r#"{"name": "baseline", "properties": {
      "parameters": {"tlsEffect": {"type": "String", "defaultValue": "Audit"}},
      "policyDefinitions": [
        {"policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/tls",
         "policyDefinitionReferenceId": "tls-ref",
         "parameters": {"effect": {"value": "[parameters('tlsEffect')]"}, "versions": {"value": ["1.2", "1.3"]}}}]}}"#;
    let all = load_all([
        (Path::new("defs.json"), INIT_DEFS),
        (Path::new("init.json"), init),
    ])
    .unwrap();
    // the initiative, plus the definition nobody references; `tls` only runs via the initiative
    let ids: Vec<&str> = all.iter().map(|d| d.id()).collect();
    assert_eq!(ids, vec!["baseline", "unrelated"]);
    let baseline = &all[0];
    assert!(baseline.is_initiative());
    assert_eq!(baseline.effects(), vec![Effect::Audit]);
    let r_after = json!({"minimum_tls_version": "1.0"});
    let r = ResourceInput {
        address: "azurerm_mssql_server.a",
        type_: "azurerm_mssql_server",
        name: "a",
        action: Action::Create,
        after: &r_after,
        after_unknown: &json!({}),
        before: &Value::Null,
    };
    let out = baseline.evaluate(&r);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].definition, "tls");
    assert_eq!(out[0].initiative.as_deref(), Some("baseline"));
    assert_eq!(out[0].reference_id.as_deref(), Some("tls-ref"));
    assert_eq!(
        (out[0].effect.clone(), out[0].result.clone()),
        (Effect::Audit, M)
    );
    // initiative-level override
    let mut m = serde_json::Map::new();
    m.insert("tlsEffect".into(), json!("Deny"));
    assert_eq!(
        baseline.with_parameters(&m).unwrap().effects(),
        vec![Effect::Deny]
    );
}

#[test]
fn initiative_errors_point_at_the_initiative() {
    let bad_value = r#"{"name": "b", "properties": {"policyDefinitions": [
  {"policyDefinitionId": "tls", "parameters": {"effect": {"value": "Modify"}, "versions": {"value": []}}}]}}"#;
    let e = load_all([
        (Path::new("d.json"), INIT_DEFS),
        (Path::new("i.json"), bad_value),
    ])
    .unwrap_err();
    assert_eq!(e.file, Path::new("i.json"));
    assert_eq!((e.line, e.col), (2, 59));
    assert!(e.message.contains("allowedValues"), "{e}");

    let missing =
        "{\"properties\": {\"policyDefinitions\": [\n  {\"policyDefinitionId\": \"tls\"}]}}";
    let e = load_all([
        (Path::new("d.json"), INIT_DEFS),
        (Path::new("i.json"), missing),
    ])
    .unwrap_err();
    assert!(
        e.message.contains("'versions'") && e.message.contains("no value"),
        "{e}"
    );
    assert_eq!((e.line, e.col), (2, 3));

    let dangling =
        "{\"properties\": {\"policyDefinitions\": [\n  {\"policyDefinitionId\": \"nope\"}]}}";
    let e = load_all([
        (Path::new("d.json"), INIT_DEFS),
        (Path::new("i.json"), dangling),
    ])
    .unwrap_err();
    assert!(e.message.contains("matches no loaded definition"), "{e}");

    let unknown_param = r#"{"properties": {"policyDefinitions": [{"policyDefinitionId": "tls", "parameters": {"versions": {"value": []}, "colour": {"value": 1}}}]}}"#;
    let e = load_all([
        (Path::new("d.json"), INIT_DEFS),
        (Path::new("i.json"), unknown_param),
    ])
    .unwrap_err();
    assert!(e.message.contains("no parameter 'colour'"), "{e}");
}

// ----------------------------------------------------------------------------------------
// Load errors with positions

fn load_err(text: &str) -> (usize, usize, String) {
    let e = load(Path::new("policies/bad.json"), text).unwrap_err();
    assert_eq!(e.file, Path::new("policies/bad.json"));
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("policies/bad.json:{}:{}: ", e.line, e.col)),
        "{shown}"
    );
    (e.line, e.col, e.message)
}

#[test]
fn syntax_error_has_line_and_column() {
    let (line, col, msg) = load_err("{\n  \"properties\": {\n    \"policyRule\": {,}\n  }\n}");
    assert_eq!((line, col), (3, 20));
    assert!(msg.contains("invalid JSON"), "{msg}");
}

#[test]
fn unknown_operator_points_at_the_key() {
    let text = "{\"properties\": {\"policyRule\": {\n  \"if\": {\n    \"field\": \"type\",\n    \"equalz\": \"x\"\n  },\n  \"then\": {\"effect\": \"deny\"}}}}";
    let (line, col, msg) = load_err(text);
    assert_eq!((line, col), (4, 5));
    assert!(msg.contains("unknown key 'equalz'"), "{msg}");
}

#[test]
fn semantic_errors_point_at_their_keys() {
    let wrap = |cond: &str, effect: &str| {
        format!("{{\"policyRule\": {{\n\"if\": {cond},\n\"then\": {{\"effect\": {effect}}}}}}}")
    };
    let (l, c, m) = load_err(&wrap(
        r#"{"field": "x", "equals": "[frobnicate(1)]"}"#,
        "\"deny\"",
    ));
    assert_eq!((l, c), (2, 22));
    assert!(m.contains("unknown template function 'frobnicate'"), "{m}");

    let (l, c, m) = load_err(&wrap(r#"{"field": "x", "equals": 1}"#, "\"explode\""));
    assert_eq!((l, c), (3, 10));
    assert!(m.contains("unknown effect 'explode'"), "{m}");

    let (l, _, m) = load_err(&wrap(
        r#"{"field": "Microsoft.DBforPostgreSQL/flexibleServers/network.publicNetworkAccess", "equals": "Enabled"}"#,
        "\"deny\"",
    ));
    assert_eq!(l, 2);
    assert!(m.contains("Azure alias"), "{m}");

    let (_, _, m) = load_err(&wrap(
        r#"{"allOf": {"field": "x", "equals": 1}}"#,
        "\"deny\"",
    ));
    assert!(m.contains("array"), "{m}");

    let (_, _, m) = load_err(&wrap(r#"{"field": "x"}"#, "\"deny\""));
    assert!(m.contains("no operator"), "{m}");

    let (_, _, m) = load_err(&wrap(
        r#"{"value": "[utcNow()]", "less": "2030"}"#,
        "\"deny\"",
    ));
    assert!(m.contains("live Azure platform"), "{m}");

    let (_, _, m) = load_err(r#"{"data": {"just": "json"}}"#);
    assert!(m.contains("not an Azure Policy document"), "{m}");
}

#[test]
fn evaluation_errors_are_indeterminate_with_a_reason() {
    let d = rule(json!({"value": "[int(field('x'))]", "equals": 1}), "deny");
    let o = run_action(
        &d,
        Action::Create,
        &json!({"x": "hunter2"}),
        &json!({}),
        &Value::Null,
    );
    assert_eq!(o.result, Tri::Indeterminate { fields: vec![] });
    assert!(o.message.contains("could not evaluate"), "{}", o.message);
    // attribute values (possibly secrets) never appear in messages
    assert!(!o.message.contains("hunter2"), "{}", o.message);
    let d = rule(json!({"field": "x", "less": true}), "deny");
    let o = run_action(
        &d,
        Action::Create,
        &json!({"x": "hunter2"}),
        &json!({}),
        &Value::Null,
    );
    assert!(o.message.contains("cannot order"), "{}", o.message);
    assert!(!o.message.contains("hunter2"), "{}", o.message);
}

#[test]
fn looks_like_policy_tells_policies_from_data() {
    use dbre_policy::azure_policy::looks_like_policy;
    assert!(looks_like_policy(
        &json!({"properties": {"policyRule": {}}})
    ));
    assert!(looks_like_policy(&json!([{"policyRule": {}}])));
    assert!(looks_like_policy(
        &json!({"properties": {"policyDefinitions": []}})
    ));
    assert!(!looks_like_policy(&json!({"users": []})));
}
