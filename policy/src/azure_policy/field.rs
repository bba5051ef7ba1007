//! `field` paths over a planned resource: parsing (`a.b`, `a[*].b`, `a[0]`, `tags['k']`,
//! `tags.k`, `tags[k]`) and walking the `after` value together with `after_unknown`, so
//! that every leaf reached is either a known value or "unknown until apply".

use serde_json::Value;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
    Wildcard,
}

/// A parsed field reference.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldRef {
    /// The Terraform resource type.
    Type,
    /// The resource's `name` attribute, else the name handed in by the caller.
    Name,
    /// The full resource address.
    FullName,
    /// A path into the planned attributes.
    Path(Vec<Seg>),
}

pub fn parse_field(text: &str) -> Result<FieldRef, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty field path".into());
    }
    match t.to_ascii_lowercase().as_str() {
        "type" => return Ok(FieldRef::Type),
        "name" => return Ok(FieldRef::Name),
        "fullname" => return Ok(FieldRef::FullName),
        _ => {}
    }
    parse_path(t).map(FieldRef::Path)
}

pub fn parse_path(t: &str) -> Result<Vec<Seg>, String> {
    let chars: Vec<char> = t.chars().collect();
    let mut segs = Vec::new();
    let mut i = 0;
    let mut cur = String::new();
    let flush = |cur: &mut String, segs: &mut Vec<Seg>| {
        if !cur.is_empty() {
            segs.push(Seg::Key(std::mem::take(cur)));
        }
    };
    while i < chars.len() {
        match chars[i] {
            '.' => {
                flush(&mut cur, &mut segs);
                i += 1;
            }
            '/' => {
                return Err(format!(
                    "field '{t}' looks like an Azure alias; here fields are Terraform attribute \
                     paths such as 'public_network_access_enabled' or 'backup[*].retention_days'"
                ))
            }
            '[' => {
                flush(&mut cur, &mut segs);
                i += 1;
                if chars.get(i) == Some(&'\'') {
                    // quoted key: '' is an escaped quote
                    i += 1;
                    let mut key = String::new();
                    loop {
                        match chars.get(i) {
                            None => return Err(format!("unterminated quote in field '{t}'")),
                            Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                                key.push('\'');
                                i += 2;
                            }
                            Some('\'') => {
                                i += 1;
                                break;
                            }
                            Some(c) => {
                                key.push(*c);
                                i += 1;
                            }
                        }
                    }
                    if chars.get(i) != Some(&']') {
                        return Err(format!("expected ']' after the quoted key in field '{t}'"));
                    }
                    i += 1;
                    segs.push(Seg::Key(key));
                } else {
                    let start = i;
                    while i < chars.len() && chars[i] != ']' {
                        i += 1;
                    }
                    if i >= chars.len() {
                        return Err(format!("missing ']' in field '{t}'"));
                    }
                    let inner: String = chars[start..i].iter().collect();
                    i += 1;
                    let inner = inner.trim();
                    if inner == "*" {
                        segs.push(Seg::Wildcard);
                    } else if let Ok(n) = inner.parse::<usize>() {
                        segs.push(Seg::Index(n));
                    } else if inner.is_empty() {
                        return Err(format!("empty brackets in field '{t}'"));
                    } else {
                        segs.push(Seg::Key(inner.to_string()));
                    }
                }
            }
            ']' => return Err(format!("unbalanced ']' in field '{t}'")),
            c => {
                cur.push(c);
                i += 1;
            }
        }
    }
    flush(&mut cur, &mut segs);
    if segs.is_empty() {
        return Err(format!("empty field path '{t}'"));
    }
    Ok(segs)
}

/// Segment-wise prefix test, keys compared case-insensitively.
pub fn is_prefix(prefix: &[Seg], path: &[Seg]) -> bool {
    prefix.len() <= path.len() && prefix.iter().zip(path).all(|(a, b)| seg_eq(a, b))
}

fn seg_eq(a: &Seg, b: &Seg) -> bool {
    match (a, b) {
        (Seg::Key(x), Seg::Key(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

static NULL: Value = Value::Null;

/// A position in the planned value, with the matching part of `after_unknown`.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    pub value: &'a Value,
    pub unknown: &'a Value,
}

impl<'a> Node<'a> {
    pub fn new(value: &'a Value, unknown: &'a Value) -> Node<'a> {
        Node { value, unknown }
    }

    pub fn is_unknown(&self) -> bool {
        self.unknown == &Value::Bool(true)
    }

    fn key(&self, k: &str) -> Node<'a> {
        let pick = |v: &'a Value| -> &'a Value {
            match v {
                Value::Object(m) => super::template::lookup_ci(m, k).unwrap_or(&NULL),
                _ => &NULL,
            }
        };
        Node {
            value: pick(self.value),
            unknown: pick(self.unknown),
        }
    }

    fn index(&self, i: usize) -> Node<'a> {
        let pick = |v: &'a Value| -> &'a Value {
            match v {
                Value::Array(a) => a.get(i).unwrap_or(&NULL),
                _ => &NULL,
            }
        };
        Node {
            value: pick(self.value),
            unknown: pick(self.unknown),
        }
    }
}

/// What a walk reached.
#[derive(Debug, Clone)]
pub enum LeafState<'a> {
    /// A value (null when absent); `unknown_inside` lists unknown attributes below it.
    Known(&'a Value, Vec<String>),
    /// Unknown until apply.
    Unknown,
}

/// The list member reached at one `[*]` of a path.
#[derive(Debug, Clone)]
pub struct Level<'a> {
    /// How many segments of the path lead to this member (up to and including the `[*]`).
    pub prefix_len: usize,
    pub node: Node<'a>,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct Leaf<'a> {
    /// Concrete path, attribute names and list indexes joined by `.`.
    pub path: String,
    pub state: LeafState<'a>,
    /// True if the unknown value is (or contains) a list that the path fans out over, so
    /// the number of leaves itself is unknown.
    pub set_unknown: bool,
    /// The member reached at each `[*]` of the path, used to bind `count` iterations.
    pub levels: Vec<Level<'a>>,
}

pub fn join(path: &str, seg: &str) -> String {
    if path.is_empty() {
        seg.to_string()
    } else {
        format!("{path}.{seg}")
    }
}

/// Walks `segs` from `node`; every reachable leaf is pushed to `out`. A missing or empty
/// list under `[*]` yields no leaves (Azure's "every member" over nothing).
pub fn walk<'a>(
    node: Node<'a>,
    segs: &[Seg],
    depth: usize,
    path: String,
    levels: Vec<Level<'a>>,
    out: &mut Vec<Leaf<'a>>,
) {
    let rest = &segs[depth..];
    if node.is_unknown() {
        out.push(Leaf {
            path,
            state: LeafState::Unknown,
            set_unknown: rest.contains(&Seg::Wildcard),
            levels,
        });
        return;
    }
    let Some(seg) = rest.first() else {
        let mut inside = Vec::new();
        unknown_paths(node.unknown, &path, &mut inside);
        out.push(Leaf {
            path,
            state: LeafState::Known(node.value, inside),
            set_unknown: false,
            levels,
        });
        return;
    };
    match seg {
        Seg::Key(k) => {
            if let Value::Array(items) = node.value {
                // Terraform nested blocks limited to one item are lists of one object:
                // `identity.type` walks into `identity[0]`.
                if items.len() == 1 {
                    let child = node.index(0);
                    walk(child, segs, depth, join(&path, "0"), levels, out);
                    return;
                }
            }
            let child = node.key(k);
            if child.value.is_null() && !child.is_unknown() && rest.contains(&Seg::Wildcard) {
                return;
            }
            walk(child, segs, depth + 1, join(&path, k), levels, out);
        }
        Seg::Index(i) => {
            let child = node.index(*i);
            if child.value.is_null() && !child.is_unknown() && rest.contains(&Seg::Wildcard) {
                return;
            }
            walk(
                child,
                segs,
                depth + 1,
                join(&path, &i.to_string()),
                levels,
                out,
            );
        }
        Seg::Wildcard => {
            if let Value::Array(items) = node.value {
                for i in 0..items.len() {
                    let child = node.index(i);
                    let child_path = join(&path, &i.to_string());
                    let mut lv = levels.clone();
                    lv.push(Level {
                        prefix_len: depth + 1,
                        node: child,
                        path: child_path.clone(),
                    });
                    walk(child, segs, depth + 1, child_path, lv, out);
                }
            } else if let (Value::Null, Value::Array(unk)) = (node.value, node.unknown) {
                // A list Terraform shows as null but with unknown members.
                if !unk.is_empty() {
                    out.push(Leaf {
                        path,
                        state: LeafState::Unknown,
                        set_unknown: true,
                        levels,
                    });
                }
            }
        }
    }
}

/// Every `true` leaf of an `after_unknown` subtree, as paths.
pub fn unknown_paths(unknown: &Value, path: &str, out: &mut Vec<String>) {
    match unknown {
        Value::Bool(true) => out.push(path.to_string()),
        Value::Object(m) => {
            for (k, v) in m {
                unknown_paths(v, &join(path, k), out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                unknown_paths(v, &join(path, &i.to_string()), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_paths() {
        assert_eq!(
            parse_path("tags['Acct.Cost''s']").unwrap(),
            vec![Seg::Key("tags".into()), Seg::Key("Acct.Cost's".into())]
        );
        assert_eq!(
            parse_path("a[*].b[0].c").unwrap(),
            vec![
                Seg::Key("a".into()),
                Seg::Wildcard,
                Seg::Key("b".into()),
                Seg::Index(0),
                Seg::Key("c".into())
            ]
        );
        assert_eq!(
            parse_path("tags[env]").unwrap(),
            vec![Seg::Key("tags".into()), Seg::Key("env".into())]
        );
        assert!(parse_path("Microsoft.Sql/servers/minimalTlsVersion")
            .unwrap_err()
            .contains("Azure alias"));
        assert_eq!(parse_field("TYPE").unwrap(), FieldRef::Type);
    }

    #[test]
    fn walks_known_unknown_and_wildcards() {
        let after = json!({"rules": [{"cidr": "0.0.0.0/0"}, {"cidr": null}], "block": [{"x": 1}]});
        let unk = json!({"rules": [{}, {"cidr": true}], "id": true});
        let root = Node::new(&after, &unk);
        let mut out = Vec::new();
        walk(
            root,
            &parse_path("rules[*].cidr").unwrap(),
            0,
            String::new(),
            vec![],
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert!(matches!(out[0].state, LeafState::Known(v, _) if v == "0.0.0.0/0"));
        assert!(matches!(out[1].state, LeafState::Unknown));
        assert_eq!(out[1].path, "rules.1.cidr");

        let mut out = Vec::new();
        walk(
            root,
            &parse_path("block.x").unwrap(),
            0,
            String::new(),
            vec![],
            &mut out,
        );
        assert!(matches!(out[0].state, LeafState::Known(v, _) if v == 1));
        assert_eq!(out[0].path, "block.0.x");

        let mut out = Vec::new();
        walk(
            root,
            &parse_path("id").unwrap(),
            0,
            String::new(),
            vec![],
            &mut out,
        );
        assert!(matches!(out[0].state, LeafState::Unknown));

        let mut out = Vec::new();
        walk(
            root,
            &parse_path("missing[*].x").unwrap(),
            0,
            String::new(),
            vec![],
            &mut out,
        );
        assert!(out.is_empty());

        let mut out = Vec::new();
        walk(
            root,
            &parse_path("rules").unwrap(),
            0,
            String::new(),
            vec![],
            &mut out,
        );
        assert!(
            matches!(&out[0].state, LeafState::Known(_, inside) if inside == &vec!["rules.1.cidr".to_string()])
        );
    }
}
