//! The sources an issue is read from, each one module: [`wechat`] (articles, discovery feeds,
//! albums), [`website`] (listing, detail pages, PDFs) and [`pictures`] (OCR of an issue's pictures).
//!
//! Which reader a document needs, by its bytes: a PDF (`%PDF-`), a detail page of the website
//! (`artil_tit`/`artil_content`), or a WeChat article page; each source's reader makes the record.
//! [`import_document`] turns the same documents, saved by hand, into the observation of the
//! source they belong to.

use crate::assemble::SourceKind;
use crate::crawl::Source;
use crate::fetch::HostPolicy;

pub mod pictures;
mod saved;
pub mod website;
pub mod wechat;

pub use saved::{import_document, saved_from};

/// Every source, in the order a crawl runs them: the texts first (WeChat, the website), then the
/// pictures of the issues whose texts lack the monitoring figures. A new source is added here.
pub fn all() -> Vec<Box<dyn Source>> {
    vec![
        Box::new(wechat::Wechat),
        Box::new(website::Website),
        Box::new(pictures::Pictures),
    ]
}

/// The hosts of every source, for the fetcher.
pub fn hosts() -> Vec<HostPolicy> {
    all().iter().flat_map(|s| s.hosts()).collect()
}

use url::Url;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::extract::Extracted;
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

impl DocumentKind {
    /// The source whose document this is: the website's (its PDFs and detail pages) or WeChat's.
    pub fn source(self) -> Option<SourceKind> {
        match self {
            DocumentKind::Pdf | DocumentKind::WebsitePage | DocumentKind::WebsiteListing => Some(SourceKind::Website),
            DocumentKind::WechatPage => Some(SourceKind::Wechat),
            DocumentKind::NotADocument => None,
        }
    }
}

/// Whether bytes look like a web page: no NUL bytes near the start, markup first (after a byte
/// order mark and blanks: a text file that quotes a tag, such as a README, is no page), and an
/// HTML tag (`<html`, `<!doctype`, `<head`, `<body`, `<meta`, `<div`, `<p`, `<script` …) in the
/// first 64 KiB.
pub fn is_web_page(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if memchr::memchr(0, &head[..head.len().min(8 * 1024)]).is_some() {
        return false;
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') && has_a_tag(head)
}

/// Whether the bytes hold one of the tags a web page has.
fn has_a_tag(head: &[u8]) -> bool {
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
    // Every tag starts with `<`: look at each `<` (a page's first is nearly always one), case
    // blind, instead of lower-casing 64 KiB a page.
    memchr::memchr_iter(b'<', head).any(|p| {
        let rest = &head[p..];
        TAGS.iter()
            .any(|t| rest.len() >= t.len() && rest[..t.len()].eq_ignore_ascii_case(t))
    })
}

/// What bytes that are neither a web page nor a PDF look like, for the error that refuses them.
pub fn looks_like(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if bytes.is_empty() {
        "an empty file"
    } else if memchr::memchr(0, &head[..head.len().min(8 * 1024)]).is_some() {
        "binary data"
    } else if is_markdown(head) {
        "Markdown text"
    } else if has_a_tag(head) {
        "text that quotes HTML tags but does not start with markup"
    } else {
        "text without HTML"
    }
}

/// Whether text reads as Markdown: a code fence, a table rule or a link written `[text](http…)`.
fn is_markdown(head: &[u8]) -> bool {
    let fenced_or_table = head.split(|&b| b == b'\n').any(|line| {
        let line = line.trim_ascii_start();
        line.starts_with(b"```") || line.starts_with(b"|---") || line.starts_with(b"| ---")
    });
    fenced_or_table || memchr::memmem::find(head, b"](http").is_some()
}

/// Whether bytes are a PDF: `%PDF-` within the first KB (some servers prepend junk).
pub fn is_pdf(bytes: &[u8]) -> bool {
    memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some()
}

/// Recognises a document by its bytes, whatever its name or URL. The website's pages are told
/// apart by their markup, and only in a web page: a text file naming `artil_content` is none; a
/// page with WeChat's article body (`id="js_content"`) is WeChat's, whatever else it names.
pub fn document_kind(bytes: &[u8]) -> DocumentKind {
    if is_pdf(bytes) {
        return DocumentKind::Pdf;
    }
    if !is_web_page(bytes) {
        return DocumentKind::NotADocument;
    }
    let article_body = [&b"id=\"js_content\""[..], b"id='js_content'"]
        .iter()
        .any(|id| memchr::memmem::find(bytes, id).is_some());
    let (detail, listing) = if article_body {
        (false, false)
    } else {
        website_markers(bytes)
    };
    if detail {
        DocumentKind::WebsitePage
    } else if listing {
        DocumentKind::WebsiteListing
    } else {
        DocumentKind::WechatPage
    }
}

/// [`website::page::is_detail_page`] and [`website::page::is_listing_page`] in one pass over the
/// page instead of two: `artil_content` and `waring_con` both hold `_con`, which a WeChat page holds
/// a handful of times.
fn website_markers(bytes: &[u8]) -> (bool, bool) {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let (mut detail, mut listing) = (memchr::memmem::find(head, b"artil_tit").is_some(), false);
    for p in memchr::memmem::find_iter(bytes, b"_con") {
        detail |= p >= 5 && bytes[p - 5..].starts_with(b"artil_content");
        listing |= p >= 6 && bytes[p - 6..].starts_with(b"waring_con");
        if detail && listing {
            break;
        }
    }
    (detail, listing)
}

/// Reads any document: a PDF, a website detail page or a WeChat page. `url` is where it came
/// from (for relative links and the record's URL); `input` names it in errors.
pub fn read_document(bytes: &[u8], url: Option<&Url>, input: &str, config: &Config) -> Result<Extracted> {
    read_classified(bytes, url, input, config).map(|(_, e)| e)
}

/// [`read_document`], also saying which kind of document it read ([`document_kind`]'s answer). A
/// web page is told apart by the scan that reads it: one pass over its bytes.
pub fn read_classified(
    bytes: &[u8],
    url: Option<&Url>,
    input: &str,
    config: &Config,
) -> Result<(DocumentKind, Extracted)> {
    if is_pdf(bytes) {
        return Ok((DocumentKind::Pdf, website::read::read_pdf(bytes, input, config)?));
    }
    if !is_web_page(bytes) {
        return Err(Error::NotADocument {
            input: input.to_string(),
            looks_like: looks_like(bytes).to_string(),
        });
    }
    let scanned = wechat::page::scan(bytes);
    // A WeChat article (its `#js_content`) is no page of the website: the website's markers are
    // looked for, in a pass of their own, only in pages without one.
    let (detail, listing) = match scanned.content_html {
        Some(_) => (false, false),
        None => website_markers(bytes),
    };
    Ok(if detail {
        (
            DocumentKind::WebsitePage,
            website::read_website_page(bytes, url, config),
        )
    } else if listing {
        let mut r = Report::of_kind(PageKind::OtherArticle, url.map(|u| u.to_string()));
        r.warnings
            .push("a listing page of the website, not an issue: give a detail page or crawl the listing".into());
        let extracted = Extracted {
            report: r,
            content_html: None,
            text: None,
        };
        (DocumentKind::WebsiteListing, extracted)
    } else {
        (
            DocumentKind::WechatPage,
            wechat::read::extract_scanned(scanned, url.map(Url::as_str), config),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_finds_what_the_two_searches_find() {
        let mut pages: Vec<Vec<u8>> = Vec::new();
        for dir in ["tests/fixtures/wechat-site/pages", "tests/fixtures/cert-site/files"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            let mut todo = vec![dir];
            while let Some(d) = todo.pop() {
                for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                    if e.path().is_dir() {
                        todo.push(e.path());
                    } else if let Ok(b) = std::fs::read(e.path()) {
                        pages.push(b);
                    }
                }
            }
        }
        for s in [
            "artil_content",
            "xartil_content",
            "waring_con",
            "_con",
            "artil_con",
            "aring_con",
            "<div class=artil_tit>",
            "waring_conartil_content",
            "__con_con",
            "",
        ] {
            pages.push(s.as_bytes().to_vec());
            pages.push(format!("{}{s}", "x".repeat(70 * 1024)).into_bytes());
        }
        assert!(pages.len() > 60);
        for p in &pages {
            let want = (website::page::is_detail_page(p), website::page::is_listing_page(p));
            assert_eq!(
                website_markers(p),
                want,
                "{}",
                String::from_utf8_lossy(&p[..p.len().min(80)])
            );
        }
    }

    #[test]
    fn a_wechat_article_naming_the_website_markup_is_wechats() {
        let config = crate::config::Config::parse(crate::config::BUILT_IN, "config.yaml").expect("config");
        let article = "<html><body><div id=\"js_content\"><p>artil_content waring_con</p></div></body></html>";
        let website = "<html><body><div class=\"artil_tit\">x</div><div class=\"artil_content\">y</div></body></html>";
        let listing = "<html><body><ul class=\"waring_con\"><li>x</li></ul></body></html>";
        for (page, want) in [
            (article, DocumentKind::WechatPage),
            (website, DocumentKind::WebsitePage),
            (listing, DocumentKind::WebsiteListing),
        ] {
            assert_eq!(document_kind(page.as_bytes()), want, "{page}");
            let (kind, _) = read_classified(page.as_bytes(), None, "page.html", &config).expect("a web page");
            assert_eq!(kind, want, "{page}");
        }
    }
}
