//! Property tests: random types with random values of them survive msgpack both ways, and
//! whole-value JSON (as stored state) reads back the same.

use std::collections::BTreeMap;

use bigdecimal::BigDecimal;
use proptest::prelude::*;

use super::value::{Refinements, Type, Value};
use super::{json, msgpack};

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::Bool),
        Just(Type::Number),
        Just(Type::String),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::Object),
            prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = BigDecimal> {
    prop_oneof![
        any::<i64>().prop_map(BigDecimal::from),
        any::<u64>().prop_map(BigDecimal::from),
        (any::<i64>(), 0i64..30).prop_map(|(n, scale)| BigDecimal::new(n.into(), scale)),
        "[1-9][0-9]{20,40}".prop_map(|s| s.parse().unwrap()),
    ]
}

/// A value of type `ty`, null and unknown included at any depth.
/// With `unknowns` false the value is wholly known, as stored state is.
fn arb_value(ty: Type, unknowns: bool) -> BoxedStrategy<Value> {
    let special = if unknowns {
        prop_oneof![
            Just(Value::Null),
            Just(Value::unknown()),
            // A refined unknown: "definitely not null".
            Just(Value::Unknown(Refinements(vec![0x81, 0x01, 0xc2]))),
        ]
        .boxed()
    } else {
        Just(Value::Null).boxed()
    };
    let known: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Dynamic => prop_oneof![
            Just(Type::String),
            Just(Type::Number),
            Just(Type::list(Type::Bool))
        ]
        .prop_flat_map(|concrete| {
            arb_known(concrete.clone())
                .prop_map(move |v| Value::Dynamic(concrete.clone(), Box::new(v)))
        })
        .boxed(),
        Type::List(elem) => prop::collection::vec(arb_value(*elem, unknowns), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(elem) => prop::collection::vec(arb_value(*elem, unknowns), 0..4)
            .prop_map(Value::set)
            .boxed(),
        Type::Map(elem) => prop::collection::btree_map(".{0,5}", arb_value(*elem, unknowns), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attrs) => {
            let names: Vec<String> = attrs.keys().cloned().collect();
            let values: Vec<BoxedStrategy<Value>> = attrs
                .into_values()
                .map(|t| arb_value(t, unknowns))
                .collect();
            values
                .prop_map(move |vs| {
                    Value::Object(names.iter().cloned().zip(vs).collect::<BTreeMap<_, _>>())
                })
                .boxed()
        }
        Type::Tuple(elems) => {
            let values: Vec<BoxedStrategy<Value>> =
                elems.into_iter().map(|t| arb_value(t, unknowns)).collect();
            values.prop_map(Value::Tuple).boxed()
        }
    };
    prop_oneof![1 => special, 4 => known].boxed()
}

/// A wholly known, non-null value (what stored state holds at the top).
fn arb_known(ty: Type) -> BoxedStrategy<Value> {
    arb_value(ty, false)
        .prop_filter("not null", |v| !v.is_null())
        .boxed()
}

fn arb_typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type()
        .prop_flat_map(move |ty| arb_value(ty.clone(), unknowns).prop_map(move |v| (ty.clone(), v)))
}

/// cty JSON of a wholly known value, written the way Terraform stores state.
fn to_state_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Unknown(_) => unreachable!("state holds no unknowns"),
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => J::String(n.to_string()),
        Value::String(s) => J::String(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            J::Array(items.iter().map(to_state_json).collect())
        }
        Value::Map(m) | Value::Object(m) => J::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_state_json(v)))
                .collect(),
        ),
        Value::Dynamic(t, inner) => {
            serde_json::json!({"value": to_state_json(inner), "type": t.to_json()})
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn msgpack_round_trips((ty, value) in arb_typed_value(true)) {
        let bytes = msgpack::encode(&value, &ty).expect("encode");
        let back = msgpack::decode(&bytes, &ty).expect("decode");
        prop_assert_eq!(back, value);
    }

    #[test]
    fn type_json_round_trips(ty in arb_type()) {
        prop_assert_eq!(Type::from_json_bytes(&ty.to_json_bytes()).unwrap(), ty);
    }

    #[test]
    fn state_json_reads_back((ty, value) in arb_typed_value(false)) {
        let json = serde_json::to_vec(&to_state_json(&value)).unwrap();
        prop_assert_eq!(json::decode(&json, &ty).expect("decode"), value);
    }
}
