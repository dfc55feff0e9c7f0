//! The one place sls-rs reads the wall clock. Two environment variables pin it, so the same
//! input gives the same output in any year:
//!
//! - `SOURCE_DATE_EPOCH` (seconds) — the deployment time: the artifact directory's name and the
//!   REST API deployment's logical ID.
//! - `SLS_RS_TODAY` (`YYYY-MM-DD`) — the date runtime lifecycle checks compare against
//!   (deprecated runtimes warn, blocked ones are refused by `deploy`).
//!
//! The test suite pins both, so a runtime AWS retires next year does not break it.

use crate::error::{Error, Result};

pub const TODAY_VAR: &str = "SLS_RS_TODAY";
pub const DEPLOYMENT_VAR: &str = "SOURCE_DATE_EPOCH";

/// Milliseconds since the epoch, from the wall clock. For what must differ between runs (a
/// change set's name, `${sls:instanceId}`), never for what a user compares.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The deployment time in epoch milliseconds: `SOURCE_DATE_EPOCH`, else now.
pub fn deployment_ms() -> Result<u64> {
    match std::env::var(DEPLOYMENT_VAR) {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse::<u64>()
            .map(|secs| secs.saturating_mul(1000))
            .map_err(|_| {
                Error::Usage(format!(
                    "{DEPLOYMENT_VAR}={s:?} is not a number of seconds since 1970"
                ))
            }),
        _ => Ok(now_ms()),
    }
}

/// Today as `YYYY-MM-DD` (UTC): `SLS_RS_TODAY`, else the wall clock.
pub fn today() -> Result<String> {
    match std::env::var(TODAY_VAR) {
        Ok(s) if !s.trim().is_empty() => {
            let s = s.trim();
            if is_date(s) {
                Ok(s.to_string())
            } else {
                Err(Error::Usage(format!(
                    "{TODAY_VAR}={s:?} is not a date; write it as YYYY-MM-DD"
                )))
            }
        }
        _ => Ok(iso8601(now_ms())[..10].to_string()),
    }
}

/// `YYYY-MM-DD` with a month 01–12 and a day 01–31 (compared as strings, so the shape matters).
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) {
        return false;
    }
    if !digits(5..7) || !digits(8..10) {
        return false;
    }
    let month: u8 = s[5..7].parse().unwrap_or(0);
    let day: u8 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// `2026-11-26T13:49:42.341Z` from epoch milliseconds (proleptic Gregorian, UTC).
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_v3_directory_names() {
        assert_eq!(iso8601(1_795_700_982_341), "2026-11-26T13:49:42.341Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_924_992_000_000), "2031-01-01T00:00:00.000Z");
    }

    #[test]
    fn dates_have_one_shape() {
        assert!(is_date("2031-01-01"));
        for bad in [
            "2031-1-01",
            "2031-13-01",
            "2031-01-00",
            "31-01-2031",
            "2031/01/01",
            "soon",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}
