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

/// Archives 2024年第`issue`期 as WeChat read it, with `url` as its record's URL.
fn archive_with_url(data: &Path, issue: u32, url: Option<&str>) {
    let mut report = Report::of_kind(PageKind::Report, url.map(str::to_string));
    report.series = Some("cncert-weekly".into());
    report.title = Some(format!("网络安全信息与动态周报2024年第{issue}期"));
    report.year = Some(2024);
    report.issue = Some(issue);
    let start =
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + chrono::Duration::weeks(i64::from(issue) - 1);
    report.period_start = Some(start);
    report.period_end = Some(start + chrono::Duration::days(6));
    report
        .metrics
        .insert("incidents_handled".into(), MetricValue::Count(200 + i64::from(issue)));
    let mut obs = Observation::new(report, ReadVia::Import, now());
    obs.content_html = Some("<p>本周，互联网网络安全态势整体评价为良。</p><img src=\"pic.png\">".into());
    let entry = observe(None, SourceKind::Wechat, obs, now(), None).expect("an entry");
    Archive::new(data).save_entry(&entry).expect("save");
}

/// The article of 2024年第42期, a record with a web URL.
const ARTICLE_42: &str = "https://mp.weixin.qq.com/s?__biz=MzI=&mid=42&idx=1&sn=ab";

/// 第40–44期: one with a web URL, the others with none, an empty one, a local file, a path.
fn archive_without_urls(data: &Path) {
    archive_with_url(data, 40, Some("/home/u/周报2024-40.html"));
    archive_with_url(data, 41, Some(""));
    archive_with_url(data, 42, Some(ARTICLE_42));
    archive_with_url(data, 43, None);
    archive_with_url(data, 44, Some("file:///home/u/%E5%91%A8%E6%8A%A5.pdf"));
}

/// The id and first link of every entry of a feed.
type Entries = Vec<(String, Option<String>)>;

/// (id, link) of every entry of every feed, by file, as feed-rs reads them.
fn ids_and_links(dir: &Path) -> Vec<(String, Entries)> {
    ["rss.xml", "atom.xml", "feed.json"]
        .iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(f)).expect("feed");
            let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| panic!("{f} invalid: {e}"));
            let entries = feed
                .entries
                .iter()
                .map(|e| (e.id.clone(), e.links.first().map(|l| l.href.clone())))
                .collect();
            (f.to_string(), entries)
        })
        .collect()
}

#[test]
fn records_without_a_web_url_link_to_their_row_and_keep_their_ids() {
    let config = common::repo_config();
    let data = common::temp_dir("nourl");
    archive_without_urls(&data);
    let out = common::temp_dir("nourl-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let dir = out.join("cncert-weekly");
    let page = "https://example.github.io/cncert-feed/cncert-weekly/index.html";
    for (f, entries) in ids_and_links(&dir) {
        assert_eq!(entries.len(), 5, "{f}");
        for (id, link) in &entries {
            let issue: u32 = id
                .rsplit('/')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{f}: id {id}"));
            assert_eq!(id, &format!("tag:cncert-feed,2024:cncert-weekly/2024/{issue}"), "{f}");
            let want = if issue == 42 {
                ARTICLE_42.to_string()
            } else {
                format!("{page}#issue-2024-{issue}")
            };
            assert_eq!(link.as_deref(), Some(want.as_str()), "{f}: {id}");
        }
    }
    // The id is no link (RSS guid isPermaLink="false"), whatever the link is.
    let rss = rss::Channel::read_from(std::fs::read(dir.join("rss.xml")).expect("rss").as_slice()).expect("rss");
    assert!(rss.items.iter().all(|i| i.guid.as_ref().is_some_and(|g| !g.permalink)));
    // Every output holds no local path and no relative picture.
    let html = read(&dir.join("index.html"));
    for f in [
        "rss.xml",
        "atom.xml",
        "feed.json",
        "index.html",
        "metrics.csv",
        "metrics.json",
    ] {
        let text = read(&dir.join(f));
        for bad in ["file:", "/home/u", "\"pic.png", "/u/pic.png"] {
            assert!(!text.contains(bad), "{f}: {bad}");
        }
    }
    // The rows the items link to, and only those, carry an id.
    for issue in [40, 41, 43, 44] {
        assert!(
            html.contains(&format!("<tr id=\"issue-2024-{issue}\"><td>2024年第{issue}期</td>")),
            "{issue}: {html}"
        );
    }
    assert!(
        html.contains(&format!(
            "<tr><td><a href=\"{}\">2024年第42期</a>",
            ARTICLE_42.replace('&', "&amp;")
        )),
        "{html}"
    );
    // 阅读原文 only for the article that has a page.
    for c in contents(&dir) {
        let n = c.matches("阅读原文").count();
        assert!(n <= 1, "{c}");
        if n == 1 {
            assert!(c.contains(&format!(
                "<a href=\"{}\">阅读原文</a>",
                ARTICLE_42.replace('&', "&amp;")
            )));
        }
    }
    let front = read(&out.join("index.html"));
    assert!(
        front.contains("2024年第44期"),
        "the latest issue on the front page: {front}"
    );
    let opml = read(&out.join("feeds.opml"));
    assert!(
        opml.contains(&format!("htmlUrl=\"{page}\"")) && !opml.contains("file:"),
        "{opml}"
    );
}

#[test]
fn without_a_site_url_a_record_without_a_web_url_gets_no_link_and_the_feeds_stay_valid() {
    let mut config = common::repo_config();
    config.site.base_url = None;
    let data = common::temp_dir("nourl-nosite");
    archive_without_urls(&data);
    let out = common::temp_dir("nourl-nosite-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let dir = out.join("cncert-weekly");
    for (f, entries) in ids_and_links(&dir) {
        assert_eq!(entries.len(), 5, "{f}");
        for (id, link) in entries {
            let want = id.ends_with("/42").then(|| ARTICLE_42.to_string());
            assert_eq!(link, want, "{f}: {id}");
        }
    }
    let jf: serde_json::Value = serde_json::from_str(&read(&dir.join("feed.json"))).expect("json");
    let without: Vec<&serde_json::Value> = jf["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i.get("url").is_none())
        .collect();
    assert_eq!(without.len(), 4, "no url rather than an empty or relative one");
}
