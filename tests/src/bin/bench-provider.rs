//! `bench-provider`: what the dbre provider costs a Terraform run, against Terraform's own floor
//! measured in the same run on the same machine.
//!
//! For each N, against one throwaway PostgreSQL:
//! - dbre: N `dbre_role` + N `dbre_grant` (grant i: SELECT on one of a few tables in schema
//!   `bench`, to role i); with `--roles-only`, the N roles alone;
//! - the floor: `terraform_data` in the same shape — as many resources in as many blocks (two
//!   blocks of N, or one with `--roles-only`), the second referring to the first by index as each
//!   grant refers to its role — and one block of N, for scale. The shape matters: Terraform's
//!   costs grow faster than linearly with the instances of one block (it deep-copies the block's
//!   state for every instance, and evaluating `r[count.index]` builds the value of all of `r`),
//!   so one block of 2N, or two blocks without the reference, would be a different floor.
//!
//! With `--direct-names` each grant names its role directly (`role = "bench_role_${count.index}"`,
//! `depends_on = [dbre_role.r]`) instead of by reference, and the floor drops the reference the
//! same way: two blocks of N `terraform_data`, the second with the same literal input and
//! `depends_on` the first. That is the configuration that does not make Terraform build the whole
//! `dbre_role.r` value for every grant, measured against the floor it should be compared with.
//!
//! Each run applies every configuration from empty state (timed), then runs rounds (`--plans K`,
//! default one) of a refresh `terraform plan` of each, which must find no changes (timed), then
//! goes back to empty (not timed): by dropping the roles as the superuser and deleting the state,
//! or with `--destroy` by `terraform destroy`. Configurations take turns within a run and within
//! each round of plans, so a burst of load on the shared machine hits them alike; plans are cheap
//! next to applies at N = 1,000, so `--plans` buys many plan samples per apply. Connections the
//! provider opened during each plan and apply are counted from the server's `log_connections`
//! and printed next to the pool size (`max_connections` in the provider block).
//!
//! With `--profile DIR`, the last run also records one more refresh plan of each configuration
//! (untimed, after the timed ones) under `perf record -g`, to `DIR/N-<floor|plain|dbre>.perf.data`:
//! Terraform and the provider processes it starts, for "whose time is it".
//!
//! Prints a markdown section for BENCHMARKS.md on stdout; progress goes to stderr. Run through
//! `scripts/bench-provider.sh`, which builds the provider in release and points the harness at it
//! with `DBRE_E2E_PROVIDER`.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use dbre_e2e::{
    hcl_string, provider_binary, required_providers_hcl, ConnInfo, PgServer, TfWorkspace,
};

const USAGE: &str =
    "usage: bench-provider [--count N]... [--runs R] [--plans K] [--parallelism P] \
                     [--pool K] \
                     [--tables T] [--roles-only | --direct-names] [--destroy] [--profile DIR]";

/// The database holding the granted tables; also the provider's maintenance database, so roles
/// and grants share one pool and "connections ≤ pool size" is one number.
const DATABASE: &str = "benchdb";
const SCHEMA: &str = "bench";
/// Terraform commands on thousands of resources take minutes on a busy machine.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1800);

struct Args {
    counts: Vec<usize>,
    runs: usize,
    /// Refresh plans per configuration after each apply.
    plans: usize,
    parallelism: u32,
    pool: usize,
    tables: usize,
    roles_only: bool,
    /// Grants name their role as a literal plus `depends_on`, and the floor has no reference.
    direct_names: bool,
    destroy: bool,
    /// Where the last run's extra, profiled plans go.
    profile: Option<std::path::PathBuf>,
}

fn main() {
    if let Err(err) = run() {
        eprintln!("bench-provider: {err:#}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Args> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    parse_args_from(&argv)
}

fn parse_args_from<S: AsRef<str>>(argv: &[S]) -> Result<Args> {
    let mut args = Args {
        counts: Vec::new(),
        runs: 5,
        plans: 1,
        parallelism: 10,
        pool: 4,
        tables: 5,
        roles_only: false,
        direct_names: false,
        destroy: false,
        profile: None,
    };
    let mut it = argv.iter().map(AsRef::as_ref);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> Result<&str> {
            it.next().with_context(|| format!("{name} needs a value"))
        };
        match arg {
            "--count" => args.counts.push(value("--count")?.parse()?),
            "--runs" => args.runs = value("--runs")?.parse()?,
            "--plans" => args.plans = value("--plans")?.parse()?,
            "--parallelism" => args.parallelism = value("--parallelism")?.parse()?,
            "--pool" => args.pool = value("--pool")?.parse()?,
            "--tables" => args.tables = value("--tables")?.parse()?,
            "--roles-only" => args.roles_only = true,
            "--direct-names" => args.direct_names = true,
            "--destroy" => args.destroy = true,
            "--profile" => args.profile = Some(value("--profile")?.into()),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    if args.counts.is_empty() {
        args.counts = vec![100, 1000];
    }
    if args.runs == 0
        || args.plans == 0
        || args.counts.contains(&0)
        || args.pool == 0
        || args.tables == 0
    {
        bail!("--count, --runs, --plans, --pool and --tables must be at least 1");
    }
    if args.roles_only && args.direct_names {
        bail!("--direct-names changes how grants name their roles; --roles-only has no grants");
    }
    Ok(args)
}

/// One Terraform configuration under measurement.
struct Subject {
    label: String,
    /// Short name for files: `floor`, `plain` or `dbre`.
    slug: &'static str,
    resources: usize,
    uses_provider: bool,
    ws: TfWorkspace,
    apply: Vec<Duration>,
    plan: Vec<Duration>,
    /// CPU time (user+sys) of each timed plan: terraform and the provider processes it reaped.
    plan_cpu: Vec<Duration>,
    plan_connections: Vec<usize>,
    apply_connections: Vec<usize>,
}

impl Subject {
    fn new(
        label: String,
        slug: &'static str,
        resources: usize,
        ws: TfWorkspace,
        uses_provider: bool,
    ) -> Self {
        Subject {
            label,
            slug,
            resources,
            uses_provider,
            ws,
            apply: Vec::new(),
            plan: Vec::new(),
            plan_cpu: Vec::new(),
            plan_connections: Vec::new(),
            apply_connections: Vec::new(),
        }
    }

    /// Apply from empty (timed).
    fn apply(&mut self, pg: &PgServer) -> Result<()> {
        let mark = pg.log_mark();
        let out = self.ws.apply(&[]).with_context(|| self.label.clone())?;
        self.apply.push(out.elapsed);
        self.apply_connections
            .push(pg.client_connections_since(mark).len());
        eprintln!(
            "bench-provider:   {}: apply {}",
            self.label,
            secs(out.elapsed)
        );
        Ok(())
    }

    /// A refresh plan, which must find no changes (timed, with its CPU and connections).
    fn plan(&mut self, pg: &PgServer) -> Result<()> {
        let mark = pg.log_mark();
        let cpu_before = children_cpu()?;
        let out = self.ws.plan_detailed(&[])?;
        let cpu = children_cpu()?.saturating_sub(cpu_before);
        if out.code != 0 {
            bail!(
                "{}: the refresh plan must find no changes: {out}",
                self.label
            );
        }
        self.plan.push(out.elapsed);
        self.plan_cpu.push(cpu);
        self.plan_connections
            .push(pg.client_connections_since(mark).len());
        eprintln!(
            "bench-provider:   {}: plan {} ({} CPU)",
            self.label,
            secs(out.elapsed),
            secs(cpu)
        );
        Ok(())
    }

    /// One more refresh plan, untimed, under `perf record -g` into `dir`.
    fn profile(&self, dir: &Path, n: usize) -> Result<()> {
        let file = dir.join(format!("{n}-{}.perf.data", self.slug));
        let file = file.to_str().context("--profile needs a UTF-8 path")?;
        let out = self
            .ws
            .plan_detailed_via(&["perf", "record", "-g", "-q", "-o", file, "--"], &[])?;
        if out.code != 0 {
            bail!("{}: the profiled plan failed: {out}", self.label);
        }
        eprintln!(
            "bench-provider:   {}: profiled plan {} -> {file}",
            self.label,
            secs(out.elapsed)
        );
        Ok(())
    }

    /// Back to empty (not timed): `terraform destroy` with `--destroy`, else [`Subject::reset`].
    fn clear(&self, pg: &PgServer, args: &Args, n: usize) -> Result<()> {
        if args.destroy {
            self.ws.destroy(&[]).with_context(|| self.label.clone())?;
            Ok(())
        } else {
            self.reset(pg, n)
        }
    }

    /// Back to empty without `terraform destroy`, which at thousands of resources takes longer
    /// than all the measured commands together: drop what the dbre configuration made, as the
    /// superuser, and forget the state.
    fn reset(&self, pg: &PgServer, n: usize) -> Result<()> {
        if self.uses_provider {
            let roles = (0..n)
                .map(|i| format!("bench_role_{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            pg.superuser()
                .with_database(DATABASE)
                .execute(&format!("DROP OWNED BY {roles}"))?;
            pg.execute(&format!("DROP ROLE {roles}"))?;
        }
        for file in ["terraform.tfstate", "terraform.tfstate.backup"] {
            match std::fs::remove_file(self.ws.dir().join(file)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        Ok(())
    }
}

fn run() -> Result<()> {
    let args = parse_args()?;
    if let Some(dir) = &args.profile {
        std::fs::create_dir_all(dir)?;
    }
    let load_before = load_average();
    let pg = PgServer::start()?;
    let admin = pg.create_admin("bench_admin", "bench-admin-password")?;
    pg.execute(&format!("CREATE DATABASE {DATABASE} OWNER bench_admin"))?;
    let tables: Vec<String> = (0..args.tables).map(|i| format!("t{i}")).collect();
    let mut ddl = format!("CREATE SCHEMA {SCHEMA};");
    for table in &tables {
        ddl.push_str(&format!(
            " CREATE TABLE {SCHEMA}.{table} (id int PRIMARY KEY);"
        ));
    }
    admin.with_database(DATABASE).execute(&ddl)?;

    // One binary for the whole run, even if cargo rebuilds the provider meanwhile (the
    // workspaces hard-link it into their mirrors).
    let provider = provider_binary()?;

    println!(
        "Machine: {} × {}; {}; PostgreSQL {}; provider {}. Load average at the start: {}.\n",
        nproc(),
        cpu_model(),
        terraform_version(&TfWorkspace::new()?),
        pg.scalar("SHOW server_version")?.unwrap_or_default(),
        provider.display(),
        load_before,
    );
    for &n in &args.counts {
        let section = bench_count(&pg, &admin, &args, &tables, &provider, n)?;
        println!(
            "{section}\nLoad average after N = {n}: {}.\n",
            load_average()
        );
    }
    Ok(())
}

fn bench_count(
    pg: &PgServer,
    admin: &ConnInfo,
    args: &Args,
    tables: &[String],
    provider: &Path,
    n: usize,
) -> Result<String> {
    let blocks = if args.roles_only { 1 } else { 2 };
    let dbre_resources = blocks * n;
    let mut subjects = Vec::new();
    for blocks in dedup([blocks, 1]) {
        let mut ws = TfWorkspace::new()?;
        ws.set_parallelism(args.parallelism)
            .set_timeout(COMMAND_TIMEOUT);
        ws.write_config(&terraform_data_hcl(blocks, n, args.direct_names))?;
        ws.init()?;
        let label = match blocks {
            1 => format!("terraform_data × {n}"),
            _ if args.direct_names => format!(
                "terraform_data × {n} + terraform_data × {n}, second `depends_on` first, no reference"
            ),
            _ => format!("terraform_data × {n} + terraform_data × {n}"),
        };
        let slug = if blocks * n == dbre_resources {
            "floor"
        } else {
            "plain"
        };
        subjects.push(Subject::new(label, slug, blocks * n, ws, false));
    }
    let mut ws = TfWorkspace::with_provider_binary(provider)?;
    ws.set_parallelism(args.parallelism)
        .set_timeout(COMMAND_TIMEOUT);
    ws.write_config(&dbre_hcl(admin, args, tables, n))?;
    ws.init()?;
    let label = if args.roles_only {
        format!("dbre_role × {n}")
    } else if args.direct_names {
        format!("dbre_role × {n} + dbre_grant × {n}, role named directly + `depends_on`")
    } else {
        format!("dbre_role × {n} + dbre_grant × {n}")
    };
    subjects.push(Subject::new(label, "dbre", dbre_resources, ws, true));

    for run in 0..args.runs {
        eprintln!("bench-provider: N = {n}, run {}/{}", run + 1, args.runs);
        // Take turns, starting with a different configuration each run.
        let order: Vec<usize> = (0..subjects.len())
            .map(|i| (i + run) % subjects.len())
            .collect();
        for &i in &order {
            subjects[i].apply(pg)?;
        }
        // The plans take turns too, round after round, so each configuration's plans meet the
        // same bursts of load; every configuration's state exists throughout.
        for round in 0..args.plans {
            let count = subjects.len();
            for k in 0..count {
                subjects[(k + run + round) % count].plan(pg)?;
            }
        }
        if let Some(dir) = args.profile.as_deref().filter(|_| run + 1 == args.runs) {
            for &i in &order {
                subjects[i].profile(dir, n)?;
            }
        }
        for &i in &order {
            subjects[i].clear(pg, args, n)?;
        }
    }

    Ok(table(args, n, &mut subjects))
}

fn dedup(counts: [usize; 2]) -> Vec<usize> {
    if counts[0] == counts[1] {
        vec![counts[0]]
    } else {
        counts.to_vec()
    }
}

/// `blocks` blocks of `count` terraform_data each, every block after the first referring to the
/// one before by index, as each grant refers to its role (`dbre_role.r[count.index].name`); with
/// `direct_names`, taking the same literal input instead and only `depends_on` the block before,
/// as each grant does with `--direct-names`.
fn terraform_data_hcl(blocks: usize, count: usize, direct_names: bool) -> String {
    (0..blocks)
        .map(|b| {
            let (input, depends_on) = match b {
                0 => (ROLE_NAME_HCL.to_string(), String::new()),
                _ if direct_names => (
                    ROLE_NAME_HCL.to_string(),
                    format!("  depends_on = [terraform_data.r{}]\n", b - 1),
                ),
                _ => (
                    format!("terraform_data.r{}[count.index].output", b - 1),
                    String::new(),
                ),
            };
            format!(
                "resource \"terraform_data\" \"r{b}\" {{\n  count = {count}\n  input = {input}\n{depends_on}}}\n"
            )
        })
        .collect()
}

/// Role i's name as an HCL expression inside a `count` block; `reset` drops exactly these roles.
const ROLE_NAME_HCL: &str = "\"bench_role_${count.index}\"";

fn dbre_hcl(admin: &ConnInfo, args: &Args, tables: &[String], n: usize) -> String {
    let mut hcl = required_providers_hcl();
    hcl.push_str(&format!(
        "provider \"dbre\" {{\n  postgres {{\n    host            = {}\n    port            = {}\n    \
         username        = {}\n    password        = {}\n    database        = {}\n    \
         sslmode         = \"disable\"\n    max_connections = {}\n  }}\n}}\n\n",
        hcl_string(&admin.host),
        admin.port,
        hcl_string(&admin.user),
        hcl_string(&admin.password),
        hcl_string(DATABASE),
        args.pool,
    ));
    hcl.push_str(&format!(
        "resource \"dbre_role\" \"r\" {{\n  count = {n}\n  name  = {ROLE_NAME_HCL}\n}}\n"
    ));
    if !args.roles_only {
        let list = tables
            .iter()
            .map(|t| hcl_string(t))
            .collect::<Vec<_>>()
            .join(", ");
        // By reference, Terraform builds the whole `dbre_role.r` value for every grant; named
        // directly, the grant only waits for the roles.
        let (role, depends_on) = if args.direct_names {
            (ROLE_NAME_HCL, "  depends_on  = [dbre_role.r]\n")
        } else {
            ("dbre_role.r[count.index].name", "")
        };
        hcl.push_str(&format!(
            "\nlocals {{\n  bench_tables = [{list}]\n}}\n\n\
             resource \"dbre_grant\" \"r\" {{\n  count       = {n}\n  database    = {db}\n  \
             role        = {role}\n  object_type = \"table\"\n  \
             schema      = {schema}\n  \
             objects     = [local.bench_tables[count.index % length(local.bench_tables)]]\n  \
             privileges  = [\"SELECT\"]\n{depends_on}}}\n",
            db = hcl_string(DATABASE),
            schema = hcl_string(SCHEMA),
        ));
    }
    hcl
}

fn table(args: &Args, n: usize, subjects: &mut [Subject]) -> String {
    let floor_plan = |subjects: &mut [Subject], resources: usize| {
        subjects
            .iter_mut()
            .find(|s| !s.uses_provider && s.resources == resources)
            .map(|s| {
                (
                    median(&mut s.plan),
                    median(&mut s.apply),
                    median(&mut s.plan_cpu),
                )
            })
    };
    let dbre_resources = subjects
        .iter()
        .find(|s| s.uses_provider)
        .map_or(n, |s| s.resources);
    let (floor_plan_med, floor_apply_med, floor_cpu_med) =
        floor_plan(subjects, dbre_resources).unwrap_or_default();

    let mut out = format!(
        "### N = {n}{} (median of {} runs{}, -parallelism={}, max_connections = {})\n\n",
        if args.direct_names {
            ", grants name their roles directly"
        } else {
            ""
        },
        args.runs,
        if args.plans > 1 {
            format!(
                ", plans: median of {} ({} per apply)",
                args.runs * args.plans,
                args.plans
            )
        } else {
            String::new()
        },
        args.parallelism,
        args.pool
    );
    out.push_str(
        "| configuration | resources | apply | apply / floor | plan (refresh) | plan min–max | \
         plan / floor | plan CPU | plan CPU / floor | connections per plan | \
         connections per apply | pool |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for s in subjects.iter_mut() {
        let apply = median(&mut s.apply);
        let plan = median(&mut s.plan);
        let cpu = median(&mut s.plan_cpu);
        let conns = |c: &[usize]| match (c.iter().min(), c.iter().max()) {
            (Some(lo), Some(hi)) if lo == hi => lo.to_string(),
            (Some(lo), Some(hi)) => format!("{lo}–{hi}"),
            _ => "-".into(),
        };
        let floor_mark = if !s.uses_provider && s.resources == dbre_resources {
            " (floor)"
        } else {
            ""
        };
        out.push_str(&format!(
            "| {}{floor_mark} | {} | {} | {} | {} | {}–{} | {} | {} | {} | {} | {} | {} |\n",
            s.label,
            s.resources,
            secs(apply),
            ratio(apply, floor_apply_med),
            secs(plan),
            secs(min(&s.plan)),
            secs(max(&s.plan)),
            ratio(plan, floor_plan_med),
            secs(cpu),
            ratio(cpu, floor_cpu_med),
            if s.uses_provider {
                conns(&s.plan_connections)
            } else {
                "-".into()
            },
            if s.uses_provider {
                conns(&s.apply_connections)
            } else {
                "-".into()
            },
            if s.uses_provider {
                args.pool.to_string()
            } else {
                "-".into()
            },
        ));
    }
    out
}

fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        "-".into()
    } else {
        format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64())
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
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

/// User+sys CPU time of this process's reaped children so far (`cutime` + `cstime` of
/// /proc/self/stat): around one terraform command, that command's CPU and that of the provider
/// processes it started and waited for (not the PostgreSQL server's).
fn children_cpu() -> Result<Duration> {
    /// USER_HZ, the unit of /proc's times; 100 on every Linux architecture we run on.
    const TICKS_PER_SECOND: u64 = 100;
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the parenthesised command name start at field 3 (`state`); cutime and
    // cstime are fields 16 and 17.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("unexpected /proc/self/stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks = |i: usize| -> Result<u64> {
        Ok(fields
            .get(i)
            .context("short /proc/self/stat")?
            .parse::<u64>()?)
    };
    let total = ticks(16 - 3)? + ticks(17 - 3)?;
    Ok(Duration::from_millis(total * 1000 / TICKS_PER_SECOND))
}

fn nproc() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0)
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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn terraform_version(ws: &TfWorkspace) -> String {
    ws.run(&["version"])
        .ok()
        .and_then(|o| o.stdout.lines().next().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_floor_refers_by_index_and_the_direct_floor_only_depends_on() {
        let indexed = terraform_data_hcl(2, 3, false);
        assert!(indexed.contains("input = terraform_data.r0[count.index].output\n"));
        assert!(!indexed.contains("depends_on"));

        let direct = terraform_data_hcl(2, 3, true);
        assert!(!direct.contains("[count.index]"), "{direct}");
        assert_eq!(
            direct
                .matches("input = \"bench_role_${count.index}\"")
                .count(),
            2
        );
        assert!(
            direct.contains("  depends_on = [terraform_data.r0]\n}"),
            "{direct}"
        );
    }

    #[test]
    fn direct_names_grants_name_the_role_and_wait_for_all_roles() {
        let admin = ConnInfo {
            host: "127.0.0.1".into(),
            port: 5432,
            user: "admin".into(),
            password: "secret".into(),
            database: "postgres".into(),
        };
        let tables = vec!["t0".to_string()];
        let mut args = parse_args_from::<&str>(&[]).unwrap();
        let indexed = dbre_hcl(&admin, &args, &tables, 3);
        assert!(indexed.contains("role        = dbre_role.r[count.index].name\n"));
        assert!(!indexed.contains("depends_on"));

        args.direct_names = true;
        let direct = dbre_hcl(&admin, &args, &tables, 3);
        assert!(!direct.contains("dbre_role.r[count.index]"), "{direct}");
        assert!(direct.contains("role        = \"bench_role_${count.index}\"\n"));
        assert!(
            direct.contains("  depends_on  = [dbre_role.r]\n}"),
            "{direct}"
        );
    }

    #[test]
    fn direct_names_and_roles_only_do_not_mix() {
        assert!(parse_args_from(&["--roles-only", "--direct-names"]).is_err());
        assert!(parse_args_from(&["--direct-names"]).unwrap().direct_names);
    }
}
