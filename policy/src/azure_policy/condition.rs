//! The `if` block: logical operators, conditions and `count`, parsed from JSON with every
//! mistake reported against the JSON pointer of the offending key.

use serde_json::Value;

use super::field::{parse_field, parse_path, FieldRef, Seg};
use super::span::child;
use super::template::{parse_string, parse_tpl, Expr, Tpl};
use super::value::truthy_str;

/// A problem found while reading a document, located by JSON pointer.
#[derive(Debug, Clone)]
pub struct Issue {
    pub pointer: String,
    pub message: String,
}

impl Issue {
    pub fn new(pointer: &str, message: impl Into<String>) -> Issue {
        Issue {
            pointer: pointer.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Cond {
    AllOf(Vec<Cond>),
    AnyOf(Vec<Cond>),
    Not(Box<Cond>),
    Test { lhs: Lhs, op: Op, rhs: Tpl },
}

#[derive(Debug, Clone)]
pub enum Lhs {
    Field(FieldSpec),
    Value(Tpl),
    Count(Box<Count>),
}

#[derive(Debug, Clone)]
pub enum FieldSpec {
    Static(FieldRef),
    /// `"field": "[concat('tags[', parameters('tag'), ']')]"`
    Dynamic(Expr),
}

#[derive(Debug, Clone)]
pub struct Count {
    pub source: CountSource,
    pub filter: Option<Cond>,
}

#[derive(Debug, Clone)]
pub enum CountSource {
    /// A path ending in `[*]`.
    Field(Vec<Seg>),
    Value {
        value: Tpl,
        name: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    Like,
    NotLike,
    Match,
    MatchInsensitively,
    NotMatch,
    NotMatchInsensitively,
    Contains,
    NotContains,
    In,
    NotIn,
    ContainsKey,
    NotContainsKey,
    Less,
    LessOrEquals,
    Greater,
    GreaterOrEquals,
    Exists,
}

const OPS: &[(&str, Op)] = &[
    ("equals", Op::Equals),
    ("notEquals", Op::NotEquals),
    ("like", Op::Like),
    ("notLike", Op::NotLike),
    ("match", Op::Match),
    ("matchInsensitively", Op::MatchInsensitively),
    ("notMatch", Op::NotMatch),
    ("notMatchInsensitively", Op::NotMatchInsensitively),
    ("contains", Op::Contains),
    ("notContains", Op::NotContains),
    ("in", Op::In),
    ("notIn", Op::NotIn),
    ("containsKey", Op::ContainsKey),
    ("notContainsKey", Op::NotContainsKey),
    ("less", Op::Less),
    ("lessOrEquals", Op::LessOrEquals),
    ("greater", Op::Greater),
    ("greaterOrEquals", Op::GreaterOrEquals),
    ("exists", Op::Exists),
];

fn op_named(key: &str) -> Option<Op> {
    OPS.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(key))
        .map(|(_, op)| *op)
}

/// Collects what the parsed rule refers to, for checks that need the whole definition.
#[derive(Debug, Default)]
pub struct Refs {
    /// (parameter name, pointer of the template using it)
    pub parameters: Vec<(String, String)>,
}

impl Refs {
    fn note_expr(&mut self, e: &Expr, pointer: &str) {
        let mut names = Vec::new();
        e.parameter_refs(&mut names);
        for n in names {
            self.parameters.push((n, pointer.to_string()));
        }
    }

    pub fn note_tpl(&mut self, t: &Tpl, pointer: &str) {
        for e in t.exprs() {
            self.note_expr(e, pointer);
        }
    }
}

fn tpl_at(v: &Value, pointer: &str, refs: &mut Refs) -> Result<Tpl, Issue> {
    let t = parse_tpl(v).map_err(|m| Issue::new(pointer, m))?;
    refs.note_tpl(&t, pointer);
    Ok(t)
}

pub fn parse_condition(v: &Value, pointer: &str, refs: &mut Refs) -> Result<Cond, Issue> {
    let Value::Object(m) = v else {
        return Err(Issue::new(
            pointer,
            format!(
                "a condition must be an object, found {}",
                super::template::kind(v)
            ),
        ));
    };
    if m.is_empty() {
        return Err(Issue::new(pointer, "empty condition"));
    }
    // Logical operators stand alone.
    for (k, inner) in m {
        let lk = k.to_ascii_lowercase();
        if matches!(lk.as_str(), "allof" | "anyof" | "not") {
            let kp = child(pointer, k);
            if m.len() != 1 {
                return Err(Issue::new(
                    &kp,
                    format!("'{k}' must be the only key of its object"),
                ));
            }
            return match lk.as_str() {
                "not" => Ok(Cond::Not(Box::new(parse_condition(inner, &kp, refs)?))),
                _ => {
                    let Value::Array(items) = inner else {
                        return Err(Issue::new(
                            &kp,
                            format!("'{k}' takes an array of conditions"),
                        ));
                    };
                    let conds = items
                        .iter()
                        .enumerate()
                        .map(|(i, c)| parse_condition(c, &child(&kp, &i.to_string()), refs))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(if lk == "allof" {
                        Cond::AllOf(conds)
                    } else {
                        Cond::AnyOf(conds)
                    })
                }
            };
        }
    }

    let mut lhs: Option<Lhs> = None;
    let mut op: Option<(Op, &Value, String)> = None;
    for (k, inner) in m {
        let kp = child(pointer, k);
        let lk = k.to_ascii_lowercase();
        let new_lhs = match lk.as_str() {
            "field" => Some(Lhs::Field(parse_field_spec(inner, &kp, refs)?)),
            "value" => Some(Lhs::Value(tpl_at(inner, &kp, refs)?)),
            "count" => Some(Lhs::Count(Box::new(parse_count(inner, &kp, refs)?))),
            _ => None,
        };
        if let Some(l) = new_lhs {
            if lhs.is_some() {
                return Err(Issue::new(
                    &kp,
                    "a condition takes exactly one of 'field', 'value' or 'count'",
                ));
            }
            lhs = Some(l);
            continue;
        }
        match op_named(k) {
            Some(o) => {
                if op.is_some() {
                    return Err(Issue::new(&kp, "a condition takes exactly one operator"));
                }
                op = Some((o, inner, kp));
            }
            None => {
                let known: Vec<&str> = OPS.iter().map(|(n, _)| *n).collect();
                return Err(Issue::new(
                    &kp,
                    format!(
                        "unknown key '{k}' in condition (expected field, value or count and one of: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    let Some(lhs) = lhs else {
        return Err(Issue::new(
            pointer,
            "condition has no 'field', 'value' or 'count'",
        ));
    };
    let Some((op, rhs_v, op_ptr)) = op else {
        return Err(Issue::new(
            pointer,
            "condition has no operator (equals, in, exists, ...)",
        ));
    };
    let rhs = tpl_at(rhs_v, &op_ptr, refs)?;
    if let Some(lit) = rhs.literal() {
        match op {
            Op::In | Op::NotIn if !lit.is_array() => {
                return Err(Issue::new(&op_ptr, "'in'/'notIn' take an array"));
            }
            Op::Exists if !is_boolish(lit) => {
                return Err(Issue::new(&op_ptr, "'exists' takes true or false"));
            }
            _ => {}
        }
    }
    Ok(Cond::Test { lhs, op, rhs })
}

pub fn is_boolish(v: &Value) -> bool {
    match v {
        Value::Bool(_) => true,
        Value::String(s) => truthy_str(s).is_some(),
        _ => false,
    }
}

fn parse_field_spec(v: &Value, pointer: &str, refs: &mut Refs) -> Result<FieldSpec, Issue> {
    let Value::String(s) = v else {
        return Err(Issue::new(pointer, "'field' takes a string"));
    };
    match parse_string(s).map_err(|m| Issue::new(pointer, m))? {
        Some(e) => {
            refs.note_expr(&e, pointer);
            Ok(FieldSpec::Dynamic(e))
        }
        None => parse_field(s)
            .map(FieldSpec::Static)
            .map_err(|m| Issue::new(pointer, m)),
    }
}

fn parse_count(v: &Value, pointer: &str, refs: &mut Refs) -> Result<Count, Issue> {
    let Value::Object(m): &Value = v else {
        return Err(Issue::new(pointer, "'count' takes an object"));
    };
    let get = |name: &str| -> Option<(String, &Value)> {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(k, v)| (child(pointer, k), v))
    };
    for k in m.keys() {
        if !["field", "value", "name", "where"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(k))
        {
            return Err(Issue::new(
                &child(pointer, k),
                format!("unknown key '{k}' in count (expected field or value, name, where)"),
            ));
        }
    }
    let source = match (get("field"), get("value")) {
        (Some(_), Some((vp, _))) => {
            return Err(Issue::new(
                &vp,
                "count takes either 'field' or 'value', not both",
            ))
        }
        (None, None) => return Err(Issue::new(pointer, "count needs 'field' or 'value'")),
        (Some((fp, f)), None) => {
            if let Some((np, _)) = get("name") {
                return Err(Issue::new(&np, "'name' is only allowed in a value count"));
            }
            let Value::String(s) = f else {
                return Err(Issue::new(&fp, "count 'field' takes a string"));
            };
            let segs = parse_path(s).map_err(|e| Issue::new(&fp, e))?;
            if segs.last() != Some(&Seg::Wildcard) {
                return Err(Issue::new(
                    &fp,
                    format!("count field '{s}' must end with [*] (it counts list members)"),
                ));
            }
            CountSource::Field(segs)
        }
        (None, Some((vp, val))) => {
            let name = match get("name") {
                None => None,
                Some((_, Value::String(n))) => Some(n.clone()),
                Some((np, _)) => return Err(Issue::new(&np, "count 'name' takes a string")),
            };
            CountSource::Value {
                value: tpl_at(val, &vp, refs)?,
                name,
            }
        }
    };
    let filter = match get("where") {
        Some((wp, w)) => Some(parse_condition(w, &wp, refs)?),
        None => None,
    };
    Ok(Count { source, filter })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Cond, Issue> {
        parse_condition(&v, "/if", &mut Refs::default())
    }

    #[test]
    fn reports_the_offending_key() {
        let e = parse(json!({"allOf": [{"field": "type", "equalz": "x"}]})).unwrap_err();
        assert_eq!(e.pointer, "/if/allOf/0/equalz");
        assert!(e.message.contains("unknown key 'equalz'"));
        let e = parse(json!({"field": "a", "value": "b", "equals": 1})).unwrap_err();
        assert_eq!(e.pointer, "/if/value");
        let e = parse(json!({"count": {"field": "a[*].b"}, "equals": 1})).unwrap_err();
        assert!(e.message.contains("must end with [*]"));
        let e = parse(json!({"field": "a", "in": "b"})).unwrap_err();
        assert_eq!(e.pointer, "/if/in");
    }

    #[test]
    fn keys_are_case_insensitive() {
        assert!(parse(json!({"ALLOF": [{"Field": "type", "EQUALS": "x"}]})).is_ok());
    }
}
