//! `data.dbre.plan`: the policy author's view of a plan (see the policy contract). Computed once
//! per plan in Rust, so no policy re-derives action flags, masking or unknown paths per rule.

use super::paths::{leaf_paths, mask_sensitive};
use super::{Action, Plan, ResourceChange};
use rayon::prelude::*;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// The document placed at `data.dbre.plan`.
pub fn dbre_plan_view(plan: &Plan) -> Json {
    let resources: Vec<Json> = plan.changes.iter().map(resource_view).collect();
    let mut by_type: Map<String, Json> = Map::new();
    for (change, view) in plan.changes.iter().zip(&resources) {
        by_type
            .entry(change.type_.clone())
            .or_insert_with(|| Json::Array(Vec::new()))
            .as_array_mut()
            .expect("by_type entries are arrays")
            .push(view.clone());
    }
    json!({
        "format_version": plan.format_version,
        "terraform_version": plan.terraform_version,
        "resources": resources,
        "by_type": by_type,
    })
}

/// [`dbre_plan_view`] as the value the Rego engine reads, built without the JSON detour: each
/// resource is converted once and shared (reference-counted) between `resources` and
/// `by_type`, instead of deep-copying every resource into `by_type` and converting both copies.
/// Equal to `regorus::Value::from(dbre_plan_view(plan))`.
pub fn dbre_plan_view_value(plan: &Plan) -> regorus::Value {
    let resources: Vec<regorus::Value> = plan
        .changes
        .par_iter()
        .map(|c| regorus::Value::from(resource_view(c)))
        .collect();
    let mut by_type: BTreeMap<regorus::Value, Vec<regorus::Value>> = BTreeMap::new();
    for (change, view) in plan.changes.iter().zip(&resources) {
        by_type
            .entry(regorus::Value::from(change.type_.as_str()))
            .or_default()
            .push(view.clone());
    }
    let by_type: BTreeMap<regorus::Value, regorus::Value> = by_type
        .into_iter()
        .map(|(t, list)| (t, regorus::Value::from(list)))
        .collect();
    let mut doc = BTreeMap::new();
    doc.insert(
        regorus::Value::from("format_version"),
        regorus::Value::from(plan.format_version.as_str()),
    );
    doc.insert(
        regorus::Value::from("terraform_version"),
        regorus::Value::from(plan.terraform_version.as_str()),
    );
    doc.insert(
        regorus::Value::from("resources"),
        regorus::Value::from(resources),
    );
    doc.insert(
        regorus::Value::from("by_type"),
        regorus::Value::from(by_type),
    );
    regorus::Value::from(doc)
}

fn resource_view(c: &ResourceChange) -> Json {
    let action = c.action;
    let deletes = c.actions.iter().any(|a| a == "delete");
    json!({
        "address": c.address,
        "module_address": c.module_address,
        "mode": c.mode,
        "type": c.type_,
        "name": c.name,
        "index": c.index,
        "provider_name": c.provider_name,
        "deposed": c.deposed,
        "actions": c.actions,
        "action": action.as_str(),
        "create": matches!(action, Action::Create | Action::Replace),
        "update": action == Action::Update,
        "delete": deletes,
        "replace": action == Action::Replace,
        "no_op": action == Action::NoOp,
        "before": mask_sensitive(&c.before, &c.before_sensitive),
        "after": mask_sensitive(&c.after, &c.after_sensitive),
        "unknown": path_set(&c.after_unknown),
        "sensitive": sensitive_paths(c),
    })
}

fn path_set(marks: &Json) -> Json {
    Json::Object(
        leaf_paths(marks)
            .into_iter()
            .map(|p| (p, Json::Bool(true)))
            .collect(),
    )
}

fn sensitive_paths(c: &ResourceChange) -> Json {
    let mut paths = leaf_paths(&c.before_sensitive);
    paths.extend(leaf_paths(&c.after_sensitive));
    paths.sort();
    paths.dedup();
    Json::Object(paths.into_iter().map(|p| (p, Json::Bool(true))).collect())
}
