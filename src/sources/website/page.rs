//! www.cert.org.cn specifics: the series listing and its paging, detail pages (UTF-8, GBK,
//! GB2312), and the link to the report's PDF.
//!
//! Pages are small (a few KB), so they are read with scraper/html5ever after decoding their
//! charset; a page nested deeper than any real one (hostile markup, where html5ever's scope checks
//! take time quadratic in the depth) is read flat, without a tree, by [`super::flat`]. Nothing
//! here touches the network.

use chrono::NaiveDate;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::flat::{self, MAX_PAGE_DEPTH, MAX_PAGE_WORK};

/// The host of CNCERT's website.
pub const WEBSITE_HOST: &str = "www.cert.org.cn";
/// The listing of 《网络安全信息与动态周报》 on the website (first page; then `index_2.html` …).
pub const DEFAULT_LISTING: &str = "https://www.cert.org.cn/publish/main/44/index.html";

/// One item of a listing page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingItem {
    /// The date printed beside the item (`[2025-01-23]`).
    pub date: Option<NaiveDate>,
    /// The item's title as written.
    pub title: String,
    /// The detail page, absolute.
    pub url: Url,
}

/// One page of the listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingPage {
    /// Items in page order (newest first on the real site).
    pub items: Vec<ListingItem>,
    /// The next page (the 下一页 link), absolute.
    pub next: Option<Url>,
}

/// What a detail page says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailPage {
    /// The heading (`h2.artil_tit`), whitespace collapsed.
    pub title: Option<String>,
    /// The date in `div.artil_art` (来源：CNCERT　时间：YYYY-MM-DD).
    pub date: Option<NaiveDate>,
    /// The report's PDF, absolute and percent-encoded, when the page links one.
    pub pdf: Option<Url>,
    /// The `div.artil_content` HTML (the report's text on older pages).
    pub content_html: Option<String>,
    /// What was odd (undecodable bytes, unknown charset …).
    pub warnings: Vec<String>,
}

/// Whether bytes look like a detail page of the website (rather than a WeChat page).
pub fn is_detail_page(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    memchr::memmem::find(head, b"artil_tit").is_some() || memchr::memmem::find(bytes, b"artil_content").is_some()
}

/// Whether bytes look like a listing page of the website.
pub fn is_listing_page(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"waring_con").is_some()
}

/// The charset a page declares in a `<meta>` (charset= in the first 4 KB), lower-cased.
fn declared_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let at = memchr::memmem::find(&lower, b"charset=")? + b"charset=".len();
    let rest = &lower[at..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))
        .unwrap_or(rest.len());
    let name = std::str::from_utf8(&rest[..end]).ok()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// Decodes a page by its `<meta>` charset (UTF-8 when none is declared; GBK and GB2312 are read
/// as GB18030, their superset). Returns the text and a warning when bytes had to be replaced.
pub fn decode(bytes: &[u8]) -> (String, Option<String>) {
    let label = declared_charset(bytes);
    let encoding = label
        .as_deref()
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    // GBK and GB2312 pages often hold characters only GB18030 has a mapping for.
    let encoding = if encoding == encoding_rs::GBK {
        encoding_rs::GB18030
    } else {
        encoding
    };
    let (text, _, had_errors) = encoding.decode(bytes);
    let warning = had_errors.then(|| {
        format!(
            "the page is not valid {} (declared charset: {}); undecodable bytes were replaced",
            encoding.name(),
            label.as_deref().unwrap_or("none")
        )
    });
    (text.into_owned(), warning)
}

fn selector(s: &str) -> Option<Selector> {
    Selector::parse(s).ok()
}

fn text_of(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses `YYYY-MM-DD` (also with `/` or `.`) anywhere in `s`.
pub fn find_date(s: &str) -> Option<NaiveDate> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| regex::Regex::new(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})").ok())
        .as_ref()?;
    let c = re.captures(s)?;
    NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

/// The target of a listing link: its href, or the `window.open("…")` argument of its onclick
/// when the href is only `javascript:`.
pub(super) fn link_target(href: Option<&str>, onclick: Option<&str>) -> Option<String> {
    let href = href.map(str::trim).unwrap_or("");
    let scripted = href.is_empty() || href.starts_with('#') || href.to_ascii_lowercase().starts_with("javascript:");
    if !scripted {
        return Some(href.to_string());
    }
    let onclick = onclick?;
    let start = onclick.find("open(")? + "open(".len();
    let rest = onclick[start..].trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = &rest[1..];
    let end = inner.find(quote)?;
    Some(inner[..end].trim().to_string())
}

/// The target of a listing link element (see [`link_target`]).
fn element_target(a: ElementRef<'_>) -> Option<String> {
    link_target(a.value().attr("href"), a.value().attr("onclick"))
}

/// Resolves a link against the page it is on; only http(s) results.
pub(super) fn resolve(base: &Url, href: &str) -> Option<Url> {
    let u = base.join(href.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(u)
}

/// Whether a decoded page nests elements too deep (or too deep too often) for a tree: then it is
/// read flat.
fn too_deep(text: &str) -> bool {
    crate::extract::tree_too_costly(text.as_bytes(), MAX_PAGE_DEPTH, MAX_PAGE_WORK)
}

/// Reads one listing page: its items (date, title, detail URL) and the next page's URL. A page
/// nested too deep for a tree is read flat (the same answers on the site's pages).
pub fn parse_listing(bytes: &[u8], page_url: &Url) -> ListingPage {
    let (text, _) = decode(bytes);
    if too_deep(&text) {
        flat::parse_listing_flat(&text, page_url)
    } else {
        listing_with_dom(&text, page_url)
    }
}

/// Reads one listing page with html5ever, whatever its depth (the reference the flat reader is
/// held to; quadratic in the nesting depth).
pub fn parse_listing_with_dom(bytes: &[u8], page_url: &Url) -> ListingPage {
    listing_with_dom(&decode(bytes).0, page_url)
}

/// Reads one listing page without a tree, whatever its depth.
pub fn parse_listing_flat(bytes: &[u8], page_url: &Url) -> ListingPage {
    flat::parse_listing_flat(&decode(bytes).0, page_url)
}

fn listing_with_dom(text: &str, page_url: &Url) -> ListingPage {
    let doc = Html::parse_document(text);
    let mut page = ListingPage::default();
    let (Some(li_sel), Some(a_sel), Some(span_sel)) = (selector("li"), selector("a"), selector("span")) else {
        return page;
    };
    for li in doc.select(&li_sel) {
        let Some(a) = li.select(&a_sel).next() else { continue };
        let date = li.select(&span_sel).find_map(|s| find_date(&text_of(s)));
        let Some(date) = date else { continue };
        let title = {
            let t = text_of(a);
            if t.is_empty() {
                a.value().attr("title").unwrap_or_default().trim().to_string()
            } else {
                t
            }
        };
        let Some(url) = element_target(a).and_then(|h| resolve(page_url, &h)) else {
            continue;
        };
        page.items.push(ListingItem {
            date: Some(date),
            title,
            url,
        });
    }
    page.next = doc
        .select(&a_sel)
        .find(|a| text_of(*a).contains("下一页"))
        .and_then(element_target)
        .and_then(|h| resolve(page_url, &h))
        .filter(|u| u != page_url);
    page
}

/// Reads a detail page: heading, date, PDF link and the content. A page nested too deep for a
/// tree is read flat (the same answers on the site's pages), with a warning saying so.
pub fn parse_detail(bytes: &[u8], page_url: &Url) -> DetailPage {
    let (text, warning) = decode(bytes);
    let mut detail = if too_deep(&text) {
        let mut d = flat::parse_detail_flat(&text, page_url);
        d.warnings.push(format!(
            "the page nests elements more than {MAX_PAGE_DEPTH} deep, or deep too often (broken or hostile markup): read without a tree"
        ));
        d
    } else {
        detail_with_dom(&text, page_url)
    };
    detail.warnings.splice(0..0, warning);
    detail
}

/// Reads a detail page with html5ever, whatever its depth (the reference the flat reader is
/// held to; quadratic in the nesting depth).
pub fn parse_detail_with_dom(bytes: &[u8], page_url: &Url) -> DetailPage {
    let (text, warning) = decode(bytes);
    let mut detail = detail_with_dom(&text, page_url);
    detail.warnings.splice(0..0, warning);
    detail
}

/// Reads a detail page without a tree, whatever its depth.
pub fn parse_detail_flat(bytes: &[u8], page_url: &Url) -> DetailPage {
    let (text, warning) = decode(bytes);
    let mut detail = flat::parse_detail_flat(&text, page_url);
    detail.warnings.splice(0..0, warning);
    detail
}

fn detail_with_dom(text: &str, page_url: &Url) -> DetailPage {
    let doc = Html::parse_document(text);
    let mut detail = DetailPage::default();
    if let Some(s) = selector("h2.artil_tit, .artil_tit") {
        detail.title = doc.select(&s).next().map(text_of).filter(|t| !t.is_empty());
    }
    if let Some(s) = selector("div.artil_art, .artil_art") {
        detail.date = doc.select(&s).next().and_then(|e| find_date(&text_of(e)));
    }
    if let Some(s) = selector("div.artil_content, .artil_content")
        && let Some(content) = doc.select(&s).next()
    {
        {
            detail.content_html = Some(content.inner_html());
            if let Some(a_sel) = selector("a[href]") {
                detail.pdf = content
                    .select(&a_sel)
                    .filter_map(|a| a.value().attr("href"))
                    .filter_map(|h| resolve(page_url, h))
                    .find(|u| u.path().to_ascii_lowercase().ends_with(".pdf"));
            }
        }
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://www.cert.org.cn/publish/main/44/index.html").expect("valid")
    }

    #[test]
    fn listing_takes_window_open_and_href_and_the_next_link() {
        let html = r#"<ul class="waring_con">
<li><span>[2025-01-23]</span><a href="javascript:void(0)" onclick='window.open("/publish/main/44/2025/1/1_.html")'>网络安全信息与动态周报-2025年第3期</a></li>
<li><span>[2025-01-16]</span><a href="2025/2/2_.html">网络安全信息与动态周报-2025年第2期</a></li>
<li><a href="/elsewhere.html">no date</a></li>
</ul><div class="page"><a href="index_2.html">下一页</a> <a href="index_9.html">尾页</a></div>"#;
        let page = parse_listing(html.as_bytes(), &base());
        assert_eq!(page.items.len(), 2);
        assert_eq!(
            page.items[0].url.as_str(),
            "https://www.cert.org.cn/publish/main/44/2025/1/1_.html"
        );
        assert_eq!(page.items[0].date, NaiveDate::from_ymd_opt(2025, 1, 23));
        assert_eq!(
            page.items[1].url.as_str(),
            "https://www.cert.org.cn/publish/main/44/2025/2/2_.html"
        );
        assert_eq!(
            page.next.map(|u| u.to_string()),
            Some("https://www.cert.org.cn/publish/main/44/index_2.html".to_string())
        );
    }

    #[test]
    fn last_listing_page_has_no_next() {
        let html = r#"<ul><li><span>[2014-02-17]</span><a href="/a.html">x</a></li></ul><a href="index.html">首页</a>"#;
        assert_eq!(parse_listing(html.as_bytes(), &base()).next, None);
    }

    #[test]
    fn detail_pdf_names_with_chinese_and_spaces_are_percent_encoded() {
        let html = r#"<meta charset="utf-8"><h2 class="artil_tit"><font>网络安全信息与动态周报-2024年第43期</font></h2>
<div class="artil_art">来源：CNCERT　时间：2024-10-31</div><div class="artil_content"><a href="/publish/main/upload/File/Weekly Report 2024-49.pdf">x</a></div>"#;
        let d = parse_detail(html.as_bytes(), &base());
        assert_eq!(d.title.as_deref(), Some("网络安全信息与动态周报-2024年第43期"));
        assert_eq!(d.date, NaiveDate::from_ymd_opt(2024, 10, 31));
        assert_eq!(
            d.pdf.map(|u| u.to_string()),
            Some("https://www.cert.org.cn/publish/main/upload/File/Weekly%20Report%202024-49.pdf".to_string())
        );
        let html = r#"<div class="artil_content"><a href="/File/周报.pdf">x</a></div>"#;
        let d = parse_detail(html.as_bytes(), &base());
        assert_eq!(
            d.pdf.map(|u| u.to_string()),
            Some("https://www.cert.org.cn/File/%E5%91%A8%E6%8A%A5.pdf".to_string())
        );
    }

    #[test]
    fn gbk_and_gb2312_pages_decode_by_their_meta_charset() {
        for label in ["gbk", "GB2312", "gb18030"] {
            let head = format!(r#"<meta http-equiv="Content-Type" content="text/html; charset={label}" />"#);
            let (body, _, _) = encoding_rs::GBK.encode("<h2 class=\"artil_tit\">网络安全信息与动态周报</h2>");
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&body);
            let d = parse_detail(&bytes, &base());
            assert_eq!(d.title.as_deref(), Some("网络安全信息与动态周报"), "{label}");
            assert!(d.warnings.is_empty(), "{label}: {:?}", d.warnings);
        }
    }

    #[test]
    fn undeclared_charset_is_utf8_and_bad_bytes_are_warned() {
        let (t, w) = decode("<p>周报</p>".as_bytes());
        assert_eq!(t, "<p>周报</p>");
        assert!(w.is_none());
        let (_, w) = decode(b"<p>\xff\xfe</p>");
        assert!(w.is_some());
    }
}
