//! Mapping resource addresses back to where they are written, from the plan's `configuration`.
//!
//! The configuration section has no file names or line numbers, so the most we can say without
//! inventing anything is: which module directory (from the chain of `module_calls[].source`)
//! and which `resource "type" "name"` block inside it.

use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Where a resource is declared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct SourceRef {
    /// The module directory relative to the root module (`.` for the root module), or the
    /// module source as written when it is not a local path (registry or git modules).
    pub module: String,
    /// The resource as declared in that module, without instance keys: `dbre_role.app` or
    /// `data.dbre_database.main`.
    pub resource: String,
}

impl std::fmt::Display for SourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, rest) = match self.resource.strip_prefix("data.") {
            Some(rest) => ("data", rest),
            None => ("resource", self.resource.as_str()),
        };
        let (ty, name) = rest.split_once('.').unwrap_or((rest, ""));
        if self.module == "." {
            write!(f, "{kind} \"{ty}\" \"{name}\" in the root module")
        } else {
            write!(f, "{kind} \"{ty}\" \"{name}\" in {}", self.module)
        }
    }
}

/// Declared resources by configuration address (module path without instance keys).
#[derive(Debug, Default)]
pub struct SourceMap {
    by_config_address: BTreeMap<String, SourceRef>,
}

impl SourceMap {
    pub fn from_configuration(configuration: &Json) -> SourceMap {
        let mut map = SourceMap::default();
        if let Some(root) = configuration.get("root_module") {
            map.add_module(root, "", ".");
        }
        map
    }

    fn add_module(&mut self, module: &Json, prefix: &str, dir: &str) {
        for r in module
            .get("resources")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(address) = r.get("address").and_then(Json::as_str) {
                self.by_config_address.insert(
                    format!("{prefix}{address}"),
                    SourceRef {
                        module: dir.to_string(),
                        resource: address.to_string(),
                    },
                );
            }
        }
        if let Some(calls) = module.get("module_calls").and_then(Json::as_object) {
            for (name, call) in calls {
                let source = call.get("source").and_then(Json::as_str).unwrap_or("");
                let child_dir = join_module_source(dir, source);
                if let Some(child) = call.get("module") {
                    self.add_module(child, &format!("{prefix}module.{name}."), &child_dir);
                }
            }
        }
    }

    /// Where the resource instance at `address` is declared, if the configuration says.
    pub fn lookup(&self, address: &str) -> Option<&SourceRef> {
        self.by_config_address.get(&config_address(address))
    }
}

/// Resolves a module call's `source` against the calling module's directory. Local paths
/// (`./x`, `../x`) are joined and normalised; anything else starts a new base.
fn join_module_source(dir: &str, source: &str) -> String {
    if !(source.starts_with("./") || source.starts_with("../")) {
        return source.to_string();
    }
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// `module.a["k"].module.b[0].dbre_role.app["x"]` → `module.a.module.b.dbre_role.app`.
/// Instance keys may be quoted strings holding `.`, `[` or `]`, so brackets are skipped with
/// awareness of quotes and escapes.
pub fn config_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut chars = address.chars();
    while let Some(c) = chars.next() {
        if c != '[' {
            out.push(c);
            continue;
        }
        let mut in_string = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' if in_string => {
                    chars.next();
                }
                '"' => in_string = !in_string,
                ']' if !in_string => break,
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_instance_keys_even_with_tricky_strings() {
        assert_eq!(
            config_address(r#"module.a["k.]x"].module.b[0].dbre_role.app["q\"]"]"#),
            "module.a.module.b.dbre_role.app"
        );
        assert_eq!(config_address("data.x.y"), "data.x.y");
    }

    #[test]
    fn joins_local_module_sources_and_keeps_remote_ones() {
        assert_eq!(join_module_source(".", "./modules/db"), "modules/db");
        assert_eq!(
            join_module_source("modules/db", "../roles"),
            "modules/roles"
        );
        assert_eq!(join_module_source(".", "../shared"), "../shared");
        assert_eq!(
            join_module_source("modules/db", "terraform-aws-modules/rds/aws"),
            "terraform-aws-modules/rds/aws"
        );
    }

    #[test]
    fn finds_resources_in_nested_modules() {
        let cfg = json!({"root_module": {
            "resources": [{"address": "dbre_role.root"}],
            "module_calls": {"db": {"source": "./modules/db", "module": {
                "resources": [{"address": "dbre_role.app"}, {"address": "data.dbre_db.main"}],
                "module_calls": {"inner": {"source": "./inner", "module": {
                    "resources": [{"address": "dbre_grant.g"}]}}}
            }}}
        }});
        let map = SourceMap::from_configuration(&cfg);
        let root = map.lookup("dbre_role.root").unwrap();
        assert_eq!(
            root.to_string(),
            r#"resource "dbre_role" "root" in the root module"#
        );
        let app = map.lookup(r#"module.db["eu"].dbre_role.app[0]"#).unwrap();
        assert_eq!(
            app.to_string(),
            r#"resource "dbre_role" "app" in modules/db"#
        );
        assert_eq!(
            map.lookup("module.db.data.dbre_db.main")
                .unwrap()
                .to_string(),
            r#"data "dbre_db" "main" in modules/db"#
        );
        assert_eq!(
            map.lookup("module.db.module.inner.dbre_grant.g")
                .unwrap()
                .module,
            "modules/db/inner"
        );
        assert!(map.lookup("dbre_role.missing").is_none());
    }
}
