//! Schemas: what a provider, resource or data source accepts and stores, and the declarative
//! rules (defaults, plan modifiers, validators) the framework applies on its behalf.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::value::{Type, Value};

/// A validator gets a known, non-null value and returns the problem with it, if any. The framework
/// turns the message into an error diagnostic at the attribute's path.
pub type Validator = Arc<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

/// Says whether two known values mean the same thing (e.g. `"SELECT"` and `"select"`); when prior
/// state and planned value are semantically equal the plan keeps the prior value: no diff.
pub type SemanticEquality = Arc<dyn Fn(&Value, &Value) -> bool + Send + Sync>;

#[derive(Clone, Debug)]
pub struct Schema {
    /// Bump when the stored state's shape changes; see `Resource::upgrade_state`.
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }

    /// The object type of a value of this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; the value is an object or null.
    Single,
    /// An ordered list of blocks; absent means an empty list, never null.
    List,
    /// An unordered set of blocks; absent means an empty set, never null.
    Set,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

/// One attribute and the rules the framework applies to it.
#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Present in configuration only: never planned, never stored (always null in state).
    pub write_only: bool,
    pub deprecated: bool,
    /// Planned when the configuration leaves the attribute null.
    pub default: Option<Value>,
    /// On update, keep the prior value of this computed attribute instead of planning unknown.
    pub use_state_for_unknown: bool,
    /// A change of this attribute replaces the resource.
    pub requires_replace: bool,
    pub semantic_equality: Option<SemanticEquality>,
    pub validators: Vec<Validator>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("required", &self.required)
            .field("optional", &self.optional)
            .field("computed", &self.computed)
            .field("sensitive", &self.sensitive)
            .field("write_only", &self.write_only)
            .finish_non_exhaustive()
    }
}

impl Attribute {
    /// A new attribute; say `.required()`, `.optional()` or `.computed()` next.
    pub fn new(name: &str, ty: Type) -> Attribute {
        Attribute {
            name: name.to_owned(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecated: false,
            default: None,
            use_state_for_unknown: false,
            requires_replace: false,
            semantic_equality: None,
            validators: Vec::new(),
        }
    }

    pub fn string(name: &str) -> Attribute {
        Attribute::new(name, Type::String)
    }

    pub fn bool(name: &str) -> Attribute {
        Attribute::new(name, Type::Bool)
    }

    pub fn number(name: &str) -> Attribute {
        Attribute::new(name, Type::Number)
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Write-only (Terraform ≥ 1.11): available to apply in the configuration, never stored.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }

    /// The value planned when the configuration omits the attribute. Makes the attribute
    /// optional + computed, as Terraform requires of any attribute the provider fills in.
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self.optional = true;
        self.computed = true;
        self
    }

    pub fn use_state_for_unknown(mut self) -> Self {
        self.use_state_for_unknown = true;
        self
    }

    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    pub fn semantic_equality(
        mut self,
        equal: impl Fn(&Value, &Value) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.semantic_equality = Some(Arc::new(equal));
        self
    }

    pub fn validate(
        mut self,
        check: impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.validators.push(Arc::new(check));
        self
    }
}

impl Block {
    pub fn new() -> Block {
        Block::default()
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, name: &str, nesting: Nesting, block: Block) -> Self {
        let max_items = if nesting == Nesting::Single { 1 } else { 0 };
        self.blocks.push(NestedBlock {
            name: name.to_owned(),
            nesting,
            block,
            min_items: 0,
            max_items,
        });
        self
    }

    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }

    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for nested in &self.blocks {
            let object = nested.block.value_type();
            let ty = match nested.nesting {
                Nesting::Single => object,
                Nesting::List => Type::list(object),
                Nesting::Set => Type::set(object),
            };
            attrs.insert(nested.name.clone(), ty);
        }
        Type::Object(attrs)
    }

    /// Completes an object a resource built by hand: missing attributes become null and missing
    /// list/set blocks empty, so it encodes under this schema.
    pub fn complete(&self, value: Value) -> Value {
        let Value::Object(mut attrs) = value else {
            return value;
        };
        for a in &self.attributes {
            attrs.entry(a.name.clone()).or_insert(Value::Null);
        }
        for nested in &self.blocks {
            let v = attrs.remove(&nested.name).unwrap_or(Value::Null);
            let v = match (nested.nesting, v) {
                (Nesting::Single, v) => nested.block.complete(v),
                (Nesting::List, Value::Null) => Value::List(Vec::new()),
                (Nesting::Set, Value::Null) => Value::Set(Vec::new()),
                (Nesting::List, Value::List(items)) => Value::List(
                    items
                        .into_iter()
                        .map(|i| nested.block.complete(i))
                        .collect(),
                ),
                (Nesting::Set, Value::Set(items)) => Value::set(
                    items
                        .into_iter()
                        .map(|i| nested.block.complete(i))
                        .collect(),
                ),
                (_, v) => v,
            };
            attrs.insert(nested.name.clone(), v);
        }
        Value::Object(attrs)
    }

    /// Sets every write-only attribute to null, at any depth: they must never reach state.
    pub fn null_write_only(&self, value: &mut Value) {
        let Value::Object(attrs) = value else { return };
        for a in self.attributes.iter().filter(|a| a.write_only) {
            attrs.insert(a.name.clone(), Value::Null);
        }
        for nested in &self.blocks {
            match attrs.get_mut(&nested.name) {
                Some(Value::List(items)) | Some(Value::Set(items)) => {
                    items
                        .iter_mut()
                        .for_each(|i| nested.block.null_write_only(i));
                }
                Some(v) => nested.block.null_write_only(v),
                None => {}
            }
        }
    }

    /// Runs every attribute's validators on the known, non-null values of `config`.
    pub fn run_validators(&self, config: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        for a in &self.attributes {
            let v = config.attr(&a.name);
            if v.is_null() || !v.is_wholly_known() {
                continue;
            }
            for check in &a.validators {
                if let Err(message) = check(v) {
                    diags.push(
                        Diagnostic::error("Invalid attribute value", message)
                            .at(path.then_attr(&a.name)),
                    );
                }
            }
        }
        for nested in &self.blocks {
            let v = config.attr(&nested.name);
            let here = path.then_attr(&nested.name);
            match (nested.nesting, v) {
                (Nesting::Single, v) if !v.is_null() => {
                    nested.block.run_validators(v, &here, diags)
                }
                (Nesting::List, Value::List(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        nested
                            .block
                            .run_validators(item, &here.then_index(i), diags);
                    }
                }
                (Nesting::Set, Value::Set(items)) => {
                    for item in items {
                        nested.block.run_validators(item, &here, diags);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Ready-made validators.
pub mod validators {
    use super::super::value::Value;

    /// The string must be one of `allowed`.
    pub fn one_of(
        allowed: &'static [&'static str],
    ) -> impl Fn(&Value) -> Result<(), String> + Send + Sync {
        move |v| match v.as_str() {
            Some(s) if allowed.contains(&s) => Ok(()),
            Some(s) => Err(format!(
                "{s:?} is not allowed; expected one of: {}",
                allowed.join(", ")
            )),
            None => Err("a string is required".into()),
        }
    }

    /// The number must be a whole number between `min` and `max`, inclusive.
    pub fn int_between(min: i64, max: i64) -> impl Fn(&Value) -> Result<(), String> + Send + Sync {
        move |v| match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(format!("must be a whole number from {min} to {max}")),
        }
    }

    /// The string must not be empty.
    pub fn not_empty(v: &Value) -> Result<(), String> {
        match v.as_str() {
            Some("") => Err("must not be empty".into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Block {
        Block::new()
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::string("secret").optional().write_only())
            .attribute(
                Attribute::number("port")
                    .optional()
                    .validate(validators::int_between(1, 65535)),
            )
            .block(
                "rule",
                Nesting::List,
                Block::new().attribute(
                    Attribute::string("mode")
                        .optional()
                        .validate(validators::one_of(&["a", "b"])),
                ),
            )
    }

    #[test]
    fn value_type_includes_blocks() {
        let t = schema().value_type();
        let Type::Object(attrs) = t else { panic!() };
        assert_eq!(
            attrs["rule"],
            Type::list(Type::object([("mode", Type::String)]))
        );
    }

    #[test]
    fn complete_fills_nulls_and_empty_blocks() {
        let v = schema().complete(Value::object([("name", Value::from("x"))]));
        assert_eq!(v.attr("port"), &Value::Null);
        assert_eq!(v.attr("rule"), &Value::List(vec![]));
    }

    #[test]
    fn validators_report_paths() {
        let config = Value::object([
            ("name", Value::from("x")),
            ("secret", Value::Null),
            ("port", Value::from(70000)),
            (
                "rule",
                Value::List(vec![
                    Value::object([("mode", Value::from("a"))]),
                    Value::object([("mode", Value::from("z"))]),
                ]),
            ),
        ]);
        let mut diags = Diagnostics::new();
        schema().run_validators(&config, &AttrPath::root(), &mut diags);
        let paths: Vec<String> = diags
            .0
            .iter()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["port", "rule[1].mode"]);
    }

    #[test]
    fn write_only_is_nulled() {
        let mut v = Value::object([("name", Value::from("x")), ("secret", Value::from("s"))]);
        schema().null_write_only(&mut v);
        assert!(v.attr("secret").is_null());
    }
}
