//! The template functions evaluated once all their arguments are known, and the table
//! of functions (with argument counts) that load-time parsing checks calls against.

use serde_json::{Map, Number, Value};

use super::template::{kind, lookup_ci, to_plain_string};
use super::value::{loose_cmp, loose_eq, truthy_str};

/// Functions we evaluate, with their (min, max) argument counts.
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("parameters", 1, 1),
    ("field", 1, 1),
    ("current", 0, 1),
    ("concat", 1, usize::MAX),
    ("tolower", 1, 1),
    ("toupper", 1, 1),
    ("trim", 1, 1),
    ("if", 3, 3),
    ("and", 1, usize::MAX),
    ("or", 1, usize::MAX),
    ("not", 1, 1),
    ("equals", 2, 2),
    ("greater", 2, 2),
    ("greaterorequals", 2, 2),
    ("less", 2, 2),
    ("lessorequals", 2, 2),
    ("length", 1, 1),
    ("empty", 1, 1),
    ("contains", 2, 2),
    ("first", 1, 1),
    ("last", 1, 1),
    ("split", 2, 2),
    ("join", 2, 2),
    ("replace", 3, 3),
    ("substring", 2, 3),
    ("startswith", 2, 2),
    ("endswith", 2, 2),
    ("indexof", 2, 2),
    ("lastindexof", 2, 2),
    ("padleft", 2, 3),
    ("take", 2, 2),
    ("skip", 2, 2),
    ("union", 1, usize::MAX),
    ("intersection", 1, usize::MAX),
    ("createarray", 0, usize::MAX),
    ("createobject", 0, usize::MAX),
    ("array", 1, 1),
    ("json", 1, 1),
    ("string", 1, 1),
    ("int", 1, 1),
    ("float", 1, 1),
    ("bool", 1, 1),
    ("coalesce", 1, usize::MAX),
    ("min", 1, usize::MAX),
    ("max", 1, usize::MAX),
    ("add", 2, 2),
    ("sub", 2, 2),
    ("mul", 2, 2),
    ("div", 2, 2),
    ("mod", 2, 2),
    ("range", 2, 2),
    ("true", 0, 0),
    ("false", 0, 0),
    ("null", 0, 0),
];

/// Functions that exist in Azure but need the live platform; named in the load error.
const ONLINE_ONLY: &[&str] = &[
    "utcnow",
    "resourcegroup",
    "subscription",
    "requestcontext",
    "policy",
    "iprangecontains",
    "addDays",
    "newguid",
    "reference",
    "resourceid",
    "listkeys",
];

pub(super) fn check_function(name: &str, lname: &str, argc: usize) -> Result<(), String> {
    if let Some((_, min, max)) = FUNCTIONS.iter().find(|(n, _, _)| *n == lname) {
        if argc < *min || argc > *max {
            let want = if min == max {
                format!("{min}")
            } else if *max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(format!("{name}() takes {want} argument(s), got {argc}"));
        }
        return Ok(());
    }
    if ONLINE_ONLY.iter().any(|n| n.eq_ignore_ascii_case(lname)) {
        return Err(format!(
            "template function '{name}' needs the live Azure platform and cannot be evaluated against a plan"
        ));
    }
    Err(format!("unknown template function '{name}'"))
}

fn as_str<'a>(f: &str, v: &'a Value) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{f}() expects a string, got {}", kind(v)))
}

fn as_int(f: &str, v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|x| x.fract() == 0.0).map(|x| x as i64))
            .ok_or_else(|| format!("{f}() expects an integer, got a fractional number")),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("{f}() expects an integer, got a non-numeric string")),
        other => Err(format!("{f}() expects an integer, got {}", kind(other))),
    }
}

fn as_f64(f: &str, v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => Ok(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("{f}() expects a number, got a non-numeric string")),
        other => Err(format!("{f}() expects a number, got {}", kind(other))),
    }
}

fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Functions whose arguments are all known.
pub(super) fn strict(name: &str, a: &[Value]) -> Result<Value, String> {
    Ok(match name {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        "concat" => {
            if a.iter().all(|v| v.is_array()) {
                Value::Array(
                    a.iter()
                        .flat_map(|v| v.as_array().unwrap().clone())
                        .collect(),
                )
            } else {
                Value::String(a.iter().map(to_plain_string).collect())
            }
        }
        "tolower" => Value::String(as_str(name, &a[0])?.to_lowercase()),
        "toupper" => Value::String(as_str(name, &a[0])?.to_uppercase()),
        "trim" => Value::String(as_str(name, &a[0])?.trim().to_string()),
        "not" => Value::Bool(
            !a[0]
                .as_bool()
                .ok_or_else(|| format!("not() expects a boolean, got {}", kind(&a[0])))?,
        ),
        "equals" => Value::Bool(loose_eq(&a[0], &a[1])),
        "greater" | "greaterorequals" | "less" | "lessorequals" => {
            let ord = loose_cmp(&a[0], &a[1]).ok_or_else(|| {
                format!(
                    "{name}() cannot compare {} with {}",
                    kind(&a[0]),
                    kind(&a[1])
                )
            })?;
            Value::Bool(match name {
                "greater" => ord.is_gt(),
                "greaterorequals" => ord.is_ge(),
                "less" => ord.is_lt(),
                _ => ord.is_le(),
            })
        }
        "length" => Value::from(match &a[0] {
            Value::String(s) => s.chars().count(),
            Value::Array(x) => x.len(),
            Value::Object(m) => m.len(),
            Value::Null => 0,
            other => {
                return Err(format!(
                    "length() expects a string, array or object, got {}",
                    kind(other)
                ))
            }
        }),
        "empty" => Value::Bool(match &a[0] {
            Value::String(s) => s.is_empty(),
            Value::Array(x) => x.is_empty(),
            Value::Object(m) => m.is_empty(),
            Value::Null => true,
            _ => false,
        }),
        "contains" => Value::Bool(match &a[0] {
            Value::String(s) => s
                .to_lowercase()
                .contains(&to_plain_string(&a[1]).to_lowercase()),
            Value::Array(x) => x.iter().any(|e| loose_eq(e, &a[1])),
            Value::Object(m) => lookup_ci(m, &to_plain_string(&a[1])).is_some(),
            Value::Null => false,
            other => {
                return Err(format!(
                    "contains() expects a string, array or object, got {}",
                    kind(other)
                ))
            }
        }),
        "first" | "last" => match &a[0] {
            Value::String(s) => {
                let c = if name == "first" {
                    s.chars().next()
                } else {
                    s.chars().last()
                };
                Value::String(c.map(String::from).unwrap_or_default())
            }
            Value::Array(x) => {
                let e = if name == "first" { x.first() } else { x.last() };
                e.cloned().unwrap_or(Value::Null)
            }
            Value::Null => Value::Null,
            other => {
                return Err(format!(
                    "{name}() expects a string or array, got {}",
                    kind(other)
                ))
            }
        },
        "split" => {
            let s = as_str(name, &a[0])?;
            let seps: Vec<String> = match &a[1] {
                Value::String(d) => vec![d.clone()],
                Value::Array(ds) => ds.iter().map(to_plain_string).collect(),
                other => {
                    return Err(format!(
                        "split() expects a delimiter string, got {}",
                        kind(other)
                    ))
                }
            };
            let mut parts = vec![s.to_string()];
            for sep in seps.iter().filter(|d| !d.is_empty()) {
                parts = parts
                    .iter()
                    .flat_map(|p| p.split(sep.as_str()).map(String::from).collect::<Vec<_>>())
                    .collect();
            }
            Value::Array(parts.into_iter().map(Value::String).collect())
        }
        "join" => {
            let items = a[0]
                .as_array()
                .ok_or_else(|| format!("join() expects an array, got {}", kind(&a[0])))?;
            let sep = as_str(name, &a[1])?;
            Value::String(
                items
                    .iter()
                    .map(to_plain_string)
                    .collect::<Vec<_>>()
                    .join(sep),
            )
        }
        "replace" => {
            let s = as_str(name, &a[0])?;
            let from = as_str(name, &a[1])?;
            let to = as_str(name, &a[2])?;
            Value::String(if from.is_empty() {
                s.to_string()
            } else {
                s.replace(from, to)
            })
        }
        "substring" => {
            let s: Vec<char> = as_str(name, &a[0])?.chars().collect();
            let start = as_int(name, &a[1])?;
            let len = match a.get(2) {
                Some(l) => as_int(name, l)?,
                None => s.len() as i64 - start,
            };
            if start < 0 || len < 0 || (start + len) as usize > s.len() {
                return Err(format!(
                    "substring() range {start}..{} is outside the string (length {})",
                    start + len,
                    s.len()
                ));
            }
            Value::String(s[start as usize..(start + len) as usize].iter().collect())
        }
        "startswith" | "endswith" => {
            let s = as_str(name, &a[0])?.to_lowercase();
            let p = as_str(name, &a[1])?.to_lowercase();
            Value::Bool(if name == "startswith" {
                s.starts_with(&p)
            } else {
                s.ends_with(&p)
            })
        }
        "indexof" | "lastindexof" => {
            let s = as_str(name, &a[0])?.to_lowercase();
            let p = as_str(name, &a[1])?.to_lowercase();
            let found = if name == "indexof" {
                s.find(&p)
            } else {
                s.rfind(&p)
            };
            Value::from(found.map(|b| s[..b].chars().count() as i64).unwrap_or(-1))
        }
        "padleft" => {
            let s = to_plain_string(&a[0]);
            let width = as_int(name, &a[1])?.max(0) as usize;
            let pad = match a.get(2) {
                Some(p) => as_str(name, p)?.chars().next().unwrap_or(' '),
                None => ' ',
            };
            let n = s.chars().count();
            let mut out: String = std::iter::repeat_n(pad, width.saturating_sub(n)).collect();
            out.push_str(&s);
            Value::String(out)
        }
        "take" | "skip" => {
            let n = as_int(name, &a[1])?.max(0) as usize;
            match &a[0] {
                Value::String(s) => Value::String(if name == "take" {
                    s.chars().take(n).collect()
                } else {
                    s.chars().skip(n).collect()
                }),
                Value::Array(x) => Value::Array(if name == "take" {
                    x.iter().take(n).cloned().collect()
                } else {
                    x.iter().skip(n).cloned().collect()
                }),
                other => {
                    return Err(format!(
                        "{name}() expects a string or array, got {}",
                        kind(other)
                    ))
                }
            }
        }
        "union" => {
            if a.iter().all(|v| v.is_object()) {
                let mut m = Map::new();
                for v in a {
                    for (k, x) in v.as_object().unwrap() {
                        m.insert(k.clone(), x.clone());
                    }
                }
                Value::Object(m)
            } else {
                let mut out: Vec<Value> = Vec::new();
                for v in a {
                    let items = v.as_array().ok_or_else(|| {
                        format!("union() expects arrays or objects, got {}", kind(v))
                    })?;
                    for x in items {
                        if !out.iter().any(|o| o == x) {
                            out.push(x.clone());
                        }
                    }
                }
                Value::Array(out)
            }
        }
        "intersection" => {
            let first = a[0]
                .as_array()
                .ok_or_else(|| format!("intersection() expects arrays, got {}", kind(&a[0])))?;
            let mut out = Vec::new();
            for x in first {
                let everywhere = a[1..]
                    .iter()
                    .all(|v| v.as_array().is_some_and(|arr| arr.contains(x)));
                if everywhere && !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Value::Array(out)
        }
        "createarray" => Value::Array(a.to_vec()),
        "createobject" => {
            if !a.len().is_multiple_of(2) {
                return Err("createObject() takes key/value pairs".into());
            }
            let mut m = Map::new();
            for pair in a.chunks(2) {
                m.insert(as_str(name, &pair[0])?.to_string(), pair[1].clone());
            }
            Value::Object(m)
        }
        "array" => match &a[0] {
            Value::Array(_) => a[0].clone(),
            other => Value::Array(vec![other.clone()]),
        },
        "json" => serde_json::from_str(as_str(name, &a[0])?)
            .map_err(|e| format!("json() could not parse its argument: {e}"))?,
        "string" => Value::String(match &a[0] {
            Value::String(s) => s.clone(),
            other => to_plain_string(other),
        }),
        "int" => Value::from(as_int(name, &a[0])?),
        "float" => num(as_f64(name, &a[0])?),
        "bool" => Value::Bool(match &a[0] {
            Value::Bool(b) => *b,
            Value::String(s) => {
                truthy_str(s).ok_or_else(|| "bool() expects 'true' or 'false'".to_string())?
            }
            Value::Number(n) => n.as_f64() != Some(0.0),
            other => return Err(format!("bool() cannot convert {}", kind(other))),
        }),
        "min" | "max" => {
            let items: Vec<Value> = if a.len() == 1 && a[0].is_array() {
                a[0].as_array().unwrap().clone()
            } else {
                a.to_vec()
            };
            let mut best: Option<f64> = None;
            for v in &items {
                let x = as_f64(name, v)?;
                best = Some(match best {
                    None => x,
                    Some(b) if name == "min" => b.min(x),
                    Some(b) => b.max(x),
                });
            }
            best.map(num)
                .ok_or_else(|| format!("{name}() of nothing"))?
        }
        "add" | "sub" | "mul" | "div" | "mod" => {
            let x = as_int(name, &a[0])?;
            let y = as_int(name, &a[1])?;
            if matches!(name, "div" | "mod") && y == 0 {
                return Err(format!("{name}() by zero"));
            }
            Value::from(match name {
                "add" => x.saturating_add(y),
                "sub" => x.saturating_sub(y),
                "mul" => x.saturating_mul(y),
                "div" => x / y,
                _ => x % y,
            })
        }
        "range" => {
            let start = as_int(name, &a[0])?;
            let count = as_int(name, &a[1])?;
            if !(0..=10_000).contains(&count) {
                return Err("range() count must be between 0 and 10000".into());
            }
            Value::Array((start..start + count).map(Value::from).collect())
        }
        other => return Err(format!("template function '{other}' is not implemented")),
    })
}
