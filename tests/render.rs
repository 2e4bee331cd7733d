//! Rendering: every output parses back (feed-rs, the rss and atom crates), carries the figures,
//! re-renders byte-identically, and stays valid and inert with hostile content.

mod common;

use std::path::{Path, PathBuf};

use cncert_feed::archive::{Archive, Entry};
use cncert_feed::assemble::{Observation, ReadVia, SourceKind};
use cncert_feed::publish::render;
use cncert_feed::{MetricValue, PageKind, Report};

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn all_three_feeds_parse_back_with_entries_ids_dates_and_figures() {
    let (data, config) = common::imported_archive();
    let out = common::temp_dir("render-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let dir = out.join("cncert-weekly");
    for f in ["rss.xml", "atom.xml", "feed.json"] {
        let feed = feed_rs::parser::parse(read(&dir.join(f)).as_slice()).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(feed.entries.len(), 24, "{f}");
        let first = &feed.entries[0];
        assert_eq!(first.id, "tag:cncert-feed,2024:cncert-weekly/2025/3", "{f}");
        assert_eq!(
            first.published.map(|d| d.to_rfc3339()),
            Some("2025-01-23T09:30:00+00:00".to_string()),
            "{f}"
        );
        let title = first.title.as_ref().map(|t| t.content.clone()).unwrap_or_default();
        assert_eq!(title, "网络安全信息与动态周报2025年第3期（1月13日-1月19日）", "{f}");
        // Newest first.
        let dates: Vec<_> = feed.entries.iter().filter_map(|e| e.published).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{f} not newest first");
    }

    // JSON Feed: `_report` with figures and changes against the previous issue.
    let jf: serde_json::Value = serde_json::from_slice(&read(&dir.join("feed.json"))).expect("json");
    assert_eq!(jf["version"], "https://jsonfeed.org/version/1.1");
    assert!(
        jf["feed_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("cncert-weekly/feed.json"))
    );
    let i43 = jf["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["_report"]["issue"] == 43 && i["_report"]["year"] == 2024)
        .expect("43");
    assert_eq!(i43["_report"]["metrics"]["incidents_handled"], 295);
    assert_eq!(i43["_report"]["assessment"], "良");
    assert_eq!(i43["_report"]["period_start"], "2024-10-21");
    let i42 = jf["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["_report"]["issue"] == 42 && i["_report"]["year"] == 2024)
        .expect("42");
    let delta = 295 - i42["_report"]["metrics"]["incidents_handled"].as_i64().expect("count");
    assert_eq!(i43["_report"]["changes"]["incidents_handled"], delta);

    // RSS and Atom: the same figures under the declared namespace.
    let rss = rss::Channel::read_from(read(&dir.join("rss.xml")).as_slice()).expect("rss parses");
    assert!(rss.namespaces.values().any(|v| v == cncert_feed::publish::NS_URI));
    let item = rss
        .items
        .iter()
        .find(|i| i.title.as_deref().is_some_and(|t| t.contains("2024年第43期")))
        .expect("43 in rss");
    let report = &item.extensions["cncert"]["report"][0];
    assert_eq!(report.attrs.get("assessment").map(String::as_str), Some("良"));
    let handled = report.children["metric"]
        .iter()
        .find(|m| m.attrs.get("key").map(String::as_str) == Some("incidents_handled"))
        .expect("metric");
    assert_eq!(handled.attrs.get("value").map(String::as_str), Some("295"));
    assert_eq!(handled.attrs.get("change"), Some(&delta.to_string()));
    assert_eq!(item.guid.as_ref().map(|g| g.permalink), Some(false));
    assert!(
        item.content
            .as_deref()
            .is_some_and(|c| c.contains("referrerpolicy=\"no-referrer\""))
    );
    assert!(
        item.content
            .as_deref()
            .is_some_and(|c| c.contains("src=\"https://mmbiz.qpic.cn/"))
    );

    let atom = atom_syndication::Feed::read_from(read(&dir.join("atom.xml")).as_slice()).expect("atom parses");
    assert!(atom.links.iter().any(|l| l.rel == "self"));
    assert!(atom.links.iter().any(|l| l.rel == "alternate"));
    let entry = atom
        .entries
        .iter()
        .find(|e| e.title.value.contains("2024年第43期"))
        .expect("43 in atom");
    assert_eq!(
        entry.extensions["cncert"]["report"][0]
            .attrs
            .get("issue")
            .map(String::as_str),
        Some("43")
    );

    // CSV: sorted by period, a column per metric in config order.
    let csv = String::from_utf8(read(&dir.join("metrics.csv"))).expect("utf-8");
    let mut lines = csv.lines();
    let header = lines.next().expect("header");
    assert!(header.starts_with("series,year,issue,period_start,period_end,published,assessment,incidents_handled,"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 24);
    assert!(rows[0].starts_with("cncert-weekly,2017,20,2017-05-15"));
    assert!(rows.iter().any(|r| {
        r.starts_with("cncert-weekly,2024,43,2024-10-21,2024-10-27,2024-10-31T17:30:00+08:00,良,295,140,253,16,18,")
    }));
    let metrics: serde_json::Value = serde_json::from_slice(&read(&dir.join("metrics.json"))).expect("json");
    assert_eq!(metrics.as_array().map(Vec::len), Some(24));

    // Pages and OPML.
    let opml = String::from_utf8(read(&out.join("feeds.opml"))).expect("utf-8");
    assert!(opml.contains("xmlUrl=\"https://example.github.io/cncert-feed/cncert-weekly/rss.xml\""));
    let page = String::from_utf8(read(&dir.join("index.html"))).expect("utf-8");
    assert!(page.contains("<svg") && page.contains("rss.xml") && !page.contains("<script"));
    // Readers find the feeds from the page's URL.
    assert!(page.contains("<link rel=\"alternate\" type=\"application/rss+xml\""));
    let front = String::from_utf8(read(&out.join("index.html"))).expect("utf-8");
    assert!(front.contains("href=\"cncert-weekly/atom.xml\""));
}

#[test]
fn an_unchanged_archive_renders_byte_identical_files() {
    let (data, config) = common::imported_archive();
    let out = common::temp_dir("render-twice");
    let first = render(&config, &Archive::new(&data), &out).expect("render");
    assert!(first.changed > 0);
    let before: Vec<Vec<u8>> = files(&out).iter().map(|p| read(p)).collect();
    let second = render(&config, &Archive::new(&data), &out).expect("render");
    assert_eq!(second.changed, 0, "files rewritten without a change");
    let after: Vec<Vec<u8>> = files(&out).iter().map(|p| read(p)).collect();
    assert_eq!(before, after);
    // And into a fresh directory too: no clock, no randomness.
    let out2 = common::temp_dir("render-fresh");
    render(&config, &Archive::new(&data), &out2).expect("render");
    let fresh: Vec<Vec<u8>> = files(&out2).iter().map(|p| read(p)).collect();
    assert_eq!(before, fresh);
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn hostile_content_stays_valid_and_inert() {
    let config = common::repo_config();
    let data = common::temp_dir("hostile");
    let now = chrono::DateTime::parse_from_rfc3339("2024-10-31T17:30:00+08:00").expect("date");
    let evil_title = format!(
        "网络安全信息与动态周报2024年第43期<script>alert(1)</script>\u{1}\u{8}]]>&amp;{}",
        "长".repeat(10_000)
    );
    let mut report = Report::of_kind(
        PageKind::Report,
        Some("https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=ab".to_string()),
    );
    report.series = Some("cncert-weekly".into());
    report.title = Some(evil_title);
    report.year = Some(2024);
    report.issue = Some(43);
    report.published = Some(now);
    report.assessment = Some("良\u{0}]]>".into());
    report
        .metrics
        .insert("incidents_handled".into(), MetricValue::Count(295));
    let obs = Observation {
        content_html: Some(
            "<p onclick=\"steal()\">正文]]><script>alert('x')</script><style>body{}</style></p>\
             <a href=\"javascript:alert(1)\">点我</a><iframe src=\"https://evil.example\"></iframe>\
             <img data-src=\"http://mmbiz.qpic.cn/a.png\" onerror=\"alert(1)\"><p>\u{7}控制字符\u{fffe}</p>\
             <div>微信扫一扫关注该公众号</div>"
                .into(),
        ),
        ..Observation::new(report, ReadVia::Page, now)
    };
    let entry = Entry::new(SourceKind::Wechat, obs, now);
    Archive::new(&data).save_entry(&entry).expect("save");
    let out = common::temp_dir("hostile-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let dir = out.join("cncert-weekly");
    for f in ["rss.xml", "atom.xml", "feed.json"] {
        let bytes = read(&dir.join(f));
        let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| panic!("{f} invalid: {e}"));
        assert_eq!(feed.entries.len(), 1, "{f}");
        let text = String::from_utf8(bytes).expect("utf-8");
        for bad in [
            "<script",
            "&lt;script&gt;alert('x')",
            "javascript:",
            "onerror",
            "onclick",
            "<iframe",
            "\u{1}",
            "\u{7}",
            "\u{0}",
            "微信扫一扫",
        ] {
            assert!(!text.contains(bad), "{f} contains {bad:?}");
        }
    }
    let rss = rss::Channel::read_from(read(&dir.join("rss.xml")).as_slice()).expect("rss parses");
    let content = rss.items[0].content.clone().unwrap_or_default();
    assert!(content.contains("正文]]&gt;"), "the text survives, escaped: {content}");
    assert!(content.contains("src=\"https://mmbiz.qpic.cn/a.png\""));
    assert!(
        rss.items[0]
            .title
            .as_deref()
            .is_some_and(|t| t.chars().count() > 10_000)
    );
    let page = String::from_utf8(read(&dir.join("index.html"))).expect("utf-8");
    assert!(!page.contains("<script"));
}

#[test]
fn image_proxy_template_rewrites_images() {
    let (data, mut config) = common::imported_archive();
    config.site.image_proxy = Some("https://images.weserv.nl/?url={url}".into());
    let out = common::temp_dir("proxy");
    render(&config, &Archive::new(&data), &out).expect("render");
    let rss = String::from_utf8(read(&out.join("cncert-weekly/rss.xml"))).expect("utf-8");
    assert!(rss.contains("src=\"https://images.weserv.nl/?url=https%3A%2F%2Fmmbiz.qpic.cn%2F"));
    assert!(!rss.contains("src=\"https://mmbiz.qpic.cn/"));
}

/// The W3C Feed Validator's safe elements and attributes (its `SecurityRisk` and
/// `SecurityRiskAttr` warnings fire on anything else; `data-*` attributes pass), as of its
/// html5lib-based version: the subset that can matter for our content.
const W3C_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "article",
    "aside",
    "b",
    "big",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "font",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "main",
    "mark",
    "nav",
    "ol",
    "p",
    "picture",
    "pre",
    "q",
    "s",
    "samp",
    "section",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
];
const W3C_ATTRIBUTES: &[&str] = &[
    "abbr",
    "align",
    "alt",
    "border",
    "cellpadding",
    "cellspacing",
    "cite",
    "class",
    "color",
    "cols",
    "colspan",
    "datetime",
    "dir",
    "face",
    "height",
    "href",
    "hreflang",
    "hspace",
    "id",
    "lang",
    "loading",
    "name",
    "referrerpolicy",
    "rel",
    "rows",
    "rowspan",
    "scope",
    "sizes",
    "span",
    "src",
    "srcset",
    "start",
    "summary",
    "target",
    "title",
    "type",
    "valign",
    "value",
    "vspace",
    "width",
];

/// Problems the W3C Feed Validator would report in one piece of feed HTML.
fn w3c_problems(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_fragment(html);
    // The validator parses content strictly: any HTML parse error is reported.
    let mut problems: Vec<String> = doc.errors.iter().map(|e| format!("parse error: {e}")).collect();
    for node in doc.root_element().descendants() {
        let Some(el) = node.value().as_element() else { continue };
        let name = el.name();
        if name == "html" {
            continue;
        }
        if !W3C_ELEMENTS.contains(&name) {
            problems.push(format!("element <{name}>"));
        }
        for (attr, value) in el.attrs() {
            let ok = W3C_ATTRIBUTES.contains(&attr)
                || attr.starts_with("data-")
                || (attr == "style"
                    && value
                        .split(';')
                        .all(|d| d.trim().is_empty() || d.trim().starts_with("text-align")));
            if !ok {
                problems.push(format!("<{name} {attr}=\"{value}\">"));
            }
        }
    }
    problems
}

#[test]
fn feed_content_uses_only_what_the_w3c_validator_accepts() {
    let (data, mut config) = common::imported_archive();
    for proxy in [None, Some("https://images.weserv.nl/?url={url}".to_string())] {
        config.site.image_proxy = proxy.clone();
        let out = common::temp_dir("w3c");
        render(&config, &Archive::new(&data), &out).expect("render");
        let rss = rss::Channel::read_from(read(&out.join("cncert-weekly/rss.xml")).as_slice()).expect("rss");
        let atom =
            atom_syndication::Feed::read_from(read(&out.join("cncert-weekly/atom.xml")).as_slice()).expect("atom");
        let contents = rss.items.iter().filter_map(|i| i.content.clone()).chain(
            atom.entries
                .iter()
                .filter_map(|e| e.content.as_ref().and_then(|c| c.value.clone())),
        );
        let mut n = 0;
        for html in contents {
            n += 1;
            let problems = w3c_problems(&html);
            assert!(problems.is_empty(), "proxy {proxy:?}: {problems:?}");
            assert!(html.contains("<img src=\"https://"), "images kept");
            assert!(
                html.contains("referrerpolicy=\"no-referrer\""),
                "images carry the referrer policy"
            );
        }
        assert_eq!(n, 48);
        // Every entry has its own `updated`.
        let mut updated: Vec<_> = atom.entries.iter().map(|e| e.updated).collect();
        updated.sort();
        updated.dedup();
        assert_eq!(updated.len(), atom.entries.len());
    }
}

#[test]
fn english_feed_content_uses_only_what_the_w3c_validator_accepts() {
    // The same checks as the Chinese feeds', on en/ (issue 23).
    let (data, config) = common::imported_archive();
    let out = common::temp_dir("w3c-en");
    render(&config, &Archive::new(&data), &out).expect("render");
    let en = out.join("cncert-weekly/en");
    let rss = rss::Channel::read_from(read(&en.join("rss.xml")).as_slice()).expect("rss");
    let atom = atom_syndication::Feed::read_from(read(&en.join("atom.xml")).as_slice()).expect("atom");
    let contents: Vec<String> = rss
        .items
        .iter()
        .filter_map(|i| i.content.clone())
        .chain(
            atom.entries
                .iter()
                .filter_map(|e| e.content.as_ref().and_then(|c| c.value.clone())),
        )
        .collect();
    assert_eq!(contents.len(), 48);
    for html in &contents {
        let problems = w3c_problems(html);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            html.contains("referrerpolicy=\"no-referrer\""),
            "images carry the referrer policy"
        );
    }
    let mut updated: Vec<_> = atom.entries.iter().map(|e| e.updated).collect();
    updated.sort();
    updated.dedup();
    assert_eq!(updated.len(), atom.entries.len());
    // Both editions re-render byte-identically.
    let before: Vec<Vec<u8>> = files(&out).iter().map(|p| read(p)).collect();
    assert!(files(&out).iter().any(|p| p.ends_with("en/index.html")));
    let again = render(&config, &Archive::new(&data), &out).expect("render");
    assert_eq!(again.changed, 0);
    assert_eq!(before, files(&out).iter().map(|p| read(p)).collect::<Vec<_>>());
}
