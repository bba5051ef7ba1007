//! Loading Rego files into one base engine and deciding which rules to evaluate.

use super::diagnostic::format_regorus_error;
use super::rules::{declared_rules, family, package_path, Family};
use super::scan::missing_builtins;
use super::BuiltinRule;
use crate::builtin;
use crate::error::Error;
use crate::finding::Severity;
use crate::util::glob::wildcard_match;
use regorus::Engine;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The generated package that gathers every evaluated rule into one document.
pub(super) const COLLECTOR_PACKAGE: &str = "dbre_internal_collector";

/// A Rego file to load: its path as the user named it, and its text.
#[derive(Debug, Clone)]
pub struct RegoSource {
    pub path: String,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Accept Rego v0 modules (v1 is the default; `import rego.v1` modules load either way).
    pub rego_v0: bool,
    /// Namespace globs to evaluate; empty means `main`.
    pub namespaces: Vec<String>,
    pub all_namespaces: bool,
    /// Evaluate the built-in guardrails.
    pub builtin: bool,
}

/// One rule dbre evaluates for every plan.
#[derive(Debug, Clone)]
pub(super) struct Target {
    /// The collector rule holding its value.
    pub key: String,
    pub package: String,
    pub rule: String,
    pub family: Family,
    pub file: String,
    pub line: u32,
    /// Index into `RegoPolicies::builtin_rules` for built-in guardrails.
    pub builtin: Option<usize>,
}

/// Policies parsed once, ready to be evaluated against many plans.
#[derive(Clone)]
pub struct RegoPolicies {
    pub(super) engine: Engine,
    pub(super) targets: Vec<Target>,
    /// Collector keys of conftest `exception` rules, by package.
    pub(super) exceptions: BTreeMap<String, String>,
    pub(super) builtin_rules: Vec<BuiltinRule>,
    /// User packages selected by the namespace options (for diagnostics).
    pub selected_packages: Vec<String>,
    /// Collector packages that split the targets into groups evaluated on separate threads
    /// for big plans (empty when there is a single group).
    pub(super) group_packages: Vec<String>,
}

/// How many groups a big plan's rules are split into.
const PARALLEL_GROUPS: usize = 4;

/// What a package declares, merged over the files that share it.
#[derive(Debug, Default)]
pub(super) struct PackageInfo {
    /// rule name → (file, line) of its first declaration.
    pub rules: BTreeMap<String, (String, u32)>,
    pub from_builtin: bool,
}

impl RegoPolicies {
    /// Parses user policies (and the embedded built-ins), loads `data` documents, and prepares
    /// the collector. Every problem is an [`Error::Policy`] naming file, line and column.
    pub fn load(
        sources: &[RegoSource],
        data: Vec<Json>,
        options: &LoadOptions,
    ) -> Result<RegoPolicies, Error> {
        let mut engine = build_engine(sources, options.rego_v0, options.builtin)?;

        for doc in data {
            engine
                .add_data(regorus::Value::from(doc))
                .map_err(|e| Error::Policy(format!("data documents conflict: {e}")))?;
        }

        let packages = describe_packages(&mut engine)?;
        let namespaces: Vec<String> = if options.namespaces.is_empty() {
            vec!["main".to_string()]
        } else {
            options.namespaces.clone()
        };

        let mut targets = Vec::new();
        let mut exceptions = BTreeMap::new();
        let mut selected_packages = Vec::new();
        let mut guardrail_packages = Vec::new();
        for (package, info) in &packages {
            let is_guardrail = package.starts_with(builtin::GUARDRAIL_PACKAGE_PREFIX);
            if is_guardrail {
                if options.builtin {
                    guardrail_packages.push(package.clone());
                }
                continue;
            }
            if info.from_builtin || package == COLLECTOR_PACKAGE {
                continue;
            }
            let selected =
                options.all_namespaces || namespaces.iter().any(|ns| wildcard_match(ns, package));
            if !selected {
                continue;
            }
            selected_packages.push(package.clone());
            for (rule, (file, line)) in &info.rules {
                if rule == "exception" {
                    exceptions.insert(package.clone(), format!("e{}", exceptions.len()));
                    continue;
                }
                if let Some(family) = family(rule) {
                    targets.push(Target {
                        key: format!("r{}", targets.len()),
                        package: package.clone(),
                        rule: rule.clone(),
                        family,
                        file: file.clone(),
                        line: *line,
                        builtin: None,
                    });
                }
            }
        }

        let mut builtin_rules = Vec::new();
        for package in &guardrail_packages {
            let info = &packages[package];
            let index = builtin_rules.len();
            let mut has_findings = false;
            for (rule, family) in [
                ("deny", Family::Failure),
                ("warn", Family::Warning),
                ("indeterminate", Family::Indeterminate),
            ] {
                if let Some((file, line)) = info.rules.get(rule) {
                    has_findings = true;
                    targets.push(Target {
                        key: format!("r{}", targets.len()),
                        package: package.clone(),
                        rule: rule.to_string(),
                        family,
                        file: file.clone(),
                        line: *line,
                        builtin: Some(index),
                    });
                }
            }
            if has_findings {
                let file = info
                    .rules
                    .values()
                    .next()
                    .map(|(f, _)| f.clone())
                    .unwrap_or_default();
                builtin_rules.push(read_metadata(&mut engine, package, &file)?);
            }
        }

        let all: Vec<&Target> = targets.iter().collect();
        let mut collectors = vec![(COLLECTOR_PACKAGE.to_string(), all)];
        let groups = split_by_package(&targets, PARALLEL_GROUPS);
        let group_packages: Vec<String> = if groups.len() > 1 {
            groups
                .into_iter()
                .enumerate()
                .map(|(i, group)| {
                    let package = format!("{COLLECTOR_PACKAGE}_{i}");
                    collectors.push((package.clone(), group));
                    package
                })
                .collect()
        } else {
            Vec::new()
        };
        for (i, (package, group)) in collectors.iter().enumerate() {
            // Exceptions are read by the first (complete) collector and the first group.
            let exceptions = if i <= 1 { Some(&exceptions) } else { None };
            engine
                .add_policy(
                    format!("{package}.rego"),
                    collector_module(package, group, exceptions),
                )
                .map_err(|e| Error::Policy(format!("internal collector module: {e:#}")))?;
        }

        Ok(RegoPolicies {
            engine,
            targets,
            exceptions,
            builtin_rules,
            selected_packages,
            group_packages,
        })
    }

    /// The built-in guardrails that are loaded, sorted by id.
    pub fn builtin_rules(&self) -> Vec<BuiltinRule> {
        let mut rules = self.builtin_rules.clone();
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        rules
    }

    /// How many rules (user rule families and built-in guardrail rules) are evaluated per plan.
    pub fn rule_count(&self) -> usize {
        self.targets.len()
    }
}

/// An engine holding the user's sources and the embedded built-ins (the `dbre.lib` helpers
/// always, the guardrails when `guardrails`), refusing sources that do not parse or that call
/// builtins regorus lacks.
pub(super) fn build_engine(
    sources: &[RegoSource],
    rego_v0: bool,
    guardrails: bool,
) -> Result<Engine, Error> {
    let mut engine = Engine::new();
    engine.set_rego_v0(rego_v0);
    // print() output would otherwise interleave with reports on stdout.
    engine.set_gather_prints(true);

    let mut problems = Vec::new();
    let mut user_packages = Vec::new();
    for source in sources {
        for m in missing_builtins(&source.text) {
            problems.push(format!(
                "{}:{}:{}: `{}` is an OPA builtin that dbre's Rego engine (regorus) does not \
                 implement",
                source.path, m.line, m.column, m.name
            ));
        }
        match engine.add_policy(source.path.clone(), source.text.clone()) {
            Ok(package) => user_packages.push(
                package
                    .strip_prefix("data.")
                    .unwrap_or(&package)
                    .to_string(),
            ),
            Err(e) => {
                let mut message = format_regorus_error(&e);
                if !rego_v0 && looks_like_v0_error(&message) {
                    message.push_str(
                        "\nhint: this looks like Rego v0 syntax; pass --rego-v0 to accept it",
                    );
                }
                problems.push(message)
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Policy(problems.join("\n")));
    }

    for (rel, text) in builtin::FILES {
        let Some(package) = builtin::declared_package(text) else {
            continue;
        };
        let is_guardrail = package.starts_with(builtin::GUARDRAIL_PACKAGE_PREFIX);
        // A package given on the command line replaces the embedded one (e.g. when testing a
        // changed copy of policy/builtin).
        if user_packages.iter().any(|p| p == package) || (is_guardrail && !guardrails) {
            continue;
        }
        engine
            .add_policy(format!("{}{rel}", builtin::PREFIX), text.to_string())
            .map_err(|e| Error::Policy(format_regorus_error(&e)))?;
    }
    Ok(engine)
}

/// Parse errors regorus gives for v0 rule syntax under v1.
fn looks_like_v0_error(message: &str) -> bool {
    message.contains("`if` keyword is required")
        || message.contains("`contains` keyword is required")
}

pub(super) fn describe_packages(
    engine: &mut Engine,
) -> Result<BTreeMap<String, PackageInfo>, Error> {
    let mut packages: BTreeMap<String, PackageInfo> = BTreeMap::new();
    for module in engine.get_modules().iter() {
        let package = package_path(module).map_err(|e| Error::Policy(format!("{e:#}")))?;
        let file = module.package.span.source.file().to_string();
        let info = packages.entry(package).or_default();
        info.from_builtin |= file.starts_with(builtin::PREFIX);
        for rule in declared_rules(module) {
            info.rules
                .entry(rule.name)
                .or_insert_with(|| (file.clone(), rule.line));
        }
    }
    Ok(packages)
}

/// `package <name>` with one rule per target: `r0 := data["main"]["deny"]`. Evaluating this
/// package once evaluates its targets with a shared rule cache; a target whose rule is
/// undefined simply leaves its key out.
fn collector_module(
    package: &str,
    targets: &[&Target],
    exceptions: Option<&BTreeMap<String, String>>,
) -> String {
    let mut text = format!("package {package}\n\nimport rego.v1\n\n");
    for t in targets {
        let _ = writeln!(text, "{} := {}", t.key, rule_ref(&t.package, &t.rule));
    }
    for (package, key) in exceptions.into_iter().flatten() {
        let _ = writeln!(text, "{key} := {}", rule_ref(package, "exception"));
    }
    text
}

/// Splits targets into at most `n` groups of whole packages (rules of one package often share
/// helper rules, which a group computes once), balancing the number of rules per group:
/// largest package first, each to the group with the fewest rules so far.
fn split_by_package(targets: &[Target], n: usize) -> Vec<Vec<&Target>> {
    let mut packages: BTreeMap<&str, Vec<&Target>> = BTreeMap::new();
    for t in targets {
        packages.entry(t.package.as_str()).or_default().push(t);
    }
    let mut units: Vec<Vec<&Target>> = packages.into_values().collect();
    units.sort_by_key(|unit| std::cmp::Reverse(unit.len()));
    let mut groups: Vec<Vec<&Target>> = vec![Vec::new(); n.min(units.len())];
    for unit in units {
        if let Some(smallest) = groups.iter_mut().min_by_key(|g| g.len()) {
            smallest.extend(unit);
        }
    }
    groups
}

fn rule_ref(package: &str, rule: &str) -> String {
    let mut r = String::from("data");
    for part in package.split('.').chain(std::iter::once(rule)) {
        let _ = write!(r, "[{}]", Json::String(part.to_string()));
    }
    r
}

fn read_metadata(engine: &mut Engine, package: &str, file: &str) -> Result<BuiltinRule, Error> {
    let bad = |why: &str| Error::Policy(format!("{file}: built-in guardrail {package}: {why}"));
    let value = engine
        .eval_rule(format!("data.{package}.metadata"))
        .map_err(|e| {
            bad(&format!(
                "cannot evaluate metadata: {}",
                format_regorus_error(&e)
            ))
        })?;
    let meta: Json = serde_json::to_value(&value).map_err(|e| bad(&e.to_string()))?;
    let text = |key: &str| meta.get(key).and_then(Json::as_str).map(str::to_string);
    let id = text("id").ok_or_else(|| bad("metadata has no string \"id\""))?;
    let severity = text("severity")
        .as_deref()
        .and_then(Severity::parse)
        .ok_or_else(|| bad("metadata \"severity\" must be critical, high, medium or low"))?;
    Ok(BuiltinRule {
        title: text("title").ok_or_else(|| bad("metadata has no string \"title\""))?,
        description: text("description").unwrap_or_default(),
        resource_types: meta
            .get("resource_types")
            .and_then(Json::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        id,
        severity,
        package: package.to_string(),
        file: file.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_refs_quote_every_component() {
        assert_eq!(rule_ref("a.b", "deny_x"), r#"data["a"]["b"]["deny_x"]"#);
    }
}
