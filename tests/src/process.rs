//! Running child processes with a deadline and captured output.
//!
//! Every external command the harness runs (terraform, initdb, pg_ctl) goes through [`run`], so a
//! hung provider or server makes a test fail with the output so far instead of hanging CI.

use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// What a finished command left behind: exit code, both output streams and how long it took.
#[derive(Clone)]
pub struct Output {
    /// The command line, for messages (`terraform plan -no-color`).
    pub command: String,
    /// Exit code; `-1` when the process was killed by a signal (including our timeout).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
    /// True when the harness killed the process because it ran past its deadline.
    pub timed_out: bool,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0 && !self.timed_out
    }

    /// stdout followed by stderr, for "does the output mention X anywhere" assertions.
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// `Ok(self)` when the command exited 0, else an error carrying the whole output.
    pub fn ok(self) -> Result<Self> {
        if self.success() {
            Ok(self)
        } else {
            anyhow::bail!("{self}")
        }
    }
}

impl fmt::Display for Output {
    /// Failure messages show everything a person needs to see why the command failed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.timed_out {
            format!("was killed after {:.1?} (timeout)", self.elapsed)
        } else {
            format!("exited with code {} after {:.1?}", self.code, self.elapsed)
        };
        write!(
            f,
            "`{}` {how}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Runs `cmd` to completion with stdin closed, capturing stdout and stderr. The child gets its
/// own process group so that, past `timeout`, it is killed together with anything it started
/// (Terraform's provider plugins). Errs only when the command cannot be started.
pub fn run(mut cmd: Command, timeout: Duration) -> Result<Output> {
    let command = describe(&cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{command}`"))?;
    let pid = child.id() as libc::pid_t;
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));

    let (done_tx, done_rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = done_tx.send(());
        status
    });
    let timed_out = done_rx.recv_timeout(timeout).is_err();
    if timed_out {
        // SAFETY: plain syscall; a negative pid addresses the process group we created above.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let status = waiter
        .join()
        .expect("wait thread panicked")
        .with_context(|| format!("waiting for `{command}`"))?;
    let elapsed = started.elapsed();
    Ok(Output {
        command,
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("reader thread panicked"),
        stderr: stderr.join().expect("reader thread panicked"),
        elapsed,
        timed_out,
    })
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn describe(cmd: &Command) -> String {
    let program = cmd.get_program().to_string_lossy();
    let program = program.rsplit('/').next().unwrap_or(&program).to_string();
    std::iter::once(program)
        .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a duration in seconds from an environment variable, for timeouts a slow machine may
/// need to raise.
pub(crate) fn env_secs(var: &str, default: u64) -> Duration {
    let secs = std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default);
    Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output_and_exit_code() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let out = run(cmd, Duration::from_secs(10)).unwrap();
        assert_eq!(out.code, 3);
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
        assert!(!out.success());
        assert!(out
            .ok()
            .unwrap_err()
            .to_string()
            .contains("exited with code 3"));
    }

    #[test]
    fn kills_the_whole_group_on_timeout() {
        let mut cmd = Command::new("sh");
        // The grandchild keeps the pipes open; only a group kill lets the readers finish.
        cmd.args(["-c", "sleep 30 & sleep 30"]);
        let out = run(cmd, Duration::from_millis(300)).unwrap();
        assert!(out.timed_out);
        assert!(out.elapsed < Duration::from_secs(10));
        assert!(out.to_string().contains("timeout"));
    }
}
