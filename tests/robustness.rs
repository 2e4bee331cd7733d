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
    let nested_divs = format!("<div id=\"js_content\">{}x", "<div>".repeat(50_000));
    let _ = extract_page(nested_divs.as_bytes(), None, &config);
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
