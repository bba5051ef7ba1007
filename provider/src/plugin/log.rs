//! Log lines on stderr, in the form go-plugin turns into Terraform log lines: a `[LEVEL]` prefix
//! sets the level (`TF_LOG_PROVIDER=DEBUG` shows them). Users see only diagnostics.
//!
//! Never log a value from configuration, plan or state: any of them may be a secret.

use std::fmt;
use std::io::Write;

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

/// Writes one line; newlines inside the message are flattened so one event stays one line.
pub fn write(level: Level, message: fmt::Arguments<'_>) {
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
