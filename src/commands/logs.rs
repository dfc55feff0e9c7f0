//! `sls-rs logs -f NAME`: prints a function's log lines from CloudWatch Logs, shaped as v3's
//! `logs` shapes them (the Lambda runtime's timestamp and level, the message; the START and
//! REPORT lines shortened), from `--startTime` (10 minutes ago by default). `--tail` keeps
//! asking every `--interval` milliseconds until Ctrl-C, which ends the command cleanly.
//!
//! Where sls-rs differs from v3, on purpose: every page of matching events is printed (v3 prints
//! the first page only); the START line keeps the request ID, so lines can be told apart by
//! invocation; times are printed in UTC, as Lambda writes them; following the log never prints
//! an event twice, nor skips one written in the same millisecond as the last one printed or
//! made searchable a few seconds late.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::FilteredLogEvent;

use super::Ctx;
use crate::cli::LogsArgs;
use crate::error::{Error, Result};
use crate::manifest::service::Function;
use crate::naming;

/// v3's default window: the last 10 minutes, or the last 10 seconds when following.
const DEFAULT_SINCE_MS: u64 = 10 * 60 * 1000;
const DEFAULT_TAIL_SINCE_MS: u64 = 10 * 1000;

pub fn run(ctx: &Ctx, args: &LogsArgs) -> Result<()> {
    let now = crate::clock::now_ms();
    let start = match &args.start_time {
        Some(t) => crate::clock::parse_time(t, now).ok_or_else(|| {
            Error::Usage(format!(
                "--startTime {t:?}: write a span back such as 30m, 2h or 1d, or a UTC date such as 2026-11-27 or 2026-11-27T09:30"
            ))
        })?,
        None if args.tail => now.saturating_sub(DEFAULT_TAIL_SINCE_MS),
        None => now.saturating_sub(DEFAULT_SINCE_MS),
    };
    if args.interval == 0 {
        return Err(Error::Usage(
            "--interval must be at least 1 millisecond".into(),
        ));
    }
    let rt = super::deploy::runtime()?;
    let (aws, loaded) = super::deploy::connect_and_load(ctx, &rt)?;
    let service = &loaded.service;
    let f = super::function(service, &args.function)?;
    let group = log_group(f);
    let client = aws_sdk_cloudwatchlogs::Client::new(&aws.config);
    let missing = || {
        Error::failed_with_hint(
            format!(
                "function `{}` has no log group {group} in {}",
                args.function, service.region
            ),
            "deploy the service with `sls-rs deploy` and invoke the function: Lambda writes its log when it first runs",
        )
    };
    rt.block_on(async {
        let mut cursor = Cursor {
            start,
            seen: HashMap::new(),
        };
        let stop = tokio::signal::ctrl_c();
        tokio::pin!(stop);
        loop {
            let events = tokio::select! {
                events = fetch(&client, &group, &cursor, args.filter.as_deref()) => events?,
                _ = &mut stop => return Ok(()),
            };
            // Following a function that has not run yet waits for its first lines.
            let events = match events {
                Some(events) => events,
                None if args.tail => Vec::new(),
                None => return Err(missing()),
            };
            let mut text = String::new();
            for e in cursor.take(events) {
                if let Some(line) = format_line(e.message().unwrap_or_default()) {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            super::stdout(&text)?;
            if !args.tail {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(args.interval)) => {}
                _ = &mut stop => return Ok(()),
            }
        }
    })
}

/// Where the function logs: its `logs.logGroup` (Lambda's `LoggingConfig`), else Lambda's
/// default `/aws/lambda/NAME`.
fn log_group(f: &Function) -> String {
    f.logging
        .as_ref()
        .and_then(|l| l.config.get("LogGroup"))
        .and_then(|g| g.as_str())
        .map(String::from)
        .unwrap_or_else(|| naming::log_group_name(&f.name))
}

/// What has been printed. Each request asks again from [`LATE_MS`] before the newest event
/// printed, since CloudWatch can take a moment to make an event searchable; events already
/// printed are known by their IDs.
struct Cursor {
    start: u64,
    seen: HashMap<String, u64>,
}

/// How late an event may become searchable and still be printed when following.
const LATE_MS: u64 = 5_000;

impl Cursor {
    /// The events not printed yet, in time order; moves the cursor past them.
    fn take(&mut self, mut events: Vec<FilteredLogEvent>) -> Vec<FilteredLogEvent> {
        events.sort_by_key(|e| e.timestamp().unwrap_or(0));
        let fresh: Vec<FilteredLogEvent> = events
            .into_iter()
            .filter(|e| {
                let id = e.event_id().unwrap_or_default().to_string();
                let ts = e.timestamp().unwrap_or(0).max(0) as u64;
                self.seen.insert(id, ts).is_none()
            })
            .collect();
        if let Some(newest) = self.seen.values().max().copied() {
            self.start = self.start.max(newest.saturating_sub(LATE_MS));
        }
        let start = self.start;
        self.seen.retain(|_, ts| *ts >= start);
        fresh
    }
}

/// Every matching event of the group from the cursor on, all pages; `None` when the group does
/// not exist.
async fn fetch(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    cursor: &Cursor,
    filter: Option<&str>,
) -> Result<Option<Vec<FilteredLogEvent>>> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .filter_log_events()
            .log_group_name(group)
            .start_time(cursor.start.min(i64::MAX as u64) as i64)
            .set_filter_pattern(filter.map(String::from))
            .set_next_token(token.take())
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(crate::deploy::aws_error("FilterLogEvents", &e)),
        };
        events.extend(out.events().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(Some(events)),
        }
    }
}

/// One event's message as v3 prints it, or `None` for the lines it leaves out (`END`, which the
/// shortened REPORT line replaces, and the Serverless Dashboard's own lines).
///
/// - `START RequestId: ID Version: $LATEST` → `START ID`
/// - `REPORT RequestId: ID\tDuration: 2.51 ms\tBilled Duration: 3 ms\tMemory Size: 1024 MB\tMax
///   Memory Used: 64 MB\tInit Duration: 150.00 ms` → `END Duration: 2.51 ms (init: 150.00 ms)
///   Memory Used: 64 MB`
/// - `TIME\tID\tLEVEL\tmessage` (Node.js) → `TIME\tLEVEL\tmessage`, the time as
///   `2026-11-27 12:00:00.123`; `[LEVEL]\tTIME\tID\tmessage` (Python) → `TIME\t[LEVEL]\tmessage`
/// - anything else as it is, without trailing white space.
pub fn format_line(message: &str) -> Option<String> {
    if message.contains("SERVERLESS_ENTERPRISE") || message.starts_with("END") {
        return None;
    }
    if let Some(rest) = message.strip_prefix("START") {
        let id = rest
            .split_whitespace()
            .skip_while(|w| *w != "RequestId:")
            .nth(1);
        return Some(match id {
            Some(id) => format!("START {id}"),
            None => "START".into(),
        });
    }
    if message.starts_with("REPORT") {
        let parts: Vec<&str> = message.split('\t').collect();
        let field = |name: &str| {
            parts
                .iter()
                .map(|p| p.trim())
                .find(|p| p.starts_with(name))
                .map(|p| p[name.len()..].trim().to_string())
        };
        let mut line = String::from("END");
        if let Some(d) = field("Duration:") {
            line.push_str(&format!(" Duration: {d}"));
        }
        if let Some(init) = field("Init Duration:") {
            line.push_str(&format!(" (init: {init})"));
        }
        if let Some(m) = field("Max Memory Used:") {
            line.push_str(&format!(" Memory Used: {m}"));
        }
        return Some(line);
    }
    let msg = message.trim_end();
    let parts: Vec<&str> = msg.split('\t').collect();
    if parts.len() < 3 {
        return Some(msg.to_string());
    }
    // A runtime's timestamp is a full date; spans back (`30m`) never are.
    let time = |s: &str| crate::clock::parse_time(s, 0).filter(|_| s.len() >= 19);
    let (ms, level, rest_from) = if let Some(ms) = time(parts[0]) {
        (ms, String::new(), 2)
    } else if let Some(ms) = time(parts[1]) {
        if parts.len() < 4 {
            return Some(msg.to_string());
        }
        (ms, format!("{}\t", parts[0]), 3)
    } else {
        return Some(msg.to_string());
    };
    Some(format!(
        "{}\t{level}{}",
        crate::clock::log_time(ms),
        parts[rest_from..].join("\t")
    ))
}

#[cfg(test)]
mod tests {
    use super::format_line;

    #[test]
    fn lambda_lines_are_shaped_as_v3_shapes_them() {
        assert_eq!(
            format_line("START RequestId: 6f1c Version: $LATEST\n").as_deref(),
            Some("START 6f1c")
        );
        assert_eq!(format_line("END RequestId: 6f1c\n"), None);
        assert_eq!(
            format_line("REPORT RequestId: 6f1c\tDuration: 2.51 ms\tBilled Duration: 3 ms\tMemory Size: 1024 MB\tMax Memory Used: 64 MB\tInit Duration: 150.00 ms\t\n").as_deref(),
            Some("END Duration: 2.51 ms (init: 150.00 ms) Memory Used: 64 MB")
        );
        assert_eq!(
            format_line("REPORT RequestId: 6f1c\tDuration: 2.51 ms\tBilled Duration: 3 ms\tMemory Size: 1024 MB\tMax Memory Used: 64 MB\t\n").as_deref(),
            Some("END Duration: 2.51 ms Memory Used: 64 MB")
        );
        assert_eq!(
            format_line("2026-11-27T12:00:00.123Z\t6f1c\tINFO\thello\tworld\n").as_deref(),
            Some("2026-11-27 12:00:00.123\tINFO\thello\tworld")
        );
        assert_eq!(
            format_line("[ERROR]\t2026-11-27T12:00:00.123Z\t6f1c\tboom\n").as_deref(),
            Some("2026-11-27 12:00:00.123\t[ERROR]\tboom")
        );
        assert_eq!(format_line("plain text  \n").as_deref(), Some("plain text"));
        assert_eq!(format_line("a\tb\tc").as_deref(), Some("a\tb\tc"));
        assert_eq!(format_line("x SERVERLESS_ENTERPRISE y"), None);
        assert_eq!(format_line("").as_deref(), Some(""));
        assert_eq!(format_line("START").as_deref(), Some("START"));
    }
}
