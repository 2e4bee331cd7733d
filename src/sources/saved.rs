//! What `import` makes of a file saved by hand: whatever `extract` reads (a WeChat article page, a
//! detail page of the website, a report PDF) becomes the observation of the source it belongs to,
//! as a crawl would have made it, or is refused with the reason.

use url::Url;

use super::{DocumentKind, document_kind, read_document};
use crate::assemble::{Observation, ReadVia, SourceKind};
use crate::config::Config;
use crate::report::{PageKind, Report};

/// Reads a saved file for `import`, by its bytes as `extract` does: a WeChat article page becomes
/// a `wechat` observation; a detail page of the website, or a report PDF, a `website` one.
///
/// `url` is where the file came from (`import --url`; else, for a page, the `saved from url` mark
/// a browser writes): a page's URL, or for a PDF its `pdf` link (an address ending in `.pdf`) or
/// the detail page it belongs to. A PDF's year and issue come from its text. The error is why the
/// file is refused, without naming it (the caller names it once); `input` names it for the readers.
pub fn import_document(
    bytes: &[u8],
    url: Option<&Url>,
    input: &str,
    config: &Config,
) -> Result<(SourceKind, Observation), String> {
    let kind = document_kind(bytes);
    let marked = url.cloned().or_else(|| saved_from(bytes));
    let page_url = marked.as_ref().filter(|_| kind != DocumentKind::Pdf);
    let extracted = read_document(bytes, page_url, input, config).map_err(|e| unnamed(&e.to_string(), input))?;
    let mut report = extracted.report;
    if report.page_kind() != PageKind::Report {
        return Err(refusal(kind, &report));
    }
    let mut obs = Observation::new(Report::default(), ReadVia::Import, crate::crawl::now());
    let source = match kind {
        DocumentKind::WechatPage => {
            obs.content_html = extracted.content_html;
            SourceKind::Wechat
        }
        DocumentKind::Pdf => {
            match marked {
                Some(u) if u.path().to_ascii_lowercase().ends_with(".pdf") => report.pdf = Some(u.to_string()),
                Some(u) => report.url = Some(u.to_string()),
                None => {}
            }
            obs.pdf_text = extracted.text;
            obs.pdf_size = Some(bytes.len() as u64);
            SourceKind::Website
        }
        _ => {
            obs.content_html = extracted.content_html;
            SourceKind::Website
        }
    };
    obs.report = report;
    Ok((source, obs))
}

/// Why a document that is no issue is not imported.
fn refusal(kind: DocumentKind, report: &Report) -> String {
    let title = report
        .title
        .as_deref()
        .map(|t| format!(" (title: {t})"))
        .unwrap_or_default();
    match (kind, report.page_kind()) {
        (DocumentKind::Pdf, PageKind::NoText) => {
            "a PDF without a text layer (a scan): neither its issue nor its figures can be read; nothing was imported"
                .into()
        }
        (DocumentKind::Pdf, _) => "the PDF's text names no issue of a configured series (no series title with a year \
             and an issue in its first lines); its year and issue cannot be told, so nothing was imported"
            .into(),
        (DocumentKind::WebsiteListing, _) => {
            "a listing page of the website, not one issue: save an issue's detail page or its PDF".into()
        }
        (DocumentKind::WebsitePage, _) => {
            format!("a page of the website that is no issue of a configured series{title}")
        }
        (_, PageKind::Captcha) => "not an issue of a configured series (captcha): WeChat's 环境异常 check was saved, \
             not the article; open the article in a browser, pass the check, then save the page"
            .into(),
        (_, other) => format!("not an issue of a configured series ({}){title}", other.as_str()),
    }
}

/// An error message without the input's name in front (the readers' errors start with it).
fn unnamed(message: &str, input: &str) -> String {
    message
        .strip_prefix(input)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message)
        .to_string()
}

/// The address a browser wrote at the top of a page it saved (`<!-- saved from url=(0047)https://… -->`),
/// when it is an http(s) URL.
pub fn saved_from(bytes: &[u8]) -> Option<Url> {
    let head = &bytes[..bytes.len().min(2048)];
    let at = memchr::memmem::find(head, b"saved from url=(")? + b"saved from url=(".len();
    let rest = &head[at..];
    let close = memchr::memchr(b')', rest)?;
    let rest = &rest[close + 1..];
    let end = rest.iter().position(u8::is_ascii_whitespace).unwrap_or(rest.len());
    let text = std::str::from_utf8(&rest[..end]).ok()?;
    let url = Url::parse(text.trim_end_matches("-->")).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_mark_gives_the_page_address() {
        let page = b"<!DOCTYPE html>\r\n<!-- saved from url=(0083)https://www.cert.org.cn/publish/main/44/2024/20241031/1_.html -->\r\n<html>";
        assert_eq!(
            saved_from(page).map(|u| u.to_string()).as_deref(),
            Some("https://www.cert.org.cn/publish/main/44/2024/20241031/1_.html")
        );
        assert_eq!(saved_from(b"<!-- saved from url=(0014)about:internet -->"), None);
        assert_eq!(saved_from(b"<html>no mark</html>"), None);
    }

    #[test]
    fn the_readers_prefix_is_dropped() {
        assert_eq!(
            unnamed("a.pdf: cannot read the PDF: x", "a.pdf"),
            "cannot read the PDF: x"
        );
        assert_eq!(unnamed("other: x", "a.pdf"), "other: x");
    }
}
