//! cty's msgpack encoding, the form of every `DynamicValue` we exchange with Terraform.
//!
//! Rules (go-cty `cty/msgpack`): any extension value is unknown, whatever the type; nil is null;
//! numbers arrive as any integer, float or a decimal string; objects carry exactly their declared
//! attributes; a value in a `dynamic` position is `[bin(type JSON), value]`.

use std::collections::BTreeMap;

use bigdecimal::{BigDecimal, ToPrimitive};
use rmpv::Value as Mp;

use super::value::{Refinements, Type, Value};

/// Extension type go-cty uses for refined unknowns.
const EXT_REFINED_UNKNOWN: i8 = 12;

/// Why bytes could not be read as a value of the expected type; `path` says where, in the
/// `.a[0]["k"]` style Terraform's messages use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DecodeError {}

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut reader = bytes;
    let mp = rmpv::decode::read_value(&mut reader).map_err(|e| DecodeError {
        path: String::new(),
        message: format!("invalid msgpack: {e}"),
    })?;
    if !reader.is_empty() {
        return Err(DecodeError {
            path: String::new(),
            message: format!("{} bytes left over after the value", reader.len()),
        });
    }
    let mut path = String::new();
    from_mp(mp, ty, &mut path)
}

/// Encodes `value` as a value of type `ty`. Fails when the value does not fit the type, which is
/// always a bug in the provider, never in the user's configuration.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, DecodeError> {
    let mut path = String::new();
    let mp = to_mp(value, ty, &mut path)?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &mp).expect("writing to a Vec cannot fail");
    Ok(out)
}

fn error<T>(path: &str, message: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError {
        path: path.to_owned(),
        message: message.into(),
    })
}

/// Runs `f` with `step` appended to `path`, then restores `path`.
fn at<T>(path: &mut String, step: &str, f: impl FnOnce(&mut String) -> T) -> T {
    let len = path.len();
    path.push_str(step);
    let result = f(path);
    path.truncate(len);
    result
}

fn from_mp(mp: Mp, ty: &Type, path: &mut String) -> Result<Value, DecodeError> {
    // Unknown wins over everything, for every type.
    if let Mp::Ext(kind, payload) = mp {
        return Ok(Value::Unknown(if kind == EXT_REFINED_UNKNOWN {
            Refinements(payload)
        } else {
            Refinements::default()
        }));
    }
    if mp.is_nil() {
        return Ok(Value::Null);
    }
    match ty {
        Type::Bool => match mp {
            Mp::Boolean(b) => Ok(Value::Bool(b)),
            other => error(path, format!("bool required, got {}", kind_of(&other))),
        },
        Type::Number => decode_number(mp, path).map(Value::Number),
        Type::String => match mp {
            Mp::String(s) => match s.into_str() {
                Some(s) => Ok(Value::String(s)),
                None => error(path, "string is not valid UTF-8"),
            },
            other => error(path, format!("string required, got {}", kind_of(&other))),
        },
        Type::Dynamic => {
            let Mp::Array(mut parts) = mp else {
                return error(path, "dynamic value must be a [type, value] array");
            };
            if parts.len() != 2 {
                return error(path, "dynamic value must be a [type, value] array");
            }
            let inner = parts.pop().expect("two parts");
            let type_json = match parts.pop().expect("two parts") {
                Mp::Binary(b) => b,
                Mp::String(s) => s.into_bytes(),
                _ => return error(path, "dynamic value type must be JSON bytes"),
            };
            let concrete = Type::from_json_bytes(&type_json).or_else(|e| error(path, e))?;
            let value = from_mp(inner, &concrete, path)?;
            Ok(match value {
                // Null and unknown need no type to be useful; keep them plain.
                Value::Null | Value::Unknown(_) => value,
                v => Value::Dynamic(concrete, Box::new(v)),
            })
        }
        Type::List(elem) | Type::Set(elem) => {
            let Mp::Array(items) = mp else {
                return error(path, format!("{} required", kind_name(ty)));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(at(path, &format!("[{i}]"), |p| from_mp(item, elem, p))?);
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::set(out)
            } else {
                Value::List(out)
            })
        }
        Type::Map(elem) => {
            let Mp::Map(entries) = mp else {
                return error(path, "map required");
            };
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let Some(key) = k.as_str().map(str::to_owned) else {
                    return error(path, "map keys must be strings");
                };
                let v = at(path, &format!("[{key:?}]"), |p| from_mp(v, elem, p))?;
                out.insert(key, v);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let Mp::Map(entries) = mp else {
                return error(path, "object required");
            };
            if entries.len() != attrs.len() {
                return error(
                    path,
                    format!(
                        "an object with {} attributes is required ({} given)",
                        attrs.len(),
                        entries.len()
                    ),
                );
            }
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let Some(name) = k.as_str().map(str::to_owned) else {
                    return error(path, "object attribute names must be strings");
                };
                let Some(attr_ty) = attrs.get(&name) else {
                    return error(path, format!("unsupported attribute {name:?}"));
                };
                let v = at(path, &format!(".{name}"), |p| from_mp(v, attr_ty, p))?;
                out.insert(name, v);
            }
            if out.len() != attrs.len() {
                return error(path, "object has a duplicated attribute");
            }
            Ok(Value::Object(out))
        }
        Type::Tuple(elems) => {
            let Mp::Array(items) = mp else {
                return error(path, "tuple required");
            };
            if items.len() != elems.len() {
                return error(
                    path,
                    format!(
                        "a tuple of {} elements is required ({} given)",
                        elems.len(),
                        items.len()
                    ),
                );
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, elem)) in items.into_iter().zip(elems).enumerate() {
                out.push(at(path, &format!("[{i}]"), |p| from_mp(item, elem, p))?);
            }
            Ok(Value::Tuple(out))
        }
    }
}

fn decode_number(mp: Mp, path: &str) -> Result<BigDecimal, DecodeError> {
    match mp {
        Mp::Integer(i) => {
            if let Some(n) = i.as_i64() {
                Ok(n.into())
            } else if let Some(n) = i.as_u64() {
                Ok(n.into())
            } else {
                error(path, "integer out of range")
            }
        }
        Mp::F32(f) => float_to_decimal(f64::from(f), path),
        Mp::F64(f) => float_to_decimal(f, path),
        Mp::String(s) => match s.as_str().and_then(|s| s.parse::<BigDecimal>().ok()) {
            Some(n) => Ok(n),
            None => error(path, "number string is not a decimal number"),
        },
        other => error(path, format!("number required, got {}", kind_of(&other))),
    }
}

fn float_to_decimal(f: f64, path: &str) -> Result<BigDecimal, DecodeError> {
    if !f.is_finite() {
        return error(path, "numbers must be finite");
    }
    // go-cty only sends a float when it holds the number exactly, so convert exactly.
    BigDecimal::try_from(f).or_else(|_| error(path, "number out of range"))
}

fn to_mp(value: &Value, ty: &Type, path: &mut String) -> Result<Mp, DecodeError> {
    match value {
        Value::Unknown(r) if r.is_empty() => return Ok(Mp::Ext(0, vec![0])),
        Value::Unknown(r) => return Ok(Mp::Ext(EXT_REFINED_UNKNOWN, r.0.clone())),
        Value::Null => return Ok(Mp::Nil),
        _ => {}
    }
    match (ty, value) {
        (Type::Dynamic, Value::Dynamic(concrete, inner)) => Ok(Mp::Array(vec![
            Mp::Binary(concrete.to_json_bytes()),
            to_mp(inner, concrete, path)?,
        ])),
        (Type::Dynamic, _) => error(path, "a value in a dynamic position needs its type"),
        (Type::Bool, Value::Bool(b)) => Ok(Mp::Boolean(*b)),
        (Type::Number, Value::Number(n)) => Ok(encode_number(n)),
        (Type::String, Value::String(s)) => Ok(Mp::String(s.as_str().into())),
        (Type::List(elem), Value::List(items)) | (Type::Set(elem), Value::Set(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(at(path, &format!("[{i}]"), |p| to_mp(item, elem, p))?);
            }
            Ok(Mp::Array(out))
        }
        (Type::Map(elem), Value::Map(entries)) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let v = at(path, &format!("[{k:?}]"), |p| to_mp(v, elem, p))?;
                out.push((Mp::String(k.as_str().into()), v));
            }
            Ok(Mp::Map(out))
        }
        (Type::Object(attrs), Value::Object(values)) => {
            if let Some(extra) = values.keys().find(|k| !attrs.contains_key(*k)) {
                return error(path, format!("unsupported attribute {extra:?}"));
            }
            let mut out = Vec::with_capacity(attrs.len());
            for (name, attr_ty) in attrs {
                let Some(v) = values.get(name) else {
                    return error(path, format!("attribute {name:?} is missing"));
                };
                let v = at(path, &format!(".{name}"), |p| to_mp(v, attr_ty, p))?;
                out.push((Mp::String(name.as_str().into()), v));
            }
            Ok(Mp::Map(out))
        }
        (Type::Tuple(elems), Value::Tuple(items)) if elems.len() == items.len() => {
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                out.push(at(path, &format!("[{i}]"), |p| to_mp(item, elem, p))?);
            }
            Ok(Mp::Array(out))
        }
        (ty, _) => error(path, format!("value does not fit type {ty}")),
    }
}

/// Whole numbers that fit go out as msgpack integers, everything else as a decimal string,
/// which go-cty reads without losing precision.
fn encode_number(n: &BigDecimal) -> Mp {
    if n.is_integer() {
        if let Some(i) = n.to_i64() {
            return Mp::from(i);
        }
        if let Some(u) = n.to_u64() {
            return Mp::from(u);
        }
    }
    Mp::String(n.normalized().to_string().into())
}

fn kind_of(mp: &Mp) -> &'static str {
    match mp {
        Mp::Nil => "nil",
        Mp::Boolean(_) => "bool",
        Mp::Integer(_) | Mp::F32(_) | Mp::F64(_) => "number",
        Mp::String(_) => "string",
        Mp::Binary(_) => "binary",
        Mp::Array(_) => "array",
        Mp::Map(_) => "map",
        Mp::Ext(..) => "extension",
    }
}

fn kind_name(ty: &Type) -> &'static str {
    match ty {
        Type::Set(_) => "set",
        _ => "list",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn plain_unknown_is_d40000_both_ways() {
        let v = decode(&[0xd4, 0x00, 0x00], &Type::String).unwrap();
        assert_eq!(v, Value::unknown());
        assert_eq!(hex(&encode(&v, &Type::String).unwrap()), "d40000");
    }

    #[test]
    fn any_extension_is_unknown_for_any_type() {
        for ty in [
            Type::Bool,
            Type::list(Type::String),
            Type::object([("a", Type::Number)]),
        ] {
            assert!(decode(&[0xd4, 0x05, 0x01], &ty).unwrap().is_unknown());
        }
    }

    #[test]
    fn refined_unknown_string_prefix_is_kept_and_reemitted() {
        // "pre-${x.id}": ext 12 holding {1: false, 2: "pre-"}
        let bytes = [
            0xc7, 0x09, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa4, b'p', b'r', b'e', b'-',
        ];
        let v = decode(&bytes, &Type::String).unwrap();
        let Value::Unknown(r) = &v else {
            panic!("expected unknown, got {v:?}")
        };
        assert!(r.not_null());
        assert_eq!(r.string_prefix().as_deref(), Some("pre-"));
        assert_eq!(encode(&v, &Type::String).unwrap(), bytes);
    }

    #[test]
    fn numbers_decode_from_ints_floats_and_strings() {
        let n = |bytes: &[u8]| decode(bytes, &Type::Number).unwrap();
        assert_eq!(n(&[0x2a]), Value::from(42));
        assert_eq!(n(&[0xd0, 0xff]), Value::from(-1));
        assert_eq!(
            n(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Value::Number(u64::MAX.into())
        );
        // 1.5 as float64
        let mut f = vec![0xcb];
        f.extend_from_slice(&1.5f64.to_be_bytes());
        assert_eq!(n(&f), Value::Number("1.5".parse().unwrap()));
        // A decimal string with more precision than any float.
        let s = "0.1000000000000000000000000001";
        let mut bytes = vec![0xa0 | s.len() as u8];
        bytes.extend_from_slice(s.as_bytes());
        assert_eq!(n(&bytes), Value::Number(s.parse().unwrap()));
        assert_eq!(
            decode(&encode(&n(&bytes), &Type::Number).unwrap(), &Type::Number).unwrap(),
            n(&bytes)
        );
    }

    #[test]
    fn objects_need_exactly_their_attributes() {
        let ty = Type::object([("a", Type::String), ("b", Type::Bool)]);
        // {"a": "x"}
        let err = decode(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty).unwrap_err();
        assert_eq!(
            err.message,
            "an object with 2 attributes is required (1 given)"
        );
        // {"a": "x", "c": true}
        let err = decode(&[0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'c', 0xc3], &ty).unwrap_err();
        assert!(err.message.contains("unsupported attribute"), "{err}");
    }

    #[test]
    fn dynamic_values_carry_their_type_as_bin_json() {
        let v = Value::Dynamic(Type::String, Box::new("hi".into()));
        let bytes = encode(&v, &Type::Dynamic).unwrap();
        // [bin("\"string\""), "hi"]
        assert_eq!(hex(&bytes), format!("92c408{}a26869", hex(br#""string""#)));
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), v);
    }

    #[test]
    fn nested_errors_say_where() {
        let ty = Type::object([("tags", Type::list(Type::String))]);
        // {"tags": ["a", 1]}
        let bytes = [0x81, 0xa4, b't', b'a', b'g', b's', 0x92, 0xa1, b'a', 0x01];
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(err.path, ".tags[1]");
    }
}
