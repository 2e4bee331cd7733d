//! The website source (www.cert.org.cn): walk the series listing (`index.html`, `index_2.html` …
//! by its own 下一页 link), read each new issue's detail page and its PDF, and record what they
//! say as the issue's `website` observation.

use std::collections::HashSet;

use url::Url;

use crate::archive::ListingWalk;
use crate::assemble::{Observation, ReadVia, SourceKind};
use crate::config::{Config, Series};
use crate::crawl::{SeriesRun, Source, SourceRun, describe, label, now};
use crate::extract::{normalize_title, parse_title, text_issue};
use crate::fetch::{Fetched, HostPolicy};
use crate::report::{IssueId, PageKind, Report};
use page::{ListingItem, parse_listing};

pub mod flat;
pub mod page;
pub mod read;

pub use read::read_website_page;

/// The website's host.
pub use page::WEBSITE_HOST;

/// The website source.
#[derive(Debug, Clone, Copy, Default)]
pub struct Website;

impl Source for Website {
    fn kind(&self) -> SourceKind {
        SourceKind::Website
    }

    fn hosts(&self) -> Vec<HostPolicy> {
        vec![HostPolicy::pages(WEBSITE_HOST)]
    }

    fn run<'a, 'b: 'a>(&'a self, run: &'a mut SeriesRun<'b>) -> SourceRun<'a> {
        Box::pin(async move {
            let mut walked = Walked::default();
            for listing in &run.series.listings {
                walk(run, listing, &mut walked).await;
            }
            retry_failed(run, &mut walked).await;
            ask_selected(run, &mut walked).await;
        })
    }

    fn reread(&self, o: &Observation, config: &Config) -> Option<Report> {
        read::reread(o, config)
    }
}

/// A source's observation of an issue, read now.
fn observation(report: Report, content_html: Option<String>) -> Observation {
    Observation {
        content_html,
        ..Observation::new(report, ReadVia::Page, now())
    }
}

/// At most this many listing pages are read in one run (the real listing has about 60).
const MAX_LISTING_PAGES: usize = 1000;

/// The issue a listing item's title names, if it is one of the series.
fn item_issue(item: &ListingItem, series: &Series) -> Option<IssueId> {
    let title = normalize_title(&item.title);
    if let Some(t) = parse_title(&title, series) {
        return Some(IssueId {
            series: series.id.clone(),
            year: t.year,
            issue: t.issue,
        });
    }
    let t = text_issue(Some(&title), &[], series)?;
    Some(IssueId {
        series: series.id.clone(),
        year: t.year,
        issue: t.issue,
    })
}

/// What one run of the website source has done so far.
#[derive(Default)]
struct Walked {
    /// Detail pages requested this run: each is asked once a run, whatever else wants it.
    attempted: HashSet<String>,
    /// A listing could not be read this run (the host is likely down: nothing is retried).
    listing_failed: bool,
}

/// How far a listing was walked, kept in the state so that a later run knows whether the
/// listing's first page being unchanged (or all known) means nothing older is missing.
fn walk_state<'a>(run: &'a SeriesRun<'_>, listing: &str) -> Option<&'a ListingWalk> {
    run.state.listings.get(listing)
}

/// Whether this run may stop early (on a 304 of the first page, or on a page whose issues are
/// all archived): only when an earlier walk went as deep as this run asks and was not cut short.
fn may_stop_early(run: &SeriesRun<'_>, listing: &str) -> bool {
    if run.opts.backfill {
        return false;
    }
    walk_state(run, listing).is_some_and(|w| w.cut_at.is_none() && (w.ended || w.reached >= run.limit))
}

/// Walks one listing, newest first, reading the issues not archived yet. The walk resumes where
/// an earlier one was cut short, and a backfill (or a deeper limit) walks past the pages it knows.
async fn walk(run: &mut SeriesRun<'_>, listing: &str, walked: &mut Walked) {
    let Ok(first) = Url::parse(listing) else {
        run.summary.unreachable.push((listing.to_string(), "not a URL".into()));
        walked.listing_failed = true;
        return;
    };
    let stop_early = may_stop_early(run, listing);
    let mut page_url = first;
    let mut reached = 0usize;
    let mut outcome = ListingWalk::default();
    for page_no in 0..MAX_LISTING_PAGES {
        run.progress.fetching(page_url.as_str());
        let validators = (page_no == 0 && stop_early)
            .then(|| run.state.discovery.get(listing).cloned())
            .flatten();
        let fetched = run.fetcher.get(&page_url, validators.as_ref()).await;
        run.summary.tally(&fetched);
        let body = match fetched {
            Fetched::Page { body, validators, .. } => {
                if page_no == 0 {
                    if validators.etag.is_some() || validators.last_modified.is_some() {
                        run.state.discovery.insert(listing.to_string(), validators);
                    } else {
                        run.state.discovery.remove(listing);
                    }
                }
                body
            }
            Fetched::NotModified => {
                run.progress.note(&format!("{page_url}: not modified"));
                return;
            }
            other => {
                run.summary
                    .unreachable
                    .push((page_url.to_string(), describe(&other, run.config.fetch.max_body_bytes)));
                walked.listing_failed = page_no == 0;
                // The next run goes on from this page.
                outcome.cut_at = Some(page_url.to_string());
                outcome.reached = reached;
                run.state.listings.insert(listing.to_string(), outcome);
                return;
            }
        };
        let page = parse_listing(&body, &page_url);
        let mut all_known = true;
        for item in &page.items {
            let Some(id) = item_issue(item, run.series) else {
                continue;
            };
            if run
                .series
                .since
                .is_some_and(|since| item.date.is_some_and(|d| d < since))
            {
                outcome.ended = true;
                break;
            }
            if reached >= run.limit {
                break;
            }
            reached += 1;
            let key = item.url.to_string();
            // An issue is known by its detail page (the listing's title can be off by one).
            // A page imported without its PDF is not done: the PDF is fetched when the walk
            // meets the issue (a crawled page's PDF failures have their own retry).
            let archived = run
                .known
                .entry_at(&key)
                .and_then(|e| e.observations.get(&SourceKind::Website))
                .is_some_and(|o| {
                    o.via != ReadVia::Import
                        || o.report.pdf.is_none()
                        || o.pdf_text.is_some()
                        || o.pdf_failure.is_some()
                });
            if archived || run.failed_for_good(&key) || walked.attempted.contains(&key) {
                run.summary.known += 1;
                continue;
            }
            all_known = false;
            read_issue(run, &item.url, Some(&id), walked).await;
            // A page that failed is known to belong to the issue the listing names.
            run.link_failure(&key, &id);
        }
        let resume = walk_state(run, listing).and_then(|w| w.cut_at.clone());
        let next = page.next.filter(|n| *n != page_url);
        if outcome.ended || reached >= run.limit || next.is_none() {
            outcome.ended |= next.is_none();
            break;
        }
        if all_known && !page.items.is_empty() {
            if stop_early {
                return;
            }
            // Everything here is archived: go on where an earlier walk was cut short, if it was.
            if let Some(r) = resume.and_then(|r| Url::parse(&r).ok())
                && r != page_url
            {
                page_url = r;
                continue;
            }
        }
        page_url = next.unwrap_or(page_url);
    }
    outcome.reached = reached;
    run.state.listings.insert(listing.to_string(), outcome);
}

/// Detail pages whose issue failed transiently in an earlier run are read again (once a run,
/// and not when the listing itself could not be read).
async fn retry_failed(run: &mut SeriesRun<'_>, walked: &mut Walked) {
    if walked.listing_failed {
        return;
    }
    let retry: Vec<String> = run
        .state
        .failed
        .iter()
        .filter(|(u, f)| !f.permanent && f.kind == "website_transient" && Url::parse(u).is_ok())
        .map(|(u, _)| u.clone())
        .filter(|u| !walked.attempted.contains(u))
        .collect();
    for u in retry {
        if let Ok(url) = Url::parse(&u) {
            read_issue(run, &url, None, walked).await;
        }
    }
}

/// The failures selected by `--retry-failed` that are the website's: a failed detail page is read
/// again; a failed PDF is asked again by reading its issue's page again (an archived issue's
/// figures stay when it fails again). Not when the listing itself could not be read.
async fn ask_selected(run: &mut SeriesRun<'_>, walked: &mut Walked) {
    let selected: Vec<String> = run.known.retry.iter().cloned().collect();
    let website = |u: &String| Url::parse(u).is_ok_and(|u| u.host_str() == Some(WEBSITE_HOST));
    if walked.listing_failed {
        let n = selected.iter().filter(|u| website(u)).count();
        if n > 0 {
            run.progress.note(&format!(
                "--retry-failed: the website's listing could not be read; its {n} selected failure(s) were not asked this run"
            ));
        }
        return;
    }
    for u in selected {
        let Ok(url) = Url::parse(&u) else { continue };
        if url.host_str() != Some(WEBSITE_HOST) || !run.known.retry.contains(&u) {
            continue;
        }
        let page = match page_of_pdf(run, &u) {
            Some(page) => page,
            None if url.path().to_ascii_lowercase().ends_with(".pdf") => {
                run.progress.note(&format!(
                    "--retry-failed: {}: no archived issue links to this PDF; it is asked again when its issue's page is read",
                    crate::crawl::readable_url(&u)
                ));
                continue;
            }
            None => url,
        };
        if !walked.attempted.contains(page.as_str()) {
            read_issue(run, &page, None, walked).await;
        }
    }
}

/// The detail page of the archived issue whose PDF is `pdf`.
fn page_of_pdf(run: &SeriesRun<'_>, pdf: &str) -> Option<Url> {
    run.known.entries.values().find_map(|e| {
        let o = e.observations.get(&SourceKind::Website)?;
        if o.report.pdf.as_deref() != Some(pdf) {
            return None;
        }
        o.report.url.as_deref().and_then(|u| Url::parse(u).ok())
    })
}

/// Reads one issue: its detail page, then its PDF.
async fn read_issue(run: &mut SeriesRun<'_>, url: &Url, expected: Option<&IssueId>, walked: &mut Walked) {
    let key = url.to_string();
    walked.attempted.insert(key.clone());
    run.progress.fetching(&key);
    run.summary.article_requests += 1;
    let fetched = run.fetcher.get(url, None).await;
    run.summary.tally_article(&fetched);
    let (body, final_url) = match fetched {
        Fetched::Page {
            body, url: final_url, ..
        } => (body, final_url),
        Fetched::Status(code @ (404 | 410)) => {
            run.fail(&key, "not_found", format!("HTTP {code}"), true);
            run.summary.failed.push((key, format!("HTTP {code}")));
            return;
        }
        Fetched::Refused(reason) => {
            run.summary.failed.push((key, reason));
            return;
        }
        other => {
            let reason = describe(&other, run.config.fetch.max_body_bytes);
            let permanent = matches!(other, Fetched::TooLarge(_));
            run.fail(
                &key,
                if permanent { "too_large" } else { "website_transient" },
                reason.clone(),
                permanent,
            );
            run.summary.failed.push((key, reason));
            return;
        }
    };
    let extracted = read_website_page(&body, Some(&final_url), run.config);
    let mut report = extracted.report;
    if report.page_kind() != PageKind::Report || report.series.as_deref() != Some(run.series.id.as_str()) {
        run.fail(
            &key,
            "other_article",
            format!(
                "not an issue of the series: {}",
                report.title.as_deref().unwrap_or("untitled")
            ),
            true,
        );
        return;
    }
    if let (Some(want), Some(got)) = (expected, report.issue_id())
        && *want != got
    {
        report.warnings.push(format!(
            "the listing calls this page {}年第{}期 but the page reads as {}年第{}期",
            want.year, want.issue, got.year, got.issue
        ));
    }
    let mut obs = observation(report, extracted.content_html);
    if let Some(pdf) = obs.report.pdf.clone() {
        let outcome = fetch_pdf(run, &pdf, &mut obs.report).await;
        if let Some(id) = obs.report.issue_id() {
            run.link_failure(&pdf, &id);
        }
        match outcome {
            PdfOutcome::Read { text, size, bytes } => {
                obs.pdf_text = Some(text);
                obs.pdf_size = Some(size);
                // Kept for the pictures read later in this run, so the PDF is not fetched twice.
                if run.config.ocr && !run.opts.no_ocr && obs.report.lacks_monitoring_figures() {
                    run.known.documents.insert(pdf.clone(), bytes);
                }
            }
            PdfOutcome::Unusable { reason, size } => {
                obs.pdf_failure = Some(reason);
                obs.pdf_size = size;
            }
            PdfOutcome::Transient(reason) => {
                // Read the whole issue again next run, listing unchanged or not.
                let what = format!("PDF {}: {reason}", crate::crawl::readable_url(&pdf));
                run.fail(&key, "website_transient", what, false);
                run.summary.failed.push((pdf, reason));
                return;
            }
        }
    }
    run.state.failed.remove(&key);
    run.progress.note(&format!("website: {}", label(&obs.report)));
    // Known next time by the URL the listing gives, wherever it redirected.
    let via = (final_url.as_str() != key).then_some(key.as_str());
    run.store(SourceKind::Website, obs, via);
}

/// Fetches and reads the PDF, putting its figures (and the week it states) into `report`.
async fn fetch_pdf(run: &mut SeriesRun<'_>, pdf: &str, report: &mut Report) -> PdfOutcome {
    let Ok(url) = Url::parse(pdf) else {
        return PdfOutcome::Unusable {
            reason: format!("not a URL: {pdf}"),
            size: None,
        };
    };
    if run.failed_for_good(pdf) {
        let reason = run.state.failed.get(pdf).map(|f| f.reason.clone()).unwrap_or_default();
        return PdfOutcome::Unusable { reason, size: None };
    }
    run.progress.fetching(pdf);
    let max = run.config.fetch.max_pdf_bytes;
    let fetched = run.fetcher.get_large(&url, max).await;
    run.summary.tally(&fetched);
    let bytes = match fetched {
        Fetched::Page { body, .. } => {
            // Answered: an earlier failure of the PDF is over (a new one is recorded below).
            run.known.retry.remove(pdf);
            run.state.failed.remove(pdf);
            body
        }
        Fetched::Status(code) if !(code == 408 || code == 429 || code >= 500) => {
            let reason = format!("HTTP {code}");
            run.fail(pdf, "not_found", reason.clone(), true);
            run.summary.failed.push((pdf.to_string(), reason.clone()));
            return PdfOutcome::Unusable { reason, size: None };
        }
        Fetched::TooLarge(m) => {
            let reason = format!("larger than {m} bytes (fetch.max_pdf_bytes); not read");
            run.fail(pdf, "too_large", reason.clone(), true);
            run.summary.failed.push((pdf.to_string(), reason.clone()));
            return PdfOutcome::Unusable { reason, size: None };
        }
        Fetched::Refused(reason) => return PdfOutcome::Unusable { reason, size: None },
        other => return PdfOutcome::Transient(describe(&other, max)),
    };
    let size = bytes.len() as u64;
    match read::read_pdf(&bytes, pdf, run.config) {
        Ok(ex) => {
            let r = ex.report.clone();
            if r.page_kind() == PageKind::NoText {
                let reason = "no text layer (a scan): no figures read from it".to_string();
                run.fail(pdf, "no_text", reason.clone(), true);
                return PdfOutcome::Unusable {
                    reason,
                    size: Some(size),
                };
            }
            if r.page_kind() != PageKind::Report || r.issue_id() != report.issue_id() {
                let reason = format!(
                    "the PDF reads as {} rather than this issue; its figures were not used",
                    r.issue_id()
                        .map(|i| format!("{}年第{}期", i.year, i.issue))
                        .unwrap_or_else(|| "no issue".into())
                );
                return PdfOutcome::Unusable {
                    reason,
                    size: Some(size),
                };
            }
            merge_pdf(report, r);
            PdfOutcome::Read {
                text: ex.text.unwrap_or_default(),
                size,
                bytes,
            }
        }
        Err(e) => {
            let reason = e.to_string();
            run.fail(pdf, "corrupt_pdf", reason.clone(), true);
            run.summary.failed.push((pdf.to_string(), reason.clone()));
            PdfOutcome::Unusable {
                reason,
                size: Some(size),
            }
        }
    }
}

/// What reading a PDF came to.
enum PdfOutcome {
    /// Its text (normalized paragraphs), size and bytes.
    Read { text: String, size: u64, bytes: Vec<u8> },
    /// It cannot give figures (404, too large, corrupt, a scan): recorded, not retried.
    Unusable { reason: String, size: Option<u64> },
    /// A timeout or 5xx: the issue is read again next run.
    Transient(String),
}

/// The PDF's figures and stated week join the detail page's record (the page's own figures,
/// from older pages' text, stay where the PDF states none).
fn merge_pdf(report: &mut Report, pdf: Report) {
    for (k, v) in pdf.metrics {
        report.metrics.insert(k, v);
    }
    if pdf.assessment.is_some() {
        report.assessment = pdf.assessment;
    }
    if pdf.period_start.is_some() && (report.period_inferred || report.period_start.is_none()) && !pdf.period_inferred {
        report.period_start = pdf.period_start;
        report.period_end = pdf.period_end;
        report.period_inferred = false;
    }
    if report.summary.is_none() {
        report.summary = pdf.summary;
    }
    report.warnings.extend(pdf.warnings);
}
