//! The built-in guardrails, embedded at build time from `policy/builtin/` (see build.rs).

include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));

/// The path prefix that marks a policy file as embedded in the binary.
pub const PREFIX: &str = "builtin:";

/// Package of the helper library every policy may import; loaded even with `--no-builtin`.
pub const LIB_PACKAGE: &str = "dbre.lib";

/// Package prefix of the guardrails themselves.
pub const GUARDRAIL_PACKAGE_PREFIX: &str = "dbre.builtin.";

/// The package a Rego file declares, read from its first `package` line.
pub fn declared_package(text: &str) -> Option<&str> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("package ")?;
        Some(rest.split('#').next().unwrap_or(rest).trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_exclude_tests_and_declare_packages() {
        for (path, text) in FILES {
            assert!(!path.ends_with("_test.rego"), "{path}");
            assert!(
                declared_package(text).is_some(),
                "{path} declares no package"
            );
        }
    }

    #[test]
    fn reads_package_lines() {
        assert_eq!(
            declared_package("# c\npackage dbre.lib # x\n"),
            Some("dbre.lib")
        );
        assert_eq!(declared_package("x := 1"), None);
    }
}
