//! The cheapest possible docs/PROTOCOL.md adapter: it rejects every token without looking at it.
//! `cargo xtask bench` uses it to measure what the protocol itself costs per case.

use std::io::{BufRead, Write};

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let id = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v.get("id").cloned())
            .unwrap_or(serde_json::Value::Null);
        let answer = serde_json::json!({"id": id, "verdict": "reject", "reason": "other"});
        if writeln!(out, "{answer}").and_then(|_| out.flush()).is_err() {
            break;
        }
    }
}
