//! Positions of keys and values in a JSON text, so that semantic errors found after
//! `serde_json` parsed the document can still point at a line and column.
//!
//! The scanner runs only on text that `serde_json` already accepted, so it can be small:
//! it tracks the JSON pointer of every value and records where its key (inside objects)
//! or the value itself (inside arrays, and the root) starts.

use std::collections::HashMap;

/// Line and column (both 1-based, column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// JSON pointer (RFC 6901 style, `/a/0/b`) → position of the key (or value, in arrays).
#[derive(Debug, Default)]
pub struct SpanIndex {
    at: HashMap<String, Pos>,
}

impl SpanIndex {
    pub fn build(text: &str) -> SpanIndex {
        let mut scanner = Scanner {
            chars: text.chars().collect(),
            i: 0,
            line: 1,
            col: 1,
            index: SpanIndex::default(),
        };
        scanner.skip_ws();
        let root = scanner.pos();
        scanner.index.at.insert(String::new(), root);
        scanner.value(String::new());
        scanner.index
    }

    /// Position of `pointer`, falling back to its nearest recorded ancestor.
    pub fn pos(&self, pointer: &str) -> Pos {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.at.get(p) {
                return *pos;
            }
            match p.rfind('/') {
                Some(cut) => p = &p[..cut],
                None => return Pos { line: 1, col: 1 },
            }
        }
    }
}

/// Appends one segment to a JSON pointer, escaping `~` and `/`.
pub fn child(pointer: &str, segment: &str) -> String {
    let escaped = segment.replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{escaped}")
}

struct Scanner {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
    index: SpanIndex,
}

impl Scanner {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_whitespace()) {
            self.bump();
        }
    }

    fn value(&mut self, pointer: String) {
        self.skip_ws();
        match self.peek() {
            Some('{') => {
                self.bump();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some('}') | None => {
                            self.bump();
                            return;
                        }
                        Some(',') => {
                            self.bump();
                        }
                        Some('"') => {
                            let key_pos = self.pos();
                            let key = self.string();
                            let path = child(&pointer, &key);
                            self.index.at.entry(path.clone()).or_insert(key_pos);
                            self.skip_ws();
                            if self.peek() == Some(':') {
                                self.bump();
                            }
                            self.value(path);
                        }
                        Some(_) => {
                            self.bump();
                        }
                    }
                }
            }
            Some('[') => {
                self.bump();
                let mut n = 0usize;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(']') | None => {
                            self.bump();
                            return;
                        }
                        Some(',') => {
                            self.bump();
                        }
                        Some(_) => {
                            let path = child(&pointer, &n.to_string());
                            let at = self.pos();
                            self.index.at.entry(path.clone()).or_insert(at);
                            self.value(path);
                            n += 1;
                        }
                    }
                }
            }
            Some('"') => {
                self.string();
            }
            Some(_) => {
                // number, true, false, null
                while matches!(self.peek(), Some(c) if !c.is_whitespace() && !matches!(c, ',' | ']' | '}'))
                {
                    self.bump();
                }
            }
            None => {}
        }
    }

    /// Reads a string literal (cursor on the opening quote) and returns its decoded text.
    fn string(&mut self) -> String {
        let start = self.i;
        self.bump();
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    self.bump();
                }
                '"' => break,
                _ => {}
            }
        }
        let raw: String = self.chars[start..self.i].iter().collect();
        serde_json::from_str::<String>(&raw).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_array_items() {
        let text = "{\n  \"a\": [1, {\"b/c\": true}],\n  \"d\": \"x\"\n}";
        let idx = SpanIndex::build(text);
        assert_eq!(idx.pos("/a"), Pos { line: 2, col: 3 });
        assert_eq!(idx.pos("/a/1"), Pos { line: 2, col: 12 });
        assert_eq!(idx.pos("/a/1/b~1c"), Pos { line: 2, col: 13 });
        assert_eq!(idx.pos("/d"), Pos { line: 3, col: 3 });
        assert_eq!(idx.pos("/d/missing"), Pos { line: 3, col: 3 });
    }
}
