//! cty values and types: what Terraform's configuration, plans and states are made of.
//!
//! Values are untyped trees; their [`Type`] comes from the schema whenever they are encoded or
//! decoded (see [`super::msgpack`] and [`super::json`]). The one exception is a value in a
//! `dynamic` position, which carries its concrete type with it ([`Value::Dynamic`]).
//!
//! `Debug` prints values verbatim: never log a value, it can hold a secret.

use std::collections::BTreeMap;
use std::fmt;

use bigdecimal::BigDecimal;

/// A cty type. Object attribute order is irrelevant to cty, so attributes are kept sorted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    Bool,
    Number,
    String,
    /// Any type; values in a dynamic position carry their concrete type ([`Value::Dynamic`]).
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(attributes.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    /// The compact JSON form Terraform expects in `Schema.Attribute.type`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Value as J};
        match self {
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::Dynamic => json!("dynamic"),
            Type::List(e) => json!(["list", e.to_json()]),
            Type::Set(e) => json!(["set", e.to_json()]),
            Type::Map(e) => json!(["map", e.to_json()]),
            Type::Object(attrs) => {
                let attrs: serde_json::Map<String, J> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", attrs])
            }
            Type::Tuple(elems) => {
                json!(["tuple", elems.iter().map(Type::to_json).collect::<Vec<_>>()])
            }
        }
    }

    /// `to_json` as bytes, the way the schema and dynamic values carry it.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).expect("a type always serializes")
    }

    pub fn from_json(json: &serde_json::Value) -> Result<Type, String> {
        use serde_json::Value as J;
        match json {
            J::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(format!("unknown primitive type {other:?}")),
            },
            J::Array(parts) if parts.len() == 2 => {
                let kind = parts[0].as_str().ok_or("type kind must be a string")?;
                let arg = &parts[1];
                match kind {
                    "list" => Ok(Type::list(Type::from_json(arg)?)),
                    "set" => Ok(Type::set(Type::from_json(arg)?)),
                    "map" => Ok(Type::map(Type::from_json(arg)?)),
                    "object" => {
                        let attrs = arg.as_object().ok_or("object attributes must be a map")?;
                        let mut out = BTreeMap::new();
                        for (name, t) in attrs {
                            out.insert(name.clone(), Type::from_json(t)?);
                        }
                        Ok(Type::Object(out))
                    }
                    "tuple" => {
                        let elems = arg.as_array().ok_or("tuple elements must be an array")?;
                        Ok(Type::Tuple(
                            elems
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    other => Err(format!("unknown type kind {other:?}")),
                }
            }
            // cty also writes object types with optional attributes as a 3-element array; we
            // never declare those, and Terraform never sends them to a provider.
            other => Err(format!("not a type: {other}")),
        }
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, String> {
        let json: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("type JSON: {e}"))?;
        Type::from_json(&json)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// What Terraform knows about an unknown value (cty "refinements"), kept as the raw msgpack
/// payload of extension type 12 so it is re-emitted byte for byte. Empty means a plain unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Refinements(pub Vec<u8>);

/// Keys of the refinement map, as go-cty writes them.
const REFINE_NULLNESS: i64 = 1;
const REFINE_STRING_PREFIX: i64 = 2;

impl Refinements {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn entries(&self) -> Vec<(i64, rmpv::Value)> {
        let Ok(rmpv::Value::Map(entries)) = rmpv::decode::read_value(&mut self.0.as_slice()) else {
            return Vec::new();
        };
        entries
            .into_iter()
            .filter_map(|(k, v)| k.as_i64().map(|k| (k, v)))
            .collect()
    }

    /// True when Terraform promised that the value will not be null.
    pub fn not_null(&self) -> bool {
        self.entries()
            .iter()
            .any(|(k, v)| *k == REFINE_NULLNESS && v.as_bool() == Some(false))
    }

    /// The prefix every possible value of an unknown string starts with.
    pub fn string_prefix(&self) -> Option<String> {
        self.entries()
            .into_iter()
            .find(|(k, _)| *k == REFINE_STRING_PREFIX)
            .and_then(|(_, v)| v.as_str().map(str::to_owned))
    }
}

/// A cty value. Sets are kept sorted and free of duplicates (see [`Value::set`]) so that equal sets
/// compare equal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Null,
    Unknown(Refinements),
    Bool(bool),
    Number(BigDecimal),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A non-null, known-typed value in a `dynamic` position, with its concrete type.
    Dynamic(Type, Box<Value>),
}

/// The null value, handy for returning `&Value` from lookups that find nothing.
pub static NULL: Value = Value::Null;

impl Value {
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn number(n: impl Into<BigDecimal>) -> Value {
        Value::Number(n.into())
    }

    /// A set: elements sorted and deduplicated, so equal sets compare equal.
    pub fn set(mut elements: Vec<Value>) -> Value {
        elements.sort();
        elements.dedup();
        Value::Set(elements)
    }

    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(attributes.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Unknown at the top (elements of a known collection may still be unknown).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// Known all the way down: no unknown anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    /// An object's attribute; null when this is not an object or has no such attribute.
    pub fn attr(&self, name: &str) -> &Value {
        match self {
            Value::Object(attrs) => attrs.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Sets an object's attribute; does nothing when this is not an object.
    pub fn set_attr(&mut self, name: &str, value: Value) {
        if let Value::Object(attrs) = self {
            attrs.insert(name.to_owned(), value);
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&BigDecimal> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `i64` when it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        use bigdecimal::ToPrimitive;
        let n = self.as_number()?;
        if n.is_integer() {
            n.to_i64()
        } else {
            None
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Entries of a map or attributes of an object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n.into())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_json_is_the_compact_cty_form() {
        let t = Type::object([
            ("name", Type::String),
            ("tags", Type::map(Type::String)),
            ("ports", Type::list(Type::Number)),
            ("pair", Type::Tuple(vec![Type::Bool, Type::Dynamic])),
        ]);
        let json = serde_json::to_string(&t.to_json()).unwrap();
        assert_eq!(
            json,
            r#"["object",{"name":"string","pair":["tuple",["bool","dynamic"]],"ports":["list","number"],"tags":["map","string"]}]"#
        );
        assert_eq!(Type::from_json_bytes(json.as_bytes()).unwrap(), t);
    }

    #[test]
    fn bad_type_json_is_an_error() {
        assert!(Type::from_json_bytes(br#""int""#).is_err());
        assert!(Type::from_json_bytes(br#"["list"]"#).is_err());
        assert!(Type::from_json_bytes(b"42").is_err());
    }

    #[test]
    fn sets_ignore_order_and_duplicates() {
        let a = Value::set(vec!["b".into(), "a".into(), "b".into()]);
        let b = Value::set(vec!["a".into(), "b".into()]);
        assert_eq!(a, b);
    }

    #[test]
    fn numbers_compare_by_value() {
        let a = Value::Number("1.50".parse().unwrap());
        let b = Value::Number("1.5".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(Value::from(7).as_i64(), Some(7));
        assert_eq!(a.as_i64(), None);
    }
}
