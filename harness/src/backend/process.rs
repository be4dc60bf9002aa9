//! External backends: any program speaking the line protocol of docs/PROTOCOL.md v1.
//!
//! The harness starts the command (once per worker thread), writes one JSON request per line and
//! reads one JSON response per line, in order. Requests are pipelined: a writer thread feeds
//! standard input while the caller reads standard output, so neither side can deadlock on a full
//! pipe. A response that is not JSON, has the wrong id, is longer than [`MAX_LINE`], or does not
//! arrive within the timeout, and an adapter that exits early, make that case `broken`; the
//! adapter is then restarted and the run goes on with the next case. The tail of the adapter's
//! standard error is attached to every broken result.

use super::answer::{parse_answer, parse_response};
pub use super::shell::split_command;
use super::{Backend, BackendInfo, BatchItem, Clock, Outcome, Validator};
use crate::deviations::BackendFile;
use crate::error::Error;
use crate::fixtures::Fixtures;
use crate::policy::Policy;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest response line read; a longer one is a protocol error (the rest is discarded).
pub const MAX_LINE: usize = 1 << 20;
/// How much of the adapter's standard error is kept.
const STDERR_TAIL: usize = 2048;
/// After this many broken cases in a row the adapter is not restarted again for the batch.
const GIVE_UP_AFTER: usize = 5;

/// An external validator process.
pub struct Process {
    name: String,
    pub(super) command: Vec<String>,
    clock: Clock,
    pub(super) timeout: Duration,
    /// How long a resource case may take ([`super::bound::TIME_BOUND`] unless set).
    pub(super) resource_time: Duration,
    version: String,
    /// Idle adapter processes, shared by every policy (the policy travels in each request).
    pool: Mutex<Vec<Running>>,
    /// The directory the command runs in; `None`: where the run was started.
    pub(super) dir: Option<std::path::PathBuf>,
    /// Whether the `claims` of an accept are the library's own (compared with the token's);
    /// false when the backend file says the adapter decodes them itself (`claims_by_adapter`).
    compare_claims: bool,
    /// Accepts whose library returned other identity claims than the token's: (id, what).
    reported: Mutex<Vec<(String, String)>>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let pool = std::mem::take(&mut *self.pool.lock().unwrap_or_else(|p| p.into_inner()));
        for r in pool {
            r.finish();
        }
    }
}

impl Process {
    /// A backend running `command` (program and arguments).
    pub fn new(name: &str, command: Vec<String>, clock: Clock) -> Process {
        Process {
            name: name.to_string(),
            command,
            clock,
            timeout: Duration::from_secs(5),
            resource_time: super::bound::TIME_BOUND,
            version: "external".into(),
            pool: Mutex::new(Vec::new()),
            dir: None,
            compare_claims: true,
            reported: Mutex::new(Vec::new()),
        }
    }

    /// Runs the command in `dir` (backend files: their commands are relative to the project root).
    pub fn in_dir(mut self, dir: &std::path::Path) -> Process {
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// Sets the per-case timeout (default 5 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Process {
        self.timeout = timeout;
        self
    }

    /// Sets how long a resource case may take before it is a `crash` (default
    /// [`super::bound::TIME_BOUND`]).
    pub fn with_resource_time_bound(mut self, bound: Duration) -> Process {
        self.resource_time = bound;
        self
    }

    /// Sets the version shown in reports.
    pub fn with_version(mut self, version: &str) -> Process {
        self.version = version.to_string();
        self
    }
}

/// The external backends declared in `fixtures/backends/*.toml` (files with a `command`, except
/// the pinned releases marked `in_matrix = false`), in file-name order, run from the project
/// directory. The embedded fixtures declare none: their commands name adapters of a checkout.
pub fn declared(fixtures: &Fixtures) -> crate::error::Result<Vec<Process>> {
    let Some(root) = fixtures.root() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for name in fixtures.list("backends")? {
        let file = fixtures.backend_file(&name)?;
        if file.in_matrix == Some(false) {
            continue;
        }
        if let Some(p) = Process::from_file(&name, &file)? {
            out.push(p.in_dir(root));
        }
    }
    Ok(out)
}

impl Process {
    /// The backend a backend file declares, if it has a `command`.
    pub fn from_file(name: &str, file: &BackendFile) -> crate::error::Result<Option<Process>> {
        if file.command.is_empty() {
            return Ok(None);
        }
        let clock = match file.clock.as_deref() {
            Some("request") => Clock::Request,
            Some("system") => Clock::System,
            other => {
                return Err(Error::Config(format!(
                    "fixtures/backends/{name}.toml: clock must be \"system\" or \"request\", not {other:?}"
                )))
            }
        };
        let mut p = Process::new(name, file.command.clone(), clock);
        if let Some(v) = &file.version {
            p = p.with_version(v);
        }
        p.compare_claims = file.claims_by_adapter.is_none();
        Ok(Some(p))
    }

    /// Records an accept whose library returned other identity claims than the token carries.
    fn compare(&self, token: &str, id: &str, claims: &serde_json::Map<String, Value>) {
        if let Some(what) = crate::identity::reported_differs(token, claims) {
            let mut reported = self.reported.lock().unwrap_or_else(|p| p.into_inner());
            reported.push((id.to_string(), what));
        }
    }
}

/// What the stdout reader hands over: a line, a line over [`MAX_LINE`], or the end.
pub(super) enum Line {
    Text(Vec<u8>),
    TooLong(usize),
    Eof,
}

/// One running adapter.
pub(super) struct Running {
    pub(super) child: Child,
    pub(super) stdin: Option<ChildStdin>,
    pub(super) lines: Receiver<Line>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
}

impl Running {
    pub(super) fn start(
        command: &[String],
        dir: Option<&std::path::Path>,
    ) -> Result<Running, String> {
        let mut cmd = Command::new(&command[0]);
        if let Some(d) = dir {
            cmd.current_dir(d);
        }
        let mut child = cmd
            .args(&command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", command[0]))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let stderr_pipe = child.stderr.take().ok_or("no stderr pipe")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || read_lines(stdout, tx));
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let tail = stderr.clone();
        std::thread::spawn(move || {
            let mut pipe = stderr_pipe;
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                t.extend(&buf[..n]);
                while t.len() > STDERR_TAIL {
                    t.pop_front();
                }
            }
        });
        Ok(Running {
            child,
            stdin,
            lines: rx,
            stderr,
        })
    }

    pub(super) fn stderr_tail(&self) -> String {
        // Give the stderr reader a moment to catch up with a process that just died.
        std::thread::sleep(Duration::from_millis(20));
        let t = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        let bytes: Vec<u8> = t.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.trim().lines().collect();
        if lines.is_empty() {
            String::new()
        } else {
            let from = lines.len().saturating_sub(5);
            format!("; stderr: {}", lines[from..].join(" | "))
        }
    }

    pub(super) fn exit_status(&mut self) -> String {
        for _ in 0..20 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.to_string();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        "still running".into()
    }

    pub(super) fn kill(mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub(super) fn finish(mut self) {
        // Closing standard input tells a well-behaved adapter to exit.
        drop(self.stdin.take());
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_lines(stdout: impl Read, tx: mpsc::Sender<Line>) {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    let mut line = Vec::new();
    let mut dropped = 0usize;
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) | Err(_) => {
                let _ = tx.send(Line::Eof);
                return;
            }
            Ok(b) => b,
        };
        let (chunk, found) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if dropped > 0 || line.len() + chunk.len() > MAX_LINE {
            dropped += line.len() + chunk.len();
            line.clear();
        } else {
            line.extend_from_slice(chunk);
        }
        let consumed = found.unwrap_or(buf.len());
        reader.consume(consumed);
        if found.is_some() {
            let msg = if dropped > 0 {
                Line::TooLong(std::mem::take(&mut dropped))
            } else {
                Line::Text(std::mem::take(&mut line))
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    }
}

/// What the harness makes of an adapter's whole standard output: each line as [`read_lines`]
/// frames it (a line over the length bound is dropped, not kept) and [`parse_response`] reads
/// it, expecting the id `want_id`; a dropped line is an `Err`. The `protocol` fuzz target's
/// entry point.
pub(crate) fn classify_output(stdout: &[u8], want_id: &str) -> Vec<Result<Outcome, String>> {
    let (tx, rx) = mpsc::channel();
    read_lines(stdout, tx);
    rx.into_iter()
        .map_while(|line| match line {
            Line::Text(t) => Some(parse_response(&t, want_id)),
            Line::TooLong(n) => Some(Err(format!("a line of {n} bytes was dropped"))),
            Line::Eof => None,
        })
        .collect()
}

/// A process backend prepared for one policy.
pub(super) struct Prepared<'a> {
    pub(super) backend: &'a Process,
    policy: Value,
}

impl Prepared<'_> {
    pub(super) fn request_line(&self, r: &BatchItem<'_>) -> Vec<u8> {
        let mut line = serde_json::to_vec(&json!({
            "id": r.id, "token": r.token, "now": r.now, "policy": self.policy,
        }))
        .unwrap_or_default();
        line.push(b'\n');
        line
    }

    /// Validates a batch over one adapter process, pipelined, restarting it after a failure.
    fn run_batch(&self, batch: &[BatchItem<'_>]) -> Vec<Outcome> {
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(batch.len());
        let mut failures_in_a_row = 0;
        let pool = &self.backend.pool;
        let mut reused = pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        while outcomes.len() < batch.len() {
            if failures_in_a_row >= GIVE_UP_AFTER {
                let msg = format!("not sent: the adapter failed {GIVE_UP_AFTER} cases in a row");
                outcomes.resize(batch.len(), Outcome::Broken(msg));
                break;
            }
            let mut running = match reused.take() {
                Some(r) => r,
                None => match Running::start(&self.backend.command, self.backend.dir.as_deref()) {
                    Ok(r) => r,
                    Err(e) => {
                        outcomes.push(Outcome::Broken(e));
                        failures_in_a_row += 1;
                        continue;
                    }
                },
            };
            let Some(mut stdin) = running.stdin.take() else {
                running.kill();
                continue;
            };
            // The writer pipes every remaining request while this thread reads the answers.
            let lines: Vec<Vec<u8>> = batch[outcomes.len()..]
                .iter()
                .map(|r| self.request_line(r))
                .collect();
            let writer = std::thread::spawn(move || {
                for line in &lines {
                    stdin.write_all(line).ok()?;
                }
                stdin.flush().ok()?;
                Some(stdin)
            });
            let mut failed = false;
            while outcomes.len() < batch.len() {
                let want = batch[outcomes.len()].id;
                let broken = match running.lines.recv_timeout(self.backend.timeout) {
                    Ok(Line::Text(line)) => match parse_answer(&line, want) {
                        Ok((o, claims)) => {
                            if let (Some(c), true) = (claims, self.backend.compare_claims) {
                                self.backend.compare(batch[outcomes.len()].token, want, &c);
                            }
                            outcomes.push(o);
                            failures_in_a_row = 0;
                            continue;
                        }
                        Err(e) => e,
                    },
                    Ok(Line::TooLong(n)) => {
                        format!("response line of {n} bytes is over the {MAX_LINE}-byte limit")
                    }
                    Ok(Line::Eof) | Err(RecvTimeoutError::Disconnected) => {
                        format!(
                            "adapter exited ({}) before answering",
                            running.exit_status()
                        )
                    }
                    Err(RecvTimeoutError::Timeout) => format!(
                        "no answer within {:.1} s",
                        self.backend.timeout.as_secs_f64()
                    ),
                };
                outcomes.push(Outcome::Broken(broken + &running.stderr_tail()));
                failures_in_a_row += 1;
                failed = true;
                break;
            }
            if failed {
                // Kill first: a writer blocked on a full pipe then fails and ends.
                running.kill();
                let _ = writer.join();
            } else {
                running.stdin = writer.join().ok().flatten();
                reused = Some(running);
            }
        }
        if let Some(r) = reused {
            pool.lock().unwrap_or_else(|p| p.into_inner()).push(r);
        }
        outcomes
    }
}

impl Validator for Prepared<'_> {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let item = BatchItem {
            id: "single",
            token,
            now,
            transport: None,
        };
        self.run_batch(std::slice::from_ref(&item))
            .pop()
            .unwrap_or_else(|| Outcome::Broken("no outcome".into()))
    }

    fn validate_batch(&self, batch: &[BatchItem<'_>]) -> Vec<Outcome> {
        self.run_batch(batch)
    }

    fn validate_bounded(&self, item: &BatchItem<'_>) -> Outcome {
        super::bound::run_bounded(self, item)
    }
}

impl Backend for Process {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: self.name.clone(),
            version: self.version.clone(),
            clock: self.clock,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Ok(Box::new(Prepared {
            backend: self,
            policy: policy.protocol_json(),
        }))
    }

    fn pipelined(&self) -> bool {
        true
    }

    fn take_identity_findings(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.reported.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
