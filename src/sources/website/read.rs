//! Reading the website's documents: a detail page (its heading, date, PDF link, and the report's
//! text on older pages) and the report's PDF.

use chrono::TimeZone;
use url::Url;

use crate::assemble::Observation;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::extract::{Extracted, paragraphs_of, read_body, report_from_text};
use crate::read::pdf::{PdfText, pdf_text};
use crate::report::{PageKind, Report};

/// Reads a PDF report. A scan is kind `no_text`; a corrupt PDF is an error naming `input`.
pub fn read_pdf(bytes: &[u8], input: &str, config: &Config) -> Result<Extracted> {
    let text = match pdf_text(bytes) {
        Ok(PdfText::Text(t)) => t,
        Ok(PdfText::NoText) => {
            let mut r = Report::of_kind(PageKind::NoText, None);
            r.warnings
                .push("the PDF has no text layer (a scan): no figures can be read from it".into());
            return Ok(Extracted {
                report: r,
                content_html: None,
                text: None,
            });
        }
        Err(e) => {
            return Err(Error::Pdf {
                input: input.to_string(),
                message: e.to_string(),
            });
        }
    };
    let paragraphs = paragraphs_of(&text);
    let report = match report_from_text(None, &paragraphs, config) {
        Some(mut r) => {
            if r.metrics.is_empty() {
                r.warnings.push(
                    "no figures found in the PDF's text: the wording may have changed; adjust the metric patterns in config.yaml"
                        .into(),
                );
            }
            r
        }
        None => {
            let mut r = Report::of_kind(PageKind::OtherArticle, None);
            r.warnings.push(
                "the PDF is not an issue of a configured series (no series title and issue in its first lines)".into(),
            );
            r
        }
    };
    Ok(Extracted {
        report,
        content_html: None,
        text: Some(paragraphs.join("\n")),
    })
}

/// Reads a detail page of the website: heading, date, PDF link, and the figures when the page
/// holds the report's text (older issues).
pub fn read_website_page(bytes: &[u8], page_url: Option<&Url>, config: &Config) -> Extracted {
    let fallback = Url::parse(super::page::DEFAULT_LISTING).ok();
    let base = page_url.or(fallback.as_ref());
    let detail = match base {
        Some(b) => super::page::parse_detail(bytes, b),
        None => super::page::DetailPage::default(),
    };
    let body = detail.content_html.as_deref().map(read_body);
    let paragraphs: Vec<String> = body.as_ref().map(|b| b.lines.clone()).unwrap_or_default();
    let Some(mut report) = report_from_text(detail.title.as_deref(), &paragraphs, config) else {
        let mut r = Report::of_kind(PageKind::OtherArticle, page_url.map(|u| u.to_string()));
        r.title = detail.title;
        r.warnings = detail.warnings;
        return Extracted {
            report: r,
            content_html: None,
            text: None,
        };
    };
    report.url = page_url.map(|u| u.to_string());
    report.published = detail.date.and_then(|d| {
        crate::report::beijing()
            .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .single()
    });
    report.pdf = detail.pdf.map(|u| u.to_string());
    report.warnings.splice(0..0, detail.warnings);
    if report.pdf.is_none() && report.metrics.is_empty() {
        report
            .warnings
            .push("the page links no PDF and its text states no figures".into());
    }
    let has_text = !report.metrics.is_empty();
    Extracted {
        report,
        content_html: if has_text { detail.content_html } else { None },
        text: None,
    }
}

/// Reads a stored observation (the detail page's body and the PDF's text) again with `config`.
pub fn reread(o: &Observation, config: &Config) -> Option<Report> {
    let mut paragraphs: Vec<String> = Vec::new();
    if let Some(html) = &o.content_html {
        paragraphs.extend(read_body(html).lines);
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
    let mut r = report_from_text(title, &paragraphs, config)?;
    r.url = o.report.url.clone();
    r.published = o.report.published;
    r.pdf = o.report.pdf.clone();
    r.title = o.report.title.clone();
    Some(r)
}
