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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A time as the commands that read logs and metrics take it, in epoch milliseconds: a span
/// back from `now_ms` (`30m`, `2h`, `1d`, as v3), or a UTC date `YYYY-MM-DD`, optionally with
/// `THH:MM`, `:SS`, `.mmm` and a final `Z` (a space may stand for the `T`). `None` for anything
/// else.
pub fn parse_time(s: &str, now_ms: u64) -> Option<u64> {
    let s = s.trim();
    if let Some(unit) = s.chars().last().filter(|c| matches!(c, 'm' | 'h' | 'd')) {
        let n: u64 = s[..s.len() - 1].parse().ok()?;
        let ms = match unit {
            'm' => 60_000,
            'h' => 3_600_000,
            _ => 86_400_000,
        };
        return Some(now_ms.saturating_sub(n.checked_mul(ms)?));
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    if !is_date(s.get(..10)?) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let days = days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?);
    let rest = s.get(10..)?;
    let (h, mi, sec, milli) = if rest.is_empty() {
        (0, 0, 0, 0)
    } else {
        let b = rest.as_bytes();
        if !matches!(b[0], b'T' | b' ') || rest.len() < 6 || b[3] != b':' {
            return None;
        }
        let (h, mi) = (num(11..13)?, num(14..16)?);
        let (sec, milli) = match rest.get(6..)? {
            "" => (0, 0),
            t if t.len() >= 3 && t.as_bytes()[0] == b':' => {
                let sec = num(17..19)?;
                match t.get(3..)? {
                    "" => (sec, 0),
                    f if f.len() >= 2 && f.as_bytes()[0] == b'.' => {
                        let digits = &f[1..];
                        if digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                            return None;
                        }
                        let padded = format!("{digits:0<3}");
                        (sec, padded[..3].parse().ok()?)
                    }
                    _ => return None,
                }
            }
            _ => return None,
        };
        if h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        (h, mi, sec, milli)
    };
    let ms = ((days * 86_400 + h * 3600 + mi * 60 + sec) * 1000) + milli;
    u64::try_from(ms).ok()
}

/// `2026-11-27 12:00:00.123` (UTC), the way log lines show their time.
pub fn log_time(ms: u64) -> String {
    let iso = iso8601(ms);
    format!("{} {}", &iso[..10], &iso[11..23])
}

/// `November 27, 2026 12:00 PM UTC`: v3's long date for a metrics period, in UTC.
pub fn long_time(ms: u64) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let iso = iso8601(ms);
    let month: usize = iso[5..7].parse().unwrap_or(1);
    let day: u32 = iso[8..10].parse().unwrap_or(1);
    let hour: u32 = iso[11..13].parse().unwrap_or(0);
    let (h12, half) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    format!(
        "{} {day}, {} {h12}:{} {half} UTC",
        MONTHS[month - 1],
        &iso[..4],
        &iso[14..16]
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

    #[test]
    fn times_are_spans_back_or_utc_dates() {
        let now = 1_924_992_000_000; // 2031-01-01T00:00:00Z
        assert_eq!(parse_time("30m", now), Some(now - 30 * 60_000));
        assert_eq!(parse_time("2h", now), Some(now - 2 * 3_600_000));
        assert_eq!(parse_time("1d", now), Some(now - 86_400_000));
        assert_eq!(parse_time("2031-01-01", now), Some(now));
        assert_eq!(
            parse_time("2026-11-26T13:49:42.341Z", now),
            Some(1_795_700_982_341)
        );
        assert_eq!(
            parse_time("2026-11-26 13:49:42.341", now),
            Some(1_795_700_982_341)
        );
        assert_eq!(parse_time("2026-11-26T13:49", now), Some(1_795_700_940_000));
        assert_eq!(
            parse_time("2026-11-26T13:49:42.3", now),
            Some(1_795_700_982_300)
        );
        assert_eq!(parse_time("1970-01-01T00:00:00Z", now), Some(0));
        for bad in [
            "",
            "m",
            "-5m",
            "5x",
            "99999999999999999999d",
            "2031-13-01",
            "2031-01-01T25:00",
            "2031-01-01T1:00",
            "2031-01-01T10:00:5",
            "2031-01-01T10:00:00.",
            "yesterday",
            "2031-01-01T10:00:00.1234567890",
            "1969-12-31",
            "2031-01-0é",
            "2031-01-01Tä0:00",
            "2031-01-01T10:0é",
            "2031-01-01T10:00:0é",
        ] {
            assert_eq!(parse_time(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn times_print_in_utc() {
        assert_eq!(log_time(1_795_700_982_341), "2026-11-26 13:49:42.341");
        assert_eq!(
            long_time(1_795_700_982_341),
            "November 26, 2026 1:49 PM UTC"
        );
        assert_eq!(long_time(0), "January 1, 1970 12:00 AM UTC");
    }
}
