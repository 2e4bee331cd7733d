//! The crawl: one generic frontier over sources. For each series it loads the archive's view and
//! the failure state, hands them to each selected [`Source`] in turn (discovery, fetching and
//! reading are the source's), and keeps what is common: the budget, the failure bookkeeping, the
//! archive writes and the run's [`Summary`]. It names no host and no source; `reextract` and
//! `import` re-read stored texts and saved files through the same sources.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Timelike, Utc};

use crate::archive::Archive;
use crate::assemble::SourceKind;
use crate::config::{Config, Series};
use crate::error::Result;
use crate::fetch::{Fetched, Fetcher};
use crate::report::beijing;

mod frontier;
mod import;
mod reextract;
mod retry;
mod source;

pub use frontier::{Known, SeriesRun, label};
pub use import::import;
pub use reextract::reextract;
pub use retry::{RetrySelector, Selection, describe_failure, readable_url, select, why_unmatched};
pub use source::{Imported, Source, SourceRun};

/// What a crawl run is asked to do.
#[derive(Debug, Clone, Default)]
pub struct CrawlOptions {
    /// Start URLs that replace the configured discovery for this run.
    pub start: Vec<String>,
    /// Limit of issues per series (overrides the config).
    pub max_issues: Option<usize>,
    /// Lift the limit.
    pub backfill: bool,
    /// Only this series.
    pub series: Option<String>,
    /// Only these sources (`--sources wechat,website`); all configured ones when `None`.
    pub sources: Option<Vec<SourceKind>>,
    /// Do not read pictures this run (`--no-ocr`), whatever the config says.
    pub no_ocr: bool,
    /// Recorded failures asked again this run (`--retry-failed`); none when empty.
    pub retry_failed: Vec<RetrySelector>,
}

impl CrawlOptions {
    /// Whether this run reads `source`.
    pub fn reads(&self, source: SourceKind) -> bool {
        self.sources.as_ref().is_none_or(|s| s.contains(&source))
    }
}

/// What happened in a run, for the summary and the exit code.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Issues archived for the first time.
    pub new: Vec<String>,
    /// Archived issues whose record changed (figures, feed body replaced by the page …).
    pub updated: Vec<String>,
    /// Issues reached that were archived already.
    pub known: usize,
    /// Articles found deleted.
    pub deleted: Vec<String>,
    /// URLs that failed, with the reason.
    pub failed: Vec<(String, String)>,
    /// Why the source blocked the crawl, if it did.
    pub blocked: Vec<String>,
    /// Discovery sources that could not be read.
    pub unreachable: Vec<(String, String)>,
    /// Hosts given up this run because they could not be reached (DNS, refused, TLS), with the
    /// last reason: their other requests were not sent and are tried again next run.
    pub down_hosts: Vec<(String, String)>,
    /// Article pages requested (not counting retries).
    pub article_requests: usize,
    /// Requests the source answered (any HTTP status).
    pub answered: usize,
    /// Requests that got no answer at all after their retries (timeouts, connection errors).
    pub unanswered: usize,
    /// New warnings about figures (left out, far outside the history), by issue.
    pub figure_warnings: Vec<(String, String)>,
    /// Figures `crawl --reextract` would take out of the archive: (issue, figure, value).
    pub losses: Vec<(String, String, String)>,
    /// Writes of the archive or the state that failed (the run fails, after the other work is saved).
    pub write_failures: Vec<String>,
    /// Article pages answered (any HTTP status).
    pub articles_answered: usize,
    /// Article pages that got no answer at all after their retries.
    pub articles_unanswered: usize,
    /// Pictures fetched and read by OCR.
    pub pictures_read: usize,
    /// Pictures that could not be fetched for a passing reason (fetched again next run).
    pub pictures_failed: usize,
    /// Why pictures were not read this run (Tesseract missing), if so.
    pub ocr_unavailable: Option<String>,
    /// What each source did, per series, in the order they ran (the health report reads it).
    pub sources: Vec<SourceStats>,
}

/// What one source did in one series' run: the part of the [`Summary`] it added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// The series.
    pub series: String,
    /// The source.
    pub source: Option<SourceKind>,
    /// The hosts it fetches from.
    pub hosts: Vec<String>,
    /// Requests it made that were answered (any HTTP status).
    pub answered: usize,
    /// Requests that got no answer after their retries.
    pub unanswered: usize,
    /// Issues it archived for the first time.
    pub new: Vec<String>,
    /// Archived issues whose record it changed.
    pub updated: Vec<String>,
    /// Issues it reached that were archived already, unchanged.
    pub known: usize,
    /// URLs that failed, with the reason.
    pub failed: Vec<(String, String)>,
    /// Discovery inputs (feeds, listings) it could not read, with the reason.
    pub unreachable: Vec<(String, String)>,
    /// Its hosts that blocked the run (captcha), with the reason (filled in at the end of the run).
    pub blocked: Vec<(String, String)>,
    /// Its hosts given up this run as unreachable (DNS, refused, TLS), with the last reason.
    pub down: Vec<(String, String)>,
}

impl SourceStats {
    /// Requests made (answered or not).
    pub fn requests(&self) -> usize {
        self.answered + self.unanswered
    }
}

/// The counts of a summary a source's stats are the difference of.
#[derive(Clone, Copy)]
struct Mark {
    answered: usize,
    unanswered: usize,
    new: usize,
    updated: usize,
    known: usize,
    failed: usize,
    unreachable: usize,
}

impl Mark {
    fn of(s: &Summary) -> Mark {
        Mark {
            answered: s.answered,
            unanswered: s.unanswered,
            new: s.new.len(),
            updated: s.updated.len(),
            known: s.known,
            failed: s.failed.len(),
            unreachable: s.unreachable.len(),
        }
    }

    /// What `s` gained since this mark, as one source's stats.
    fn since(self, s: &Summary, series: &str, source: &dyn Source) -> SourceStats {
        let tail = |v: &Vec<String>, from: usize| v.get(from..).map(<[String]>::to_vec).unwrap_or_default();
        let pairs = |v: &Vec<(String, String)>, from: usize| v.get(from..).map(<[_]>::to_vec).unwrap_or_default();
        SourceStats {
            series: series.to_string(),
            source: Some(source.kind()),
            hosts: source.hosts().iter().map(|h| h.host.to_string()).collect(),
            answered: s.answered.saturating_sub(self.answered),
            unanswered: s.unanswered.saturating_sub(self.unanswered),
            new: tail(&s.new, self.new),
            updated: tail(&s.updated, self.updated),
            known: s.known.saturating_sub(self.known),
            failed: pairs(&s.failed, self.failed),
            unreachable: pairs(&s.unreachable, self.unreachable),
            blocked: Vec::new(),
            down: Vec::new(),
        }
    }
}

impl Summary {
    /// Counts whether a request was answered.
    pub(crate) fn tally(&mut self, f: &Fetched) {
        match f {
            Fetched::Failed(_) => self.unanswered += 1,
            Fetched::Refused(_) => {}
            _ => self.answered += 1,
        }
    }

    /// Counts whether an article page request was answered (and the request itself).
    pub(crate) fn tally_article(&mut self, f: &Fetched) {
        self.tally(f);
        match f {
            Fetched::Failed(_) => self.articles_unanswered += 1,
            Fetched::Refused(_) => {}
            _ => self.articles_answered += 1,
        }
    }

    /// Whether the source blocked the crawl or could not be reached (exit code 3): blocked,
    /// nothing answered at all, or article pages requested and none answered (discovery feeds
    /// answering does not hide that the articles time out).
    pub fn source_unavailable(&self) -> bool {
        !self.blocked.is_empty()
            || (self.answered == 0 && self.unanswered > 0)
            || (self.articles_answered == 0 && self.articles_unanswered > 0)
    }
}

/// Receives progress events (a progress bar on a terminal, lines otherwise).
pub trait Progress: Send + Sync {
    /// A request for `what` starts.
    fn fetching(&self, what: &str);
    /// Something worth a line: a new issue, a failure.
    fn note(&self, line: &str);
}

/// Progress that goes nowhere (tests, `-q`).
pub struct Silent;

impl Progress for Silent {
    fn fetching(&self, _: &str) {}
    fn note(&self, _: &str) {}
}

/// The current time in Beijing.
pub fn now() -> DateTime<FixedOffset> {
    let t = Utc::now().with_timezone(&beijing());
    t.with_nanosecond(0).unwrap_or(t)
}

/// What a crawl runs with.
pub struct CrawlContext<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The archive.
    pub archive: &'a Archive,
    /// The HTTP client, built with the sources' hosts.
    pub fetcher: Arc<Fetcher>,
    /// The sources, in the order they run (a later one sees what the earlier ones archived).
    pub sources: &'a [Box<dyn Source>],
    /// Progress events.
    pub progress: &'a dyn Progress,
}

/// Crawls every configured series (or the one in `opts.series`).
pub async fn crawl(cx: &CrawlContext<'_>, opts: &CrawlOptions) -> Result<Summary> {
    let mut summary = Summary::default();
    for series in &cx.config.series {
        if opts.series.as_ref().is_some_and(|s| *s != series.id) {
            continue;
        }
        crawl_series(cx, series, opts, &mut summary).await?;
    }
    let blocked = cx.fetcher.blocked_hosts();
    for (host, reason) in &blocked {
        summary.blocked.push(format!("{host}: {reason}"));
    }
    summary.down_hosts = cx.fetcher.down_hosts();
    for stats in &mut summary.sources {
        let mine = |(h, _): &&(String, String)| stats.hosts.contains(h);
        stats.blocked = blocked.iter().filter(mine).cloned().collect();
        stats.down = summary.down_hosts.iter().filter(mine).cloned().collect();
    }
    Ok(summary)
}

async fn crawl_series(
    cx: &CrawlContext<'_>,
    series: &Series,
    opts: &CrawlOptions,
    summary: &mut Summary,
) -> Result<()> {
    let mut known = Known::load(cx.archive, &series.id)?;
    let mut state = cx.archive.load_state(&series.id)?;
    // Issues passed over for an older `since` are read again once `since` changes.
    state
        .failed
        .retain(|_, f| f.kind != "before_since" || (f.since.is_some() && f.since == series.since));
    let limit = if opts.backfill {
        usize::MAX
    } else {
        opts.max_issues.unwrap_or(series.max_issues)
    };
    // Old archive files are upgraded in place.
    for e in known.entries.values().filter(|e| e.upgraded_from.is_some()) {
        if let Err(err) = cx.archive.save_entry(e) {
            summary.write_failures.push(err.to_string());
        }
    }
    known.retry = retry::select(&state, &known, &opts.retry_failed).urls;
    if !opts.retry_failed.is_empty() {
        note_retries(cx.progress, series, &state, &known.retry);
    }
    let mut run = SeriesRun {
        config: cx.config,
        series,
        archive: cx.archive,
        fetcher: cx.fetcher.clone(),
        opts,
        progress: cx.progress,
        summary,
        known,
        state,
        limit,
    };
    for source in cx.sources.iter().filter(|s| s.selected(opts, cx.config)) {
        let mark = Mark::of(run.summary);
        source.run(&mut run).await;
        let stats = mark.since(run.summary, &series.id, source.as_ref());
        run.summary.sources.push(stats);
    }
    run.known.documents.clear();
    run.settle_history();
    run.save_state();
    Ok(())
}

/// Says which recorded failures of the series are asked again.
fn note_retries(progress: &dyn Progress, series: &Series, state: &crate::archive::State, retry: &BTreeSet<String>) {
    if retry.is_empty() {
        progress.note(&format!(
            "--retry-failed: no recorded failure of {} to ask again (deleted articles and issues older than since are asked again only when named)",
            series.id
        ));
        return;
    }
    progress.note(&format!(
        "--retry-failed: asking {} recorded failure(s) of {} again:",
        retry.len(),
        series.id
    ));
    for (u, f) in retry.iter().filter_map(|u| state.failed.get(u).map(|f| (u, f))) {
        progress.note(&format!("  retry: {}", describe_failure(u, f)));
    }
}

/// Describes a fetch that gave no page, for the summary.
pub fn describe(f: &Fetched, max: u64) -> String {
    match f {
        Fetched::Page { .. } => "answered".into(),
        Fetched::NotModified => "not modified".into(),
        Fetched::Blocked(r) | Fetched::Refused(r) | Fetched::Failed(r) => r.clone(),
        Fetched::Status(c) => format!("HTTP {c}"),
        Fetched::TooLarge(m) => format!("larger than {m} bytes (limit {max})"),
    }
}
