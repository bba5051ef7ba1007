//! Evaluating an `if` block against one planned resource with Kleene (three-valued) logic:
//! a condition on a value that is unknown until apply is neither true nor false, and stays
//! unknown through `allOf`/`anyOf`/`not`/`count` unless the known parts already decide.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::condition::{Cond, Count, CountSource, FieldSpec, Lhs, Op};
use super::field::{is_prefix, parse_field, walk, FieldRef, Leaf, LeafState, Level, Node, Seg};
use super::template::{kind, lookup_ci, to_plain_string, Ctx, Tpl};
use super::value::{like, loose_cmp, loose_eq, match_pattern, truthy_str, Val};

/// Result of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Truth {
    True,
    False,
    /// Decided only by values unknown until apply (the attribute paths involved).
    Unknown(BTreeSet<String>),
}

impl Truth {
    fn from_bool(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            u => u,
        }
    }
}

/// The resource being judged.
pub struct Subject<'a> {
    /// The Terraform type, the fallback name and the address, as JSON strings.
    pub type_: Value,
    pub name: Value,
    pub address: Value,
    pub root: Node<'a>,
}

/// A `count` iteration in progress.
#[derive(Clone)]
enum Scope<'a> {
    Field {
        segs: Vec<Seg>,
        levels: Vec<Level<'a>>,
    },
    Value {
        name: Option<String>,
        item: Val,
    },
}

/// Evaluation state: the resource, the bound parameters (keys lowercased) and the
/// enclosing `count` iterations.
pub struct At<'e, 'a> {
    pub subject: &'e Subject<'a>,
    pub params: &'e Map<String, Value>,
    scopes: Vec<Scope<'a>>,
}

fn unknown1(path: &str) -> BTreeSet<String> {
    BTreeSet::from([if path.is_empty() {
        "(resource)".to_string()
    } else {
        path.to_string()
    }])
}

fn leaf_val(leaf: &Leaf) -> Val {
    match &leaf.state {
        LeafState::Unknown => Val::Unknown(unknown1(&leaf.path)),
        LeafState::Known(_, inside) if !inside.is_empty() => {
            Val::Unknown(inside.iter().cloned().collect())
        }
        LeafState::Known(v, _) => Val::Known((*v).clone()),
    }
}

impl<'e, 'a> At<'e, 'a> {
    pub fn new(subject: &'e Subject<'a>, params: &'e Map<String, Value>) -> At<'e, 'a> {
        At {
            subject,
            params,
            scopes: Vec::new(),
        }
    }

    fn with_scope(&self, scope: Scope<'a>) -> At<'e, 'a> {
        let mut scopes = self.scopes.clone();
        scopes.push(scope);
        At {
            subject: self.subject,
            params: self.params,
            scopes,
        }
    }

    /// Leaves of a field reference; paths under an enclosing field `count` resolve against
    /// the member being counted. The bool says whether the path fans out (`[*]`).
    fn resolve(&self, field: &FieldRef) -> (Vec<Leaf<'a>>, bool) {
        match field {
            FieldRef::Path(segs) => self.resolve_path(segs),
            FieldRef::Name => self.resolve_path(&[Seg::Key("name".into())]),
            _ => (Vec::new(), false),
        }
    }

    /// `name` is the resource's own `name` attribute (the Azure/database name) when it has
    /// one, else the name from the Terraform address.
    fn name_fallback(&self, field: &FieldRef, leaves: &[Leaf]) -> Option<&'e Value> {
        let absent = match leaves.first() {
            None => true,
            Some(l) => matches!(l.state, LeafState::Known(Value::Null, _)),
        };
        (*field == FieldRef::Name && absent).then_some(&self.subject.name)
    }

    fn resolve_path(&self, segs: &[Seg]) -> (Vec<Leaf<'a>>, bool) {
        // Longest bound prefix wins; inner scopes win ties.
        let mut best: Option<&Level<'a>> = None;
        for scope in self.scopes.iter().rev() {
            if let Scope::Field {
                segs: count_segs,
                levels,
            } = scope
            {
                for level in levels {
                    if is_prefix(&count_segs[..level.prefix_len], segs)
                        && best.is_none_or(|b| level.prefix_len > b.prefix_len)
                    {
                        best = Some(level);
                    }
                }
            }
        }
        let mut out = Vec::new();
        let (start, depth, path) = match best {
            Some(l) => (l.node, l.prefix_len, l.path.clone()),
            None => (self.subject.root, 0, String::new()),
        };
        let fans_out = segs[depth..].contains(&Seg::Wildcard);
        walk(start, segs, depth, path, Vec::new(), &mut out);
        (out, fans_out)
    }

    fn fixed_field(&self, field: &FieldRef) -> Option<&'e Value> {
        match field {
            FieldRef::Type => Some(&self.subject.type_),
            FieldRef::FullName => Some(&self.subject.address),
            FieldRef::Path(_) | FieldRef::Name => None,
        }
    }

    fn field_ref(&self, spec: &FieldSpec) -> Result<Result<FieldRef, Truth>, String> {
        match spec {
            FieldSpec::Static(f) => Ok(Ok(f.clone())),
            FieldSpec::Dynamic(e) => match e.eval(self)? {
                Val::Unknown(f) => Ok(Err(Truth::Unknown(f))),
                Val::Known(Value::String(s)) => parse_field(&s).map(Ok),
                Val::Known(other) => Err(format!(
                    "a computed 'field' must be a string, got {}",
                    kind(&other)
                )),
            },
        }
    }

    /// Kleene's allOf (`decisive` = false) and anyOf (`decisive` = true): the first item equal
    /// to `decisive` settles it; otherwise any unknown item leaves the whole unknown.
    fn fold(&self, items: &[Cond], decisive: bool) -> Result<Truth, String> {
        let mut unknown = BTreeSet::new();
        for item in items {
            match self.eval(item)? {
                Truth::Unknown(fields) => unknown.extend(fields),
                Truth::True if decisive => return Ok(Truth::True),
                Truth::False if !decisive => return Ok(Truth::False),
                _ => {}
            }
        }
        Ok(if unknown.is_empty() {
            Truth::from_bool(!decisive)
        } else {
            Truth::Unknown(unknown)
        })
    }

    pub fn eval(&self, c: &Cond) -> Result<Truth, String> {
        match c {
            Cond::Not(inner) => Ok(self.eval(inner)?.not()),
            Cond::AllOf(items) => self.fold(items, false),
            Cond::AnyOf(items) => self.fold(items, true),
            Cond::Test { lhs, op, rhs } => self.test(lhs, *op, rhs),
        }
    }

    fn test(&self, lhs: &Lhs, op: Op, rhs_t: &Tpl) -> Result<Truth, String> {
        // Literal right-hand sides (the common case) are compared in place, not cloned.
        let evaluated;
        let rhs = match rhs_t {
            Tpl::Lit(v) => VRef::Known(v),
            t => {
                evaluated = t.eval(self)?;
                VRef::of(&evaluated)
            }
        };
        match lhs {
            Lhs::Value(t) => {
                let v = t.eval(self)?;
                compare_val(VRef::of(&v), op, rhs)
            }
            Lhs::Field(spec) => {
                let field = match self.field_ref(spec)? {
                    Ok(f) => f,
                    Err(t) => return Ok(t),
                };
                if let Some(v) = self.fixed_field(&field) {
                    return compare_val(VRef::Known(v), op, rhs);
                }
                let (leaves, _) = self.resolve(&field);
                if let Some(v) = self.name_fallback(&field, &leaves) {
                    return compare_val(VRef::Known(v), op, rhs);
                }
                // With `[*]` the condition must hold for every member (none = vacuously).
                let mut unknown = BTreeSet::new();
                for leaf in &leaves {
                    match compare_leaf(leaf, op, rhs)? {
                        Truth::False => return Ok(Truth::False),
                        Truth::Unknown(f) => unknown.extend(f),
                        Truth::True => {}
                    }
                }
                Ok(if unknown.is_empty() {
                    Truth::True
                } else {
                    Truth::Unknown(unknown)
                })
            }
            Lhs::Count(count) => {
                let (lo, hi, mut unknown) = self.count(count)?;
                let rhs_v = match rhs {
                    VRef::Known(v) => v,
                    VRef::Unknown(f) => return Ok(Truth::Unknown(f.clone())),
                };
                if hi == Some(lo) {
                    return Ok(Truth::from_bool(apply_op(op, &Value::from(lo), rhs_v)?));
                }
                // The count lies in lo..=hi (hi = None: unbounded). Comparisons against a
                // constant cannot change past the largest number mentioned, so sampling up
                // to there decides whether every possible count gives the same answer.
                let mut top = lo + 1;
                let mut note = |v: &Value| {
                    if let Some(n) = v.as_f64() {
                        if n >= 0.0 {
                            top = top.max(n.ceil() as usize + 1);
                        }
                    }
                };
                match rhs_v {
                    Value::Array(a) => a.iter().for_each(&mut note),
                    v => note(v),
                }
                let top = hi.map_or(top, |h| h.min(top));
                let first = apply_op(op, &Value::from(lo), rhs_v)?;
                for n in lo + 1..=top {
                    if apply_op(op, &Value::from(n), rhs_v)? != first {
                        if unknown.is_empty() {
                            unknown.insert("(count)".to_string());
                        }
                        return Ok(Truth::Unknown(std::mem::take(&mut unknown)));
                    }
                }
                Ok(Truth::from_bool(first))
            }
        }
    }

    /// Counts matching members: (at least, at most — None if unbounded, unknowns involved).
    fn count(&self, count: &Count) -> Result<(usize, Option<usize>, BTreeSet<String>), String> {
        let mut lo = 0usize;
        let mut hi = Some(0usize);
        let mut unknown = BTreeSet::new();
        let mut tally = |t: Truth, lo: &mut usize, hi: &mut Option<usize>| match t {
            Truth::True => {
                *lo += 1;
                *hi = hi.map(|h| h + 1);
            }
            Truth::Unknown(f) => {
                *hi = hi.map(|h| h + 1);
                unknown.extend(f);
            }
            Truth::False => {}
        };
        match &count.source {
            CountSource::Field(segs) => {
                let (leaves, _) = self.resolve_path(segs);
                for leaf in leaves {
                    if leaf.set_unknown {
                        hi = None;
                        tally(Truth::Unknown(unknown1(&leaf.path)), &mut lo, &mut hi);
                        continue;
                    }
                    let t = match &count.filter {
                        None => Truth::True,
                        Some(w) => self
                            .with_scope(Scope::Field {
                                segs: segs.clone(),
                                levels: leaf.levels.clone(),
                            })
                            .eval(w)?,
                    };
                    tally(t, &mut lo, &mut hi);
                }
            }
            CountSource::Value { value, name } => match value.eval(self)? {
                Val::Unknown(f) => {
                    hi = None;
                    unknown.extend(f);
                }
                Val::Known(Value::Array(items)) => {
                    for item in items {
                        let t = match &count.filter {
                            None => Truth::True,
                            Some(w) => self
                                .with_scope(Scope::Value {
                                    name: name.clone(),
                                    item: Val::Known(item),
                                })
                                .eval(w)?,
                        };
                        tally(t, &mut lo, &mut hi);
                    }
                }
                Val::Known(Value::Null) => {}
                Val::Known(other) => {
                    return Err(format!(
                        "count 'value' must be an array, got {}",
                        kind(&other)
                    ))
                }
            },
        }
        Ok((lo, hi, unknown))
    }
}

impl Ctx for At<'_, '_> {
    fn parameter(&self, name: &str) -> Result<Val, String> {
        lookup_ci(self.params, name)
            .map(|v| Val::Known(v.clone()))
            .ok_or_else(|| format!("parameter '{name}' is not defined"))
    }

    fn field(&self, path: &str) -> Result<Val, String> {
        let f = parse_field(path)?;
        if let Some(v) = self.fixed_field(&f) {
            return Ok(Val::Known(v.clone()));
        }
        let (leaves, fans_out) = self.resolve(&f);
        if let Some(v) = self.name_fallback(&f, &leaves) {
            return Ok(Val::Known(v.clone()));
        }
        if !fans_out {
            return Ok(leaves
                .first()
                .map(leaf_val)
                .unwrap_or(Val::Known(Value::Null)));
        }
        let vals: Vec<Val> = leaves.iter().map(leaf_val).collect();
        if vals.iter().any(|v| matches!(v, Val::Unknown(_))) {
            return Ok(Val::unknown_of(&vals));
        }
        Ok(Val::Known(Value::Array(
            vals.into_iter()
                .map(|v| match v {
                    Val::Known(x) => x,
                    Val::Unknown(_) => Value::Null,
                })
                .collect(),
        )))
    }

    fn current(&self, name: Option<&str>) -> Result<Val, String> {
        let Some(name) = name else {
            return match self.scopes.last() {
                None => Err("current() used outside a count".into()),
                Some(Scope::Value { item, .. }) => Ok(item.clone()),
                Some(Scope::Field { levels, .. }) => Ok(levels
                    .last()
                    .map(|l| {
                        leaf_val(&Leaf {
                            path: l.path.clone(),
                            state: if l.node.is_unknown() {
                                LeafState::Unknown
                            } else {
                                let mut inside = Vec::new();
                                super::field::unknown_paths(l.node.unknown, &l.path, &mut inside);
                                LeafState::Known(l.node.value, inside)
                            },
                            set_unknown: false,
                            levels: Vec::new(),
                        })
                    })
                    .unwrap_or(Val::Known(Value::Null))),
            };
        };
        for scope in self.scopes.iter().rev() {
            if let Scope::Value {
                name: Some(n),
                item,
            } = scope
            {
                if n.eq_ignore_ascii_case(name) {
                    return Ok(item.clone());
                }
            }
        }
        // A field count: current('list[*]') or a path below it.
        let segs = super::field::parse_path(name)?;
        let bound = self.scopes.iter().any(|s| match s {
            Scope::Field { segs: cs, levels } => {
                levels.iter().any(|l| is_prefix(&cs[..l.prefix_len], &segs))
            }
            Scope::Value { .. } => false,
        });
        if !bound {
            return Err(format!(
                "current('{name}') does not name an enclosing count"
            ));
        }
        self.field(name)
    }
}

/// A borrowed [`Val`].
#[derive(Clone, Copy)]
enum VRef<'x> {
    Known(&'x Value),
    Unknown(&'x BTreeSet<String>),
}

impl<'x> VRef<'x> {
    fn of(v: &'x Val) -> VRef<'x> {
        match v {
            Val::Known(k) => VRef::Known(k),
            Val::Unknown(f) => VRef::Unknown(f),
        }
    }
}

fn compare_leaf(leaf: &Leaf, op: Op, rhs: VRef) -> Result<Truth, String> {
    let rhs_v = match rhs {
        VRef::Known(v) => v,
        VRef::Unknown(f) => return Ok(Truth::Unknown(f.clone())),
    };
    match &leaf.state {
        LeafState::Unknown => Ok(Truth::Unknown(unknown1(&leaf.path))),
        LeafState::Known(v, inside) => {
            if op == Op::Exists && !v.is_null() {
                // A block with unknown parts still exists.
                return exists(true, rhs_v);
            }
            if !inside.is_empty() {
                return Ok(Truth::Unknown(inside.iter().cloned().collect()));
            }
            compare_known(v, op, rhs_v)
        }
    }
}

fn compare_val(lhs: VRef, op: Op, rhs: VRef) -> Result<Truth, String> {
    match (lhs, rhs) {
        (VRef::Known(l), VRef::Known(r)) => compare_known(l, op, r),
        (l, r) => {
            let mut f = BTreeSet::new();
            for side in [l, r] {
                if let VRef::Unknown(u) = side {
                    f.extend(u.iter().cloned());
                }
            }
            Ok(Truth::Unknown(f))
        }
    }
}

fn exists(present: bool, rhs: &Value) -> Result<Truth, String> {
    let want = match rhs {
        Value::Bool(b) => *b,
        Value::String(s) => {
            truthy_str(s).ok_or_else(|| format!("'exists' takes true or false, got '{s}'"))?
        }
        other => return Err(format!("'exists' takes true or false, got {}", kind(other))),
    };
    Ok(Truth::from_bool(present == want))
}

fn compare_known(l: &Value, op: Op, r: &Value) -> Result<Truth, String> {
    if op == Op::Exists {
        return exists(!l.is_null(), r);
    }
    apply_op(op, l, r).map(Truth::from_bool)
}

/// One operator on known values. A missing (null) attribute equals nothing, is in nothing,
/// contains nothing and is neither less nor greater than anything.
pub fn apply_op(op: Op, l: &Value, r: &Value) -> Result<bool, String> {
    let text = |v: &Value| -> Option<String> {
        match v {
            Value::Null | Value::Array(_) | Value::Object(_) => None,
            other => Some(to_plain_string(other)),
        }
    };
    let pattern = |v: &Value| -> Result<String, String> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("a pattern must be a string, got {}", kind(v)))
    };
    Ok(match op {
        Op::Equals => loose_eq(l, r),
        Op::NotEquals => !loose_eq(l, r),
        Op::Like | Op::NotLike => {
            let p = pattern(r)?;
            let hit = text(l).is_some_and(|t| like(&t, &p));
            hit == (op == Op::Like)
        }
        Op::Match | Op::NotMatch | Op::MatchInsensitively | Op::NotMatchInsensitively => {
            let p = pattern(r)?;
            let insensitive = matches!(op, Op::MatchInsensitively | Op::NotMatchInsensitively);
            let hit = text(l).is_some_and(|t| match_pattern(&t, &p, insensitive));
            hit == matches!(op, Op::Match | Op::MatchInsensitively)
        }
        Op::Contains | Op::NotContains => {
            let hit = match l {
                Value::Array(items) => items.iter().any(|i| loose_eq(i, r)),
                Value::String(s) => {
                    text(r).is_some_and(|needle| s.to_lowercase().contains(&needle.to_lowercase()))
                }
                _ => false,
            };
            hit == (op == Op::Contains)
        }
        Op::In | Op::NotIn => {
            let Value::Array(set) = r else {
                return Err(format!("'in'/'notIn' need an array, got {}", kind(r)));
            };
            let hit = !l.is_null() && set.iter().any(|i| loose_eq(l, i));
            hit == (op == Op::In)
        }
        Op::ContainsKey | Op::NotContainsKey => {
            let key =
                text(r).ok_or_else(|| format!("'containsKey' needs a key, got {}", kind(r)))?;
            let hit = matches!(l, Value::Object(m) if lookup_ci(m, &key).is_some());
            hit == (op == Op::ContainsKey)
        }
        Op::Less | Op::LessOrEquals | Op::Greater | Op::GreaterOrEquals => {
            if l.is_null() {
                return Ok(false);
            }
            let ord = loose_cmp(l, r)
                .ok_or_else(|| format!("cannot order {} against {}", kind(l), kind(r)))?;
            match op {
                Op::Less => ord.is_lt(),
                Op::LessOrEquals => ord.is_le(),
                Op::Greater => ord.is_gt(),
                _ => ord.is_ge(),
            }
        }
        Op::Exists => return Err("internal: exists handled by the caller".into()),
    })
}
