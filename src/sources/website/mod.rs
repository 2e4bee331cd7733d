//! The website source: walk the series listing (`index.html`, `index_2.html` … by its own 下一页
//! link), read each new issue's detail page and its PDF, and record what they say as the
//! issue's `website` observation.

use url::Url;

pub mod page;

use crate::archive::{Archive, State};
use crate::assemble::{ReadVia, SourceKind};
use crate::config::{Config, Series};
use crate::crawl::{Known, Progress, Summary, fail, label, observation, store};
use crate::extract::{normalize_title, parse_title, text_issue};
use crate::fetch::{Fetched, Fetcher};
use crate::report::{IssueId, PageKind, Report};
use crate::sources::{read_pdf, read_website_page};
use page::{ListingItem, parse_listing};

/// At most this many listing pages are read in one run (the real listing has about 60).
const MAX_LISTING_PAGES: usize = 1000;

/// What one run of the website source is asked to do.
pub(crate) struct WebsiteRun<'a> {
    pub config: &'a Config,
    pub series: &'a Series,
    pub archive: &'a Archive,
    pub fetcher: &'a Fetcher,
    pub progress: &'a dyn Progress,
    pub limit: usize,
    pub backfill: bool,
    /// Keep the bytes of PDFs whose text lacks the monitoring figures for the OCR pass.
    pub keep_pdfs: bool,
}

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

impl WebsiteRun<'_> {
    /// Walks every configured listing of the series.
    pub async fn run(&self, known: &mut Known, state: &mut State, summary: &mut Summary) {
        for listing in &self.series.listings {
            self.walk(listing, known, state, summary).await;
        }
        self.retry_failed(known, state, summary).await;
    }

    async fn walk(&self, listing: &str, known: &mut Known, state: &mut State, summary: &mut Summary) {
        let Ok(mut page_url) = Url::parse(listing) else {
            summary.unreachable.push((listing.to_string(), "not a URL".into()));
            return;
        };
        let mut reached = 0usize;
        for page_no in 0..MAX_LISTING_PAGES {
            self.progress.fetching(page_url.as_str());
            let validators = (page_no == 0).then(|| state.discovery.get(listing).cloned()).flatten();
            let fetched = self.fetcher.get(&page_url, validators.as_ref()).await;
            summary.tally(&fetched);
            let body = match fetched {
                Fetched::Page { body, validators, .. } => {
                    if page_no == 0 {
                        if validators.etag.is_some() || validators.last_modified.is_some() {
                            state.discovery.insert(listing.to_string(), validators);
                        } else {
                            state.discovery.remove(listing);
                        }
                    }
                    body
                }
                Fetched::NotModified => {
                    self.progress.note(&format!("{page_url}: not modified"));
                    return;
                }
                other => {
                    summary
                        .unreachable
                        .push((page_url.to_string(), describe(&other, self.config.fetch.max_body_bytes)));
                    return;
                }
            };
            let page = parse_listing(&body, &page_url);
            let mut all_known = true;
            for item in &page.items {
                let Some(id) = item_issue(item, self.series) else {
                    continue;
                };
                if self
                    .series
                    .since
                    .is_some_and(|since| item.date.is_some_and(|d| d < since))
                {
                    return;
                }
                if reached >= self.limit {
                    return;
                }
                reached += 1;
                let key = item.url.to_string();
                let archived = known
                    .entries
                    .get(&id)
                    .is_some_and(|e| e.observations.contains_key(&SourceKind::Website));
                if archived || state.failed.get(&key).is_some_and(|f| f.permanent) {
                    summary.known += 1;
                    continue;
                }
                all_known = false;
                self.read_issue(&item.url, Some(&id), known, state, summary).await;
            }
            if all_known && !self.backfill && !page.items.is_empty() {
                return;
            }
            match page.next {
                Some(next) if next != page_url => page_url = next,
                _ => return,
            }
        }
    }

    /// Detail pages whose issue failed transiently in an earlier run are read again.
    async fn retry_failed(&self, known: &mut Known, state: &mut State, summary: &mut Summary) {
        let retry: Vec<String> = state
            .failed
            .iter()
            .filter(|(u, f)| !f.permanent && f.kind == "website_transient" && Url::parse(u).is_ok())
            .map(|(u, _)| u.clone())
            .collect();
        for u in retry {
            if let Ok(url) = Url::parse(&u) {
                self.read_issue(&url, None, known, state, summary).await;
            }
        }
    }

    /// Reads one issue: its detail page, then its PDF.
    async fn read_issue(
        &self,
        url: &Url,
        expected: Option<&IssueId>,
        known: &mut Known,
        state: &mut State,
        summary: &mut Summary,
    ) {
        let key = url.to_string();
        self.progress.fetching(&key);
        summary.article_requests += 1;
        let fetched = self.fetcher.get(url, None).await;
        summary.tally_article(&fetched);
        let (body, final_url) = match fetched {
            Fetched::Page {
                body, url: final_url, ..
            } => (body, final_url),
            Fetched::Status(code @ (404 | 410)) => {
                fail(state, &key, "not_found", format!("HTTP {code}"), true);
                summary.failed.push((key, format!("HTTP {code}")));
                return;
            }
            Fetched::Refused(reason) => {
                summary.failed.push((key, reason));
                return;
            }
            other => {
                let reason = describe(&other, self.config.fetch.max_body_bytes);
                let permanent = matches!(other, Fetched::TooLarge(_));
                fail(
                    state,
                    &key,
                    if permanent { "too_large" } else { "website_transient" },
                    reason.clone(),
                    permanent,
                );
                summary.failed.push((key, reason));
                return;
            }
        };
        let extracted = read_website_page(&body, Some(&final_url), self.config);
        let mut report = extracted.report;
        if report.page_kind() != PageKind::Report || report.series.as_deref() != Some(self.series.id.as_str()) {
            fail(
                state,
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
        let mut obs = observation(report, ReadVia::Page, extracted.content_html);
        if let Some(pdf) = obs.report.pdf.clone() {
            match self.read_pdf(&pdf, &mut obs.report, state, summary).await {
                PdfOutcome::Read { text, size, bytes } => {
                    obs.pdf_text = Some(text);
                    obs.pdf_size = Some(size);
                    if self.keep_pdfs && crate::crawl::lacks_monitoring_figures(&obs.report) {
                        known.pdfs.insert(pdf.clone(), bytes);
                    }
                }
                PdfOutcome::Unusable { reason, size } => {
                    obs.pdf_failure = Some(reason);
                    obs.pdf_size = size;
                }
                PdfOutcome::Transient(reason) => {
                    // Read the whole issue again next run, listing unchanged or not.
                    fail(state, &key, "website_transient", format!("PDF {pdf}: {reason}"), false);
                    summary.failed.push((pdf, reason));
                    return;
                }
            }
        }
        state.failed.remove(&key);
        self.progress.note(&format!("website: {}", label(&obs.report)));
        store(
            SourceKind::Website,
            obs,
            None,
            self.archive,
            known,
            summary,
            self.progress,
        );
    }

    /// Fetches and reads the PDF, putting its figures (and the week it states) into `report`.
    async fn read_pdf(&self, pdf: &str, report: &mut Report, state: &mut State, summary: &mut Summary) -> PdfOutcome {
        let Ok(url) = Url::parse(pdf) else {
            return PdfOutcome::Unusable {
                reason: format!("not a URL: {pdf}"),
                size: None,
            };
        };
        if state.failed.get(pdf).is_some_and(|f| f.permanent) {
            let reason = state.failed.get(pdf).map(|f| f.reason.clone()).unwrap_or_default();
            return PdfOutcome::Unusable { reason, size: None };
        }
        self.progress.fetching(pdf);
        let max = self.config.fetch.max_pdf_bytes;
        let fetched = self.fetcher.get_large(&url, max).await;
        summary.tally(&fetched);
        let bytes = match fetched {
            Fetched::Page { body, .. } => body,
            Fetched::Status(code) if !(code == 408 || code == 429 || code >= 500) => {
                let reason = format!("HTTP {code}");
                fail(state, pdf, "not_found", reason.clone(), true);
                summary.failed.push((pdf.to_string(), reason.clone()));
                return PdfOutcome::Unusable { reason, size: None };
            }
            Fetched::TooLarge(m) => {
                let reason = format!("larger than {m} bytes (fetch.max_pdf_bytes); not read");
                fail(state, pdf, "too_large", reason.clone(), true);
                summary.failed.push((pdf.to_string(), reason.clone()));
                return PdfOutcome::Unusable { reason, size: None };
            }
            Fetched::Refused(reason) => return PdfOutcome::Unusable { reason, size: None },
            other => return PdfOutcome::Transient(describe(&other, max)),
        };
        let size = bytes.len() as u64;
        match read_pdf(&bytes, pdf, self.config) {
            Ok(ex) => {
                let r = ex.report.clone();
                if r.page_kind() == PageKind::NoText {
                    let reason = "no text layer (a scan): no figures read from it".to_string();
                    fail(state, pdf, "no_text", reason.clone(), true);
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
                fail(state, pdf, "corrupt_pdf", reason.clone(), true);
                summary.failed.push((pdf.to_string(), reason.clone()));
                PdfOutcome::Unusable {
                    reason,
                    size: Some(size),
                }
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

fn describe(f: &Fetched, max: u64) -> String {
    match f {
        Fetched::Page { .. } => "answered".into(),
        Fetched::NotModified => "not modified".into(),
        Fetched::Blocked(r) | Fetched::Refused(r) | Fetched::Failed(r) => r.clone(),
        Fetched::Status(c) => format!("HTTP {c}"),
        Fetched::TooLarge(m) => format!("larger than {m} bytes (limit {max})"),
    }
}
