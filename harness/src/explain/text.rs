//! Display helpers: nothing from the token is printed raw. Redaction, escaping and cutting of
//! strings and JSON values, numbers, durations and UTC dates, percent-decoding, and the hints
//! that say why two strings that should be equal are not.

use crate::jose::{self, alg::Alg};
use serde_json::Value;

/// Long strings from the token are cut to this many characters.
const CUT: usize = 60;

/// A token for display: [`jose::redact`], with control characters escaped so the output stays
/// one line per step.
pub(super) fn redact(token: &str) -> String {
    jose::redact(token)
        .chars()
        .flat_map(|c| {
            let esc: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            esc
        })
        .collect()
}

/// A string from the token, escaped and cut to [`CUT`] characters.
pub(super) fn show_str(s: &str) -> String {
    let n = s.chars().count();
    if n <= CUT {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(CUT).collect();
        format!("{head:?}…({n} chars)")
    }
}

/// A JSON value from the token, compact and cut.
pub(super) fn show_value(v: &Value) -> String {
    match v {
        Value::String(s) => show_str(s),
        other => cut(&other.to_string()),
    }
}

pub(super) fn show_opt(v: Option<&Value>) -> String {
    v.map_or_else(|| "none".to_string(), show_value)
}

/// Cuts free text to [`CUT`] characters, escaping control characters.
pub(super) fn cut(s: &str) -> String {
    let n = s.chars().count();
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { '�' } else { c })
            .collect()
    };
    if n <= CUT * 2 {
        clean(s)
    } else {
        let head: String = s.chars().take(CUT).collect();
        format!("{}…({n} chars)", clean(&head))
    }
}

pub(super) fn alg_names(algs: &[Alg]) -> String {
    algs.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
}

pub(super) fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A duration in words: "3 h 12 min", "45 s", "2 d 4 h".
pub(super) fn span(secs: f64) -> String {
    let s = secs.abs();
    if !s.is_finite() || s >= 1e12 {
        return format!("{s:e} s");
    }
    let t = s.round() as u64;
    if t == 0 && s > 0.0 {
        return format!("{s} s");
    }
    let (d, h, m, sec) = (t / 86_400, t % 86_400 / 3600, t % 3600 / 60, t % 60);
    if d >= 730 {
        format!("{} years", d / 365)
    } else if d > 0 {
        if h > 0 {
            format!("{d} d {h} h")
        } else {
            format!("{d} d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h} h {m} min")
        } else {
            format!("{h} h")
        }
    } else if m > 0 {
        if sec > 0 {
            format!("{m} min {sec} s")
        } else {
            format!("{m} min")
        }
    } else {
        format!("{sec} s")
    }
}

/// Unix seconds as a UTC date, or the bare number when out of the years 1970-9999.
pub(super) fn utc(secs: f64) -> String {
    if !secs.is_finite() || !(0.0..253_402_300_800.0).contains(&secs) {
        return num(secs);
    }
    let t = secs.floor() as i64;
    let (days, rem) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub(super) fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut any = false;
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2)) {
                out.push((h * 16 + l) as u8);
                any = true;
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    if any {
        String::from_utf8(out).ok()
    } else {
        None
    }
}

/// Why two strings that should be equal are not, when there is a recognisable reason.
pub(super) fn compare_hints(got: &str, want: &str) -> Vec<String> {
    let mut hints = Vec::new();
    if got == want {
        return hints;
    }
    if got.trim() == want {
        hints.push("it has whitespace around it".to_string());
    }
    if got.trim_end_matches('/') == want.trim_end_matches('/') {
        hints.push(if got.ends_with('/') {
            "it has a trailing slash the policy's value lacks".to_string()
        } else {
            "it lacks the trailing slash the policy's value has".to_string()
        });
    }
    let scheme = |s: &str| -> Option<(String, String)> {
        let (sch, rest) = s.split_once("://")?;
        Some((sch.to_ascii_lowercase(), rest.to_string()))
    };
    if let (Some((gs, gr)), Some((ws, wr))) = (scheme(got), scheme(want)) {
        if gs != ws && gr.trim_end_matches('/') == wr.trim_end_matches('/') {
            hints.push(format!("the scheme differs: {gs} vs {ws}"));
        }
    }
    if got.eq_ignore_ascii_case(want) {
        hints.push("it differs only in letter case; the comparison is exact".to_string());
    }
    if got.contains(|c: char| c.is_control()) {
        hints.push("it contains control characters (a NUL?)".to_string());
    }
    if percent_decode(got).is_some_and(|g| g == want) {
        hints.push("it is percent-encoded".to_string());
    }
    if hints.is_empty() {
        if let Some(rest) = got.strip_prefix(want) {
            hints.push(format!(
                "it starts with the expected value and goes on ({}): a prefix match is no match",
                show_str(rest)
            ));
        } else if want.starts_with(got) && !got.is_empty() {
            hints.push("it is only the beginning of the expected value".to_string());
        } else if got.ends_with(want) || got.contains(want) {
            hints.push(
                "it contains the expected value inside a longer one: a substring match is no match"
                    .to_string(),
            );
        } else if want.contains(got) && !got.is_empty() {
            hints.push("it is only a part of the expected value".to_string());
        } else if got.is_empty() {
            hints.push("it is empty".to_string());
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_spans() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_764_350_000.0), "2025-11-28 17:13:20 UTC");
        assert_eq!(utc(951_782_400.0), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(-1.0), "-1");
        assert_eq!(span(11_520.0), "3 h 12 min");
        assert_eq!(span(45.0), "45 s");
        assert_eq!(span(90_000.0), "1 d 1 h");
        assert_eq!(span(f64::MAX), format!("{:e} s", f64::MAX));
    }

    #[test]
    fn percent() {
        assert_eq!(percent_decode("a%2Eb%3D").as_deref(), Some("a.b="));
        assert_eq!(percent_decode("100%"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn hints() {
        let want = "https://auth.example.com";
        assert!(compare_hints("https://auth.example.com/", want)[0].contains("trailing slash"));
        assert!(compare_hints("http://auth.example.com", want)[0].contains("scheme"));
        assert!(compare_hints("https://AUTH.example.com", want)[0].contains("case"));
        assert!(compare_hints("https://auth.example.com.evil", want)[0].contains("prefix"));
    }
}
