//! The website source (www.cert.org.cn): walk the series listing (`index.html`, `index_2.html` …
//! by its own 下一页 link), read each new issue's detail page and its PDF, and record what they
//! say as the issue's `website` observation.

use url::Url;

use crate::assemble::{Observation, ReadVia, SourceKind};
use crate::config::{Config, Series};
use crate::crawl::{SeriesRun, Source, SourceRun, describe, label, now};
use crate::extract::{normalize_title, parse_title, text_issue};
use crate::fetch::{Fetched, HostPolicy};
use crate::report::{IssueId, PageKind, Report};
use page::{ListingItem, parse_listing};

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
            for listing in &run.series.listings {
                walk(run, listing).await;
            }
            retry_failed(run).await;
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

/// Walks one listing, newest first, reading the issues not archived yet.
async fn walk(run: &mut SeriesRun<'_>, listing: &str) {
    let Ok(mut page_url) = Url::parse(listing) else {
        run.summary.unreachable.push((listing.to_string(), "not a URL".into()));
        return;
    };
    let mut reached = 0usize;
    for page_no in 0..MAX_LISTING_PAGES {
        run.progress.fetching(page_url.as_str());
        let validators = (page_no == 0)
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
                return;
            }
            if reached >= run.limit {
                return;
            }
            reached += 1;
            let key = item.url.to_string();
            let archived = run
                .known
                .entries
                .get(&id)
                .is_some_and(|e| e.observations.contains_key(&SourceKind::Website));
            if archived || run.state.failed.get(&key).is_some_and(|f| f.permanent) {
                run.summary.known += 1;
                continue;
            }
            all_known = false;
            read_issue(run, &item.url, Some(&id)).await;
        }
        if all_known && !run.opts.backfill && !page.items.is_empty() {
            return;
        }
        match page.next {
            Some(next) if next != page_url => page_url = next,
            _ => return,
        }
    }
}

/// Detail pages whose issue failed transiently in an earlier run are read again.
async fn retry_failed(run: &mut SeriesRun<'_>) {
    let retry: Vec<String> = run
        .state
        .failed
        .iter()
        .filter(|(u, f)| !f.permanent && f.kind == "website_transient" && Url::parse(u).is_ok())
        .map(|(u, _)| u.clone())
        .collect();
    for u in retry {
        if let Ok(url) = Url::parse(&u) {
            read_issue(run, &url, None).await;
        }
    }
}

/// Reads one issue: its detail page, then its PDF.
async fn read_issue(run: &mut SeriesRun<'_>, url: &Url, expected: Option<&IssueId>) {
    let key = url.to_string();
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
        match fetch_pdf(run, &pdf, &mut obs.report).await {
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
                run.fail(&key, "website_transient", format!("PDF {pdf}: {reason}"), false);
                run.summary.failed.push((pdf, reason));
                return;
            }
        }
    }
    run.state.failed.remove(&key);
    run.progress.note(&format!("website: {}", label(&obs.report)));
    run.store(SourceKind::Website, obs, None);
}

/// Fetches and reads the PDF, putting its figures (and the week it states) into `report`.
async fn fetch_pdf(run: &mut SeriesRun<'_>, pdf: &str, report: &mut Report) -> PdfOutcome {
    let Ok(url) = Url::parse(pdf) else {
        return PdfOutcome::Unusable {
            reason: format!("not a URL: {pdf}"),
            size: None,
        };
    };
    if run.state.failed.get(pdf).is_some_and(|f| f.permanent) {
        let reason = run.state.failed.get(pdf).map(|f| f.reason.clone()).unwrap_or_default();
        return PdfOutcome::Unusable { reason, size: None };
    }
    run.progress.fetching(pdf);
    let max = run.config.fetch.max_pdf_bytes;
    let fetched = run.fetcher.get_large(&url, max).await;
    run.summary.tally(&fetched);
    let bytes = match fetched {
        Fetched::Page { body, .. } => body,
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
