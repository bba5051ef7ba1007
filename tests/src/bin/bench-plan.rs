//! `bench-plan`: wall time of `terraform plan` for N `dbre_role`s next to the same count of
//! built-in `terraform_data` resources (Terraform's own floor), measured alternately in the same
//! run against the same throwaway PostgreSQL, plus how many connections each dbre plan opened.
//! Prints a markdown section for BENCHMARKS.md. Run through `scripts/bench-plan.sh`.
//!
//! Usage: bench-plan [--count N] [--runs K] [--parallelism P] [--baseline-only]

use std::time::Duration;

use anyhow::{bail, Context, Result};
use dbre_e2e::{required_providers_hcl, PgServer, TfWorkspace};

struct Args {
    count: usize,
    runs: usize,
    parallelism: u32,
    baseline_only: bool,
}

fn main() {
    if let Err(err) = run() {
        eprintln!("bench-plan: {err:#}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        count: 100,
        runs: 5,
        parallelism: 10,
        baseline_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> Result<String> {
            it.next().with_context(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--count" => args.count = value("--count")?.parse()?,
            "--runs" => args.runs = value("--runs")?.parse()?,
            "--parallelism" => args.parallelism = value("--parallelism")?.parse()?,
            "--baseline-only" => args.baseline_only = true,
            "-h" | "--help" => {
                println!(
                    "usage: bench-plan [--count N] [--runs K] [--parallelism P] [--baseline-only]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    if args.runs == 0 || args.count == 0 {
        bail!("--count and --runs must be at least 1");
    }
    Ok(args)
}

fn run() -> Result<()> {
    let args = parse_args()?;
    let pg = PgServer::start()?;
    let admin = pg.create_admin("bench_admin", "bench-admin-password")?;

    eprintln!(
        "bench-plan: applying {} terraform_data resources",
        args.count
    );
    let mut baseline = TfWorkspace::new()?;
    baseline.set_parallelism(args.parallelism);
    baseline.write_config(&format!(
        "resource \"terraform_data\" \"r\" {{\n  count = {}\n  input = \"bench_role_${{count.index}}\"\n}}\n",
        args.count
    ))?;
    baseline.init()?;
    baseline.apply(&[])?;

    let dbre = if args.baseline_only {
        None
    } else {
        eprintln!("bench-plan: applying {} dbre_role resources", args.count);
        let mut ws = TfWorkspace::with_provider()?;
        ws.set_parallelism(args.parallelism);
        ws.write_config(&format!(
            "{}\n{}\nresource \"dbre_role\" \"r\" {{\n  count = {}\n  name  = \"bench_role_${{count.index}}\"\n}}\n",
            required_providers_hcl(),
            admin.provider_hcl(),
            args.count
        ))?;
        ws.init()?;
        ws.apply(&[])?;
        Some(ws)
    };

    let mut base_times = Vec::new();
    let mut dbre_times = Vec::new();
    let mut connections = Vec::new();
    for run in 1..=args.runs {
        eprintln!("bench-plan: run {run}/{}", args.runs);
        base_times.push(timed_plan(&baseline)?);
        if let Some(ws) = &dbre {
            let mark = pg.log_mark();
            dbre_times.push(timed_plan(ws)?);
            connections.push(pg.client_connections_since(mark).len());
        }
    }

    let base = median(&mut base_times);
    println!(
        "### terraform plan, {} resources (-parallelism={}), median of {} runs\n",
        args.count, args.parallelism, args.runs
    );
    println!("| what | median | min | max | ratio to terraform_data | connections per plan |");
    println!("| --- | --- | --- | --- | --- | --- |");
    println!(
        "| terraform_data (floor) | {} | {} | {} | 1.00 | - |",
        secs(base),
        secs(min(&base_times)),
        secs(max(&base_times)),
    );
    if !dbre_times.is_empty() {
        let med = median(&mut dbre_times);
        println!(
            "| dbre_role | {} | {} | {} | {:.2} | {} |",
            secs(med),
            secs(min(&dbre_times)),
            secs(max(&dbre_times)),
            med.as_secs_f64() / base.as_secs_f64(),
            connections.iter().max().copied().unwrap_or(0),
        );
    }
    println!(
        "\nMachine: {} ({} cores), PostgreSQL 15 on 127.0.0.1, {}.",
        cpu_model(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        terraform_version(&baseline)
    );
    Ok(())
}

fn timed_plan(ws: &TfWorkspace) -> Result<Duration> {
    let out = ws.plan_detailed(&[])?;
    if out.code != 0 {
        bail!("the benchmark plan must be a no-op: {out}");
    }
    Ok(out.elapsed)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn min(times: &[Duration]) -> Duration {
    times.iter().min().copied().unwrap_or_default()
}

fn max(times: &[Duration]) -> Duration {
    times.iter().max().copied().unwrap_or_default()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn terraform_version(ws: &TfWorkspace) -> String {
    ws.run(&["version"])
        .ok()
        .and_then(|o| o.stdout.lines().next().map(str::to_string))
        .unwrap_or_default()
}
