//! Property tests: `extract` never panics, whatever the bytes: arbitrary input, truncated real
//! pages, deeply nested markup, huge attributes, invalid UTF-8.

mod common;

use cncert_feed::{PageKind, extract_page};
use proptest::prelude::*;

fn real_page() -> Vec<u8> {
    std::fs::read(common::site_dir().join("pages/2024-46.html")).expect("fixture readable")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let config = common::repo_config();
        let _ = extract_page(&bytes, None, &config);
    }

    #[test]
    fn markup_soup_never_panics(parts in proptest::collection::vec(
        prop_oneof![
            Just("<div id=\"js_content\">".to_string()),
            Just("</div>".to_string()),
            Just("<div".to_string()),
            Just("<!--".to_string()),
            Just("var ct = \"".to_string()),
            Just("var biz = \"\"||".to_string()),
            Just("<meta property=\"og:title\" content=\"网络安全信息与动态周报2024年第43期（".to_string()),
            Just("共处理网络安全事件".to_string()),
            Just("<a href=\"/s/".to_string()),
            Just("&#x".to_string()),
            Just("万".to_string()),
            "[0-9]{1,25}".prop_map(|s| s),
            "\\PC{0,20}".prop_map(|s| s),
        ], 0..60)) {
        let config = common::repo_config();
        let page = parts.concat();
        let _ = extract_page(page.as_bytes(), Some("https://mp.weixin.qq.com/s/abc"), &config);
    }

    #[test]
    fn truncated_real_pages_never_panic(cut in 0usize..330_000) {
        let config = common::repo_config();
        let page = real_page();
        let cut = cut.min(page.len());
        let _ = extract_page(&page[..cut], None, &config);
    }

    #[test]
    fn flipped_bytes_in_a_real_page_never_panic(pos in 0usize..330_000, byte in any::<u8>()) {
        let config = common::repo_config();
        let mut page = real_page();
        let at = pos % page.len();
        page[at] = byte;
        let _ = extract_page(&page, None, &config);
    }
}

#[test]
fn deeply_nested_markup_is_read() {
    let config = common::repo_config();
    let depth = 100_000;
    let mut page = String::from(
        "<meta property=\"og:title\" content=\"网络安全信息与动态周报2024年第43期（10月21日-10月27日）\"><div id=\"js_content\">",
    );
    page.push_str(&"<span>".repeat(depth));
    page.push_str("共处理网络安全事件295起");
    page.push_str(&"</span>".repeat(depth));
    page.push_str("</div>");
    let r = extract_page(page.as_bytes(), None, &config).report;
    assert_eq!(r.kind, Some(PageKind::Report));
    assert_eq!(r.metrics.get("incidents_handled").and_then(|v| v.as_count()), Some(295));
    // Unclosed blocks nested far deeper than any article (html5ever's scope checks would take
    // minutes): read flat, in one pass, the figures still found.
    let nested_divs = format!(
        "<meta property=\"og:title\" content=\"网络安全信息与动态周报2024年第43期\"><div id=\"js_content\">{}<p>共处理网络安全事件295起，含跨境网络安全事件140起。</p>{}<a href=\"https://mp.weixin.qq.com/s?__biz=MzI=&amp;mid=1&amp;idx=1&amp;sn=a\">网络安全信息与动态周报2024年第42期</a></div>",
        "<div>".repeat(50_000),
        "<section><style>p{}</style>".repeat(20_000)
    );
    let r = extract_page(nested_divs.as_bytes(), None, &config).report;
    assert_eq!(r.metrics.get("incidents_handled").and_then(|v| v.as_count()), Some(295));
    assert_eq!(
        r.metrics.get("incidents_cross_border").and_then(|v| v.as_count()),
        Some(140)
    );
    assert_eq!(
        r.previous,
        vec!["https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=a".to_string()]
    );
}

#[test]
fn huge_attributes_and_titles_are_survived() {
    let config = common::repo_config();
    let huge = "a".repeat(5_000_000);
    let page = format!(
        "<meta property=\"og:title\" content=\"{huge}\"><div id=\"js_content\" data-x=\"{huge}\"><p>x</p></div><script>var ct = \"{huge}\";</script>"
    );
    let r = extract_page(page.as_bytes(), None, &config).report;
    assert_eq!(r.kind, Some(PageKind::OtherArticle));
}

#[test]
fn invalid_utf8_gives_a_warning_not_a_failure() {
    let config = common::repo_config();
    let mut page = real_page();
    let body = memchr_find(&page, b"id=\"js_content\"").expect("body present");
    let at = body + memchr_find(&page[body..], "本周，互联网".as_bytes()).expect("text present");
    page[at + 1] = 0xff;
    let r = extract_page(&page, None, &config).report;
    assert_eq!(r.kind, Some(PageKind::Report));
    assert!(r.warnings.iter().any(|w| w.contains("UTF-8")), "{:?}", r.warnings);
    assert_eq!(r.issue, Some(46));
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn the_fast_body_reader_handles_every_fixture_body_exactly_like_html5ever() {
    let dir = common::site_dir().join("pages");
    let mut bodies = 0;
    for entry in std::fs::read_dir(&dir).expect("pages").flatten() {
        let page = std::fs::read(entry.path()).expect("page");
        let Some(html) = cncert_feed::sources::wechat::page::scan(&page).content_html else {
            continue;
        };
        bodies += 1;
        let fast = cncert_feed::extract::read_body_fast(&html)
            .unwrap_or_else(|| panic!("{}: the fast reader gave up on editor markup", entry.path().display()));
        assert_eq!(
            fast,
            cncert_feed::extract::read_body_with_dom(&html),
            "{}",
            entry.path().display()
        );
    }
    assert!(bodies >= 25);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Wherever the fast reader answers, it answers what html5ever does.
    #[test]
    fn the_fast_body_reader_agrees_with_html5ever_whenever_it_answers(parts in proptest::collection::vec(
        prop_oneof![
            Just("<p>"), Just("</p>"), Just("<section style=\"a:b\">"), Just("</section>"), Just("<span leaf=\"\">"),
            Just("</span>"), Just("<strong>"), Just("</strong>"), Just("<br>"), Just("<br/>"), Just("<img data-src=\"x&amp;y\">"),
            Just("<a href=\"http://mp.weixin.qq.com/s?a=1&amp;b=2\" textvalue=\"周报\">"), Just("</a>"), Just("<div>"), Just("</div>"),
            Just("<h2>"), Just("</h2>"), Just("<li>"), Just("</li>"), Just("<ul>"), Just("</ul>"), Just("<script>x<p></script>"),
            Just("<!-- c -->"), Just("<!---->"), Just("&nbsp;"), Just("&amp;"), Just("&#20013;"), Just("&#x4e2d;"), Just("&copy;"),
            Just("&"), Just("<"), Just(">"), Just(" "), Just("\n"), Just("图1 说明"), Just("共处理网络安全事件"), Just("295"), Just("起。"),
            Just("<table><tr><td>"), Just("</td></tr></table>"), Just("<b>"), Just("</b>"), Just("<em>"), Just("</em>"),
            Just("<P>"), Just("</P>"), Just("<p class='x'>"), Just("<span title=\"a\" title=\"b\">"), Just("<hr>"),
        ], 0..40)) {
        let html = parts.concat();
        if let Some(fast) = cncert_feed::extract::read_body_fast(&html) {
            prop_assert_eq!(fast, cncert_feed::extract::read_body_with_dom(&html), "{}", html);
        }
    }
}

#[test]
fn an_archive_file_never_chooses_where_it_is_written() {
    use cncert_feed::archive::Archive;
    let data = common::temp_dir("misplaced");
    let archive = Archive::new(&data);
    let outside = data
        .parent()
        .expect("parent")
        .join(format!("escaped-{}", std::process::id()));
    // A record (edited by hand, or crafted) claiming another series and issue than its place.
    let dir = data.join("cncert-weekly/2024");
    std::fs::create_dir_all(&dir).expect("dir");
    let record = serde_json::json!({
        "kind": "report", "series": format!("../../{}", outside.file_name().and_then(|n| n.to_str()).expect("name")),
        "year": 2024, "issue": 43, "metrics": {}, "schema_version": 2,
        "first_seen": "2024-11-01T00:00:00+08:00", "fetched_at": "2024-11-01T00:00:00+08:00", "updated": "2024-11-01T00:00:00+08:00"
    });
    std::fs::write(dir.join("43.json"), serde_json::to_vec_pretty(&record).expect("json")).expect("write");
    let err = archive
        .load_series("cncert-weekly")
        .expect_err("a misplaced record is refused");
    assert!(
        err.to_string().contains("43.json") && err.to_string().contains("move or fix"),
        "{err}"
    );
    // And an entry whose id could name another place is never written.
    let mut r = cncert_feed::Report::of_kind(PageKind::Report, Some("https://mp.weixin.qq.com/s?x".into()));
    r.series = Some("../escape".into());
    r.year = Some(2024);
    r.issue = Some(43);
    let now = chrono::DateTime::parse_from_rfc3339("2024-11-01T00:00:00+08:00").expect("valid");
    let obs = cncert_feed::assemble::Observation::new(r, cncert_feed::assemble::ReadVia::Page, now);
    let entry = cncert_feed::archive::Entry::new(cncert_feed::assemble::SourceKind::Wechat, obs, now);
    assert!(archive.save_entry(&entry).is_err());
    assert!(!data.join("escape").exists() && !outside.exists());
}
