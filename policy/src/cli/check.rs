//! `dbre policy check`.

use super::args::{CheckArgs, ColorChoice};
use super::files::{display, walk};
use super::{print, use_color, EXIT_FINDINGS, EXIT_OK};
use crate::azure_bridge::{looks_like_azure_policy, AzurePolicies, AzureSource};
use crate::check::{Checker, STDIN};
use crate::error::Error;
use crate::rego::{load_data_documents, LoadOptions, RegoPolicies, RegoSource};
use crate::report::{render, Format, RenderOptions};
use crate::waiver::Waivers;
use std::path::Path;

pub fn run(args: &CheckArgs, color: ColorChoice) -> Result<i32, Error> {
    let plans = expand_plans(&args.plans)?;
    let (rego_sources, azure_sources) = collect_policies(&args.policies)?;
    if args.no_builtin && rego_sources.is_empty() && azure_sources.is_empty() {
        return Err(Error::Usage(
            "nothing to check: --no-builtin leaves out the built-in guardrails and no --policy \
             was given"
                .into(),
        ));
    }
    let data = load_data_documents(&args.data)?;
    let options = LoadOptions {
        rego_v0: args.rego_v0,
        namespaces: args.namespaces.clone(),
        all_namespaces: args.all_namespaces,
        builtin: !args.no_builtin,
    };
    let rego = RegoPolicies::load(&rego_sources, data, &options)?;
    if !rego_sources.is_empty() && rego.selected_packages.is_empty() {
        let wanted = if args.namespaces.is_empty() {
            "main".to_string()
        } else {
            args.namespaces.join(", ")
        };
        return Err(Error::Usage(format!(
            "no Rego package of the given policies matches the namespace(s) {wanted}; \
             choose packages with --namespace (globs allowed) or --all-namespaces"
        )));
    }
    let azure = AzurePolicies::load(&azure_sources)?;
    let waivers = args.waivers.as_deref().map(Waivers::load).transpose()?;

    let checker = Checker {
        rego: &rego,
        azure: &azure,
        waivers: waivers.as_ref(),
        today: time::OffsetDateTime::now_utc().date(),
    };
    let report = checker.check(&plans)?;

    let to_terminal = args.output_file.is_none();
    let options = RenderOptions {
        color: args.output == Format::Text && to_terminal && use_color(color),
        builtin_rules: rego.builtin_rules(),
    };
    let text = render(&report, args.output, &options);
    match &args.output_file {
        Some(path) => std::fs::write(path, text).map_err(|e| Error::io(path.clone(), e))?,
        None => print(&text),
    }

    let failing =
        report.summary.failures > 0 || (args.fail_on_warn && report.summary.warning_like() > 0);
    Ok(if failing { EXIT_FINDINGS } else { EXIT_OK })
}

/// Plan arguments: files as given, directories searched recursively for `*.json`.
fn expand_plans(args: &[String]) -> Result<Vec<String>, Error> {
    let mut plans = Vec::new();
    for arg in args {
        if arg == STDIN {
            if plans.iter().any(|p| p == STDIN) {
                return Err(Error::Usage(
                    "standard input (-) can be read only once".into(),
                ));
            }
            plans.push(arg.clone());
            continue;
        }
        let path = Path::new(arg);
        let meta = std::fs::metadata(path).map_err(|e| Error::io(arg.clone(), e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files).map_err(|e| Error::io(arg.clone(), e))?;
            let before = plans.len();
            plans.extend(
                files
                    .iter()
                    .filter(|f| f.extension().is_some_and(|e| e == "json"))
                    .map(|f| display(f)),
            );
            if plans.len() == before {
                return Err(Error::Usage(format!(
                    "{arg}: no *.json plan files in this directory"
                )));
            }
        } else {
            plans.push(arg.clone());
        }
    }
    plans.dedup();
    Ok(plans)
}

/// Policy arguments: `.rego` files to the Rego engine, `.json` files to the Azure Policy
/// engine. Named files must have one of these extensions; in directories, other files and JSON
/// that is not Azure Policy (test inputs, data) are skipped.
fn collect_policies(args: &[String]) -> Result<(Vec<RegoSource>, Vec<AzureSource>), Error> {
    let mut rego = Vec::new();
    let mut azure = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        let meta = std::fs::metadata(path).map_err(|e| Error::io(arg.clone(), e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files).map_err(|e| Error::io(arg.clone(), e))?;
            for file in files {
                let name = display(&file);
                match file.extension().and_then(|e| e.to_str()) {
                    Some("rego") => rego.push(RegoSource {
                        text: read(&name)?,
                        path: name,
                    }),
                    Some("json") => {
                        let text = read(&name)?;
                        if looks_like_azure_policy(&text) {
                            azure.push(AzureSource { path: name, text });
                        }
                    }
                    _ => {}
                }
            }
        } else {
            match path.extension().and_then(|e| e.to_str()) {
                Some("rego") => rego.push(RegoSource {
                    text: read(arg)?,
                    path: arg.clone(),
                }),
                Some("json") => azure.push(AzureSource {
                    text: read(arg)?,
                    path: arg.clone(),
                }),
                _ => {
                    return Err(Error::Usage(format!(
                        "{arg}: not a policy file: expected .rego (Rego) or .json (Azure Policy)"
                    )))
                }
            }
        }
    }
    Ok((rego, azure))
}

pub(super) fn read(path: &str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Rego sources of the given files and directories (for `dbre policy test`).
pub(super) fn rego_sources(args: &[String]) -> Result<Vec<RegoSource>, Error> {
    Ok(collect_policies(args)?.0)
}
