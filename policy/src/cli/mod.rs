//! `dbre policy ...`: argument handling, file discovery, exit codes.

mod args;
mod check;
pub mod files;
mod rules;
mod test;

pub use args::Cli;
use args::{ColorChoice, PolicyCommand, TopCommand};
use clap::Parser;
use std::io::{IsTerminal, Write};

/// Exit code: no failures.
pub const EXIT_OK: i32 = 0;
/// Exit code: failures (or warnings with `--fail-on-warn`), or failing policy tests.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: unusable input.
pub const EXIT_INPUT: i32 = 2;

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_INPUT } else { EXIT_OK };
        }
    };
    let result = match cli.command {
        TopCommand::Policy(PolicyCommand::Check(args)) => check::run(&args, cli.color),
        TopCommand::Policy(PolicyCommand::Test(args)) => test::run(&args),
        TopCommand::Policy(PolicyCommand::Rules(args)) => rules::run(&args),
        TopCommand::Policy(PolicyCommand::Schema) => rules::schema(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "dbre: error: {e}");
            EXIT_INPUT
        }
    }
}

/// Whether to colour text written to standard output.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Writes to stdout, ignoring a closed pipe (`dbre ... | head`).
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
