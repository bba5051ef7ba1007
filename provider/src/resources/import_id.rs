//! Import ids (and the `id` attribute) of resources named by several PostgreSQL names.
//!
//! Format: the fields joined by `/`, e.g. `app/app_read/table/public/orders,items`. A field that
//! is a list joins its items with `,`. Inside a field, `%`, `/` and `,` are written `%25`,
//! `%2F` and `%2C`; everything else — quotes, dots, `@`, spaces, non-ASCII — stays as it is,
//! so ids of ordinary names read like the names. Decoding accepts any `%XX` escape of UTF-8,
//! so hand-written ids may escape more than they need to.
//!
//! [`encode`] and [`decode`] round-trip every legal name (PostgreSQL names are any non-NUL
//! characters, at most 63 bytes).

/// Joins `fields` into an id. Each field is already either a plain name or a list joined
/// with [`join_list`].
pub fn encode<S: AsRef<str>>(fields: &[S]) -> String {
    fields
        .iter()
        .map(|f| f.as_ref())
        .collect::<Vec<_>>()
        .join("/")
}

/// Escapes one name for use as a field (or list item) of an id.
pub fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes each name and joins them with `,` (an empty list is an empty field).
pub fn join_list<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| escape(n.as_ref()))
        .collect::<Vec<_>>()
        .join(",")
}

/// An id split into its raw (still escaped) fields; read them with [`Fields::name`] and
/// [`Fields::list`].
#[derive(Debug)]
pub struct Fields<'a> {
    raw: Vec<&'a str>,
}

/// Splits `id` into fields. Returns an error message explaining `expected` (a human
/// description such as `"database/role/object_type/schema/objects"`) when the number of
/// fields is outside `min..=max`.
pub fn decode<'a>(
    id: &'a str,
    min: usize,
    max: usize,
    expected: &str,
) -> Result<Fields<'a>, String> {
    let raw: Vec<&str> = id.split('/').collect();
    if raw.len() < min || raw.len() > max {
        return Err(format!(
            "The import id {id:?} has {} field(s) separated by \"/\"; expected {expected}. \
             Write \"%2F\" for a \"/\", \"%2C\" for a \",\" and \"%25\" for a \"%\" inside a name.",
            raw.len()
        ));
    }
    Ok(Fields { raw })
}

impl Fields<'_> {
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Field `i` unescaped; an absent field is the empty string.
    pub fn name(&self, i: usize) -> Result<String, String> {
        unescape(self.raw.get(i).copied().unwrap_or(""))
    }

    /// Field `i` as a `,`-separated list, each item unescaped; an empty or absent field is an
    /// empty list.
    pub fn list(&self, i: usize) -> Result<Vec<String>, String> {
        match self.raw.get(i).copied().unwrap_or("") {
            "" => Ok(Vec::new()),
            raw => raw.split(',').map(unescape).collect(),
        }
    }
}

/// Undoes [`escape`]: every `%XX` becomes the byte XX; the bytes must form UTF-8.
pub fn unescape(field: &str) -> Result<String, String> {
    if !field.contains('%') {
        return Ok(field.to_owned());
    }
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!("{field:?} has a \"%\" not followed by two hex digits (write \"%25\")")
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{field:?} decodes to bytes that are not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordinary_names_read_as_themselves() {
        let id = encode(&[
            escape("app"),
            escape("app_read"),
            "table".into(),
            escape("public"),
            join_list(&["orders", "Line Items", "ünï.cødé"]),
        ]);
        assert_eq!(id, "app/app_read/table/public/orders,Line Items,ünï.cødé");
    }

    #[test]
    fn separators_and_percent_are_escaped() {
        assert_eq!(escape("a/b,c%d"), "a%2Fb%2Cc%25d");
        assert_eq!(unescape("a%2Fb%2cc%25d").unwrap(), "a/b,c%d");
    }

    #[test]
    fn bad_escapes_and_field_counts_are_explained() {
        assert!(unescape("50%").unwrap_err().contains("%25"));
        assert!(unescape("%ff").unwrap_err().contains("UTF-8"));
        let err = decode("a/b", 3, 5, "database/role/object_type").unwrap_err();
        assert!(err.contains("database/role/object_type"), "{err}");
    }

    #[test]
    fn absent_fields_are_empty() {
        let f = decode("app/r/database", 3, 6, "x").unwrap();
        assert_eq!(f.name(3).unwrap(), "");
        assert!(f.list(4).unwrap().is_empty());
    }

    proptest! {
        /// Any names (no NUL, as in PostgreSQL) survive encode → decode, fields and lists.
        #[test]
        fn round_trips_any_names(
            a in "[^\u{0}]{0,20}",
            b in "[^\u{0}]{1,20}",
            list in proptest::collection::vec("[^\u{0}]{1,12}", 0..4),
        ) {
            let id = encode(&[escape(&a), escape(&b), join_list(&list)]);
            let f = decode(&id, 3, 3, "a/b/list").unwrap();
            prop_assert_eq!(f.name(0).unwrap(), a);
            prop_assert_eq!(f.name(1).unwrap(), b);
            prop_assert_eq!(f.list(2).unwrap(), list);
        }
    }
}
