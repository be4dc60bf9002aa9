//! `explain`: diagnose one real token against a policy, in plain words.

use crate::policy::Policy;

/// What to diagnose.
#[derive(Debug, Clone)]
pub enum Input {
    /// A bare compact token.
    Token(String),
    /// A whole Authorization header value.
    Authorization(String),
}

/// The diagnosis.
#[derive(Debug, Clone, Default)]
pub struct Diagnosis {
    lines: Vec<String>,
    accepted: bool,
}

impl Diagnosis {
    /// Whether the oracle accepts the token.
    pub fn accepted(&self) -> bool {
        self.accepted
    }
    /// The text.
    pub fn render(&self) -> String {
        self.lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// Diagnoses a token.
pub fn explain(input: &Input, policy: &Policy, now: u64) -> Diagnosis {
    let token = match input {
        Input::Token(t) => t.clone(),
        Input::Authorization(h) => h.trim_start_matches("Bearer ").to_string(),
    };
    let v = crate::oracle::validate(&token, policy, now);
    Diagnosis {
        lines: vec![format!("{v:?}")],
        accepted: v.is_accept(),
    }
}
