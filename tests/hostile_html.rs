//! Hostile markup in the website's pages (issue 19.3): pages nested far deeper than any real page
//! (html5ever's scope checks take time quadratic in the depth: 100,000 nested `<div>` took 40 s)
//! are read flat, to the right record, with a warning; and the flat reader gives the tree-built
//! reader's answers on every page of the website fixture. The time is measured in
//! `benches/hostile_bench.py`, not here.

mod common;

use std::path::PathBuf;

use cncert_feed::extract::read_body;
use cncert_feed::report::PageKind;
use cncert_feed::sources::website::page::{
    DetailPage, parse_detail, parse_detail_flat, parse_detail_with_dom, parse_listing, parse_listing_flat,
    parse_listing_with_dom,
};
use cncert_feed::sources::website::read_website_page;
use url::Url;

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = common::cert_dir().join("files").join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    v.sort();
    v
}

fn page_url(path: &std::path::Path) -> Url {
    let name = path.file_name().and_then(|n| n.to_str()).expect("file name");
    Url::parse(&format!("https://www.cert.org.cn/publish/main/44/{name}")).expect("valid URL")
}

/// The content's markup as a tree writes it (scraper sorts attributes by name).
fn as_tree_writes_it(html: &str) -> String {
    scraper::Html::parse_fragment(html).root_element().inner_html()
}

/// Everything of a detail page, the content as what it reads to and as what the archive stores:
/// the flat reader hands on the content as written, the tree re-serialized, so both are written
/// by a tree before they are compared.
fn reading(d: &DetailPage) -> impl PartialEq + std::fmt::Debug {
    let body = d.content_html.as_deref().map(read_body);
    let stored = d
        .content_html
        .as_deref()
        .map(|h| cncert_feed::archive::sanitize_body(&as_tree_writes_it(h)));
    (d.title.clone(), d.date, d.pdf.clone(), d.warnings.clone(), body, stored)
}

#[test]
fn the_flat_reader_agrees_with_the_tree_on_every_detail_page() {
    let mut pages = files("detail");
    // The other detail-like pages of the fixture site.
    pages.extend(
        files("other")
            .into_iter()
            .filter(|p| std::fs::read(p).is_ok_and(|b| cncert_feed::sources::website::page::is_detail_page(&b))),
    );
    assert!(pages.len() >= 28, "{pages:?}");
    let mut with_content = 0;
    for p in &pages {
        let bytes = std::fs::read(p).expect("fixture readable");
        let url = page_url(p);
        let dom = parse_detail_with_dom(&bytes, &url);
        let flat = parse_detail_flat(&bytes, &url);
        assert!(dom.title.is_some() && dom.date.is_some(), "{}: {dom:?}", p.display());
        assert_eq!(reading(&flat), reading(&dom), "{}", p.display());
        // Real pages still take the tree: their records are exactly what they were.
        assert_eq!(parse_detail(&bytes, &url), dom, "{}", p.display());
        with_content += usize::from(dom.content_html.is_some());
    }
    assert!(with_content >= 20, "{with_content} pages with a content");
}

#[test]
fn the_flat_reader_agrees_with_the_tree_on_every_listing_page() {
    let pages = files("listing");
    assert_eq!(pages.len(), 3);
    for p in &pages {
        let bytes = std::fs::read(p).expect("fixture readable");
        let url = page_url(p);
        let dom = parse_listing_with_dom(&bytes, &url);
        assert!(!dom.items.is_empty(), "{}", p.display());
        assert_eq!(parse_listing_flat(&bytes, &url), dom, "{}", p.display());
        assert_eq!(parse_listing(&bytes, &url), dom, "{}", p.display());
    }
}

#[test]
fn the_flat_reader_agrees_with_the_tree_on_odd_markup() {
    let url = Url::parse("https://www.cert.org.cn/publish/main/44/index.html").expect("valid");
    for html in [
        // Entities, nested elements, a comment and a script in the heading; a GBK-less page.
        r#"<h2 class="x artil_tit">周报&nbsp;<b>第1期</b><!-- c --> &amp; <span>x</span></h2><div class='artil_art'>时间：2024/1/2</div>"#,
        // Unquoted and upper-case attributes, a `>` inside a quoted value, the PDF link second.
        r#"<H2 CLASS=artil_tit>标题</H2><div class="artil_content"><a title="a>b" href=/x.html>x</a><A HREF="/y.PDF">y</A></div>"#,
        // Nested divs inside the content, text after it.
        r#"<div class="artil_content"><div><div>共处理网络安全事件295起</div></div><p>b</p></div><div>after</div>"#,
        // Never closed.
        r#"<div class="artil_content"><p>共处理网络安全事件295起"#,
        // No such elements at all.
        "<p>nothing</p>",
    ] {
        let dom = parse_detail_with_dom(html.as_bytes(), &url);
        let flat = parse_detail_flat(html.as_bytes(), &url);
        assert_eq!(reading(&flat), reading(&dom), "{html}");
    }
    for html in [
        r#"<ul><li><span>[2025-01-23]</span><a href="javascript:;" onclick='window.open("/a.html")' title="t"></a></li><li><span>x</span><span><b>2025-01-16</b></span><a href="/b.html"><b>二</b> 期</a></li></ul><div><a href="index_2.html"><span>下一页</span></a></div>"#,
        // Unclosed items: each `<li>` closes the one before. (An `<a>` left open across items is
        // not: html5ever re-opens it in the next item, the flat reader does not.)
        r#"<ul><li><span>2025-01-23</span><a href="/a.html">一</a><li><span>2025-01-16</span><a href="/b.html">二</a></ul><a href="index.html">首页</a>"#,
    ] {
        let dom = parse_listing_with_dom(html.as_bytes(), &url);
        assert!(!dom.items.is_empty(), "{html}");
        assert_eq!(parse_listing_flat(html.as_bytes(), &url), dom, "{html}");
    }
}

const TITLE: &str = "网络安全信息与动态周报-2024年第43期";

/// A detail page whose content sits inside `depth` unclosed `<div>`.
fn deep_detail(depth: usize) -> String {
    format!(
        r#"<html><head><meta charset="utf-8"><title>x</title></head><body><h2 class="artil_tit"><font>{TITLE}</font></h2>
<div class="artil_art">来源：CNCERT　时间：2024-10-31</div><div class="artil_content">{}<p>本周，互联网网络安全态势整体评价为良。共处理网络安全事件295起，含跨境网络安全事件140起。</p><a href="/publish/main/upload/File/43.pdf">下载</a>"#,
        "<div>".repeat(depth)
    )
}

#[test]
fn a_detail_page_nested_100000_deep_reads_to_its_record_with_a_warning() {
    let config = common::repo_config();
    let url = Url::parse("https://www.cert.org.cn/publish/main/44/2024/10/1.html").expect("valid");
    let page = deep_detail(100_000);
    let d = parse_detail(page.as_bytes(), &url);
    assert_eq!(d.title.as_deref(), Some(TITLE));
    assert!(
        d.warnings.iter().any(|w| w.contains("read without a tree")),
        "{:?}",
        d.warnings
    );
    let r = read_website_page(page.as_bytes(), Some(&url), &config).report;
    assert_eq!(r.kind, Some(PageKind::Report));
    assert_eq!((r.year, r.issue), (Some(2024), Some(43)));
    assert_eq!(r.metrics.get("incidents_handled").and_then(|v| v.as_count()), Some(295));
    assert_eq!(
        r.metrics.get("incidents_cross_border").and_then(|v| v.as_count()),
        Some(140)
    );
    assert_eq!(
        r.pdf.as_deref(),
        Some("https://www.cert.org.cn/publish/main/upload/File/43.pdf")
    );
    assert!(r.published.is_some());
    assert!(
        r.warnings.iter().any(|w| w.contains("read without a tree")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_listing_page_nested_100000_deep_keeps_its_items_and_next_link() {
    let url = Url::parse("https://www.cert.org.cn/publish/main/44/index.html").expect("valid");
    let page = format!(
        r#"<meta charset="utf-8">{}<ul class="waring_con"><li><span>[2025-01-23]</span><a href="javascript:void(0)" onclick='window.open("/publish/main/44/2025/1/1_.html")' title="网络安全信息与动态周报-2025年第3期">网络安全信息与动态周报-2025年第3期</a></li>
<li><span>[2025-01-16]</span><a href="2025/2/2_.html">网络安全信息与动态周报-2025年第2期</a></li></ul>{}<div class="page"><a href="index_2.html">下一页</a></div>"#,
        "<div>".repeat(100_000),
        "<span><b>".repeat(50_000)
    );
    let l = parse_listing(page.as_bytes(), &url);
    let urls: Vec<&str> = l.items.iter().map(|i| i.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![
            "https://www.cert.org.cn/publish/main/44/2025/1/1_.html",
            "https://www.cert.org.cn/publish/main/44/2025/2/2_.html"
        ]
    );
    assert_eq!(l.items[1].title, "网络安全信息与动态周报-2025年第2期");
    assert_eq!(
        l.next.as_ref().map(Url::as_str),
        Some("https://www.cert.org.cn/publish/main/44/index_2.html")
    );
}

#[test]
fn hostile_fragments_are_read_without_panic() {
    let url = Url::parse("https://www.cert.org.cn/publish/main/44/index.html").expect("valid");
    for html in [
        "<",
        "</",
        "<a",
        "<a href=\"",
        "<a href='x",
        "<!--",
        "<!",
        "<?",
        "</ >",
        "<div class=",
        "<script>",
        "<script></scrip",
        "<li><span>2024-01-01<a href=x",
        "<a =x /=y>",
        "<中文>",
        "<a\u{3000}href=x>",
    ] {
        for deep in [false, true] {
            let page = if deep {
                format!("{}{html}", "<div class=\"artil_content\">".repeat(600))
            } else {
                html.to_string()
            };
            let _ = parse_detail(page.as_bytes(), &url);
            let _ = parse_detail_flat(page.as_bytes(), &url);
            let _ = parse_listing(page.as_bytes(), &url);
            let _ = parse_listing_flat(page.as_bytes(), &url);
        }
    }
}

#[test]
fn a_body_nested_100000_deep_is_stored_and_published_as_its_text() {
    let url = Url::parse("https://www.cert.org.cn/publish/main/44/2024/10/1.html").expect("valid");
    let d = parse_detail(deep_detail(100_000).as_bytes(), &url);
    let content = d.content_html.expect("the content is read");
    // What the crawl stores (ammonia's tree would take minutes over this body) …
    let stored = cncert_feed::archive::sanitize_body(&content);
    assert!(
        stored.contains("<p>本周，互联网网络安全态势整体评价为良。共处理网络安全事件295起"),
        "{stored}"
    );
    assert!(!stored.contains("<div"), "{}", &stored[..stored.len().min(300)]);
    // … and what a feed shows of an archive edited by hand to hold such a body.
    let fed = cncert_feed::publish::html::sanitize_for_feed(&content);
    assert!(fed.contains("共处理网络安全事件295起"), "{fed}");
    assert!(!fed.contains("<div"), "{}", &fed[..fed.len().min(300)]);
    // A WeChat body too: `<`, `>` and `&` in its text stay text.
    let wechat = format!("{}<p>a &lt;b&gt; &amp; c</p>", "<section>".repeat(100_000));
    assert_eq!(
        cncert_feed::archive::sanitize_body(&wechat),
        "<p>a &lt;b&gt; &amp; c</p>\n"
    );
}

#[test]
fn a_page_just_under_the_depth_limit_with_many_elements_is_read_flat_too() {
    let url = Url::parse("https://www.cert.org.cn/publish/main/44/2024/10/1.html").expect("valid");
    let page = format!("{}{}", deep_detail(500), "<p>x</p>".repeat(20_000));
    let d = parse_detail(page.as_bytes(), &url);
    assert_eq!(d.title.as_deref(), Some(TITLE));
    assert!(
        d.warnings.iter().any(|w| w.contains("read without a tree")),
        "{:?}",
        d.warnings
    );
    assert_eq!(
        d.pdf.as_ref().map(Url::as_str),
        Some("https://www.cert.org.cn/publish/main/upload/File/43.pdf")
    );
}
