//! The command line, declared with clap. Help texts teach the semantics, not just the flags.

use crate::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "dbre",
    version,
    about = "Guardrails for databases managed with Terraform",
    after_help = "Exit codes: 0 no failures, 1 failures (or warnings with --fail-on-warn), \
                  2 unusable input (unreadable files, non-plan JSON, policies that do not parse)."
)]
pub struct Cli {
    /// When to colour the text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: TopCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing text to a terminal and NO_COLOR is unset.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum TopCommand {
    /// Check Terraform plans against policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check plans (`terraform show -json PLANFILE` output) against Rego and Azure Policy rules
    /// and the built-in database guardrails.
    #[command(
        long_about = "Check plans (the output of `terraform show -json PLANFILE`) against Rego \
policies (conftest conventions: deny/violation/warn rules, namespaces, exception rules), Azure \
Policy JSON definitions, and the built-in database guardrails.\n\n\
Rego policies get the plan JSON unchanged as `input`, like conftest, plus `data.dbre.plan`: \
every resource change with its action flags, masked sensitive values and unknown paths.\n\n\
Values unknown until apply never produce a pass or a failure: a rule decided only by one is \
reported as `indeterminate` (a warning naming the attribute). Sensitive values never appear in \
any output.",
        after_help = "Examples:\n  \
terraform show -json tfplan > plan.json\n  \
dbre policy check plan.json\n  \
dbre policy check plans/ -p policy/ --namespace 'terraform.*' -o sarif --output-file dbre.sarif\n  \
dbre policy check plan.json --waivers waivers.yaml --fail-on-warn\n\n\
Exit codes: 0 no failures, 1 failures (or warnings with --fail-on-warn), 2 unusable input."
    )]
    Check(CheckArgs),
    /// Run the `test_*` rules of Rego policies, like `opa test` or `conftest verify`.
    Test(TestArgs),
    /// List the built-in guardrails: id, severity, title.
    Rules(RulesArgs),
    /// Print the JSON Schema of the `--output json` report.
    Schema,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Plan JSON files, directories searched recursively for `*.json` plans, or `-` for
    /// standard input (`terraform show -json tfplan | dbre policy check -`).
    #[arg(required = true, value_name = "PLAN")]
    pub plans: Vec<String>,

    /// Policy file or directory (recursive): `.rego` files and Azure Policy `.json`
    /// definitions or initiatives. Repeatable.
    #[arg(short = 'p', long = "policy", value_name = "PATH")]
    pub policies: Vec<String>,

    /// JSON or YAML documents merged under `data.` (files in sub-directories of a directory go
    /// under their sub-directory path, as in conftest). Repeatable.
    #[arg(short = 'd', long = "data", value_name = "PATH")]
    pub data: Vec<String>,

    /// Rego package to evaluate; globs allowed (`terraform.*`). Repeatable. Default: main.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,

    /// Evaluate every Rego package (except the built-in guardrails, which --no-builtin governs).
    #[arg(long, conflicts_with = "namespaces")]
    pub all_namespaces: bool,

    /// Leave out the built-in database guardrails.
    #[arg(long)]
    pub no_builtin: bool,

    /// YAML/JSON list of waivers: {rule, address, reason, owner, expires}. A matching waiver
    /// turns a finding into "waived"; expired and unused waivers are reported.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<String>,

    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    pub output: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<String>,

    /// Exit with 1 on warnings (including indeterminate and unsupported findings) too.
    #[arg(long)]
    pub fail_on_warn: bool,

    /// Also accept Rego v0 modules (v1 is the default; modules with `import rego.v1` load
    /// either way).
    #[arg(long)]
    pub rego_v0: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Policy file or directory (recursive) holding `.rego` files with `test_*` rules.
    #[arg(short = 'p', long = "policy", value_name = "PATH", required = true)]
    pub policies: Vec<String>,

    /// JSON or YAML documents merged under `data.`. Repeatable.
    #[arg(short = 'd', long = "data", value_name = "PATH")]
    pub data: Vec<String>,

    /// Also accept Rego v0 modules.
    #[arg(long)]
    pub rego_v0: bool,

    /// Output format: text or json.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
    pub output: ListFormat,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format: text or json.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
    pub output: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}
