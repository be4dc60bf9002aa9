//! Isolating backends: every call into an in-process backend runs under `catch_unwind`, and a
//! panic becomes that case's result instead of the end of the run. Where the panic happened
//! decides which result: inside this crate's own code (an adapter or the harness) it is `broken`,
//! our fault; anywhere else (the library under test, or the standard library it called into) it
//! is a `crash` of the library on that token, a denial-of-service finding.

use crate::backend::Outcome;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Set while a backend runs on this thread: its panics are results, not harness bugs.
    static IN_BACKEND: Cell<bool> = const { Cell::new(false) };
    /// Where the last backend panic on this thread happened: in this crate's source or not.
    static PANIC_AT: RefCell<Option<(bool, String, u32)>> = const { RefCell::new(None) };
}

/// The directory of this crate's sources as the compiler names them (`harness/src/` in the
/// workspace, another prefix in a packaged build).
fn own_source_prefix() -> &'static str {
    file!().trim_end_matches("isolate.rs")
}

/// Installs (once) a panic hook that records where a backend's panic happened and prints
/// nothing for it, then hands any other panic to the hook that was there before.
fn ensure_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_BACKEND.with(Cell::get) {
                let at = info.location().map(|l| {
                    let ours = l.file().starts_with(own_source_prefix());
                    (ours, l.file().to_string(), l.line())
                });
                PANIC_AT.with(|p| *p.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
}

/// Installs the command line's panic hook: a panic of the harness itself is printed as one line
/// asking for a report; a backend's panic is its case's result and is printed nowhere (a library
/// that panics on every second token must not bury the report in backtraces).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("jwt-harness: internal error (please report): {info}");
    }));
    ensure_hook();
}

/// Calls into a backend with its panics caught.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    ensure_hook();
    IN_BACKEND.with(|b| b.set(true));
    PANIC_AT.with(|p| *p.borrow_mut() = None);
    let r = catch_unwind(AssertUnwindSafe(f));
    IN_BACKEND.with(|b| b.set(false));
    r
}

/// A panic's file as a reader wants it: a crate from the registry as `NAME-VERSION/src/…`, not
/// this machine's path to its cache.
fn short_file(file: &str) -> &str {
    match file.find("/registry/src/") {
        Some(i) => {
            let rest = &file[i + "/registry/src/".len()..];
            rest.split_once('/')
                .map_or(rest, |(_, crate_path)| crate_path)
        }
        None => file,
    }
}

/// The outcome of a caught panic: `broken` when it happened in this crate's code, `crash`
/// otherwise; the message names where.
pub(crate) fn panic_outcome(payload: &Box<dyn std::any::Any + Send>, doing: &str) -> Outcome {
    let text = panic_text(payload);
    match PANIC_AT.with(|p| p.borrow_mut().take()) {
        Some((true, file, line)) => Outcome::Broken(format!(
            "panicked {doing} in the adapter ({}:{line}): {text}",
            short_file(&file)
        )),
        Some((false, file, line)) => Outcome::Crash(format!(
            "panicked {doing} ({}:{line}): {text}",
            short_file(&file)
        )),
        None => Outcome::Crash(format!("panicked {doing}: {text}")),
    }
}

/// Runs `f`, turning a panic into a `crash` or `broken` outcome.
pub(crate) fn isolated(f: impl FnOnce() -> Outcome) -> Outcome {
    guarded(f).unwrap_or_else(|p| panic_outcome(&p, "while validating"))
}

/// The message of a caught panic.
pub fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_paths_are_shortened() {
        assert_eq!(
            short_file("/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/biscuit-0.8.0/src/lib.rs"),
            "biscuit-0.8.0/src/lib.rs"
        );
        assert_eq!(short_file("harness/src/run.rs"), "harness/src/run.rs");
    }

    #[test]
    fn a_panic_in_this_crate_is_broken_and_elsewhere_a_crash() {
        let ours = isolated(|| panic!("ours"));
        assert!(
            matches!(&ours, Outcome::Broken(d) if d.contains("isolate.rs") && d.contains("ours")),
            "{ours:?}"
        );
        // A panic inside the standard library (as a library's overflowing arithmetic would be)
        // is not ours.
        let theirs = isolated(|| {
            let _ = std::time::Duration::from_secs_f64(-1.0);
            Outcome::Accept
        });
        assert!(
            matches!(&theirs, Outcome::Crash(d) if d.contains("panicked while validating")),
            "{theirs:?}"
        );
    }
}
