//! The WeChat source's crawl: discovery (start URLs, feeds, albums), then breadth-first through
//! each issue's 近期回顾 links, a few article requests in flight at once.

use std::collections::{HashMap, HashSet, VecDeque};

use url::Url;

use super::discover::{discover_album, discover_feed};
use super::read::{ArticleMeta, extract_body, extract_page};
use super::url::{ArticleLink, article_link};
use crate::archive::Failure;
use crate::assemble::{Observation, ReadVia, SourceKind};
use crate::config::Series;
use crate::crawl::{SeriesRun, label, now, readable_url};
use crate::fetch::Fetched;
use crate::report::{IssueId, PageKind, Report};

/// A link to follow, with the article body a discovery feed carried for it, if any.
#[derive(Debug, Clone)]
pub(super) struct Seed {
    link: ArticleLink,
    feed_body: Option<(String, ArticleMeta)>,
}

/// Adds `u` to the seeds when it is an article link.
pub(super) fn push_link(seeds: &mut Vec<Seed>, u: &str, feed_body: Option<(String, ArticleMeta)>) {
    if let Some(link) = article_link(u) {
        seeds.push(Seed { link, feed_body });
    }
}

fn push_link_queue(queue: &mut VecDeque<Seed>, u: &str) {
    if let Some(link) = article_link(u) {
        queue.push_back(Seed { link, feed_body: None });
    }
}

/// Whether the crawl goes on past this issue (it is not older than `since`).
fn follows(r: &Report, series: &Series) -> bool {
    match (series.since, r.period_end) {
        (Some(since), Some(end)) => end >= since,
        _ => true,
    }
}

/// A source's observation of an issue, read now.
pub(super) fn observation(report: Report, via: ReadVia, content_html: Option<String>) -> Observation {
    Observation {
        content_html,
        ..Observation::new(report, via, now())
    }
}

/// The seeds of a run: the configured discovery (or `--start`), entries that only have a feed
/// body, and transient failures.
async fn seeds(run: &mut SeriesRun<'_>) -> Vec<Seed> {
    let mut seeds: Vec<Seed> = Vec::new();
    let series = run.series;
    if run.opts.start.is_empty() {
        for u in &series.start {
            push_link(&mut seeds, u, None);
        }
        for feed in &series.feeds {
            match crate::config::expand_env(feed) {
                Ok(feed) => discover_feed(&feed, run, &mut seeds).await,
                Err(missing) => run.summary.unreachable.push((
                    feed.clone(),
                    format!("the environment variable {missing} is not set; skipped"),
                )),
            }
        }
        for album in &series.albums {
            match crate::config::expand_env(album) {
                Ok(album) => discover_album(&album, run, &mut seeds).await,
                Err(missing) => run.summary.unreachable.push((
                    album.clone(),
                    format!("the environment variable {missing} is not set; skipped"),
                )),
            }
        }
    } else {
        for u in &run.opts.start {
            if article_link(u).is_none() {
                run.summary.failed.push((
                    u.clone(),
                    "not a WeChat article URL (https://mp.weixin.qq.com/s…)".into(),
                ));
            }
            push_link(&mut seeds, u, None);
        }
    }
    // Entries that only have a feed body, and transient failures, are tried again.
    for e in run.known.entries.values() {
        if e.wechat_via() == Some(ReadVia::Feed)
            && let Some(u) = &e.report.url
        {
            push_link(&mut seeds, u, None);
        }
    }
    // Failures asked again this run (`--retry-failed`) go first, before the budget is spent.
    let mut retried: Vec<Seed> = Vec::new();
    for (u, f) in &run.state.failed {
        if run.known.retry.contains(u) {
            push_link(&mut retried, u, None);
        } else if !f.permanent {
            push_link(&mut seeds, u, None);
        }
    }
    retried.append(&mut seeds);
    retried
}

/// Discovery, then breadth-first through 近期回顾.
pub(super) async fn crawl(run: &mut SeriesRun<'_>) {
    let mut seeds = seeds(run).await;
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
    let concurrency = run.config.fetch.concurrency.max(1);
    let limit = run.limit;
    let series = run.series;
    let mut since_save = 0usize;

    loop {
        while in_flight.len() < concurrency && reached.len() + in_flight.len() < limit {
            let Some(seed) = queue.pop_front() else { break };
            let raw = seed.link.as_str().to_string();
            let key = run.state.aliases.get(&raw).cloned().unwrap_or_else(|| raw.clone());
            if !seen.insert(key.clone()) {
                continue;
            }
            if let Some(entry) = run.known.entry_at(&key)
                && entry.wechat_via() != Some(ReadVia::Feed)
            {
                if let Some(id) = entry.id()
                    && reached.insert(id)
                {
                    run.summary.known += 1;
                }
                if follows(&entry.report, series) {
                    for p in &entry.report.previous {
                        push_link_queue(&mut queue, p);
                    }
                }
                continue;
            }
            if run.failed_for_good(&key) {
                continue;
            }
            let Ok(url) = Url::parse(&key) else { continue };
            run.progress.fetching(&key);
            run.summary.article_requests += 1;
            let f = run.fetcher.clone();
            in_flight.spawn(async move {
                let result = f.get(&url, None).await;
                (key, result)
            });
        }
        let Some(joined) = in_flight.join_next().await else {
            break;
        };
        let Ok((key, fetched)) = joined else { continue };
        run.summary.tally_article(&fetched);
        let feed_body = feed_bodies.get(&key).cloned();
        let outcome = handle(run, &key, fetched, feed_body)
            // A failed refresh of an archived issue still leads on to its back issues.
            .or_else(|| run.known.entry_at(&key).map(|e| e.report.clone()));
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
            run.save_state();
        }
    }
}

/// Archives (or records the failure of) one fetched URL; returns the report when it is one.
fn handle(
    run: &mut SeriesRun<'_>,
    key: &str,
    fetched: Fetched,
    feed_body: Option<(String, ArticleMeta)>,
) -> Option<Report> {
    let via = key.contains("/s/").then_some(key);
    match fetched {
        Fetched::Page { url, body, .. } => {
            let extracted = extract_page(&body, Some(url.as_str()), run.config);
            let report = extracted.report;
            match report.page_kind() {
                PageKind::Report => {
                    let series = run.series;
                    if report.series.as_deref() != Some(series.id.as_str()) {
                        run.fail(key, "other_article", "an issue of another series".into(), true);
                        return None;
                    }
                    if !follows(&report, series) {
                        // Recorded once, so later runs do not fetch it again (until `since` changes).
                        run.known.retry.remove(key);
                        run.state.failed.insert(
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
                                issue: report.year.zip(report.issue).map(|(y, i)| format!("{y}/{i}")),
                            },
                        );
                        return None;
                    }
                    if let (Some(v), Some(canonical)) = (via, &report.url) {
                        run.state.aliases.insert(v.to_string(), canonical.clone());
                    }
                    run.state.failed.remove(key);
                    run.store(
                        SourceKind::Wechat,
                        observation(report.clone(), ReadVia::Page, extracted.content_html),
                        via,
                    );
                    Some(report)
                }
                PageKind::OtherArticle => {
                    let reason = format!(
                        "not an issue of the series: {}",
                        report.title.as_deref().unwrap_or("untitled")
                    );
                    run.fail(key, "other_article", reason, true);
                    None
                }
                PageKind::Deleted => {
                    run.fail(
                        key,
                        "deleted",
                        "该内容已被发布者删除 (deleted by the publisher)".into(),
                        true,
                    );
                    run.summary.deleted.push(key.to_string());
                    run.progress.note(&format!("deleted: {}", readable_url(key)));
                    run.mark_deleted(key);
                    None
                }
                PageKind::Unavailable | PageKind::ParamError | PageKind::NoText => {
                    let kind = report.page_kind().as_str();
                    run.fail(key, kind, format!("WeChat shows {kind} for this URL"), true);
                    run.summary.failed.push((key.to_string(), kind.to_string()));
                    None
                }
                PageKind::Captcha => blocked(run, key, "the anti-crawler check".into(), feed_body),
            }
        }
        Fetched::Blocked(reason) => blocked(run, key, reason, feed_body),
        Fetched::Status(code @ (404 | 410)) => {
            run.fail(key, "not_found", format!("HTTP {code}"), true);
            run.summary.failed.push((key.to_string(), format!("HTTP {code}")));
            None
        }
        Fetched::Status(code) => {
            run.fail(key, "transient", format!("HTTP {code}"), false);
            run.summary.failed.push((key.to_string(), format!("HTTP {code}")));
            None
        }
        Fetched::TooLarge(max) => {
            let reason = format!("body larger than {max} bytes (fetch.max_body_bytes); not parsed");
            run.fail(key, "too_large", reason.clone(), true);
            run.summary.failed.push((key.to_string(), reason));
            None
        }
        Fetched::Refused(reason) => {
            run.summary.failed.push((key.to_string(), reason));
            None
        }
        Fetched::Failed(reason) => {
            run.fail(key, "transient", reason.clone(), false);
            run.summary.failed.push((key.to_string(), reason));
            None
        }
        Fetched::NotModified => None,
    }
}

/// The page was blocked: fill the issue from the discovery feed's body if there is one.
fn blocked(
    run: &mut SeriesRun<'_>,
    key: &str,
    reason: String,
    feed_body: Option<(String, ArticleMeta)>,
) -> Option<Report> {
    run.fail(key, "transient", format!("blocked: {reason}"), false);
    let (html, meta) = feed_body?;
    let extracted = extract_body(&html, meta, run.config);
    let report = extracted.report;
    if report.page_kind() != PageKind::Report || report.series.as_deref() != Some(run.series.id.as_str()) {
        return None;
    }
    run.progress.note(&format!(
        "{}: page blocked, taken from the discovery feed's copy",
        label(&report)
    ));
    run.store(
        SourceKind::Wechat,
        observation(report.clone(), ReadVia::Feed, extracted.content_html),
        None,
    );
    Some(report)
}
