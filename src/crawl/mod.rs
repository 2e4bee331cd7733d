//! Discovery and the crawl frontier: from start URLs, discovery feeds and albums, follow each
//! issue's 近期回顾 links breadth-first into the archive, one request per page at most, never
//! re-fetching what is archived or failed for good.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use url::Url;

use crate::archive::{Archive, Entry, Failure, State, observe};
use crate::assemble::{Observation, ReadVia, SourceKind};
use crate::config::{Config, Series};
use crate::consistency::is_figure_warning;
use crate::error::Result;
use crate::extract::{normalize_title, parse_title};
use crate::fetch::{Fetched, Fetcher, redact};
use crate::report::beijing;
use crate::report::{IssueId, PageKind, Report};
use crate::sources::wechat::album;
use crate::sources::wechat::read::{ArticleMeta, extract_body, extract_page};
use crate::sources::wechat::url::{ArticleLink, article_link};

use crate::sources::website;

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
    /// Why pictures were not read this run (Tesseract missing), if so.
    pub ocr_unavailable: Option<String>,
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

/// A link to follow, with the article body a discovery feed carried for it, if any.
#[derive(Debug, Clone)]
struct Seed {
    link: ArticleLink,
    feed_body: Option<(String, ArticleMeta)>,
}

/// Crawls every configured series (or the one in `opts.series`).
pub async fn crawl(
    config: &Config,
    archive: &Archive,
    fetcher: Arc<Fetcher>,
    opts: &CrawlOptions,
    progress: &dyn Progress,
) -> Result<Summary> {
    let mut summary = Summary::default();
    for series in &config.series {
        if opts.series.as_ref().is_some_and(|s| *s != series.id) {
            continue;
        }
        crawl_series(config, series, archive, fetcher.clone(), opts, progress, &mut summary).await?;
    }
    for (host, reason) in fetcher.blocked_hosts() {
        summary.blocked.push(format!("{host}: {reason}"));
    }
    Ok(summary)
}

/// The archive's view of a series during a crawl.
pub(crate) struct Known {
    pub(crate) entries: HashMap<IssueId, Entry>,
    pub(crate) by_url: HashMap<String, IssueId>,
    /// PDFs read this run whose pictures the OCR pass will read (so it need not fetch them).
    pub(crate) pdfs: HashMap<String, Vec<u8>>,
}

impl Known {
    fn load(archive: &Archive, series: &str) -> Result<Known> {
        let mut known = Known {
            entries: HashMap::new(),
            by_url: HashMap::new(),
            pdfs: HashMap::new(),
        };
        for e in archive.load_series(series)? {
            if let Some(id) = e.id() {
                known.index(&id, &e);
                known.entries.insert(id, e);
            }
        }
        Ok(known)
    }

    pub(crate) fn index(&mut self, id: &IssueId, e: &Entry) {
        let observed = e.observations.values().filter_map(|o| o.report.url.as_ref());
        for u in e.report.url.iter().chain(&e.aliases).chain(observed) {
            self.by_url.insert(u.clone(), id.clone());
        }
    }
}

pub(crate) fn label(r: &Report) -> String {
    match (r.year, r.issue) {
        (Some(y), Some(i)) => format!("{y}年第{i}期"),
        _ => r.title.clone().unwrap_or_default(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn crawl_series(
    config: &Config,
    series: &Series,
    archive: &Archive,
    fetcher: Arc<Fetcher>,
    opts: &CrawlOptions,
    progress: &dyn Progress,
    summary: &mut Summary,
) -> Result<()> {
    let mut known = Known::load(archive, &series.id)?;
    let mut state = archive.load_state(&series.id)?;
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
        if let Err(err) = archive.save_entry(e) {
            summary.write_failures.push(err.to_string());
        }
    }
    if opts.reads(SourceKind::Wechat) {
        crawl_wechat(
            config,
            series,
            archive,
            fetcher.clone(),
            opts,
            progress,
            summary,
            &mut known,
            &mut state,
            limit,
        )
        .await?;
    }
    if opts.reads(SourceKind::Website) {
        let run = website::WebsiteRun {
            config,
            series,
            archive,
            fetcher: &fetcher,
            progress,
            limit,
            backfill: opts.backfill,
            keep_pdfs: config.ocr && !opts.no_ocr,
        };
        run.run(&mut known, &mut state, summary).await;
    }
    if config.ocr && !opts.no_ocr {
        ocr_pass(config, series, archive, &fetcher, progress, summary, &mut known, limit).await;
    }
    if let Err(err) = archive.save_state(&series.id, &state) {
        summary.write_failures.push(err.to_string());
    }
    Ok(())
}

/// The WeChat source: discovery, then breadth-first through 近期回顾.
#[allow(clippy::too_many_arguments)]
async fn crawl_wechat(
    config: &Config,
    series: &Series,
    archive: &Archive,
    fetcher: Arc<Fetcher>,
    opts: &CrawlOptions,
    progress: &dyn Progress,
    summary: &mut Summary,
    known: &mut Known,
    state: &mut State,
    limit: usize,
) -> Result<()> {
    // Discovery.
    let mut seeds: Vec<Seed> = Vec::new();
    if opts.start.is_empty() {
        for u in &series.start {
            push_link(&mut seeds, u, None);
        }
        for feed in &series.feeds {
            match crate::config::expand_env(feed) {
                Ok(feed) => discover_feed(&feed, series, &fetcher, state, &mut seeds, summary, progress).await,
                Err(missing) => summary.unreachable.push((
                    feed.clone(),
                    format!("the environment variable {missing} is not set; skipped"),
                )),
            }
        }
        for album in &series.albums {
            match crate::config::expand_env(album) {
                Ok(album) => discover_album(&album, series, &fetcher, &mut seeds, summary, progress).await,
                Err(missing) => summary.unreachable.push((
                    album.clone(),
                    format!("the environment variable {missing} is not set; skipped"),
                )),
            }
        }
    } else {
        for u in &opts.start {
            if article_link(u).is_none() {
                summary.failed.push((
                    u.clone(),
                    "not a WeChat article URL (https://mp.weixin.qq.com/s…)".into(),
                ));
            }
            push_link(&mut seeds, u, None);
        }
    }
    // Entries that only have a feed body, and transient failures, are tried again.
    for e in known.entries.values() {
        if e.wechat_via() == Some(ReadVia::Feed)
            && let Some(u) = &e.report.url
        {
            push_link(&mut seeds, u, None);
        }
    }
    for (u, f) in &state.failed {
        if !f.permanent {
            push_link(&mut seeds, u, None);
        }
    }

    // Feed bodies are known before any fetch returns, whichever seed reaches the URL first.
    let mut feed_bodies: HashMap<String, (String, ArticleMeta)> = HashMap::new();
    for seed in &mut seeds {
        if let Some(body) = seed.feed_body.take() {
            feed_bodies.entry(seed.link.as_str().to_string()).or_insert(body);
        }
    }
    let mut queue: VecDeque<Seed> = seeds.into_iter().collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut reached: HashSet<IssueId> = HashSet::new();
    let mut in_flight = tokio::task::JoinSet::new();
    let concurrency = config.fetch.concurrency.max(1);
    let mut since_save = 0usize;

    loop {
        while in_flight.len() < concurrency && reached.len() + in_flight.len() < limit {
            let Some(seed) = queue.pop_front() else { break };
            let raw = seed.link.as_str().to_string();
            let key = state.aliases.get(&raw).cloned().unwrap_or_else(|| raw.clone());
            if !seen.insert(key.clone()) {
                continue;
            }
            if let Some(id) = known.by_url.get(&key).cloned() {
                let Some(entry) = known.entries.get(&id) else { continue };
                if entry.wechat_via() != Some(ReadVia::Feed) {
                    if reached.insert(id.clone()) {
                        summary.known += 1;
                    }
                    if follows(&entry.report, series) {
                        for p in &entry.report.previous {
                            push_link_queue(&mut queue, p);
                        }
                    }
                    continue;
                }
            }
            if state.failed.get(&key).is_some_and(|f| f.permanent) {
                continue;
            }
            let Ok(url) = Url::parse(&key) else { continue };
            progress.fetching(&key);
            summary.article_requests += 1;
            let f = fetcher.clone();
            in_flight.spawn(async move {
                let result = f.get(&url, None).await;
                (key, result)
            });
        }
        let Some(joined) = in_flight.join_next().await else {
            break;
        };
        let Ok((key, fetched)) = joined else { continue };
        summary.tally_article(&fetched);
        let feed_body = feed_bodies.get(&key).cloned();
        let outcome = handle(
            &key, fetched, feed_body, config, series, archive, known, state, summary, progress,
        )
        // A failed refresh of an archived issue still leads on to its back issues.
        .or_else(|| {
            let id = known.by_url.get(&key)?;
            known.entries.get(id).map(|e| e.report.clone())
        });
        if let Some(report) = outcome {
            if let Some(id) = report.issue_id() {
                reached.insert(id);
            }
            if let Some(u) = &report.url {
                seen.insert(u.clone());
            }
            if follows(&report, series) {
                for p in &report.previous {
                    push_link_queue(&mut queue, p);
                }
            }
        }
        since_save += 1;
        if since_save >= 10 {
            since_save = 0;
            if let Err(err) = archive.save_state(&series.id, state) {
                summary.write_failures.push(err.to_string());
            }
        }
    }
    Ok(())
}

/// Whether the crawl goes on past this issue (it is not older than `since`).
fn follows(r: &Report, series: &Series) -> bool {
    match (series.since, r.period_end) {
        (Some(since), Some(end)) => end >= since,
        _ => true,
    }
}

fn push_link(seeds: &mut Vec<Seed>, u: &str, feed_body: Option<(String, ArticleMeta)>) {
    if let Some(link) = article_link(u) {
        seeds.push(Seed { link, feed_body });
    }
}

fn push_link_queue(queue: &mut VecDeque<Seed>, u: &str) {
    if let Some(link) = article_link(u) {
        queue.push_back(Seed { link, feed_body: None });
    }
}

pub(crate) fn fail(state: &mut State, url: &str, kind: &str, reason: String, permanent: bool) {
    state.failed.insert(
        url.to_string(),
        Failure {
            kind: kind.to_string(),
            reason,
            at: now(),
            permanent,
            since: None,
        },
    );
}

/// Archives (or records the failure of) one fetched URL; returns the report when it is one.
#[allow(clippy::too_many_arguments)]
fn handle(
    key: &str,
    fetched: Fetched,
    feed_body: Option<(String, ArticleMeta)>,
    config: &Config,
    series: &Series,
    archive: &Archive,
    known: &mut Known,
    state: &mut State,
    summary: &mut Summary,
    progress: &dyn Progress,
) -> Option<Report> {
    let via = key.contains("/s/").then_some(key);
    match fetched {
        Fetched::Page { url, body, .. } => {
            let extracted = extract_page(&body, Some(url.as_str()), config);
            let report = extracted.report;
            match report.page_kind() {
                PageKind::Report => {
                    if report.series.as_deref() != Some(series.id.as_str()) {
                        fail(state, key, "other_article", "an issue of another series".into(), true);
                        return None;
                    }
                    if !follows(&report, series) {
                        // Recorded once, so later runs do not fetch it again (until `since` changes).
                        state.failed.insert(
                            key.to_string(),
                            Failure {
                                kind: "before_since".into(),
                                reason: format!(
                                    "{}: the week ends before since ({})",
                                    label(&report),
                                    series.since.map(|d| d.to_string()).unwrap_or_default()
                                ),
                                at: now(),
                                permanent: true,
                                since: series.since,
                            },
                        );
                        return None;
                    }
                    if let (Some(v), Some(canonical)) = (via, &report.url) {
                        state.aliases.insert(v.to_string(), canonical.clone());
                    }
                    state.failed.remove(key);
                    store(
                        SourceKind::Wechat,
                        observation(report.clone(), ReadVia::Page, extracted.content_html),
                        via,
                        archive,
                        known,
                        summary,
                        progress,
                    );
                    Some(report)
                }
                PageKind::OtherArticle => {
                    fail(
                        state,
                        key,
                        "other_article",
                        format!(
                            "not an issue of the series: {}",
                            report.title.as_deref().unwrap_or("untitled")
                        ),
                        true,
                    );
                    None
                }
                PageKind::Deleted => {
                    fail(
                        state,
                        key,
                        "deleted",
                        "该内容已被发布者删除 (deleted by the publisher)".into(),
                        true,
                    );
                    summary.deleted.push(key.to_string());
                    progress.note(&format!("deleted: {key}"));
                    if let Some(id) = known.by_url.get(key).cloned()
                        && let Some(e) = known.entries.get_mut(&id)
                        && e.deleted_at.is_none()
                    {
                        e.deleted_at = Some(now());
                        if let Err(err) = archive.save_entry(e) {
                            summary.write_failures.push(err.to_string());
                        }
                    }
                    None
                }
                PageKind::Unavailable | PageKind::ParamError | PageKind::NoText => {
                    let kind = report.page_kind().as_str();
                    fail(state, key, kind, format!("WeChat shows {kind} for this URL"), true);
                    summary.failed.push((key.to_string(), kind.to_string()));
                    None
                }
                PageKind::Captcha => blocked(
                    key,
                    "the anti-crawler check".into(),
                    feed_body,
                    config,
                    series,
                    archive,
                    known,
                    state,
                    summary,
                    progress,
                ),
            }
        }
        Fetched::Blocked(reason) => blocked(
            key, reason, feed_body, config, series, archive, known, state, summary, progress,
        ),
        Fetched::Status(code @ (404 | 410)) => {
            fail(state, key, "not_found", format!("HTTP {code}"), true);
            summary.failed.push((key.to_string(), format!("HTTP {code}")));
            None
        }
        Fetched::Status(code) => {
            fail(state, key, "transient", format!("HTTP {code}"), false);
            summary.failed.push((key.to_string(), format!("HTTP {code}")));
            None
        }
        Fetched::TooLarge(max) => {
            let reason = format!("body larger than {max} bytes (fetch.max_body_bytes); not parsed");
            fail(state, key, "too_large", reason.clone(), true);
            summary.failed.push((key.to_string(), reason));
            None
        }
        Fetched::Refused(reason) => {
            summary.failed.push((key.to_string(), reason));
            None
        }
        Fetched::Failed(reason) => {
            fail(state, key, "transient", reason.clone(), false);
            summary.failed.push((key.to_string(), reason));
            None
        }
        Fetched::NotModified => None,
    }
}

/// The page was blocked: fill the issue from the discovery feed's body if there is one.
#[allow(clippy::too_many_arguments)]
fn blocked(
    key: &str,
    reason: String,
    feed_body: Option<(String, ArticleMeta)>,
    config: &Config,
    series: &Series,
    archive: &Archive,
    known: &mut Known,
    state: &mut State,
    summary: &mut Summary,
    progress: &dyn Progress,
) -> Option<Report> {
    fail(state, key, "transient", format!("blocked: {reason}"), false);
    let (html, meta) = feed_body?;
    let extracted = extract_body(&html, meta, config);
    let report = extracted.report;
    if report.page_kind() != PageKind::Report || report.series.as_deref() != Some(series.id.as_str()) {
        return None;
    }
    progress.note(&format!(
        "{}: page blocked, taken from the discovery feed's copy",
        label(&report)
    ));
    store(
        SourceKind::Wechat,
        observation(report.clone(), ReadVia::Feed, extracted.content_html),
        None,
        archive,
        known,
        summary,
        progress,
    );
    Some(report)
}

/// A source's observation of an issue, read now.
pub(crate) fn observation(report: Report, via: ReadVia, content_html: Option<String>) -> Observation {
    Observation {
        content_html,
        ..Observation::new(report, via, now())
    }
}

/// Pictures of an issue not read yet: its WeChat section's picture URLs (all of them, the read
/// ones included, in order) when one is unread, and its website PDF when its pictures are unread.
struct Unread {
    id: IssueId,
    wechat: Vec<String>,
    pdf: Option<String>,
}

/// What of an entry's pictures is still to be read, when its text sources lack the monitoring
/// figures (since 2021 they are only in pictures).
fn unread_pictures(id: &IssueId, e: &Entry) -> Option<Unread> {
    let texts = e.observations.iter().filter(|(k, _)| **k != SourceKind::Ocr);
    if !texts.clone().all(|(_, o)| lacks_monitoring_figures(&o.report)) {
        return None;
    }
    let read: HashSet<&str> = e
        .observations
        .get(&SourceKind::Ocr)
        .map(|o| o.pictures.iter().map(|p| p.url.as_str()).collect())
        .unwrap_or_default();
    let wechat = e
        .observations
        .get(&SourceKind::Wechat)
        .and_then(|o| o.content_html.as_deref())
        .map(crate::sources::wechat::pictures::section_pictures)
        .unwrap_or_default();
    let wechat = if wechat
        .iter()
        .take(crate::sources::pictures::MAX_IMAGES)
        .any(|u| !read.contains(u.as_str()))
    {
        wechat
    } else {
        Vec::new()
    };
    let pdf = e
        .observations
        .get(&SourceKind::Website)
        .filter(|o| o.pdf_text.is_some())
        .and_then(|o| o.report.pdf.clone())
        .filter(|u| !read.contains(u.as_str()));
    (!wechat.is_empty() || pdf.is_some()).then(|| Unread {
        id: id.clone(),
        wechat,
        pdf,
    })
}

/// Reads the pictures of archived issues whose text lacks the monitoring figures: the WeChat
/// article's and those inside the website's PDF (at most `limit` issues a run, newest first).
/// Pictures already read are never fetched or read again: their text is in the archive. A PDF
/// read by this run's website pass is not fetched again either.
#[allow(clippy::too_many_arguments)]
async fn ocr_pass(
    config: &Config,
    series: &Series,
    archive: &Archive,
    fetcher: &Fetcher,
    progress: &dyn Progress,
    summary: &mut Summary,
    known: &mut Known,
    limit: usize,
) {
    let mut todo: Vec<Unread> = known
        .entries
        .iter()
        .filter_map(|(id, e)| unread_pictures(id, e))
        .collect();
    if todo.is_empty() {
        known.pdfs.clear();
        return;
    }
    let engine = match crate::read::ocr::Engine::detect() {
        Ok(e) => e,
        Err(why) => {
            progress.note(&format!("note: {why}; the figures in pictures are not read this run"));
            summary.ocr_unavailable = Some(why);
            known.pdfs.clear();
            return;
        }
    };
    todo.sort_by_key(|t| std::cmp::Reverse((t.id.year, t.id.issue)));
    todo.truncate(limit);
    for t in todo {
        let Some(entry) = known.entries.get(&t.id) else {
            continue;
        };
        let base = entry.report.clone();
        let before: Vec<crate::picture::PictureText> = entry
            .observations
            .get(&SourceKind::Ocr)
            .map(|o| o.pictures.clone())
            .unwrap_or_default();
        progress.fetching(&format!("pictures of {}", label(&base)));
        let mut pictures = if t.wechat.is_empty() {
            Vec::new()
        } else {
            crate::sources::pictures::read_pictures(&t.wechat, fetcher, &engine, &before).await
        };
        // Pictures read before that this read did not cover (a PDF's) stay.
        for p in &before {
            if !pictures.iter().any(|q| q.url == p.url) {
                pictures.push(p.clone());
            }
        }
        if let Some(pdf) = &t.pdf {
            let bytes = match known.pdfs.remove(pdf) {
                Some(b) => Some(b),
                None => fetch_pdf(pdf, fetcher, config.fetch.max_pdf_bytes, summary).await,
            };
            if let Some(bytes) = bytes {
                pictures.extend(crate::sources::pictures::read_pdf_pictures(pdf, bytes, &engine).await);
            }
        }
        let new = pictures
            .iter()
            .filter(|p| !p.sha256.is_empty() && !p.text.is_empty())
            .filter(|p| !before.iter().any(|b| b.url == p.url))
            .count();
        summary.pictures_read += new;
        if pictures == before {
            continue;
        }
        let obs = ocr_observation(&base, pictures, series);
        store(SourceKind::Ocr, obs, None, archive, known, summary, progress);
    }
    known.pdfs.clear();
}

/// Fetches a PDF for its pictures; `None` (with the failure in the summary) when it cannot be had.
async fn fetch_pdf(pdf: &str, fetcher: &Fetcher, max: u64, summary: &mut Summary) -> Option<Vec<u8>> {
    let url = url::Url::parse(pdf).ok()?;
    let fetched = fetcher.get_large(&url, max).await;
    summary.tally(&fetched);
    match fetched {
        Fetched::Page { body, .. } => Some(body),
        other => {
            let why = match other {
                Fetched::Status(code) => format!("HTTP {code}"),
                Fetched::TooLarge(m) => format!("larger than {m} bytes"),
                Fetched::Refused(why) | Fetched::Failed(why) | Fetched::Blocked(why) => why,
                _ => "no PDF".to_string(),
            };
            summary
                .failed
                .push((pdf.to_string(), format!("the PDF, for its pictures: {why}")));
            None
        }
    }
}

/// Whether a report's text lacks the monitoring figures (since 2021 they are only in pictures).
pub fn lacks_monitoring_figures(r: &Report) -> bool {
    ![
        "infected_hosts",
        "defaced_sites",
        "backdoor_sites",
        "new_vulnerabilities",
    ]
    .iter()
    .any(|k| r.metrics.contains_key(*k))
}

/// The OCR source's observation of an issue: the identity of `base` (the WeChat record), the
/// figures the pictures confirm, and the pictures' texts (kept, so none is read twice).
pub fn ocr_observation(base: &Report, pictures: Vec<crate::picture::PictureText>, series: &Series) -> Observation {
    let figures = crate::extract::pictures::figures_from_pictures(&pictures, series);
    let mut report = base.clone();
    report.metrics = figures.metrics;
    report.assessment = None;
    report.previous = Vec::new();
    report.summary = None;
    report.warnings = figures.warnings;
    for p in &pictures {
        if let Some(n) = &p.note {
            report.warnings.push(format!("picture {}: {n}", p.url));
        }
    }
    Observation {
        pictures,
        ..Observation::new(report, ReadVia::Page, now())
    }
}

/// Records a source's observation in the archive and writes the entry.
pub(crate) fn store(
    source: SourceKind,
    obs: Observation,
    via: Option<&str>,
    archive: &Archive,
    known: &mut Known,
    summary: &mut Summary,
    progress: &dyn Progress,
) {
    let Some(id) = obs.report.issue_id() else { return };
    let name = label(&obs.report);
    let old = known.entries.get(&id);
    let is_new = old.is_none();
    let Some(mut entry) = observe(old, source, obs, now(), via) else {
        return;
    };
    let others: Vec<&Report> = known
        .entries
        .iter()
        .filter(|(k, _)| **k != id)
        .map(|(_, e)| &e.report)
        .collect();
    entry.check_history(&others);
    note_figure_warnings(summary, &name, old, &entry);
    // Only a changed record counts as an update (not a new alias or fetch time).
    let same_record = old.is_some_and(|o| {
        o.report == entry.report
            && o.observations.keys().eq(entry.observations.keys())
            && o.wechat_via() == entry.wechat_via()
    });
    match archive.save_entry(&entry) {
        Ok(changed) => {
            if is_new {
                summary.new.push(name.clone());
                progress.note(&format!("new: {name}"));
            } else if changed && !same_record {
                summary.updated.push(name);
            } else {
                summary.known += 1;
            }
            known.index(&id, &entry);
            known.entries.insert(id, entry);
        }
        Err(e) => summary.write_failures.push(format!("{name}: {e}")),
    }
}

/// Adds the figure warnings `new` has and `old` had not to the run's summary.
fn note_figure_warnings(summary: &mut Summary, name: &str, old: Option<&Entry>, new: &Entry) {
    for w in new.report.warnings.iter().filter(|w| is_figure_warning(w)) {
        if !old.is_some_and(|o| o.report.warnings.contains(w)) {
            summary.figure_warnings.push((name.to_string(), w.clone()));
        }
    }
}

/// Reads a discovery feed (RSS, Atom or JSON Feed) and seeds the series' issues it lists.
async fn discover_feed(
    feed: &str,
    series: &Series,
    fetcher: &Fetcher,
    state: &mut State,
    seeds: &mut Vec<Seed>,
    summary: &mut Summary,
    progress: &dyn Progress,
) {
    // The feed's URL may hold a secret (an RSSHub `?key=`): it is never written or printed.
    let raw = feed;
    let feed = &redact(raw, raw);
    let Ok(url) = Url::parse(raw) else {
        summary.unreachable.push((feed.to_string(), "not a URL".into()));
        return;
    };
    progress.fetching(feed);
    let validators = state.discovery.get(feed.as_str()).cloned();
    let host = url.host_str().map(str::to_string);
    let fetched = fetcher.get_allowing(&url, validators.as_ref(), host.as_deref()).await;
    summary.tally(&fetched);
    match fetched {
        Fetched::Page { body, validators, .. } => {
            if validators.etag.is_some() || validators.last_modified.is_some() {
                state.discovery.insert(feed.to_string(), validators);
            } else {
                state.discovery.remove(feed.as_str());
            }
            match feed_rs::parser::parse(body.as_slice()) {
                Ok(parsed) => {
                    for item in parsed.entries {
                        let title = item.title.map(|t| t.content).unwrap_or_default();
                        if parse_title(&normalize_title(&title), series).is_none() {
                            continue;
                        }
                        let Some(link) = item.links.first().map(|l| l.href.clone()) else {
                            continue;
                        };
                        let body = item
                            .content
                            .and_then(|c| c.body)
                            .or(item.summary.map(|s| s.content))
                            .filter(|b| b.len() > 200);
                        let meta = ArticleMeta {
                            title: Some(title),
                            url: article_link(&link).and_then(|l| match l {
                                ArticleLink::Canonical(c) => Some(c),
                                ArticleLink::Short(_) => None,
                            }),
                            published: item.published.or(item.updated).map(|d| d.with_timezone(&beijing())),
                            author: None,
                        };
                        push_link(seeds, &link, body.map(|b| (b, meta)));
                    }
                }
                Err(e) => summary
                    .unreachable
                    .push((feed.to_string(), format!("not a readable RSS, Atom or JSON feed: {e}"))),
            }
        }
        Fetched::NotModified => progress.note(&format!("{feed}: not modified")),
        Fetched::Blocked(r) | Fetched::Refused(r) | Fetched::Failed(r) => {
            summary.unreachable.push((feed.to_string(), redact(&r, raw)))
        }
        Fetched::Status(c) => summary.unreachable.push((feed.to_string(), format!("HTTP {c}"))),
        Fetched::TooLarge(m) => summary
            .unreachable
            .push((feed.to_string(), format!("larger than {m} bytes"))),
    }
}

/// Pages through a WeChat album and seeds the series' issues it lists.
async fn discover_album(
    album_url: &str,
    series: &Series,
    fetcher: &Fetcher,
    seeds: &mut Vec<Seed>,
    summary: &mut Summary,
    progress: &dyn Progress,
) {
    let Ok(base) = Url::parse(album_url) else {
        summary.unreachable.push((album_url.to_string(), "not a URL".into()));
        return;
    };
    let mut url = base.clone();
    for _page in 0..100 {
        progress.fetching(url.as_str());
        let fetched = fetcher.get(&url, None).await;
        summary.tally(&fetched);
        let body = match fetched {
            Fetched::Page { body, .. } => body,
            Fetched::Status(c) => {
                summary.unreachable.push((url.to_string(), format!("HTTP {c}")));
                return;
            }
            Fetched::Blocked(r) | Fetched::Refused(r) | Fetched::Failed(r) => {
                summary.unreachable.push((url.to_string(), r));
                return;
            }
            Fetched::TooLarge(m) => {
                summary
                    .unreachable
                    .push((url.to_string(), format!("larger than {m} bytes")));
                return;
            }
            Fetched::NotModified => return,
        };
        let page = match album::parse(&body) {
            Ok(p) => p,
            Err(e) => {
                summary.unreachable.push((url.to_string(), e));
                return;
            }
        };
        for item in &page.items {
            if parse_title(&normalize_title(&item.title), series).is_some() {
                push_link(seeds, &crate::read::html::decode_entities(&item.url), None);
            }
        }
        let Some(last) = page.items.last().filter(|_| page.more) else {
            return;
        };
        let mut next = base.clone();
        let pairs: Vec<(String, String)> = base
            .query_pairs()
            .filter(|(k, _)| k != "begin_msgid" && k != "begin_itemidx")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        next.query_pairs_mut()
            .clear()
            .extend_pairs(pairs)
            .append_pair("begin_msgid", &last.msgid)
            .append_pair("begin_itemidx", &last.itemidx);
        url = next;
    }
}

/// Re-reads one stored observation with the current config; `None` when nothing stored can be re-read.
fn reread(source: SourceKind, o: &Observation, config: &Config) -> Option<Report> {
    let mut report = match source {
        SourceKind::Wechat => {
            let html = o.content_html.as_ref()?;
            let meta = ArticleMeta {
                title: o.report.title.clone(),
                url: o.report.url.clone(),
                published: o.report.published,
                author: o.report.author.clone(),
            };
            extract_body(html, meta, config).report
        }
        SourceKind::Website => {
            let mut paragraphs: Vec<String> = Vec::new();
            if let Some(html) = &o.content_html {
                paragraphs.extend(crate::extract::read_body(html).lines);
            }
            if let Some(text) = &o.pdf_text {
                paragraphs.extend(text.lines().map(str::to_string));
            }
            if paragraphs.is_empty() {
                return None;
            }
            let title = o
                .report
                .title
                .as_deref()
                .filter(|_| o.content_html.is_some() || o.pdf_text.is_none());
            let mut r = crate::extract::report_from_text(title, &paragraphs, config)?;
            r.url = o.report.url.clone();
            r.published = o.report.published;
            r.pdf = o.report.pdf.clone();
            r.title = o.report.title.clone();
            r
        }
        SourceKind::Ocr => {
            if o.pictures.is_empty() {
                return None;
            }
            let series = config.series(o.report.series.as_deref()?)?;
            ocr_observation(&o.report, o.pictures.clone(), series).report
        }
    };
    if report.previous.is_empty() {
        report.previous = o.report.previous.clone();
    }
    Some(report)
}

/// Re-applies the current patterns to every archived issue's stored texts (article bodies, PDF
/// text, website pages), offline. Every figure the archive would lose is named in
/// `summary.losses`; unless `accept_losses`, nothing is written when there is one.
pub fn reextract(
    config: &Config,
    archive: &Archive,
    series_filter: Option<&str>,
    accept_losses: bool,
) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut plan: Vec<(Entry, Entry)> = Vec::new();
    for series in &config.series {
        if series_filter.is_some_and(|s| s != series.id) {
            continue;
        }
        let entries = archive.load_series(&series.id)?;
        let mut news = Vec::with_capacity(entries.len());
        for entry in &entries {
            let mut new = entry.clone();
            let mut unreadable = false;
            for (source, o) in &entry.observations {
                let Some(report) = reread(*source, o, config) else {
                    continue;
                };
                if report.page_kind() != PageKind::Report || report.issue_id() != entry.id() {
                    unreadable = true;
                    continue;
                }
                if let Some(obs) = new.observations.get_mut(source) {
                    obs.report = report;
                }
            }
            if unreadable {
                summary.failed.push((
                    label(&entry.report),
                    "a stored text no longer reads as this issue with the current config; that source was left as it was".into(),
                ));
            }
            new.reassemble();
            news.push(new);
        }
        // Each issue is held against the others as they read now.
        let reports: Vec<Report> = news.iter().map(|e| e.report.clone()).collect();
        for (i, (entry, mut new)) in entries.into_iter().zip(news).enumerate() {
            let others: Vec<&Report> = reports
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, r)| r)
                .collect();
            new.check_history(&others);
            let name = label(&new.report);
            if let Some(a) = &entry.report.assessment
                && new.report.assessment.is_none()
            {
                summary.losses.push((name.clone(), "assessment".into(), a.clone()));
            }
            for (key, value) in &entry.report.metrics {
                if !new.report.metrics.contains_key(key) {
                    summary.losses.push((name.clone(), key.clone(), value.to_string()));
                }
            }
            plan.push((entry, new));
        }
    }
    if !summary.losses.is_empty() && !accept_losses {
        // Nothing is written: the archive keeps every figure.
        summary.known = plan.len();
        return Ok(summary);
    }
    for (entry, mut new) in plan {
        note_figure_warnings(&mut summary, &label(&new.report), Some(&entry), &new);
        if new.report.metrics != entry.report.metrics || new.report.assessment != entry.report.assessment {
            new.updated = now();
        }
        let name = label(&new.report);
        match archive.save_entry(&new) {
            Ok(true) => summary.updated.push(name),
            Ok(false) => summary.known += 1,
            Err(e) => summary.write_failures.push(e.to_string()),
        }
    }
    Ok(summary)
}

/// Imports saved pages: same classification and archive rules as fetched pages.
pub fn import(config: &Config, archive: &Archive, files: &[std::path::PathBuf]) -> Result<Summary> {
    let mut summary = Summary::default();
    for path in files {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                summary
                    .failed
                    .push((path.display().to_string(), format!("cannot read: {e}")));
                continue;
            }
        };
        if !crate::sources::is_web_page(&bytes) {
            summary.failed.push((
                path.display().to_string(),
                "not a web page (a binary or text file); import saved article pages".into(),
            ));
            continue;
        }
        let extracted = extract_page(&bytes, None, config);
        let report = extracted.report;
        if report.page_kind() != PageKind::Report {
            summary.failed.push((
                path.display().to_string(),
                format!("not an issue of a configured series ({})", report.page_kind().as_str()),
            ));
            continue;
        }
        let Some(id) = report.issue_id() else { continue };
        let mut known = Known::load(archive, &id.series)?;
        store(
            SourceKind::Wechat,
            observation(report, ReadVia::Import, extracted.content_html),
            None,
            archive,
            &mut known,
            &mut summary,
            &Silent,
        );
    }
    Ok(summary)
}
