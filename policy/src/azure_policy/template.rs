//! ARM template expressions (`"[concat('a', parameters('b'))]"`) as Azure Policy uses them:
//! parsing at load time (unknown functions and bad syntax are load errors) and evaluation
//! with three-valued values, so that anything computed from an attribute that is unknown
//! until apply stays unknown instead of turning into a wrong answer.

use std::collections::BTreeSet;

use serde_json::{Map, Number, Value};

use super::value::{loose_cmp, loose_eq, truthy_str, Val};

/// A parsed template expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Lit(Value),
    /// Function call; `name` is lowercased.
    Call {
        name: String,
        args: Vec<Expr>,
    },
    /// `base.key`
    Member {
        base: Box<Expr>,
        key: String,
    },
    /// `base[index]`
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
}

/// A JSON value that may contain template strings anywhere inside it.
#[derive(Debug, Clone)]
pub enum Tpl {
    Lit(Value),
    Expr(Expr),
    Array(Vec<Tpl>),
    Object(Vec<(String, Tpl)>),
}

/// What an expression may look at, supplied by the evaluator.
pub trait Ctx {
    fn parameter(&self, name: &str) -> Result<Val, String>;
    fn field(&self, path: &str) -> Result<Val, String>;
    fn current(&self, name: Option<&str>) -> Result<Val, String>;
}

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

/// Turns a JSON string into an expression if it is a template (`[...]`), handling the
/// `[[` escape for literal strings that start with a bracket.
pub fn parse_string(s: &str) -> Result<Option<Expr>, String> {
    if s.starts_with("[[") {
        return Ok(None);
    }
    if s.len() >= 2 && s.starts_with('[') && s.ends_with(']') {
        let inner = &s[1..s.len() - 1];
        return parse_expr(inner).map(Some);
    }
    Ok(None)
}

/// The literal value of a non-template string (`[[x]` → `[x]`).
pub fn unescape_literal(s: &str) -> String {
    match s.strip_prefix("[[") {
        Some(rest) => format!("[{rest}"),
        None => s.to_string(),
    }
}

/// Builds a [`Tpl`] from any JSON value, parsing template strings inside it.
pub fn parse_tpl(v: &Value) -> Result<Tpl, String> {
    Ok(match v {
        Value::String(s) => match parse_string(s)? {
            Some(e) => Tpl::Expr(e),
            None => Tpl::Lit(Value::String(unescape_literal(s))),
        },
        Value::Array(items) => {
            let parts = items.iter().map(parse_tpl).collect::<Result<Vec<_>, _>>()?;
            if parts.iter().all(|p| matches!(p, Tpl::Lit(_))) {
                Tpl::Lit(Value::Array(
                    parts
                        .into_iter()
                        .map(|p| match p {
                            Tpl::Lit(v) => v,
                            _ => unreachable!(),
                        })
                        .collect(),
                ))
            } else {
                Tpl::Array(parts)
            }
        }
        Value::Object(map) => {
            let mut parts = Vec::with_capacity(map.len());
            let mut all_lit = true;
            for (k, v) in map {
                let p = parse_tpl(v)?;
                all_lit &= matches!(p, Tpl::Lit(_));
                parts.push((k.clone(), p));
            }
            if all_lit {
                Tpl::Lit(v.clone())
            } else {
                Tpl::Object(parts)
            }
        }
        other => Tpl::Lit(other.clone()),
    })
}

impl Tpl {
    pub fn eval(&self, ctx: &dyn Ctx) -> Result<Val, String> {
        match self {
            Tpl::Lit(v) => Ok(Val::Known(v.clone())),
            Tpl::Expr(e) => e.eval(ctx),
            Tpl::Array(parts) => {
                let mut out = Vec::with_capacity(parts.len());
                let mut unknown = BTreeSet::new();
                for p in parts {
                    match p.eval(ctx)? {
                        Val::Known(v) => out.push(v),
                        Val::Unknown(f) => unknown.extend(f),
                    }
                }
                Ok(if unknown.is_empty() {
                    Val::Known(Value::Array(out))
                } else {
                    Val::Unknown(unknown)
                })
            }
            Tpl::Object(parts) => {
                let mut out = Map::new();
                let mut unknown = BTreeSet::new();
                for (k, p) in parts {
                    match p.eval(ctx)? {
                        Val::Known(v) => {
                            out.insert(k.clone(), v);
                        }
                        Val::Unknown(f) => unknown.extend(f),
                    }
                }
                Ok(if unknown.is_empty() {
                    Val::Known(Value::Object(out))
                } else {
                    Val::Unknown(unknown)
                })
            }
        }
    }

    /// Every expression inside, for load-time checks.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            Tpl::Lit(_) => vec![],
            Tpl::Expr(e) => vec![e],
            Tpl::Array(parts) => parts.iter().flat_map(|p| p.exprs()).collect(),
            Tpl::Object(parts) => parts.iter().flat_map(|(_, p)| p.exprs()).collect(),
        }
    }

    pub fn literal(&self) -> Option<&Value> {
        match self {
            Tpl::Lit(v) => Some(v),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Parsing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(Value),
    LParen,
    RParen,
    Comma,
    Dot,
    LBracket,
    RBracket,
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '.' => {
                out.push(Tok::Dot);
                i += 1
            }
            '[' => {
                out.push(Tok::LBracket);
                i += 1
            }
            ']' => {
                out.push(Tok::RBracket);
                i += 1
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string literal".into()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let num = if let Ok(n) = text.parse::<i64>() {
                    Value::from(n)
                } else {
                    text.parse::<f64>()
                        .ok()
                        .and_then(Number::from_f64)
                        .map(Value::Number)
                        .ok_or_else(|| format!("bad number '{text}'"))?
                };
                out.push(Tok::Num(num));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(out)
}

/// Parses the inside of `[...]`.
pub fn parse_expr(src: &str) -> Result<Expr, String> {
    let toks = lex(src).map_err(|e| format!("in template expression '[{src}]': {e}"))?;
    let mut p = Parser { toks, i: 0 };
    let e = p
        .expr()
        .map_err(|e| format!("in template expression '[{src}]': {e}"))?;
    if p.i != p.toks.len() {
        return Err(format!(
            "in template expression '[{src}]': unexpected {:?} after the expression",
            p.toks[p.i]
        ));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Tok>,
    i: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    fn expect(&mut self, t: Tok) -> Result<(), String> {
        match self.next() {
            Some(ref got) if *got == t => Ok(()),
            Some(got) => Err(format!("expected {t:?}, found {got:?}")),
            None => Err(format!("expected {t:?}, found the end")),
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let mut e = match self.next() {
            Some(Tok::Str(s)) => Expr::Lit(Value::String(s)),
            Some(Tok::Num(n)) => Expr::Lit(n),
            Some(Tok::Ident(name)) => {
                if self.peek() != Some(&Tok::LParen) {
                    match name.to_ascii_lowercase().as_str() {
                        "true" => Expr::Lit(Value::Bool(true)),
                        "false" => Expr::Lit(Value::Bool(false)),
                        "null" => Expr::Lit(Value::Null),
                        _ => return Err(format!("'{name}' must be called, like {name}(...)")),
                    }
                } else {
                    self.next();
                    let mut args = Vec::new();
                    if self.peek() == Some(&Tok::RParen) {
                        self.next();
                    } else {
                        loop {
                            args.push(self.expr()?);
                            match self.next() {
                                Some(Tok::Comma) => continue,
                                Some(Tok::RParen) => break,
                                Some(t) => return Err(format!("expected ',' or ')', found {t:?}")),
                                None => return Err("missing ')'".into()),
                            }
                        }
                    }
                    let lname = name.to_ascii_lowercase();
                    check_function(&name, &lname, args.len())?;
                    Expr::Call { name: lname, args }
                }
            }
            Some(t) => return Err(format!("unexpected {t:?}")),
            None => return Err("empty expression".into()),
        };
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.next();
                    match self.next() {
                        Some(Tok::Ident(key)) => {
                            e = Expr::Member {
                                base: Box::new(e),
                                key,
                            }
                        }
                        other => {
                            return Err(format!(
                                "expected a property name after '.', found {other:?}"
                            ))
                        }
                    }
                }
                Some(Tok::LBracket) => {
                    self.next();
                    let index = self.expr()?;
                    self.expect(Tok::RBracket)?;
                    e = Expr::Index {
                        base: Box::new(e),
                        index: Box::new(index),
                    };
                }
                _ => return Ok(e),
            }
        }
    }
}

fn check_function(name: &str, lname: &str, argc: usize) -> Result<(), String> {
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

// ---------------------------------------------------------------------------------------
// Evaluation

impl Expr {
    /// Names passed to `parameters('...')` as literals (for load-time checks).
    pub fn parameter_refs(&self, out: &mut Vec<String>) {
        match self {
            Expr::Lit(_) => {}
            Expr::Call { name, args } => {
                if name == "parameters" {
                    if let Some(Expr::Lit(Value::String(p))) = args.first() {
                        out.push(p.clone());
                    }
                }
                for a in args {
                    a.parameter_refs(out);
                }
            }
            Expr::Member { base, .. } => base.parameter_refs(out),
            Expr::Index { base, index } => {
                base.parameter_refs(out);
                index.parameter_refs(out);
            }
        }
    }

    /// True if the expression reads the resource (`field`/`current`).
    pub fn reads_resource(&self) -> bool {
        match self {
            Expr::Lit(_) => false,
            Expr::Call { name, args } => {
                name == "field" || name == "current" || args.iter().any(|a| a.reads_resource())
            }
            Expr::Member { base, .. } => base.reads_resource(),
            Expr::Index { base, index } => base.reads_resource() || index.reads_resource(),
        }
    }

    pub fn eval(&self, ctx: &dyn Ctx) -> Result<Val, String> {
        match self {
            Expr::Lit(v) => Ok(Val::Known(v.clone())),
            Expr::Member { base, key } => Ok(match base.eval(ctx)? {
                Val::Unknown(f) => Val::Unknown(f),
                Val::Known(v) => Val::Known(member(&v, key)?),
            }),
            Expr::Index { base, index } => {
                let b = base.eval(ctx)?;
                let i = index.eval(ctx)?;
                Ok(match (b, i) {
                    (Val::Known(b), Val::Known(i)) => Val::Known(index_value(&b, &i)?),
                    (b, i) => Val::unknown_of(&[b, i]),
                })
            }
            Expr::Call { name, args } => call(name, args, ctx),
        }
    }
}

fn member(v: &Value, key: &str) -> Result<Value, String> {
    match v {
        Value::Object(m) => Ok(lookup_ci(m, key).cloned().unwrap_or(Value::Null)),
        Value::Null => Ok(Value::Null),
        other => Err(format!("cannot read property '{key}' of {}", kind(other))),
    }
}

fn index_value(b: &Value, i: &Value) -> Result<Value, String> {
    match (b, i) {
        (Value::Array(a), Value::Number(n)) => {
            let idx =
                n.as_u64()
                    .ok_or("array index must be a non-negative integer")? as usize;
            a.get(idx)
                .cloned()
                .ok_or_else(|| format!("index {idx} is out of range (length {})", a.len()))
        }
        (Value::Object(m), Value::String(k)) => Ok(lookup_ci(m, k).cloned().unwrap_or(Value::Null)),
        (Value::Null, _) => Ok(Value::Null),
        (b, i) => Err(format!("cannot index {} with {}", kind(b), kind(i))),
    }
}

/// Case-insensitive object lookup (exact match first), as ARM property names are.
pub fn lookup_ci<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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

/// Renders a value the way ARM's `string()` does.
pub fn to_plain_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        other => other.to_string(),
    }
}

fn call(name: &str, args: &[Expr], ctx: &dyn Ctx) -> Result<Val, String> {
    // Functions that must not evaluate every argument eagerly (Kleene logic / laziness).
    match name {
        "if" => {
            return match args[0].eval(ctx)? {
                Val::Known(c) => {
                    let c = c.as_bool().ok_or_else(|| {
                        format!("if() expects a boolean condition, got {}", kind(&c))
                    })?;
                    if c {
                        args[1].eval(ctx)
                    } else {
                        args[2].eval(ctx)
                    }
                }
                Val::Unknown(f) => {
                    let a = args[1].eval(ctx)?;
                    let b = args[2].eval(ctx)?;
                    match (&a, &b) {
                        (Val::Known(x), Val::Known(y)) if x == y => Ok(a),
                        _ => Ok(Val::Unknown(f).merge(&a).merge(&b)),
                    }
                }
            };
        }
        "and" | "or" => {
            let decisive = name == "or";
            let mut unknown = BTreeSet::new();
            for a in args {
                match a.eval(ctx)? {
                    Val::Known(v) => {
                        let b = v.as_bool().ok_or_else(|| {
                            format!("{name}() expects booleans, got {}", kind(&v))
                        })?;
                        if b == decisive {
                            return Ok(Val::Known(Value::Bool(decisive)));
                        }
                    }
                    Val::Unknown(f) => unknown.extend(f),
                }
            }
            return Ok(if unknown.is_empty() {
                Val::Known(Value::Bool(!decisive))
            } else {
                Val::Unknown(unknown)
            });
        }
        "coalesce" => {
            for a in args {
                match a.eval(ctx)? {
                    Val::Known(Value::Null) => continue,
                    other => return Ok(other),
                }
            }
            return Ok(Val::Known(Value::Null));
        }
        "parameters" => {
            let n = match args[0].eval(ctx)? {
                Val::Known(Value::String(s)) => s,
                Val::Known(other) => {
                    return Err(format!("parameters() expects a name, got {}", kind(&other)))
                }
                Val::Unknown(f) => return Ok(Val::Unknown(f)),
            };
            return ctx.parameter(&n);
        }
        "field" => {
            let p = match args[0].eval(ctx)? {
                Val::Known(Value::String(s)) => s,
                Val::Known(other) => {
                    return Err(format!("field() expects a path, got {}", kind(&other)))
                }
                Val::Unknown(f) => return Ok(Val::Unknown(f)),
            };
            return ctx.field(&p);
        }
        "current" => {
            if args.is_empty() {
                return ctx.current(None);
            }
            let n = match args[0].eval(ctx)? {
                Val::Known(Value::String(s)) => s,
                Val::Known(other) => {
                    return Err(format!("current() expects a name, got {}", kind(&other)))
                }
                Val::Unknown(f) => return Ok(Val::Unknown(f)),
            };
            return ctx.current(Some(&n));
        }
        _ => {}
    }

    let mut vals = Vec::with_capacity(args.len());
    let mut unknown = BTreeSet::new();
    for a in args {
        match a.eval(ctx)? {
            Val::Known(v) => vals.push(v),
            Val::Unknown(f) => unknown.extend(f),
        }
    }
    if !unknown.is_empty() {
        return Ok(Val::Unknown(unknown));
    }
    strict(name, &vals).map(Val::Known)
}

/// Functions whose arguments are all known.
fn strict(name: &str, a: &[Value]) -> Result<Value, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    struct NoCtx;
    impl Ctx for NoCtx {
        fn parameter(&self, name: &str) -> Result<Val, String> {
            Ok(Val::Known(Value::String(format!("P-{name}"))))
        }
        fn field(&self, path: &str) -> Result<Val, String> {
            Ok(Val::Unknown(BTreeSet::from([path.to_string()])))
        }
        fn current(&self, _: Option<&str>) -> Result<Val, String> {
            Err("no count".into())
        }
    }

    fn ev(src: &str) -> Val {
        parse_string(src).unwrap().unwrap().eval(&NoCtx).unwrap()
    }

    #[test]
    fn evaluates_common_functions() {
        assert_eq!(
            ev("[concat('a', toLower('B'), string(1))]"),
            Val::Known("ab1".into())
        );
        assert_eq!(ev("[parameters('x')]"), Val::Known("P-x".into()));
        assert_eq!(ev("[split('a,b', ',')[1]]"), Val::Known("b".into()));
        assert_eq!(ev("[createObject('k', 2).k]"), Val::Known(2.into()));
        assert_eq!(ev("[substring('hello', 1, 3)]"), Val::Known("ell".into()));
        assert_eq!(ev("[length(createArray(1, 2, 3))]"), Val::Known(3.into()));
        assert_eq!(ev("[if(equals(1, 1), 'y', 'n')]"), Val::Known("y".into()));
        assert_eq!(ev("[replace('it''s', '''', '')]"), Val::Known("its".into()));
    }

    #[test]
    fn unknown_propagates_but_kleene_short_circuits() {
        assert!(matches!(ev("[toLower(field('x'))]"), Val::Unknown(_)));
        assert_eq!(
            ev("[or(true, equals(field('x'), 1))]"),
            Val::Known(true.into())
        );
        assert_eq!(
            ev("[and(false, equals(field('x'), 1))]"),
            Val::Known(false.into())
        );
        assert!(matches!(
            ev("[and(true, equals(field('x'), 1))]"),
            Val::Unknown(_)
        ));
    }

    #[test]
    fn rejects_unknown_and_online_functions() {
        assert!(parse_string("[frobnicate(1)]")
            .unwrap_err()
            .contains("unknown template function"));
        assert!(parse_string("[utcNow()]")
            .unwrap_err()
            .contains("live Azure platform"));
        assert!(parse_string("[concat()]")
            .unwrap_err()
            .contains("at least 1"));
        assert!(parse_string("[[not a template]").unwrap().is_none());
        assert_eq!(unescape_literal("[[x]"), "[x]");
    }
}
