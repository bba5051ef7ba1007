//! Log lines on stderr, in the form go-plugin turns into Terraform log lines: a `[LEVEL]` prefix
//! sets the level (`TF_LOG_PROVIDER=DEBUG` shows them). Users see only diagnostics.
//!
//! Never log a value from configuration, plan or state: any of them may be a secret.

use std::fmt;
use std::io::Write;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn tag(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// Whether Terraform keeps provider lines of `level`. Terraform drops TRACE lines unless
/// `TF_LOG_PROVIDER` (else `TF_LOG`) asks for TRACE — or for JSON, or for a name it does not know,
/// which it treats as TRACE — and the provider inherits that environment. Trace lines come per
/// resource call, so writing them only when wanted spares a plan of thousands of resources as
/// many lines through go-plugin's pipe. Other levels are rare and always written.
pub fn enabled(level: Level) -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    level != Level::Trace
        || *TRACE.get_or_init(|| {
            trace_wanted(
                std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
                std::env::var("TF_LOG").ok().as_deref(),
            )
        })
}

fn trace_wanted(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> bool {
    let setting = match tf_log_provider {
        Some(v) if !v.is_empty() => v,
        _ => tf_log.unwrap_or_default(),
    };
    !setting.is_empty()
        && !["DEBUG", "INFO", "WARN", "ERROR", "OFF"]
            .iter()
            .any(|level| setting.eq_ignore_ascii_case(level))
}

/// Writes one line (when Terraform keeps its level, see [`enabled`]); newlines inside the
/// message are flattened so one event stays one line.
pub fn write(level: Level, message: fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let text = message.to_string().replace('\n', " ");
    let mut stderr = std::io::stderr().lock();
    // Nothing sensible to do when stderr is gone.
    let _ = writeln!(stderr, "[{}] {}", level.tag(), text);
}

#[macro_export]
macro_rules! log_trace {
    ($($arg:tt)*) => { $crate::plugin::log::write($crate::plugin::log::Level::Trace, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! log_debug {
    ($($arg:tt)*) => { $crate::plugin::log::write($crate::plugin::log::Level::Debug, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! log_info {
    ($($arg:tt)*) => { $crate::plugin::log::write($crate::plugin::log::Level::Info, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! log_warn {
    ($($arg:tt)*) => { $crate::plugin::log::write($crate::plugin::log::Level::Warn, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! log_error {
    ($($arg:tt)*) => { $crate::plugin::log::write($crate::plugin::log::Level::Error, format_args!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::trace_wanted;

    #[test]
    fn trace_lines_only_when_terraform_keeps_them() {
        assert!(!trace_wanted(None, None));
        assert!(!trace_wanted(Some(""), Some("")));
        assert!(trace_wanted(None, Some("trace")));
        assert!(trace_wanted(None, Some("JSON")));
        assert!(
            trace_wanted(None, Some("yes please")),
            "unknown names mean TRACE"
        );
        assert!(!trace_wanted(None, Some("debug")));
        assert!(
            !trace_wanted(Some("INFO"), Some("TRACE")),
            "the provider setting wins"
        );
        assert!(trace_wanted(Some("TRACE"), Some("ERROR")));
        assert!(trace_wanted(Some(""), Some("TRACE")), "empty means unset");
    }
}
