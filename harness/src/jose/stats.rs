//! Counters of the time spent inside signing and verifying primitives, for `cargo xtask bench`.
//!
//! Two relaxed atomic additions per primitive call: cheap enough to leave on always.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

static SIGN_NANOS: AtomicU64 = AtomicU64::new(0);
static VERIFY_NANOS: AtomicU64 = AtomicU64::new(0);
static SIGN_CALLS: AtomicU64 = AtomicU64::new(0);
static VERIFY_CALLS: AtomicU64 = AtomicU64::new(0);

/// Adds its lifetime to the sign or verify counter when dropped.
pub struct Timer {
    start: Instant,
    verify: bool,
}

impl Timer {
    /// Times a signing primitive.
    pub fn sign() -> Timer {
        Timer {
            start: Instant::now(),
            verify: false,
        }
    }
    /// Times a verifying primitive.
    pub fn verify() -> Timer {
        Timer {
            start: Instant::now(),
            verify: true,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let nanos = self.start.elapsed().as_nanos() as u64;
        let (time, calls) = if self.verify {
            (&VERIFY_NANOS, &VERIFY_CALLS)
        } else {
            (&SIGN_NANOS, &SIGN_CALLS)
        };
        time.fetch_add(nanos, Ordering::Relaxed);
        calls.fetch_add(1, Ordering::Relaxed);
    }
}

/// A reading of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CryptoTime {
    /// Nanoseconds spent signing (summed over threads).
    pub sign_nanos: u64,
    /// Nanoseconds spent verifying (summed over threads).
    pub verify_nanos: u64,
    /// Signing calls.
    pub sign_calls: u64,
    /// Verifying calls.
    pub verify_calls: u64,
}

/// Reads the counters.
pub fn read() -> CryptoTime {
    CryptoTime {
        sign_nanos: SIGN_NANOS.load(Ordering::Relaxed),
        verify_nanos: VERIFY_NANOS.load(Ordering::Relaxed),
        sign_calls: SIGN_CALLS.load(Ordering::Relaxed),
        verify_calls: VERIFY_CALLS.load(Ordering::Relaxed),
    }
}
