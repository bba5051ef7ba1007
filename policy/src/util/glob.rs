//! Wildcard matching for waiver addresses, rule ids and namespaces: `*` matches any run of
//! characters (including `.`), `?` one character, everything else itself. Brackets are literal
//! on purpose: they are part of Terraform addresses (`dbre_role.app["x"]`), so a shell-style
//! character class would make the obvious waiver silently match nothing.

pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Position of the last `*` seen and the text position it is currently assumed to cover up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::wildcard_match as m;

    #[test]
    fn stars_questions_and_literal_brackets() {
        assert!(m("*", ""));
        assert!(m("module.db.*", r#"module.db.dbre_role.app["x"]"#));
        assert!(m(r#"dbre_role.app["x"]"#, r#"dbre_role.app["x"]"#));
        assert!(!m(r#"dbre_role.app["x"]"#, "dbre_role.app"));
        assert!(m("dbre_role.app[?]", "dbre_role.app[0]"));
        assert!(m("*.app*", "module.a.dbre_role.app[1]"));
        assert!(!m("DBRE-PG-00?", "DBRE-PG-0010"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
    }
}
