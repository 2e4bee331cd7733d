//! Every link the outputs publish, resolved against the page it came from: the images and links
//! of an article body against that article's URL (a website page's `/publish/main/upload/…`
//! against `http://www.cert.org.cn/publish/main/44/…html`), the report's PDF against the website
//! page that links it, and the item's own link, which falls back to the issue's row on the series
//! page when the record has no web URL (a saved page or PDF imported from disk).
//!
//! Only http(s) URLs come out: `javascript:`, `data:`, `file:` and anything that cannot be
//! resolved give `None`, and the link is left out. A URL that is already absolute http(s) is
//! returned exactly as archived, so ordinary links never change.

use url::Url;

use crate::archive::Entry;
use crate::assemble::SourceKind;

/// Whether `raw` is an absolute http(s) URL as written (`http://…`, `https://…`), not a relative
/// reference that a URL parser would also accept (`https:x`, `http:/x`).
fn is_absolute_web(raw: &str) -> bool {
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && Url::parse(raw).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// A page URL that relative links can be resolved against: an absolute http(s) URL.
pub fn page_url(raw: &str) -> Option<Url> {
    let raw = raw.trim();
    is_absolute_web(raw).then(|| Url::parse(raw).ok()).flatten()
}

/// What the relative references of a body (or a PDF link) are resolved against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// The page's own URL: every kind of reference resolves.
    Page(Url),
    /// Only the site is known (a website page saved to disk and imported without its URL): a
    /// root-relative (`/publish/…`) or protocol-relative reference resolves, a path-relative one
    /// (`a/b.png`) does not, since it depends on the page's unknown path.
    Site(Url),
}

/// The http(s) URL `raw` refers to on the page at `base`: absolute http(s) URLs as written;
/// protocol-relative (`//host/x`), root-relative (`/x`) and relative (`a/b.png`, `../x`) ones
/// resolved against `base` (see [`Base`]). Without a base, a protocol-relative URL is taken as
/// https and other relative ones give `None` (there is nothing to resolve them against). Other
/// schemes (`javascript:`, `data:`, `file:`, `mailto:`) give `None`.
pub fn resolve(raw: &str, base: Option<&Base>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if is_absolute_web(raw) {
        return Some(raw.to_string());
    }
    let joined = match base {
        Some(Base::Page(b)) => b.join(raw).ok()?,
        Some(Base::Site(b)) if raw.starts_with('/') => b.join(raw).ok()?,
        _ if raw.starts_with("//") => Url::parse(&format!("https:{raw}")).ok()?,
        _ => return None,
    };
    matches!(joined.scheme(), "http" | "https").then(|| joined.to_string())
}

/// The base of what a source read: its page, else, for the website, the website itself.
fn source_base(kind: SourceKind, url: Option<&str>) -> Option<Base> {
    match url.and_then(page_url) {
        Some(u) => Some(Base::Page(u)),
        None if kind == SourceKind::Website => Url::parse(crate::sources::website::page::DEFAULT_LISTING)
            .ok()
            .map(Base::Site),
        None => None,
    }
}

/// What an entry's body is resolved against: the WeChat article when the body is WeChat's, else
/// the website page (the choice [`crate::assemble::assemble`] makes), else the record's URL;
/// a website body without its page's URL gets the website ([`Base::Site`]).
pub fn body_base(e: &Entry) -> Option<Base> {
    let from = [SourceKind::Wechat, SourceKind::Website]
        .into_iter()
        .find_map(|k| Some((k, e.observations.get(&k).filter(|o| o.content_html.is_some())?)));
    match from {
        Some((kind, o)) => source_base(kind, o.report.url.as_deref()),
        None => page_url(e.report.url.as_deref()?).map(Base::Page),
    }
}

/// The report's PDF as a link: resolved against the website page that links it, http(s) only.
pub fn pdf_link(e: &Entry) -> Option<String> {
    let base = e
        .sources
        .iter()
        .find(|s| s.source == SourceKind::Website)
        .and_then(|s| source_base(s.source, s.url.as_deref()))
        .or_else(|| Some(Base::Page(page_url(e.report.url.as_deref()?)?)));
    resolve(e.report.pdf.as_deref()?, base.as_ref())
}

/// The PDF an entry's feed items enclose, with its size: the first source that downloaded one,
/// its URL resolved against that source's page.
pub fn enclosure(e: &Entry) -> Option<(String, u64)> {
    e.sources.iter().find_map(|s| {
        let base = source_base(s.source, s.url.as_deref());
        Some((resolve(s.pdf.as_deref()?, base.as_ref())?, s.pdf_size?))
    })
}

/// The article's own URL, when it is a web URL (absolute http(s), as archived).
pub fn article_url(e: &Entry) -> Option<String> {
    resolve(e.report.url.as_deref()?, None)
}

/// The id of an issue's row on the series page (`issue-2024-43`), the link target of an item
/// whose record has no web URL.
pub fn row_anchor(year: i32, issue: u32) -> String {
    format!("issue-{year}-{issue}")
}

/// The link of an item whose record has no web URL: the issue's row on the series page
/// (`https://you.github.io/cncert-feed/cncert-weekly/index.html#issue-2024-43`). `None` without
/// `site.base_url`: a relative link would be read against the feed's URL by some readers and
/// against the site's by others.
pub fn row_link(site: &crate::config::Site, series: &str, year: i32, issue: u32) -> Option<String> {
    let page = super::public_url(site, &format!("{series}/index.html"));
    page_url(&page).map(|_| format!("{page}#{}", row_anchor(year, issue)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Base {
        Base::Page(
            Url::parse("http://www.cert.org.cn/publish/main/44/2024/20241030150000123456789/1.html").expect("valid"),
        )
    }

    #[test]
    fn every_kind_of_reference_resolves_against_the_page() {
        let b = base();
        let r = |s: &str| resolve(s, Some(&b));
        assert_eq!(
            r("/publish/main/upload/Image/chart1.png").as_deref(),
            Some("http://www.cert.org.cn/publish/main/upload/Image/chart1.png")
        );
        assert_eq!(
            r("chart.png").as_deref(),
            Some("http://www.cert.org.cn/publish/main/44/2024/20241030150000123456789/chart.png")
        );
        assert_eq!(
            r("../../x.pdf").as_deref(),
            Some("http://www.cert.org.cn/publish/main/44/x.pdf")
        );
        assert_eq!(
            r("//mmbiz.qpic.cn/a.png").as_deref(),
            Some("http://mmbiz.qpic.cn/a.png")
        );
        assert_eq!(r("https://example.org/a b").as_deref(), Some("https://example.org/a b"));
        assert_eq!(
            r("#top").as_deref(),
            Some("http://www.cert.org.cn/publish/main/44/2024/20241030150000123456789/1.html#top")
        );
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "file:///etc/passwd",
            "mailto:a@b",
            " ",
        ] {
            assert_eq!(r(bad), None, "{bad}");
        }
    }

    #[test]
    fn without_a_page_only_absolute_and_protocol_relative_urls_remain() {
        assert_eq!(resolve("/publish/x.png", None), None);
        assert_eq!(resolve("x.png", None), None);
        assert_eq!(resolve("https:x.png", None), None);
        assert_eq!(resolve("//h/x.png", None).as_deref(), Some("https://h/x.png"));
        assert_eq!(resolve(" http://h/x ", None).as_deref(), Some("http://h/x"));
    }

    #[test]
    fn with_only_the_site_known_paths_from_the_root_resolve_and_relative_ones_do_not() {
        let site = Base::Site(Url::parse("https://www.cert.org.cn/publish/main/44/index.html").expect("valid"));
        let r = |s: &str| resolve(s, Some(&site));
        assert_eq!(
            r("/publish/main/upload/Image/chart1.png").as_deref(),
            Some("https://www.cert.org.cn/publish/main/upload/Image/chart1.png")
        );
        assert_eq!(r("//h/x.png").as_deref(), Some("https://h/x.png"));
        assert_eq!(r("chart1.png"), None);
        assert_eq!(r("../x.png"), None);
    }

    #[test]
    fn only_web_pages_are_bases() {
        assert!(page_url("https://mp.weixin.qq.com/s?a=1").is_some());
        for no in [
            "file:///home/u/saved.html",
            "/home/u/saved.pdf",
            "saved.html",
            "",
            "javascript:x",
        ] {
            assert!(page_url(no).is_none(), "{no}");
        }
    }
}
