//! The progress bar of the command line (indicatif): shown on a terminal for runs that take over a
//! second, silent when standard error is piped or under CI, and always cleared when the run ends so
//! nothing of it lands in a report.

use crate::run::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A bar over every instance of every backend, with the current backend and the findings so far.
pub struct Bar {
    bar: ProgressBar,
    started: Instant,
    shown: AtomicBool,
    backends: usize,
    backend: AtomicUsize,
    findings: AtomicUsize,
    name: Mutex<String>,
}

impl Bar {
    /// A bar for a run over `backends` backends, or `None` when standard error is not a terminal
    /// or `CI` is set.
    pub fn for_terminal(backends: usize) -> Option<Bar> {
        if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template("{msg:40} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Some(Bar {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
            backends,
            backend: AtomicUsize::new(0),
            findings: AtomicUsize::new(0),
            name: Mutex::new(String::new()),
        })
    }

    /// Starts drawing once the run has lasted a second.
    fn maybe_show(&self) {
        if !self.shown.load(Ordering::Relaxed) && self.started.elapsed() > Duration::from_secs(1) {
            self.shown.store(true, Ordering::Relaxed);
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn message(&self) {
        let name = self.name.lock().map(|n| n.clone()).unwrap_or_default();
        let findings = self.findings.load(Ordering::Relaxed);
        self.bar.set_message(format!(
            "{name} ({}/{}) · {findings} finding{}",
            self.backend.load(Ordering::Relaxed),
            self.backends,
            if findings == 1 { "" } else { "s" }
        ));
    }
}

impl Progress for Bar {
    fn forged(&self, tokens: usize) {
        // Every backend runs every token: the whole run's length is known from the first forge.
        if self.bar.length() == Some(0) {
            self.bar.set_length((tokens * self.backends) as u64);
        }
        self.bar.set_message(format!("forged {tokens} tokens"));
        self.maybe_show();
    }

    fn backend_started(&self, name: &str, _instances: usize) {
        self.backend.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut n) = self.name.lock() {
            *n = name.to_string();
        }
        self.message();
        self.maybe_show();
    }

    fn validated(&self, instances: usize) {
        self.bar.inc(instances as u64);
        self.maybe_show();
    }

    fn finding(&self) {
        self.findings.fetch_add(1, Ordering::Relaxed);
        self.message();
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
