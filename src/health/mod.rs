//! The health report of a run: what each source did (reached or not, and why), how the issues
//! read this run compare with the ones before them, and the alerts a maintainer should see (a
//! source failing run after run, an issue with fewer figures than usual, a wording no pattern
//! reads any more, the account's new name).
//!
//! A stage after the crawl: it reads the run's [`Summary`] and the archive, and writes
//! `data/<series>/health.json` (the report, which the next run reads to count failures in a row
//! and to keep the time an alert was first raised). `render` publishes it with its Markdown form;
//! `notify` sends its alerts to the maintainer's target. Deterministic given the same archive,
//! summary and previous report, times aside.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::archive::{Archive, Entry, to_sorted_json, write_atomic};
use crate::assemble::SourceKind;
use crate::config::{Config, Series};
use crate::crawl::{SourceStats, Summary, readable_url};
use crate::error::{Error, Result};

mod issues;
mod markdown;

pub use issues::{IssueHealth, Missing};
pub use markdown::{annotations, markdown, status_line, status_line_en};

/// The file name of a series' health report, in the archive and in the output.
pub const FILE: &str = "health.json";

/// The health report of one series after a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// The series.
    pub series: String,
    /// The tool and its version (`cncert-feed 0.4.0`).
    pub tool: String,
    /// The sha256 of the config's text.
    pub config_sha256: String,
    /// When the run ended (Beijing time).
    pub at: DateTime<FixedOffset>,
    /// Each source, in the order they ran.
    pub sources: Vec<SourceHealth>,
    /// The issues archived or changed this run, and the newest issue, newest first (at most 30).
    pub issues: Vec<IssueHealth>,
    /// Issues archived or changed this run beyond those listed (a backfill).
    #[serde(default)]
    pub issues_not_listed: usize,
    /// What a maintainer should look at, in a stable order.
    pub alerts: Vec<Alert>,
}

/// What one source did this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHealth {
    /// `wechat`, `website`, `ocr`.
    pub source: String,
    /// `ok`, `blocked` (the host answered with its block page), `unreachable` (no answer: DNS,
    /// refused, timeouts), `failing` (answered, but nothing usable), `unavailable` (a local tool
    /// is missing), `not_run` (not selected this run).
    pub status: String,
    /// Why it is not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Requests made (answered or not).
    pub requests: usize,
    /// Requests answered (any HTTP status).
    pub answered: usize,
    /// Issues archived for the first time.
    pub new: Vec<String>,
    /// Archived issues whose record changed.
    pub updated: Vec<String>,
    /// Issues reached that were archived already, unchanged.
    pub known: usize,
    /// URLs that failed this run (at most [`MAX_LISTED`]), decoded for reading, with the reason.
    pub failed: Vec<(String, String)>,
    /// Runs in a row this source failed (0 when this run was `ok`; carried over a `not_run`).
    pub failing_runs: u32,
    /// The end of the last run in which it was `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ok: Option<DateTime<FixedOffset>>,
}

impl SourceHealth {
    /// Whether it failed this run.
    pub fn failed_now(&self) -> bool {
        !matches!(self.status.as_str(), "ok" | "not_run")
    }
}

/// Something the maintainer should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable while the condition holds (`source_failing:website`, `few_figures:2024/43`,
    /// `reworded:2024/43:phishing_urls`, `renamed:NAME`): the maintainer is told once per id.
    pub id: String,
    /// One line saying what is wrong and what to do.
    pub message: String,
    /// The run that first raised it.
    pub since: DateTime<FixedOffset>,
}

/// URLs listed per source at most.
pub const MAX_LISTED: usize = 20;

/// The path of a series' report in the archive.
pub fn path(archive: &Archive, series: &str) -> PathBuf {
    archive.root().join(series).join(FILE)
}

/// The series' last report, if there is one. A report that cannot be read is an error naming
/// the file (it is only counters: delete it to start them again).
pub fn load(archive: &Archive, series: &str) -> Result<Option<Health>> {
    let path = path(archive, series);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => return Err(Error::ReadFile { path, cause }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|cause| Error::BadJson { path, cause })
}

/// Writes a series' report into the archive (atomically).
pub fn save(archive: &Archive, health: &Health) -> Result<bool> {
    write_atomic(&path(archive, &health.series), to_sorted_json(health)?.as_bytes())
}

/// Builds the report of every series the run crawled, from its summary, the archive and each
/// series' previous report.
pub fn assess(config: &Config, archive: &Archive, summary: &Summary, at: DateTime<FixedOffset>) -> Result<Vec<Health>> {
    let mut out = Vec::new();
    for series in &config.series {
        let stats: Vec<&SourceStats> = summary.sources.iter().filter(|s| s.series == series.id).collect();
        if stats.is_empty() {
            continue;
        }
        let previous = load(archive, &series.id).ok().flatten();
        let entries = archive.load_series(&series.id)?;
        let mut ran = RunFacts {
            at,
            ..RunFacts::default()
        };
        for s in &stats {
            ran.touched
                .extend(s.new.iter().chain(&s.updated).filter_map(|l| issue_of_label(l)));
            ran.new.extend(s.new.iter().filter_map(|l| issue_of_label(l)));
        }
        let ocr_unavailable = summary.ocr_unavailable.as_deref();
        ran.sources = stats
            .iter()
            .map(|s| source_health(s, previous.as_ref(), ocr_unavailable, at))
            .chain(not_run(&stats, previous.as_ref()))
            .collect();
        out.push(assess_series(config, series, &entries, ran, previous.as_ref()));
    }
    Ok(out)
}

/// What a run did in one series: its sources' health and the issues it archived or changed.
#[derive(Debug, Default)]
pub struct RunFacts {
    /// When the run ended.
    pub at: DateTime<FixedOffset>,
    /// Each source, in the order they ran.
    pub sources: Vec<SourceHealth>,
    /// Issues archived or changed, as `(year, issue)`.
    pub touched: BTreeSet<(i32, u32)>,
    /// Of them, those archived for the first time.
    pub new: BTreeSet<(i32, u32)>,
}

/// The report of one series from its sources' health and its archive.
pub fn assess_series(
    config: &Config,
    series: &Series,
    entries: &[Entry],
    ran: RunFacts,
    previous: Option<&Health>,
) -> Health {
    let at = ran.at;
    let (issues, issues_not_listed) = issues::assess(series, entries, &ran, config.health.previous_issues);
    let sources = ran.sources;
    let mut alerts: Vec<(String, String)> = Vec::new();
    for s in sources.iter().filter(|s| s.failing_runs >= config.health.failing_runs) {
        alerts.push((
            format!("source_failing:{}", s.source),
            format!(
                "{} has failed {} runs in a row ({}: {}); last ok: {}",
                s.source,
                s.failing_runs,
                s.status,
                s.why.as_deref().unwrap_or("no reason given"),
                s.last_ok
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "never".into())
            ),
        ));
    }
    for i in &issues {
        alerts.extend(i.alerts());
    }
    // The name the account showed on the newest issue read from WeChat.
    let shown = entries
        .iter()
        .rev()
        .find_map(|e| e.observations.get(&SourceKind::Wechat))
        .and_then(|o| o.report.author.as_ref());
    if let (Some(want), Some(got)) = (&series.author, shown)
        && want.trim() != got.trim()
    {
        alerts.push((
            format!("renamed:{}", got.trim()),
            format!(
                "the account of {} now shows the name {} (config.yaml author: {}); it is still known by its __biz, set `author: {}` to show the new name",
                series.id,
                got.trim(),
                want.trim(),
                got.trim()
            ),
        ));
    }
    let since = |id: &str| {
        previous
            .and_then(|p| p.alerts.iter().find(|a| a.id == id))
            .map(|a| a.since)
            .unwrap_or(at)
    };
    let mut alerts: Vec<Alert> = alerts
        .into_iter()
        .map(|(id, message)| Alert {
            since: since(&id),
            id,
            message,
        })
        .collect();
    alerts.sort_by(|a, b| a.id.cmp(&b.id));
    alerts.dedup_by(|a, b| a.id == b.id);
    Health {
        series: series.id.clone(),
        tool: format!("cncert-feed {}", env!("CARGO_PKG_VERSION")),
        config_sha256: config.digest.clone(),
        at,
        sources,
        issues,
        issues_not_listed,
        alerts,
    }
}

/// `2024年第43期` → (2024, 43).
fn issue_of_label(label: &str) -> Option<(i32, u32)> {
    let (year, rest) = label.split_once('年')?;
    let issue = rest.strip_prefix('第')?.strip_suffix('期')?;
    Some((year.trim().parse().ok()?, issue.trim().parse().ok()?))
}

/// The sources that ran before but not this run: their counters carried over.
fn not_run<'a>(stats: &'a [&SourceStats], previous: Option<&'a Health>) -> impl Iterator<Item = SourceHealth> + 'a {
    previous
        .into_iter()
        .flat_map(|p| p.sources.iter())
        .filter(move |p| !stats.iter().any(|s| s.source.is_some_and(|k| k.as_str() == p.source)))
        .map(|p| SourceHealth {
            status: "not_run".into(),
            why: None,
            requests: 0,
            answered: 0,
            new: Vec::new(),
            updated: Vec::new(),
            known: 0,
            failed: Vec::new(),
            ..p.clone()
        })
}

/// One source's health from its stats this run and its previous health.
fn source_health(
    s: &SourceStats,
    previous: Option<&Health>,
    ocr_unavailable: Option<&str>,
    at: DateTime<FixedOffset>,
) -> SourceHealth {
    let name = s.source.map(SourceKind::as_str).unwrap_or("?").to_string();
    let before = previous.and_then(|p| p.sources.iter().find(|p| p.source == name));
    let progress = s.new.len() + s.updated.len() + s.known;
    let pairs = |v: &[(String, String)]| {
        v.iter()
            .map(|(h, why)| format!("{h}: {why}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (status, why) = if s.source == Some(SourceKind::Ocr)
        && let Some(why) = ocr_unavailable
    {
        ("unavailable", Some(why.to_string()))
    } else if !s.blocked.is_empty() {
        ("blocked", Some(pairs(&s.blocked)))
    } else if !s.down.is_empty() {
        ("unreachable", Some(pairs(&s.down)))
    } else if s.requests() > 0 && s.answered == 0 {
        (
            "unreachable",
            Some(format!("none of {} requests was answered", s.requests())),
        )
    } else if progress == 0 && (!s.unreachable.is_empty() || !s.failed.is_empty()) {
        let first = s.unreachable.iter().chain(&s.failed).next();
        let why = first.map(|(u, why)| format!("{why} ({})", readable_url(u)));
        ("failing", why)
    } else {
        ("ok", None)
    };
    let ok = status == "ok";
    SourceHealth {
        source: name,
        status: status.into(),
        why,
        requests: s.requests(),
        answered: s.answered,
        new: s.new.clone(),
        updated: s.updated.clone(),
        known: s.known,
        failed: s
            .failed
            .iter()
            .chain(&s.unreachable)
            .take(MAX_LISTED)
            .map(|(u, why)| (readable_url(u), why.clone()))
            .collect(),
        failing_runs: if ok {
            0
        } else {
            before.map(|b| b.failing_runs).unwrap_or(0).saturating_add(1)
        },
        last_ok: if ok { Some(at) } else { before.and_then(|b| b.last_ok) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_back() {
        assert_eq!(issue_of_label("2024年第43期"), Some((2024, 43)));
        assert_eq!(issue_of_label("网络安全信息与动态周报"), None);
    }
}
