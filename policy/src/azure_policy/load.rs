//! Reading definition and initiative documents: shapes, parameters (types, defaults,
//! allowedValues), effects, and initiative references — every mistake located by file,
//! line and column.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::condition::{parse_condition, Cond, Issue, Refs};
use super::span::{child, SpanIndex};
use super::template::{kind, lookup_ci, parse_tpl, Ctx, Tpl};
use super::value::{loose_eq, Val};
use super::{Effect, LoadError};

/// A declared parameter.
#[derive(Debug, Clone)]
pub struct ParamDecl {
    pub name: String,
    pub type_: Option<String>,
    pub default: Option<Value>,
    pub allowed: Option<Vec<Value>>,
    pub pointer: String,
}

/// A parsed policy definition (parameters not yet bound).
#[derive(Debug)]
pub struct Policy {
    pub name: String,
    pub resource_id: Option<String>,
    pub display_name: String,
    pub description: String,
    pub metadata: Value,
    pub params: Vec<ParamDecl>,
    pub rule: Cond,
    pub effect: Tpl,
    pub effect_pointer: String,
    /// `then.details.actionNames` of a denyAction policy.
    pub action_names: Option<Vec<String>>,
    pub file: PathBuf,
    pub line: usize,
}

/// A parsed initiative (policy set).
#[derive(Debug)]
pub struct Initiative {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub metadata: Value,
    pub params: Vec<ParamDecl>,
    pub members: Vec<MemberRef>,
    pub file: PathBuf,
    pub line: usize,
}

#[derive(Debug)]
pub struct MemberRef {
    pub definition_id: String,
    pub reference_id: Option<String>,
    /// Parameter values passed to the definition (may use the initiative's parameters).
    pub values: Vec<(String, Tpl, String)>,
    pub pointer: String,
}

/// One parsed document of either kind, with the span index of its file for later errors.
pub enum Doc {
    Policy(Arc<Policy>),
    Initiative(Arc<Initiative>),
}

pub struct FileDocs {
    pub spans: Arc<SpanIndex>,
    pub docs: Vec<(Doc, String)>,
}

pub fn error_at(path: &Path, spans: &SpanIndex, issue: Issue) -> LoadError {
    let pos = spans.pos(&issue.pointer);
    LoadError {
        file: path.to_path_buf(),
        line: pos.line,
        col: pos.col,
        message: issue.message,
    }
}

/// Quick shape test: does this JSON look like Azure Policy (definition, initiative, or an
/// array of them)? Lets callers tell policy files from data files.
pub fn looks_like_policy(v: &Value) -> bool {
    match v {
        Value::Array(items) => !items.is_empty() && items.iter().all(looks_like_policy),
        Value::Object(m) => {
            let props = lookup_ci(m, "properties").and_then(Value::as_object);
            let has = |key: &str| {
                lookup_ci(m, key).is_some() || props.is_some_and(|p| lookup_ci(p, key).is_some())
            };
            has("policyRule") || has("policyDefinitions")
        }
        _ => false,
    }
}

pub fn parse_file(path: &Path, text: &str) -> Result<FileDocs, LoadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LoadError {
        file: path.to_path_buf(),
        line: e.line().max(1),
        col: e.column().max(1),
        message: format!("invalid JSON: {e}"),
    })?;
    let spans = Arc::new(SpanIndex::build(text));
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "policy".into());
    let mut docs = Vec::new();
    let items: Vec<(&Value, String, String)> = match &value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (v, format!("/{i}"), format!("{stem}[{i}]")))
            .collect(),
        v => vec![(v, String::new(), stem.clone())],
    };
    if items.is_empty() {
        return Err(error_at(
            path,
            &spans,
            Issue::new(
                "",
                "empty array: expected Azure Policy definitions or initiatives",
            ),
        ));
    }
    for (v, pointer, fallback) in items {
        let doc = parse_doc(path, &spans, v, &pointer, &fallback)
            .map_err(|i| error_at(path, &spans, i))?;
        docs.push((doc, pointer));
    }
    Ok(FileDocs { spans, docs })
}

fn get<'v>(m: &'v Map<String, Value>, key: &str, pointer: &str) -> Option<(&'v Value, String)> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(k, v)| (v, child(pointer, k)))
}

fn get_str(m: &Map<String, Value>, key: &str) -> Option<String> {
    lookup_ci(m, key)
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn parse_doc(
    path: &Path,
    spans: &SpanIndex,
    v: &Value,
    pointer: &str,
    fallback_name: &str,
) -> Result<Doc, Issue> {
    let Value::Object(top) = v else {
        return Err(Issue::new(
            pointer,
            format!(
                "expected an Azure Policy definition object, found {}",
                kind(v)
            ),
        ));
    };
    // Full resource shape {"name", "id", "properties": {...}} or the bare properties.
    let (props, props_ptr) = match get(top, "properties", pointer) {
        Some((Value::Object(p), pp)) => (p, pp),
        Some((_, pp)) => return Err(Issue::new(&pp, "'properties' must be an object")),
        None => (top, pointer.to_string()),
    };
    let name = get_str(top, "name").unwrap_or_else(|| fallback_name.to_string());
    let resource_id = get_str(top, "id");
    let display_name = get_str(props, "displayName").unwrap_or_else(|| name.clone());
    let description = get_str(props, "description").unwrap_or_default();
    let metadata = lookup_ci(props, "metadata").cloned().unwrap_or(Value::Null);
    let pos = spans.pos(pointer);
    let params = parse_param_decls(props, &props_ptr)?;

    if let Some((rule, rule_ptr)) = get(props, "policyRule", &props_ptr) {
        let Value::Object(rule_m) = rule else {
            return Err(Issue::new(&rule_ptr, "'policyRule' must be an object"));
        };
        let mut refs = Refs::default();
        let (cond_v, if_ptr) = get(rule_m, "if", &rule_ptr)
            .ok_or_else(|| Issue::new(&rule_ptr, "policyRule has no 'if'"))?;
        let cond = parse_condition(cond_v, &if_ptr, &mut refs)?;
        let (then_v, then_ptr) = get(rule_m, "then", &rule_ptr)
            .ok_or_else(|| Issue::new(&rule_ptr, "policyRule has no 'then'"))?;
        let Value::Object(then_m) = then_v else {
            return Err(Issue::new(&then_ptr, "'then' must be an object"));
        };
        let (effect_v, effect_ptr) = get(then_m, "effect", &then_ptr)
            .ok_or_else(|| Issue::new(&then_ptr, "'then' has no 'effect'"))?;
        let effect = parse_tpl(effect_v).map_err(|m| Issue::new(&effect_ptr, m))?;
        refs.note_tpl(&effect, &effect_ptr);
        if let Some(lit) = effect.literal() {
            let s = lit
                .as_str()
                .ok_or_else(|| Issue::new(&effect_ptr, "'effect' must be a string"))?;
            Effect::parse(s).map_err(|m| Issue::new(&effect_ptr, m))?;
        }
        let action_names = match get(then_m, "details", &then_ptr) {
            Some((Value::Object(d), dp)) => match get(d, "actionNames", &dp) {
                Some((Value::Array(a), _)) => Some(
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_ascii_lowercase)
                        .collect(),
                ),
                Some((_, ap)) => return Err(Issue::new(&ap, "'actionNames' must be an array")),
                None => None,
            },
            _ => None,
        };
        for (p, at) in &refs.parameters {
            if !params.iter().any(|d| d.name.eq_ignore_ascii_case(p)) {
                return Err(Issue::new(
                    at,
                    format!("parameters('{p}') refers to a parameter that is not declared"),
                ));
            }
        }
        for (k, _) in rule_m {
            if !["if", "then"].iter().any(|n| n.eq_ignore_ascii_case(k)) {
                return Err(Issue::new(
                    &child(&rule_ptr, k),
                    format!("unknown key '{k}' in policyRule (expected 'if' and 'then')"),
                ));
            }
        }
        return Ok(Doc::Policy(Arc::new(Policy {
            name,
            resource_id,
            display_name,
            description,
            metadata,
            params,
            rule: cond,
            effect,
            effect_pointer: effect_ptr,
            action_names,
            file: path.to_path_buf(),
            line: pos.line,
        })));
    }

    if let Some((defs, defs_ptr)) = get(props, "policyDefinitions", &props_ptr) {
        let Value::Array(items) = defs else {
            return Err(Issue::new(
                &defs_ptr,
                "'policyDefinitions' must be an array",
            ));
        };
        let mut members = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let ip = child(&defs_ptr, &i.to_string());
            let Value::Object(m) = item else {
                return Err(Issue::new(
                    &ip,
                    "each policyDefinitions entry must be an object",
                ));
            };
            let definition_id = match get(m, "policyDefinitionId", &ip) {
                Some((Value::String(s), _)) => s.clone(),
                Some((_, p)) => {
                    return Err(Issue::new(&p, "'policyDefinitionId' must be a string"))
                }
                None => {
                    return Err(Issue::new(
                        &ip,
                        "policyDefinitions entry has no 'policyDefinitionId'",
                    ))
                }
            };
            let reference_id = get_str(m, "policyDefinitionReferenceId");
            let mut values = Vec::new();
            if let Some((pv, pp)) = get(m, "parameters", &ip) {
                let Value::Object(pm) = pv else {
                    return Err(Issue::new(&pp, "'parameters' must be an object"));
                };
                for (k, wrapped) in pm {
                    let kp = child(&pp, k);
                    // {"p": {"value": ...}} as ARM writes it; a bare value is accepted too.
                    let (raw, vp) = match wrapped {
                        Value::Object(w) => match get(w, "value", &kp) {
                            Some((v, vp)) => (v, vp),
                            None => (wrapped, kp.clone()),
                        },
                        other => (other, kp.clone()),
                    };
                    let t = parse_tpl(raw).map_err(|m| Issue::new(&vp, m))?;
                    for e in t.exprs() {
                        if e.reads_resource() {
                            return Err(Issue::new(
                                &vp,
                                "initiative parameter values may use parameters() but not field()/current()",
                            ));
                        }
                        let mut names = Vec::new();
                        e.parameter_refs(&mut names);
                        for n in names {
                            if !params.iter().any(|d| d.name.eq_ignore_ascii_case(&n)) {
                                return Err(Issue::new(
                                    &vp,
                                    format!(
                                        "parameters('{n}') refers to an initiative parameter that is not declared"
                                    ),
                                ));
                            }
                        }
                    }
                    values.push((k.clone(), t, vp));
                }
            }
            members.push(MemberRef {
                definition_id,
                reference_id,
                values,
                pointer: ip,
            });
        }
        return Ok(Doc::Initiative(Arc::new(Initiative {
            name,
            display_name,
            description,
            metadata,
            params,
            members,
            file: path.to_path_buf(),
            line: pos.line,
        })));
    }

    Err(Issue::new(
        pointer,
        "not an Azure Policy document: expected 'policyRule' (a definition) or 'policyDefinitions' (an initiative), \
         either at the top or under 'properties'",
    ))
}

const TYPES: &[&str] = &[
    "string", "array", "object", "boolean", "integer", "float", "datetime",
];

fn parse_param_decls(props: &Map<String, Value>, props_ptr: &str) -> Result<Vec<ParamDecl>, Issue> {
    let Some((pv, pp)) = get(props, "parameters", props_ptr) else {
        return Ok(Vec::new());
    };
    let Value::Object(pm) = pv else {
        return Err(Issue::new(&pp, "'parameters' must be an object"));
    };
    let mut out: Vec<ParamDecl> = Vec::new();
    for (name, decl) in pm {
        let dp = child(&pp, name);
        if out.iter().any(|d| d.name.eq_ignore_ascii_case(name)) {
            return Err(Issue::new(
                &dp,
                format!("parameter '{name}' is declared twice"),
            ));
        }
        let Value::Object(dm) = decl else {
            return Err(Issue::new(&dp, "a parameter declaration must be an object"));
        };
        let type_ = match get(dm, "type", &dp) {
            Some((Value::String(t), tp)) => {
                if !TYPES.iter().any(|k| k.eq_ignore_ascii_case(t)) {
                    return Err(Issue::new(
                        &tp,
                        format!(
                            "unknown parameter type '{t}' (expected one of {})",
                            TYPES.join(", ")
                        ),
                    ));
                }
                Some(t.to_ascii_lowercase())
            }
            Some((_, tp)) => return Err(Issue::new(&tp, "parameter 'type' must be a string")),
            None => None,
        };
        let allowed = match get(dm, "allowedValues", &dp) {
            Some((Value::Array(a), _)) => Some(a.clone()),
            Some((_, ap)) => return Err(Issue::new(&ap, "'allowedValues' must be an array")),
            None => None,
        };
        let decl = ParamDecl {
            name: name.clone(),
            type_,
            default: None,
            allowed,
            pointer: dp.clone(),
        };
        let default = match get(dm, "defaultValue", &dp) {
            Some((d, defp)) => {
                check_value(&decl, d)
                    .map_err(|m| Issue::new(&defp, format!("defaultValue: {m}")))?;
                Some(d.clone())
            }
            None => None,
        };
        out.push(ParamDecl { default, ..decl });
    }
    Ok(out)
}

/// Type and allowedValues check of one parameter value.
pub fn check_value(decl: &ParamDecl, v: &Value) -> Result<(), String> {
    if let Some(t) = &decl.type_ {
        let ok = match t.as_str() {
            "string" | "datetime" => v.is_string(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            "float" => v.is_number(),
            _ => true,
        };
        if !ok {
            return Err(format!(
                "parameter '{}' is declared {t} but got {}",
                decl.name,
                kind(v)
            ));
        }
    }
    if let Some(allowed) = &decl.allowed {
        // An array parameter may list allowed members rather than whole arrays.
        let allowed_one = |x: &Value| allowed.iter().any(|a| loose_eq(a, x));
        let ok = allowed_one(v) || (v.is_array() && v.as_array().unwrap().iter().all(allowed_one));
        if !ok {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            return Err(format!(
                "value {v} of parameter '{}' is not one of its allowedValues [{}]",
                decl.name,
                list.join(", ")
            ));
        }
    }
    Ok(())
}

/// A context where only `parameters()` is available (effects, initiative values).
struct ParamsOnly<'p>(&'p Map<String, Value>);

impl Ctx for ParamsOnly<'_> {
    fn parameter(&self, name: &str) -> Result<Val, String> {
        lookup_ci(self.0, name)
            .map(|v| Val::Known(v.clone()))
            .ok_or_else(|| format!("parameter '{name}' is not defined"))
    }
    fn field(&self, _: &str) -> Result<Val, String> {
        Err("field() cannot be used here".into())
    }
    fn current(&self, _: Option<&str>) -> Result<Val, String> {
        Err("current() cannot be used here".into())
    }
}

/// Resolves declared parameters from `given` (name → value, with the pointer to blame) and
/// defaults, then the effect. Errors are (pointer, message); `missing_at` is blamed for a
/// parameter that has neither a value nor a default.
pub fn bind_params(
    decls: &[ParamDecl],
    given: &[(String, Value, String)],
    missing_at: Option<&str>,
    owner: &str,
) -> Result<Map<String, Value>, Issue> {
    let mut values = Map::new();
    for (k, _, at) in given {
        if !decls.iter().any(|d| d.name.eq_ignore_ascii_case(k)) {
            let names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
            return Err(Issue::new(
                at,
                format!(
                    "'{owner}' has no parameter '{k}' (it declares: {})",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
    }
    for d in decls {
        let supplied = given
            .iter()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(&d.name));
        let v = match (supplied, &d.default) {
            (Some((_, v, at)), _) => {
                check_value(d, v).map_err(|m| Issue::new(at, m))?;
                v.clone()
            }
            (None, Some(def)) => def.clone(),
            (None, None) => {
                return Err(Issue::new(
                    missing_at.unwrap_or(&d.pointer),
                    format!(
                        "parameter '{}' of '{owner}' has no value and no defaultValue",
                        d.name
                    ),
                ))
            }
        };
        values.insert(d.name.clone(), v);
    }
    Ok(values)
}

pub fn resolve_effect(policy: &Policy, values: &Map<String, Value>) -> Result<Effect, String> {
    match policy.effect.eval(&ParamsOnly(values))? {
        Val::Known(Value::String(s)) => Effect::parse(&s),
        Val::Known(other) => Err(format!("the effect must be a string, got {}", kind(&other))),
        Val::Unknown(_) => Err("the effect cannot depend on the resource".into()),
    }
}

/// Evaluates initiative → definition parameter values with the initiative's parameters.
pub fn member_values(
    member: &MemberRef,
    initiative_values: &Map<String, Value>,
) -> Result<Vec<(String, Value, String)>, Issue> {
    member
        .values
        .iter()
        .map(|(k, t, at)| match t.eval(&ParamsOnly(initiative_values)) {
            Ok(Val::Known(v)) => Ok((k.clone(), v, at.clone())),
            Ok(Val::Unknown(_)) => Err(Issue::new(at, "value cannot depend on the resource")),
            Err(m) => Err(Issue::new(at, m)),
        })
        .collect()
}

/// Does an initiative reference (`policyDefinitionId`) name this definition?
pub fn references(reference: &str, policy: &Policy) -> bool {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    reference.eq_ignore_ascii_case(&policy.name)
        || last.eq_ignore_ascii_case(&policy.name)
        || policy
            .resource_id
            .as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(reference))
}
