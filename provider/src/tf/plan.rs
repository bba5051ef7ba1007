//! The generic half of `PlanResourceChange`: what every resource wants done to Terraform's
//! proposed new state before its own plan hook sees it.
//!
//! In order, per attribute (nested blocks included):
//! 1. write-only attributes are planned null (they never reach state);
//! 2. defaults fill attributes the configuration leaves null;
//! 3. diff suppression: a value semantically equal to the prior one plans as the prior one;
//! 4. computed attributes the configuration leaves null become unknown on create, and on an
//!    update that changes anything, unless they `use_state_for_unknown`; an update that changes
//!    nothing keeps them as they are, so an unchanged resource plans "No changes";
//! 5. changed `requires_replace` attributes are listed.

use super::diag::AttrPath;
use super::schema::{Block, Nesting};
use super::value::Value;

/// What a resource's plan hook sees and may adjust.
#[derive(Debug, Clone)]
pub struct PlanContext {
    /// The current state; null when the resource is being created.
    pub prior: Value,
    /// The configuration, possibly holding unknowns.
    pub config: Value,
    /// The plan so far (after the generic rules); the hook may change it within Terraform's rules.
    pub planned: Value,
    /// Attribute paths whose change forces a replacement.
    pub requires_replace: Vec<AttrPath>,
    /// Private bytes: the prior ones on the way in, the planned ones on the way out.
    pub private: Vec<u8>,
}

impl PlanContext {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }

    /// True when the planned value of a top-level attribute differs from the prior state.
    pub fn changed(&self, name: &str) -> bool {
        self.planned.attr(name) != self.prior.attr(name)
    }

    /// Plans a top-level attribute as unknown ("known after apply").
    pub fn set_unknown(&mut self, name: &str) {
        self.planned.set_attr(name, Value::unknown());
    }

    pub fn require_replace(&mut self, path: AttrPath) {
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }
}

/// Applies the generic rules to `proposed` and returns the plan and the paths that force a
/// replacement.
pub fn plan(
    block: &Block,
    prior: &Value,
    config: &Value,
    proposed: &Value,
) -> (Value, Vec<AttrPath>) {
    if proposed.is_null() {
        return (Value::Null, Vec::new());
    }
    let mut planned = proposed.clone();
    settle(block, prior, config, &mut planned);
    // Whether anything changed is decided on the settled values, before any unknown is planned.
    let changed = &planned != prior;
    mark_unknown(block, prior, config, &mut planned, changed);
    let mut replace = Vec::new();
    if !prior.is_null() {
        collect_replace(block, prior, &planned, &AttrPath::root(), &mut replace);
    }
    (planned, replace)
}

/// Steps 1–3.
fn settle(block: &Block, prior: &Value, config: &Value, planned: &mut Value) {
    let Value::Object(attrs) = planned else {
        return;
    };
    for a in &block.attributes {
        let Some(p) = attrs.get_mut(&a.name) else {
            continue;
        };
        if a.write_only {
            *p = Value::Null;
            continue;
        }
        let c = config.attr(&a.name);
        if c.is_null() {
            if let Some(default) = &a.default {
                *p = default.clone();
            }
        }
        let s = prior.attr(&a.name);
        if let Some(equal) = &a.semantic_equality {
            if !s.is_null() && s != &*p && s.is_wholly_known() && p.is_wholly_known() && equal(s, p)
            {
                *p = s.clone();
            }
        }
    }
    for nested in &block.blocks {
        let Some(p) = attrs.get_mut(&nested.name) else {
            continue;
        };
        let c = config.attr(&nested.name);
        let s = prior.attr(&nested.name);
        for_each_element(nested.nesting, s, c, p, |s, c, p| {
            settle(&nested.block, s, c, p)
        });
    }
}

/// Step 4.
fn mark_unknown(block: &Block, prior: &Value, config: &Value, planned: &mut Value, changed: bool) {
    let Value::Object(attrs) = planned else {
        return;
    };
    let create = prior.is_null();
    for a in block
        .attributes
        .iter()
        .filter(|a| a.computed && !a.write_only)
    {
        let Some(p) = attrs.get_mut(&a.name) else {
            continue;
        };
        if !config.attr(&a.name).is_null() || a.default.is_some() {
            continue;
        }
        if create || (changed && !a.use_state_for_unknown) {
            *p = Value::unknown();
        }
    }
    for nested in &block.blocks {
        let Some(p) = attrs.get_mut(&nested.name) else {
            continue;
        };
        let c = config.attr(&nested.name);
        let s = prior.attr(&nested.name);
        for_each_element(nested.nesting, s, c, p, |s, c, p| {
            mark_unknown(&nested.block, s, c, p, changed)
        });
    }
}

/// Calls `f(prior, config, planned)` for each block object in a nested block value. List
/// elements are matched by position; a set element's only partner is an identical prior element.
fn for_each_element(
    nesting: Nesting,
    prior: &Value,
    config: &Value,
    planned: &mut Value,
    mut f: impl FnMut(&Value, &Value, &mut Value),
) {
    match (nesting, planned) {
        (Nesting::Single, p) if !p.is_null() && !p.is_unknown() => f(prior, config, p),
        (Nesting::List, Value::List(items)) => {
            for (i, p) in items.iter_mut().enumerate() {
                let s = prior
                    .as_elements()
                    .and_then(|e| e.get(i))
                    .unwrap_or(&Value::Null);
                let c = config
                    .as_elements()
                    .and_then(|e| e.get(i))
                    .unwrap_or(&Value::Null);
                f(s, c, p);
            }
        }
        (Nesting::Set, Value::Set(items)) => {
            for p in items.iter_mut() {
                let same = prior
                    .as_elements()
                    .and_then(|e| e.iter().find(|s| *s == &*p));
                let s = same.cloned().unwrap_or(Value::Null);
                // Set elements cannot be paired with config elements either; the proposed
                // element holds the configured values, so it stands in for the config.
                let c = p.clone();
                f(&s, &c, p);
            }
            let settled = std::mem::take(items);
            *items = match Value::set(settled) {
                Value::Set(v) => v,
                _ => unreachable!(),
            };
        }
        _ => {}
    }
}

/// Step 5.
fn collect_replace(
    block: &Block,
    prior: &Value,
    planned: &Value,
    path: &AttrPath,
    out: &mut Vec<AttrPath>,
) {
    for a in block.attributes.iter().filter(|a| a.requires_replace) {
        if planned.attr(&a.name) != prior.attr(&a.name) {
            out.push(path.then_attr(&a.name));
        }
    }
    for nested in &block.blocks {
        let (s, p) = (prior.attr(&nested.name), planned.attr(&nested.name));
        match nested.nesting {
            Nesting::Single if !s.is_null() => {
                collect_replace(&nested.block, s, p, &path.then_attr(&nested.name), out)
            }
            Nesting::List => {
                let (Some(ss), Some(ps)) = (s.as_elements(), p.as_elements()) else {
                    continue;
                };
                for (i, (s, p)) in ss.iter().zip(ps).enumerate() {
                    let here = path.then_attr(&nested.name).then_index(i);
                    collect_replace(&nested.block, s, p, &here, out);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::Attribute;
    use super::*;

    fn role() -> Block {
        Block::new()
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::string("database").required().requires_replace())
            .attribute(Attribute::bool("login").default(false))
            .attribute(Attribute::number("oid").computed().use_state_for_unknown())
            .attribute(Attribute::string("updated").computed())
            .attribute(Attribute::string("password_wo").optional().write_only())
            .attribute(
                Attribute::string("privilege")
                    .optional()
                    .semantic_equality(|a, b| {
                        a.as_str().map(str::to_lowercase) == b.as_str().map(str::to_lowercase)
                    }),
            )
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())));
        if let Value::Object(m) = &mut v {
            for name in [
                "name",
                "database",
                "login",
                "oid",
                "updated",
                "password_wo",
                "privilege",
            ] {
                m.entry(name.to_owned()).or_insert(Value::Null);
            }
        }
        v
    }

    #[test]
    fn create_plans_defaults_and_unknown_computed() {
        let config = obj(&[
            ("name", "a".into()),
            ("database", "db".into()),
            ("password_wo", "s3cret".into()),
        ]);
        let (planned, replace) = plan(&role(), &Value::Null, &config, &config);
        assert_eq!(planned.attr("login"), &Value::Bool(false));
        assert!(planned.attr("oid").is_unknown());
        assert!(planned.attr("updated").is_unknown());
        assert!(
            planned.attr("password_wo").is_null(),
            "write-only never planned"
        );
        assert!(replace.is_empty());
    }

    #[test]
    fn unchanged_update_plans_no_changes() {
        let prior = obj(&[
            ("name", "a".into()),
            ("database", "db".into()),
            ("login", false.into()),
            ("oid", 16384.into()),
            ("updated", "t1".into()),
        ]);
        let config = obj(&[("name", "a".into()), ("database", "db".into())]);
        // Terraform proposes prior values for computed attributes the config leaves null.
        let proposed = prior.clone();
        let (planned, replace) = plan(&role(), &prior, &config, &proposed);
        assert_eq!(planned, prior);
        assert!(replace.is_empty());
    }

    #[test]
    fn changed_update_keeps_state_for_unknown_only_where_asked() {
        let prior = obj(&[
            ("name", "a".into()),
            ("database", "db".into()),
            ("login", false.into()),
            ("oid", 16384.into()),
            ("updated", "t1".into()),
        ]);
        let config = obj(&[
            ("name", "b".into()),
            ("database", "db".into()),
            ("login", true.into()),
        ]);
        let mut proposed = prior.clone();
        proposed.set_attr("name", "b".into());
        proposed.set_attr("login", true.into());
        let (planned, _) = plan(&role(), &prior, &config, &proposed);
        assert_eq!(planned.attr("oid"), &Value::from(16384));
        assert!(planned.attr("updated").is_unknown());
        assert_eq!(planned.attr("login"), &Value::Bool(true));
    }

    #[test]
    fn removed_optional_with_default_goes_back_to_default() {
        let prior = obj(&[
            ("name", "a".into()),
            ("database", "db".into()),
            ("login", true.into()),
            ("oid", 1.into()),
            ("updated", "t".into()),
        ]);
        let config = obj(&[("name", "a".into()), ("database", "db".into())]);
        let (planned, _) = plan(&role(), &prior, &config, &prior);
        assert_eq!(planned.attr("login"), &Value::Bool(false));
    }

    #[test]
    fn requires_replace_lists_changed_paths_only() {
        let prior = obj(&[
            ("name", "a".into()),
            ("database", "db".into()),
            ("login", false.into()),
            ("oid", 1.into()),
            ("updated", "t".into()),
        ]);
        let config = obj(&[("name", "a".into()), ("database", "other".into())]);
        let mut proposed = prior.clone();
        proposed.set_attr("database", "other".into());
        let (_, replace) = plan(&role(), &prior, &config, &proposed);
        assert_eq!(replace, vec![AttrPath::attr("database")]);
    }

    #[test]
    fn semantically_equal_values_keep_the_prior_value() {
        let prior = obj(&[
            ("name", "a".into()),
            ("database", "db".into()),
            ("login", false.into()),
            ("oid", 1.into()),
            ("updated", "t".into()),
            ("privilege", "SELECT".into()),
        ]);
        let config = obj(&[
            ("name", "a".into()),
            ("database", "db".into()),
            ("privilege", "select".into()),
        ]);
        let mut proposed = prior.clone();
        proposed.set_attr("privilege", "select".into());
        let (planned, _) = plan(&role(), &prior, &config, &proposed);
        assert_eq!(planned, prior, "no diff, and computed values stay");
    }

    #[test]
    fn nested_list_blocks_get_the_same_rules() {
        let block = Block::new().block(
            "rule",
            Nesting::List,
            Block::new()
                .attribute(Attribute::string("mode").default("a"))
                .attribute(Attribute::string("id").computed()),
        );
        let config = Value::object([(
            "rule",
            Value::List(vec![Value::object([
                ("mode", Value::Null),
                ("id", Value::Null),
            ])]),
        )]);
        let (planned, _) = plan(&block, &Value::Null, &config, &config);
        let rule = &planned.attr("rule").as_elements().unwrap()[0];
        assert_eq!(rule.attr("mode"), &Value::from("a"));
        assert!(rule.attr("id").is_unknown());
    }
}
