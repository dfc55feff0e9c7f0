//! `sls-rs metrics [-f NAME]`: the service's (or one function's) invocations, throttles, errors
//! and average duration between `--startTime` and `--endTime` (the last 24 hours by default),
//! from CloudWatch's `AWS/Lambda` metrics, printed as v3 prints them; `--json` adds each
//! function's figures.
//!
//! The average duration is weighted by the number of invocations behind each datapoint (v3
//! averages the datapoints' averages, so a quiet hour counts as much as a busy one). Periods
//! are v3's: an hour, or a day when the range is longer than a day, and longer still where
//! CloudWatch's 1,440 datapoints per request would be exceeded.

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Datapoint, Dimension, StandardUnit, Statistic};
use serde_json::{json, Map, Value};

use super::Ctx;
use crate::cli::MetricsArgs;
use crate::error::{Error, Result};

const HOUR_S: u64 = 3600;
const DAY_MS: u64 = 24 * 3600 * 1000;
/// What CloudWatch returns at most for one metric in one request.
const MAX_DATAPOINTS: u64 = 1440;

/// One function's figures over the range.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Figures {
    pub invocations: f64,
    pub throttles: f64,
    pub errors: f64,
    /// Milliseconds, weighted by invocations.
    pub duration: f64,
    /// Invocations behind `duration`.
    duration_samples: f64,
}

impl Figures {
    fn add(&mut self, other: &Figures) {
        self.invocations += other.invocations;
        self.throttles += other.throttles;
        self.errors += other.errors;
        let samples = self.duration_samples + other.duration_samples;
        if samples > 0.0 {
            self.duration = (self.duration * self.duration_samples
                + other.duration * other.duration_samples)
                / samples;
        }
        self.duration_samples = samples;
    }

    fn json(&self) -> Value {
        // Counts are whole numbers.
        json!({
            "invocations": self.invocations.round() as u64,
            "throttles": self.throttles.round() as u64,
            "errors": self.errors.round() as u64,
            "durationAverageMs": round2(self.duration),
        })
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// CloudWatch's period for a range: v3's hour, or day past a day, widened to whole minutes
/// until the range fits in one request.
pub fn period_seconds(start_ms: u64, end_ms: u64) -> u64 {
    let span_s = end_ms.saturating_sub(start_ms) / 1000;
    let v3 = if end_ms.saturating_sub(start_ms) > DAY_MS {
        24 * HOUR_S
    } else {
        HOUR_S
    };
    let needed = span_s.div_ceil(MAX_DATAPOINTS).div_ceil(60) * 60;
    v3.max(needed)
}

pub fn run(ctx: &Ctx, args: &MetricsArgs) -> Result<()> {
    let now = crate::clock::now_ms();
    let time = |flag: &str, v: &Option<String>, default: u64| -> Result<u64> {
        match v {
            None => Ok(default),
            Some(t) => crate::clock::parse_time(t, now).ok_or_else(|| {
                Error::Usage(format!(
                    "{flag} {t:?}: write a span back such as 30m, 2h or 1d, or a UTC date such as 2026-11-27 or 2026-11-27T09:30"
                ))
            }),
        }
    };
    let start = time("--startTime", &args.start_time, now.saturating_sub(DAY_MS))?;
    let end = time("--endTime", &args.end_time, now)?;
    if end <= start {
        return Err(Error::Usage(format!(
            "--endTime ({}) must be after --startTime ({})",
            crate::clock::iso8601(end),
            crate::clock::iso8601(start)
        )));
    }
    let rt = super::deploy::runtime()?;
    let (aws, loaded) = super::deploy::connect_and_load(ctx, &rt)?;
    let service = &loaded.service;
    let functions: Vec<(&str, &str)> = match &args.function {
        Some(key) => {
            let f = super::function(service, key)?;
            vec![(f.key.as_str(), f.name.as_str())]
        }
        None => service
            .functions
            .values()
            .map(|f| (f.key.as_str(), f.name.as_str()))
            .collect(),
    };
    let client = aws_sdk_cloudwatch::Client::new(&aws.config);
    let period = period_seconds(start, end);
    let per_function = rt
        .block_on(crate::deploy::bounded(
            functions
                .iter()
                .map(|(_, name)| figures(&client, name, start, end, period)),
        ))
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let mut total = Figures::default();
    for f in &per_function {
        total.add(f);
    }
    if args.json {
        let mut each = Map::new();
        for ((key, name), f) in functions.iter().zip(&per_function) {
            let mut v = f.json();
            v["name"] = json!(name);
            each.insert(key.to_string(), v);
        }
        let mut out = total.json();
        out["startTime"] = json!(crate::clock::iso8601(start));
        out["endTime"] = json!(crate::clock::iso8601(end));
        out["periodSeconds"] = json!(period);
        out["functions"] = Value::Object(each);
        return super::stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&out).unwrap_or_default()
        ));
    }
    let mut text = format!(
        "{}\n{} - {}\n\n",
        args.function.as_deref().unwrap_or("Service wide metrics"),
        crate::clock::long_time(start),
        crate::clock::long_time(end)
    );
    if functions.is_empty() {
        text.push_str("There are no metrics to show for these options\n");
    } else {
        text.push_str(&format!(
            "invocations: {}\nthrottles: {}\nerrors: {}\nduration (avg.): {}ms\n",
            total.invocations,
            total.throttles,
            total.errors,
            round2(total.duration)
        ));
    }
    super::stdout(&text)
}

/// One function's four metrics, asked for at once.
async fn figures(
    client: &aws_sdk_cloudwatch::Client,
    function: &str,
    start: u64,
    end: u64,
    period: u64,
) -> Result<Figures> {
    let ask = |metric: &'static str, stats: &[Statistic], unit: StandardUnit| {
        client
            .get_metric_statistics()
            .namespace("AWS/Lambda")
            .metric_name(metric)
            .dimensions(
                Dimension::builder()
                    .name("FunctionName")
                    .value(function)
                    .build(),
            )
            .start_time(DateTime::from_millis(start.min(i64::MAX as u64) as i64))
            .end_time(DateTime::from_millis(end.min(i64::MAX as u64) as i64))
            .period(period.min(i32::MAX as u64) as i32)
            .set_statistics(Some(stats.to_vec()))
            .unit(unit)
            .send()
    };
    let (invocations, throttles, errors, duration) = tokio::join!(
        ask("Invocations", &[Statistic::Sum], StandardUnit::Count),
        ask("Throttles", &[Statistic::Sum], StandardUnit::Count),
        ask("Errors", &[Statistic::Sum], StandardUnit::Count),
        ask(
            "Duration",
            &[Statistic::Average, Statistic::SampleCount],
            StandardUnit::Milliseconds
        ),
    );
    let points = |r: std::result::Result<_, _>| -> Result<Vec<Datapoint>> {
        let out: aws_sdk_cloudwatch::operation::get_metric_statistics::GetMetricStatisticsOutput =
            r.map_err(|e| crate::deploy::aws_error("GetMetricStatistics", &e))?;
        Ok(out.datapoints().to_vec())
    };
    let sum = |p: &[Datapoint]| p.iter().filter_map(|d| d.sum()).sum::<f64>();
    let duration = points(duration)?;
    let samples: f64 = duration.iter().filter_map(|d| d.sample_count()).sum();
    let weighted: f64 = duration
        .iter()
        .filter_map(|d| Some(d.average()? * d.sample_count()?))
        .sum();
    let average = if samples > 0.0 {
        weighted / samples
    } else {
        // Without sample counts, the datapoints' plain mean (v3's way).
        let avgs: Vec<f64> = duration.iter().filter_map(|d| d.average()).collect();
        if avgs.is_empty() {
            0.0
        } else {
            avgs.iter().sum::<f64>() / avgs.len() as f64
        }
    };
    Ok(Figures {
        invocations: sum(&points(invocations)?),
        throttles: sum(&points(throttles)?),
        errors: sum(&points(errors)?),
        duration: average,
        duration_samples: if samples > 0.0 {
            samples
        } else {
            duration.len() as f64
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_v3_and_fit_one_request() {
        let h = 3_600_000;
        assert_eq!(period_seconds(0, 2 * h), 3600);
        assert_eq!(period_seconds(0, 24 * h), 3600);
        assert_eq!(period_seconds(0, 25 * h), 86_400);
        // 5 years of days is more than 1,440 datapoints.
        let five_years = 5 * 365 * 24 * h;
        let p = period_seconds(0, five_years);
        assert!(
            p.is_multiple_of(60) && (five_years / 1000).div_ceil(p) <= 1440,
            "{p}"
        );
    }

    #[test]
    fn the_service_average_weighs_each_function_by_its_invocations() {
        let mut total = Figures::default();
        for (d, n) in [(100.0, 1.0), (10.0, 9.0)] {
            total.add(&Figures {
                invocations: n,
                duration: d,
                duration_samples: n,
                ..Figures::default()
            });
        }
        assert_eq!(total.invocations, 10.0);
        assert!((total.duration - 19.0).abs() < 1e-9, "{}", total.duration);
    }
}
