//! ARM template expressions (`"[concat('a', parameters('b'))]"`) as Azure Policy uses them:
//! parsing at load time (unknown functions and bad syntax are load errors) and evaluation
//! with three-valued values, so that anything computed from an attribute that is unknown
//! until apply stays unknown instead of turning into a wrong answer.

use std::collections::BTreeSet;

use serde_json::{Map, Number, Value};

use super::functions;
use super::value::Val;

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
                    functions::check_function(&name, &lname, args.len())?;
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
    functions::strict(name, &vals).map(Val::Known)
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
