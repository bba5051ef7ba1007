//! cty's JSON encoding, read for one purpose: stored state handed to `UpgradeResourceState`.
//!
//! The state may come from an older schema, so decoding is forgiving where it is safe: attributes
//! the type lacks are dropped and attributes the JSON lacks become null.

use std::collections::BTreeMap;

use bigdecimal::BigDecimal;
use serde_json::Value as J;

use super::msgpack::DecodeError;
use super::value::{Type, Value};

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let json: J = serde_json::from_slice(bytes).map_err(|e| DecodeError {
        path: String::new(),
        message: format!("invalid JSON: {e}"),
    })?;
    from_json(&json, ty, &mut String::new())
}

pub fn from_json(json: &J, ty: &Type, path: &mut String) -> Result<Value, DecodeError> {
    let fail = |path: &str, message: String| {
        Err(DecodeError {
            path: path.to_owned(),
            message,
        })
    };
    if json.is_null() {
        return Ok(Value::Null);
    }
    match (ty, json) {
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        // cty writes numbers as JSON numbers but reads strings too.
        (Type::Number, J::Number(n)) => parse_number(&n.to_string(), path),
        (Type::Number, J::String(s)) => parse_number(s, path),
        (Type::String, J::String(s)) => Ok(Value::String(s.clone())),
        // cty converts primitives to strings when reading JSON, as Terraform does.
        (Type::String, J::Number(n)) => Ok(Value::String(n.to_string())),
        (Type::String, J::Bool(b)) => Ok(Value::String(b.to_string())),
        (Type::Dynamic, J::Object(parts)) => {
            let (Some(type_json), Some(inner)) = (parts.get("type"), parts.get("value")) else {
                return fail(
                    path,
                    "dynamic value must have \"type\" and \"value\"".into(),
                );
            };
            let concrete = match Type::from_json(type_json) {
                Ok(t) => t,
                Err(e) => return fail(path, e),
            };
            match from_json(inner, &concrete, path)? {
                Value::Null => Ok(Value::Null),
                v => Ok(Value::Dynamic(concrete, Box::new(v))),
            }
        }
        (Type::List(elem) | Type::Set(elem), J::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(from_json(item, elem, path)?);
                path.truncate(len);
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::set(out)
            } else {
                Value::List(out)
            })
        }
        (Type::Map(elem), J::Object(entries)) => {
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let len = path.len();
                path.push_str(&format!("[{k:?}]"));
                out.insert(k.clone(), from_json(v, elem, path)?);
                path.truncate(len);
            }
            Ok(Value::Map(out))
        }
        (Type::Object(attrs), J::Object(entries)) => {
            let mut out = BTreeMap::new();
            for (name, attr_ty) in attrs {
                let v = match entries.get(name) {
                    Some(v) => {
                        let len = path.len();
                        path.push_str(&format!(".{name}"));
                        let v = from_json(v, attr_ty, path)?;
                        path.truncate(len);
                        v
                    }
                    None => Value::Null,
                };
                out.insert(name.clone(), v);
            }
            Ok(Value::Object(out))
        }
        (Type::Tuple(elems), J::Array(items)) if elems.len() == items.len() => {
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(from_json(item, elem, path)?);
                path.truncate(len);
            }
            Ok(Value::Tuple(out))
        }
        // Name the kind of value found, never the value: it may be a secret.
        (ty, other) => fail(path, format!("{ty} required, got {}", kind_of(other))),
    }
}

fn kind_of(json: &J) -> &'static str {
    match json {
        J::Null => "null",
        J::Bool(_) => "a bool",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "an array",
        J::Object(_) => "an object",
    }
}

fn parse_number(s: &str, path: &str) -> Result<Value, DecodeError> {
    s.parse::<BigDecimal>()
        .map(Value::Number)
        .map_err(|_| DecodeError {
            path: path.to_owned(),
            message: "not a decimal number".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_json_decodes_under_the_current_schema() {
        let ty = Type::object([
            ("name", Type::String),
            ("login", Type::Bool),
            ("limit", Type::Number),
            ("tags", Type::set(Type::String)),
            ("added_later", Type::String),
        ]);
        let json = br#"{"name":"app","login":true,"limit":-1,"tags":["b","a"],"removed":"x"}"#;
        let v = decode(json, &ty).unwrap();
        assert_eq!(
            v,
            Value::object([
                ("name", Value::from("app")),
                ("login", Value::from(true)),
                ("limit", Value::from(-1)),
                ("tags", Value::set(vec!["a".into(), "b".into()])),
                ("added_later", Value::Null),
            ])
        );
    }

    #[test]
    fn numbers_keep_their_decimal_digits() {
        let v = decode(b"0.1", &Type::Number).unwrap();
        assert_eq!(v, Value::Number("0.1".parse().unwrap()));
        let v = decode(br#""12345678901234567890123""#, &Type::Number).unwrap();
        assert_eq!(v, Value::Number("12345678901234567890123".parse().unwrap()));
    }

    #[test]
    fn dynamic_values_read_type_and_value() {
        let v = decode(
            br#"{"value":["a"],"type":["list","string"]}"#,
            &Type::Dynamic,
        )
        .unwrap();
        assert_eq!(
            v,
            Value::Dynamic(
                Type::list(Type::String),
                Box::new(Value::List(vec!["a".into()]))
            )
        );
    }

    #[test]
    fn wrong_shapes_are_errors_with_a_path() {
        let ty = Type::object([("a", Type::list(Type::Bool))]);
        let err = decode(br#"{"a":[true,"x"]}"#, &ty).unwrap_err();
        assert_eq!(err.path, ".a[1]");
    }
}
