//! Every link the outputs publish is resolved against the page it came from (issue 22, item 8):
//! a website page's root-relative pictures (`/publish/main/upload/Image/chart1.png`) become
//! that site's, never `https://publish/…`; relative, `../` and protocol-relative references
//! resolve too, and other schemes are left out. A record without a web URL (a saved page or PDF
//! imported from disk) still renders valid feeds, with its item linking to its row on the series
//! page and its id unchanged.

mod common;

use std::path::Path;

use cncert_feed::archive::{Archive, observe};
use cncert_feed::assemble::{Observation, ReadVia, SourceKind};
use cncert_feed::publish::render;
use cncert_feed::{MetricValue, PageKind, Report};

/// The website's detail page of 2017年第22期, as the fixture site serves it.
const PAGE_2017_22: &str =
    "http://www.cert.org.cn/publish/main/44/2017/20170608153446000084021/20170608153446000084021_.html";

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339("2024-12-01T10:00:00+08:00").expect("valid")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Archives what the website's reader makes of the fixture's detail page of 2017年第22期,
/// read at `url` (`None`: a page saved to disk, imported without its URL).
fn archive_website_page(data: &Path, config: &cncert_feed::Config, url: Option<&str>) {
    let bytes = std::fs::read(common::cert_dir().join("files/detail/2017-22.html")).expect("fixture");
    let page = url.map(|u| url::Url::parse(u).expect("url"));
    let x = cncert_feed::sources::website::read::read_website_page(&bytes, page.as_ref(), config);
    assert!(
        x.content_html
            .as_deref()
            .is_some_and(|h| h.contains("src=\"/publish/main/upload/Image/chart1.png\"")),
        "the page's picture is root-relative"
    );
    let mut obs = Observation::new(x.report, ReadVia::Import, now());
    obs.content_html = x.content_html;
    let entry = observe(None, SourceKind::Website, obs, now(), None).expect("an entry");
    Archive::new(data).save_entry(&entry).expect("save");
}

/// The content of every item in every feed (RSS `content:encoded`, Atom `content`, JSON Feed
/// `content_html`), each feed checked to parse.
fn contents(dir: &Path) -> Vec<String> {
    for f in ["rss.xml", "atom.xml", "feed.json"] {
        let bytes = std::fs::read(dir.join(f)).expect("feed");
        feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| panic!("{f} invalid: {e}"));
    }
    let rss = rss::Channel::read_from(std::fs::read(dir.join("rss.xml")).expect("rss").as_slice()).expect("rss");
    let atom =
        atom_syndication::Feed::read_from(std::fs::read(dir.join("atom.xml")).expect("atom").as_slice()).expect("atom");
    let jf: serde_json::Value = serde_json::from_str(&read(&dir.join("feed.json"))).expect("json");
    let mut out: Vec<String> = rss.items.iter().filter_map(|i| i.content.clone()).collect();
    out.extend(
        atom.entries
            .iter()
            .filter_map(|e| e.content.as_ref().and_then(|c| c.value.clone())),
    );
    out.extend(
        jf["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["content_html"].as_str().map(str::to_string)),
    );
    out
}

#[test]
fn a_website_pages_root_relative_picture_is_that_sites_picture_in_every_feed() {
    let config = common::repo_config();
    let data = common::temp_dir("links-website");
    archive_website_page(&data, &config, Some(PAGE_2017_22));
    let out = common::temp_dir("links-website-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let all = contents(&out.join("cncert-weekly"));
    assert_eq!(all.len(), 3);
    for c in all {
        assert!(
            c.contains("<img src=\"https://www.cert.org.cn/publish/main/upload/Image/chart1.png\""),
            "{c}"
        );
        assert!(!c.contains("https://publish/"), "{c}");
        assert!(c.contains(&format!("<a href=\"{PAGE_2017_22}\">阅读原文</a>")), "{c}");
    }
}

#[test]
fn a_website_page_saved_without_its_url_still_shows_its_picture() {
    let config = common::repo_config();
    let data = common::temp_dir("links-saved");
    archive_website_page(&data, &config, None);
    let out = common::temp_dir("links-saved-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    for c in contents(&out.join("cncert-weekly")) {
        assert!(
            c.contains("<img src=\"https://www.cert.org.cn/publish/main/upload/Image/chart1.png\""),
            "the site's root is known: {c}"
        );
        assert!(!c.contains("阅读原文"), "no article to link: {c}");
    }
}

/// A body with every kind of reference, as a website page at `url` would hold it.
const BODY: &str = "<p>正文</p>\
    <img src=\"/publish/main/upload/Image/root.png\">\
    <img src=\"rel/a.png\">\
    <img src=\"../../up.png\">\
    <img src=\"//img.example.org/proto.png\">\
    <img src=\"https://img.example.org/abs.png\">\
    <img src=\"data:image/png;base64,iVBORw0KGgo=\">\
    <img src=\"javascript:alert(1)\">\
    <a href=\"/publish/main/44/index.html\">列表</a>\
    <a href=\"next.html\">下一期</a>\
    <a href=\"javascript:alert(2)\">点我</a>\
    <a href=\"data:text/html,x\">数据</a>\
    <a href=\"mailto:cncert_report@cert.org.cn\">来信</a>";

/// Archives 2024年第43期 read from the website at `url` with [`BODY`] and a relative PDF link.
fn archive_with_body(data: &Path, url: Option<&str>) {
    let mut report = Report::of_kind(PageKind::Report, url.map(str::to_string));
    report.series = Some("cncert-weekly".into());
    report.title = Some("网络安全信息与动态周报2024年第43期".into());
    report.year = Some(2024);
    report.issue = Some(43);
    report.published = Some(now());
    report.pdf = Some("../../../upload/File/43.pdf".into());
    report
        .metrics
        .insert("incidents_handled".into(), MetricValue::Count(295));
    let mut obs = Observation::new(report, ReadVia::Page, now());
    obs.content_html = Some(BODY.into());
    obs.pdf_size = Some(1234);
    let entry = observe(None, SourceKind::Website, obs, now(), None).expect("an entry");
    Archive::new(data).save_entry(&entry).expect("save");
}

#[test]
fn every_kind_of_reference_resolves_against_the_page_and_other_schemes_are_left_out() {
    let config = common::repo_config();
    let data = common::temp_dir("links-kinds");
    let page = "http://www.cert.org.cn/publish/main/44/2024/20241031/1.html";
    archive_with_body(&data, Some(page));
    let out = common::temp_dir("links-kinds-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let dir = out.join("cncert-weekly");
    for c in contents(&dir) {
        for img in [
            "https://www.cert.org.cn/publish/main/upload/Image/root.png",
            "https://www.cert.org.cn/publish/main/44/2024/20241031/rel/a.png",
            "https://www.cert.org.cn/publish/main/44/up.png",
            "https://img.example.org/proto.png",
            "https://img.example.org/abs.png",
        ] {
            assert!(c.contains(&format!("<img src=\"{img}\"")), "{img} in {c}");
        }
        assert_eq!(
            c.matches("<img ").count(),
            5,
            "data: and javascript: pictures dropped: {c}"
        );
        assert!(
            c.contains("href=\"http://www.cert.org.cn/publish/main/44/index.html\""),
            "{c}"
        );
        assert!(
            c.contains("href=\"http://www.cert.org.cn/publish/main/44/2024/20241031/next.html\""),
            "{c}"
        );
        assert!(c.contains("href=\"mailto:cncert_report@cert.org.cn\""), "{c}");
        for bad in [
            "javascript:",
            "data:",
            "https://publish/",
            "href=\"/",
            "src=\"/",
            "href=\"next",
        ] {
            assert!(!c.contains(bad), "{bad} in {c}");
        }
        assert!(
            c.contains("点我") && c.contains("数据"),
            "the text of a dropped link stays: {c}"
        );
    }
    // The PDF, enclosed and linked from the page, resolved against the page too.
    let pdf = "http://www.cert.org.cn/publish/main/upload/File/43.pdf";
    let rss = read(&dir.join("rss.xml"));
    assert!(
        rss.contains(&format!("<enclosure url=\"{pdf}\" length=\"1234\"")),
        "{rss}"
    );
    let atom = read(&dir.join("atom.xml"));
    assert!(atom.contains(&format!("href=\"{pdf}\"")), "{atom}");
    let jf = read(&dir.join("feed.json"));
    assert!(jf.contains(&format!("\"url\": \"{pdf}\"")), "{jf}");
    let html = read(&dir.join("index.html"));
    assert!(html.contains(&format!("<a href=\"{pdf}\" title=\"报告 PDF")), "{html}");
}

#[test]
fn without_a_page_relative_references_are_left_out_and_nothing_is_guessed() {
    // A WeChat body whose record has no URL: nothing to resolve `rel/a.png` against.
    let config = common::repo_config();
    let data = common::temp_dir("links-nopage");
    let mut report = Report::of_kind(PageKind::Report, None);
    report.series = Some("cncert-weekly".into());
    report.title = Some("网络安全信息与动态周报2024年第43期".into());
    report.year = Some(2024);
    report.issue = Some(43);
    report.published = Some(now());
    let mut obs = Observation::new(report, ReadVia::Import, now());
    obs.content_html = Some(BODY.into());
    let entry = observe(None, SourceKind::Wechat, obs, now(), None).expect("an entry");
    Archive::new(&data).save_entry(&entry).expect("save");
    let out = common::temp_dir("links-nopage-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    for c in contents(&out.join("cncert-weekly")) {
        assert!(c.contains("<img src=\"https://img.example.org/proto.png\""), "{c}");
        assert!(c.contains("<img src=\"https://img.example.org/abs.png\""), "{c}");
        assert_eq!(c.matches("<img ").count(), 2, "{c}");
        for bad in ["https://publish/", "href=\"/", "src=\"/", "rel/a.png", "next.html"] {
            assert!(!c.contains(bad), "{bad} in {c}");
        }
    }
}
