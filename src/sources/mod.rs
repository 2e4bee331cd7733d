//! The sources an issue is read from, each one module: [`wechat`] (articles, discovery feeds,
//! albums), [`website`] (listing, detail pages, PDFs) and [`pictures`] (OCR of an issue's pictures).
//!
//! Which reader a document needs, by its bytes: a PDF (`%PDF-`), a detail page of the website
//! (`artil_tit`/`artil_content`), or a WeChat article page; each source's reader makes the record.

pub mod pictures;
pub mod website;
pub mod wechat;

use chrono::TimeZone;
use url::Url;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::extract::{Extracted, paragraphs_of, read_body, report_from_text};
use crate::read::pdf::{PdfText, pdf_text};
use crate::report::{PageKind, Report};

/// The kinds of document `extract` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A PDF report.
    Pdf,
    /// A detail page of www.cert.org.cn.
    WebsitePage,
    /// A listing page of www.cert.org.cn.
    WebsiteListing,
    /// Another web page: read as a WeChat page.
    WechatPage,
    /// Not a web page nor a PDF (a binary, a YAML or text file): nothing to read.
    NotADocument,
}

/// Whether bytes look like a web page: no NUL bytes near the start, and an HTML tag
/// (`<html`, `<!doctype`, `<head`, `<body`, `<meta`, `<div`, `<p`, `<script` …) in the first 64 KiB.
pub fn is_web_page(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if memchr::memchr(0, &head[..head.len().min(8 * 1024)]).is_some() {
        return false;
    }
    const TAGS: &[&[u8]] = &[
        b"<!doctype",
        b"<html",
        b"<head",
        b"<body",
        b"<meta",
        b"<div",
        b"<p>",
        b"<p ",
        b"<script",
        b"<section",
        b"<span",
        b"<title",
        b"<h1",
        b"<h2",
        b"<table",
        b"<a ",
        b"<img",
        b"<br",
    ];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    TAGS.iter().any(|t| memchr::memmem::find(&lower, t).is_some())
}

/// Whether bytes are a PDF: `%PDF-` within the first KB (some servers prepend junk).
pub fn is_pdf(bytes: &[u8]) -> bool {
    memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some()
}

/// Recognises a document by its bytes, whatever its name or URL.
pub fn document_kind(bytes: &[u8]) -> DocumentKind {
    if is_pdf(bytes) {
        DocumentKind::Pdf
    } else if website::page::is_detail_page(bytes) {
        DocumentKind::WebsitePage
    } else if website::page::is_listing_page(bytes) {
        DocumentKind::WebsiteListing
    } else if is_web_page(bytes) {
        DocumentKind::WechatPage
    } else {
        DocumentKind::NotADocument
    }
}

/// Reads any document: a PDF, a website detail page or a WeChat page. `url` is where it came
/// from (for relative links and the record's URL); `input` names it in errors.
pub fn read_document(bytes: &[u8], url: Option<&Url>, input: &str, config: &Config) -> Result<Extracted> {
    match document_kind(bytes) {
        DocumentKind::Pdf => read_pdf(bytes, input, config),
        DocumentKind::WebsitePage => Ok(read_website_page(bytes, url, config)),
        DocumentKind::WebsiteListing => {
            let mut r = Report::of_kind(PageKind::OtherArticle, url.map(|u| u.to_string()));
            r.warnings
                .push("a listing page of the website, not an issue: give a detail page or crawl the listing".into());
            Ok(Extracted {
                report: r,
                content_html: None,
                text: None,
            })
        }
        DocumentKind::WechatPage => Ok(wechat::read::extract_page(bytes, url.map(Url::as_str), config)),
        DocumentKind::NotADocument => Err(Error::NotADocument {
            input: input.to_string(),
            looks_like: if bytes.is_empty() {
                "an empty file".into()
            } else if memchr::memchr(0, &bytes[..bytes.len().min(8 * 1024)]).is_some() {
                "binary data".into()
            } else {
                "text without HTML".into()
            },
        }),
    }
}

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
    let fallback = Url::parse(website::page::DEFAULT_LISTING).ok();
    let base = page_url.or(fallback.as_ref());
    let detail = match base {
        Some(b) => website::page::parse_detail(bytes, b),
        None => website::page::DetailPage::default(),
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
