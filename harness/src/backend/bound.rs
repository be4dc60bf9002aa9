//! Resource bounds: how the harness catches a validator that spends unbounded time or memory on a
//! token (the CVE-2025-30204 class: golang-jwt allocating sixteen bytes per dot).
//!
//! The catalog's resource cases (tag `resource-exhaustion`: megabyte tokens, 10,000-deep nesting,
//! millions of dots) run one at a time, each in a fresh adapter process, so that nothing else the
//! adapter did before inflates or hides what the case costs:
//!
//! 1. the adapter is started and answers a warm-up request (a three-byte token), so its runtime
//!    and libraries are loaded before anything is measured;
//! 2. on Linux the kernel's peak-resident counter of the process is reset (`/proc/PID/clear_refs`,
//!    value 5) and its resident size read: the baseline;
//! 3. the case's request is sent; while it is pending the resident size is polled every 10 ms, and
//!    the process is killed when it grows past [`HARD_LIMIT`] or the answer takes longer than
//!    [`TIME_BOUND`] (20 s): a `crash`;
//! 4. after the answer the peak (`VmHWM`) is read: the case's growth;
//! 5. steps 1-4 again, in another fresh process, with the case's control: a token of the same
//!    length made of `a` only (one segment: nothing to split, nest or decode), whose growth is
//!    what merely reading a token that long costs this adapter (the line, its JSON string, the
//!    library's copies; a garbage-collected runtime's heap sizing).
//!
//! Growth beyond the control's above [`memory_bound`] of the token's length is a `crash` (denial
//! of service), whatever the verdict was: what the attack's shape costs, not the token's size.
//! Measured on the 16 MiB token of dots: golang-jwt 4.4.3 (16 bytes per dot, CVE-2025-30204) and
//! Node's `split('.')` exceed the control by hundreds of megabytes, a parser that only copies the
//! token a few times by nothing.
//!
//! Only the library's own process is measured (a command that forks a helper is measured at the
//! top process). Elsewhere than Linux, and for in-process backends (which share the harness's
//! memory and threads), only the outcome is recorded: the memory bound needs `/proc`.

use super::answer::parse_response;
use super::process::{Line, Prepared, Running};
use super::{BatchItem, Outcome};
use std::io::Write;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// Growth beyond the control's that every case may have, whatever its size (allocator arenas,
/// a garbage collector's timing).
pub const MEMORY_SLACK: u64 = 64 << 20;
/// Bytes of growth beyond the control's allowed per byte of token.
pub const MEMORY_FACTOR: u64 = 4;
/// Growth at which the process is killed before it answers (it would only get worse).
pub const HARD_LIMIT: u64 = 2 << 30;
/// How long a resource case may take by default: generous, since a megabyte token is slow to
/// read in any language; a library that hangs on one still trips it.
pub const TIME_BOUND: Duration = Duration::from_secs(20);
/// How often the resident size is read while a resource case is pending.
const POLL: Duration = Duration::from_millis(10);

/// The memory a resource case with a token of `len` bytes may take beyond its control's growth.
pub fn memory_bound(len: usize) -> u64 {
    MEMORY_SLACK + MEMORY_FACTOR * len as u64
}

const MIB: f64 = (1u64 << 20) as f64;

/// The resident and peak-resident sizes of a process, from `/proc/PID/status` (bytes).
fn memory_of(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Resets the process's peak-resident counter to its current size; false where that is not
/// possible (then growth is measured against the earlier peak, which can only understate it).
fn reset_peak(pid: u32) -> bool {
    std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/{pid}/clear_refs"))
        .and_then(|mut f| f.write_all(b"5"))
        .is_ok()
}

/// The process a resource case runs in: its baseline and the highest peak seen while polling.
struct Watch {
    pid: u32,
    base: u64,
    peak: Option<u64>,
}

/// Waits for the next answer line, polling the resident size of the watched process when given:
/// `Ok(line)`, or the outcome that ends the case.
fn await_answer(
    running: &mut Running,
    timeout: Duration,
    mut watch: Option<&mut Watch>,
) -> Result<Vec<u8>, Outcome> {
    let started = Instant::now();
    loop {
        match running.lines.recv_timeout(POLL) {
            Ok(Line::Text(line)) => return Ok(line),
            Ok(Line::TooLong(n)) => {
                return Err(Outcome::Broken(format!(
                    "response line of {n} bytes is over the limit"
                )))
            }
            Ok(Line::Eof) | Err(RecvTimeoutError::Disconnected) => {
                return Err(Outcome::Broken(format!(
                    "adapter exited ({}) before answering{}",
                    running.exit_status(),
                    running.stderr_tail()
                )))
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if started.elapsed() > timeout {
            return Err(Outcome::Crash(format!(
                "resource bound: no answer within {:.1} s",
                timeout.as_secs_f64()
            )));
        }
        if let Some(w) = watch.as_deref_mut() {
            if let Some((rss, hwm)) = memory_of(w.pid) {
                w.peak = w.peak.max(Some(hwm));
                let grown = rss.saturating_sub(w.base);
                if grown > HARD_LIMIT {
                    return Err(Outcome::Crash(format!(
                        "resource bound: killed after its resident memory grew by {:.0} MiB \
                         (hard limit {:.0} MiB) in {:.1} s",
                        grown as f64 / MIB,
                        HARD_LIMIT as f64 / MIB,
                        started.elapsed().as_secs_f64()
                    )));
                }
            }
        }
    }
}

/// The writer thread of one request: it hands the pipe back when the line is written.
type Writer = std::thread::JoinHandle<Option<std::process::ChildStdin>>;

/// Sends one request line on a writer thread (a megabyte line must not block the reader; the
/// thread ends with an error when the process is killed mid-line).
fn send(running: &mut Running, line: Vec<u8>) -> Option<Writer> {
    let mut stdin = running.stdin.take()?;
    Some(std::thread::spawn(move || {
        stdin.write_all(&line).and_then(|_| stdin.flush()).ok()?;
        Some(stdin)
    }))
}

/// What one bounded request cost: the answer (or the outcome that ended it) and, where `/proc`
/// tells, the growth of the process's peak resident size over its baseline.
struct Measured {
    outcome: Outcome,
    grown: Option<u64>,
    elapsed: Duration,
}

/// Runs one resource case under the time and memory bounds: the case alone in a fresh adapter
/// process, then its control (a token of the same length, all `a`: one segment, nothing to
/// split, nest or decode) in another. Only growth beyond the control's counts.
pub(super) fn run_bounded(prepared: &Prepared<'_>, item: &BatchItem<'_>) -> Outcome {
    let case = fresh(prepared, item);
    let Some(grown) = case.grown else {
        return case.outcome;
    };
    if matches!(case.outcome, Outcome::Broken(_) | Outcome::Crash(_)) {
        return case.outcome;
    }
    let filler = "a".repeat(item.token.len());
    let control = fresh(
        prepared,
        &BatchItem {
            id: "control",
            token: &filler,
            now: item.now,
            transport: None,
        },
    );
    let Some(base) = control.grown else {
        return case.outcome;
    };
    if let Outcome::Broken(m) = &control.outcome {
        return Outcome::Broken(format!("control token of the same length: {m}"));
    }
    let excess = grown.saturating_sub(base);
    let bound = memory_bound(item.token.len());
    if excess <= bound {
        return case.outcome;
    }
    Outcome::Crash(format!(
        "resource bound: resident memory grew by {:.0} MiB validating a {:.1} MiB token in \
         {:.2} s, {:.0} MiB more than for a token of the same length without the attack \
         ({:.0} MiB); bound {:.0} MiB = {:.0} MiB + {MEMORY_FACTOR} x the token; it answered {}",
        grown as f64 / MIB,
        item.token.len() as f64 / MIB,
        case.elapsed.as_secs_f64(),
        excess as f64 / MIB,
        base as f64 / MIB,
        bound as f64 / MIB,
        MEMORY_SLACK as f64 / MIB,
        case.outcome.kind()
    ))
}

/// One request in a fresh adapter process, measured.
fn fresh(prepared: &Prepared<'_>, item: &BatchItem<'_>) -> Measured {
    let backend = prepared.backend;
    let mut running = match Running::start(&backend.command, backend.dir.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            return Measured {
                outcome: Outcome::Broken(e),
                grown: None,
                elapsed: Duration::ZERO,
            }
        }
    };
    let measured = measure(prepared, &mut running, item);
    running.kill();
    measured
}

fn measure(prepared: &Prepared<'_>, running: &mut Running, item: &BatchItem<'_>) -> Measured {
    let unmeasured = |outcome| Measured {
        outcome,
        grown: None,
        elapsed: Duration::ZERO,
    };
    let timeout = prepared.backend.resource_time;
    // 1. Warm-up: the runtime and the library are loaded before anything is measured.
    let warm = BatchItem {
        id: "warm-up",
        token: "a.b",
        now: item.now,
        transport: None,
    };
    let Some(w) = send(running, prepared.request_line(&warm)) else {
        return unmeasured(Outcome::Broken("no stdin pipe".into()));
    };
    let answer = match await_answer(running, timeout * 4, None) {
        Ok(line) => line,
        Err(Outcome::Crash(m)) => return unmeasured(Outcome::Broken(format!("warm-up: {m}"))),
        Err(o) => return unmeasured(o),
    };
    running.stdin = w.join().ok().flatten();
    if let Err(e) = parse_response(&answer, "warm-up") {
        let msg = format!("warm-up: {e}{}", running.stderr_tail());
        return unmeasured(Outcome::Broken(msg));
    }
    // 2. Baseline.
    let pid = running.child.id();
    let reset = reset_peak(pid);
    let base = memory_of(pid).map(|(rss, hwm)| if reset { rss } else { hwm });
    // 3. The request, watched. The writer's handle holds the pipe (its result) open until the
    // peak is read: an adapter that saw its standard input close would exit, and an exited
    // process has no peak to read.
    let started = Instant::now();
    let Some(_writer) = send(running, prepared.request_line(item)) else {
        return unmeasured(Outcome::Broken("no stdin pipe".into()));
    };
    let mut watch = Watch {
        pid,
        base: base.unwrap_or(0),
        peak: None,
    };
    let answer = await_answer(running, timeout, base.is_some().then_some(&mut watch));
    let elapsed = started.elapsed();
    let peak = memory_of(pid).map(|(_, hwm)| hwm).max(watch.peak);
    let outcome = match answer {
        Ok(line) => match parse_response(&line, item.id) {
            Ok(o) => o,
            Err(e) => Outcome::Broken(format!("{e}{}", running.stderr_tail())),
        },
        Err(o) => o,
    };
    // 4. The growth of the peak.
    let grown = match (base, peak) {
        (Some(base), Some(peak)) => Some(peak.saturating_sub(base)),
        _ => None,
    };
    Measured {
        outcome,
        grown,
        elapsed,
    }
}
