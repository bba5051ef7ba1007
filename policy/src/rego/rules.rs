//! Which rules of a loaded module dbre evaluates, found from regorus's parsed modules.

use regorus::unstable::{Expr, Module, Parser, Ref, Rule, RuleHead};
use regorus::utils::get_path_string;

/// The conftest rule families (plus dbre's `indeterminate` for built-ins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// `deny`, `violation`, with optional `_suffix`es: failures.
    Failure,
    /// `warn` with optional `_suffix`es: warnings.
    Warning,
    /// `indeterminate` (built-in guardrails only): decided by an unknown value.
    Indeterminate,
}

/// Classifies a rule name the way conftest does: `^(deny|violation)(_[a-zA-Z0-9]+)*$` and
/// `^warn(_[a-zA-Z0-9]+)*$`.
pub fn family(name: &str) -> Option<Family> {
    let (family, rest) = if let Some(rest) = name.strip_prefix("deny") {
        (Family::Failure, rest)
    } else if let Some(rest) = name.strip_prefix("violation") {
        (Family::Failure, rest)
    } else if let Some(rest) = name.strip_prefix("warn") {
        (Family::Warning, rest)
    } else {
        return None;
    };
    if rest.is_empty() {
        return Some(family);
    }
    let suffixes_ok = rest.strip_prefix('_').is_some_and(|tail| {
        tail.split('_')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
    });
    suffixes_ok.then_some(family)
}

/// The name a conftest `exception` rule uses for a failure rule: `deny_foo` → `foo`,
/// `deny` → `` (the empty string excepts every plain `deny`/`violation`).
pub fn exception_name(rule: &str) -> &str {
    let rest = rule
        .strip_prefix("deny")
        .or_else(|| rule.strip_prefix("violation"))
        .unwrap_or(rule);
    rest.strip_prefix('_').unwrap_or(rest)
}

/// A rule declared in a module: its first name component and the line of its first
/// declaration. Functions are left out: they cannot be queried as documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredRule {
    pub name: String,
    pub line: u32,
}

/// The package path of a module without the leading `data.`, e.g. `main` or `dbre.builtin.x`.
pub fn package_path(module: &Module) -> anyhow::Result<String> {
    get_path_string(&module.package.refr, None)
}

/// Every non-function rule of a module, first declaration wins, in declaration order.
pub fn declared_rules(module: &Module) -> Vec<DeclaredRule> {
    let mut out: Vec<DeclaredRule> = Vec::new();
    for rule in &module.policy {
        let (refr, span) = match rule.as_ref() {
            Rule::Spec { head, span, .. } => match head {
                RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => (refr, span),
                RuleHead::Func { .. } => continue,
            },
            Rule::Default {
                refr, args, span, ..
            } => {
                if !args.is_empty() {
                    continue;
                }
                (refr, span)
            }
        };
        let Some(name) = first_component(refr) else {
            continue;
        };
        if !out.iter().any(|r| r.name == name) {
            out.push(DeclaredRule {
                name,
                line: span.line,
            });
        }
    }
    out
}

/// `deny`, `deny[msg]`, `a.b.c` → `deny`, `deny`, `a`.
fn first_component(refr: &Ref<Expr>) -> Option<String> {
    let comps = Parser::get_path_ref_components(refr).ok()?;
    comps.first().map(|span| span.text().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_conftest() {
        assert_eq!(family("deny"), Some(Family::Failure));
        assert_eq!(family("violation_no_public_1"), Some(Family::Failure));
        assert_eq!(family("warn_x"), Some(Family::Warning));
        assert_eq!(family("denyx"), None);
        assert_eq!(family("deny_"), None);
        assert_eq!(family("deny__x"), None);
        assert_eq!(family("deny_a-b"), None);
        assert_eq!(family("warning"), None);
        assert_eq!(family("exception"), None);
    }

    #[test]
    fn exception_names_drop_the_family_prefix() {
        assert_eq!(exception_name("deny_foo"), "foo");
        assert_eq!(exception_name("violation_foo_bar"), "foo_bar");
        assert_eq!(exception_name("deny"), "");
    }
}
