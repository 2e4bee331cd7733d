//! The English edition (`public/<series>/en/`): rendered with the Chinese one from one archive,
//! its feeds parse like the Chinese ones, say they are English, carry their own ids, English
//! titles, labels, rating words and numbers in full; the series page, the front page and the
//! OPML list both editions; a chat target with `lang: en` gets English messages.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use cncert_feed::archive::{Archive, Entry};
use cncert_feed::assemble::{Observation, ReadVia, SourceKind};
use cncert_feed::notify::{NotifyOptions, notify};
use cncert_feed::publish::render;
use cncert_feed::{MetricValue, PageKind, Report};
use common::server::FixtureServer;
use serde_json::{Value, json};

/// An archive of every fixture report page (2017–2025), rendered into a fresh directory.
fn rendered() -> PathBuf {
    let (data, config) = common::imported_archive();
    let out = common::temp_dir("english-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    out
}

fn text(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn ids(dir: &Path, f: &str) -> Vec<String> {
    let feed = feed_rs::parser::parse(text(&dir.join(f)).as_bytes()).unwrap_or_else(|e| panic!("{f}: {e}"));
    feed.entries.into_iter().map(|e| e.id).collect()
}

#[test]
fn both_editions_render_from_one_archive_and_the_english_feeds_parse() {
    let out = rendered();
    let zh = out.join("cncert-weekly");
    let en = zh.join("en");
    for f in ["rss.xml", "atom.xml", "feed.json"] {
        let feed = feed_rs::parser::parse(text(&en.join(f)).as_bytes()).unwrap_or_else(|e| panic!("en/{f}: {e}"));
        assert_eq!(feed.entries.len(), 24, "{f}");
        let first = &feed.entries[0];
        assert_eq!(first.id, "tag:cncert-feed,2024:cncert-weekly/en/2025/3", "{f}");
        let title = first.title.as_ref().map(|t| t.content.clone()).unwrap_or_default();
        assert_eq!(title, "CNCERT Weekly Report 2025 No. 3 (Jan 13–19)", "{f}");
        // Same dates, same order as the Chinese feed.
        let zh_feed = feed_rs::parser::parse(text(&zh.join(f)).as_bytes()).expect("zh parses");
        let dates = |f: &feed_rs::model::Feed| f.entries.iter().map(|e| e.published).collect::<Vec<_>>();
        assert_eq!(dates(&feed), dates(&zh_feed), "{f}");
        // Ids of their own, stable: a reader subscribed to both keeps both.
        let zh_ids: HashSet<String> = ids(&zh, f).into_iter().collect();
        assert!(ids(&en, f).iter().all(|id| !zh_ids.contains(id)), "{f}: an id shared");
    }
    assert_eq!(ids(&en, "rss.xml"), ids(&en, "atom.xml"));
}

#[test]
fn each_feed_says_its_language_and_links_itself() {
    let out = rendered();
    let zh = out.join("cncert-weekly");
    let en = zh.join("en");
    let rss = text(&en.join("rss.xml"));
    assert!(rss.contains("<language>en</language>"), "{rss:.600}");
    assert!(text(&zh.join("rss.xml")).contains("<language>zh-cn</language>"));
    let channel = rss::Channel::read_from(rss.as_bytes()).expect("rss");
    assert_eq!(channel.title, "CNCERT Weekly Report");
    let links = channel.atom_ext.as_ref().map(|a| a.links.clone()).unwrap_or_default();
    let self_link = links.iter().find(|l| l.rel == "self").map(|l| l.href.clone());
    assert!(
        self_link.is_some_and(|h| h.ends_with("cncert-weekly/en/rss.xml")),
        "{links:?}"
    );
    assert!(links.iter().any(|l| l.rel == "hub"), "a hub as the Chinese feed has");

    let atom = atom_syndication::Feed::read_from(text(&en.join("atom.xml")).as_bytes()).expect("atom");
    assert_eq!(atom.lang.as_deref(), Some("en"));
    assert_eq!(atom.id, "tag:cncert-feed,2024:cncert-weekly/en");
    assert!(
        atom.links
            .iter()
            .any(|l| l.rel == "self" && l.href.ends_with("cncert-weekly/en/atom.xml"))
    );
    assert!(text(&zh.join("atom.xml")).contains("xml:lang=\"zh-CN\""));

    let jf: Value = serde_json::from_str(&text(&en.join("feed.json"))).expect("json");
    assert_eq!(jf["language"], "en");
    assert!(
        jf["feed_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("cncert-weekly/en/feed.json"))
    );
    assert!(jf["hubs"].is_array());
    let zh_jf: Value = serde_json::from_str(&text(&zh.join("feed.json"))).expect("json");
    assert_eq!(zh_jf["language"], "zh-CN");
}

#[test]
fn english_items_have_labels_rating_words_numbers_in_full_and_the_original() {
    let out = rendered();
    let jf: Value = serde_json::from_str(&text(&out.join("cncert-weekly/en/feed.json"))).expect("json");
    let items = jf["items"].as_array().expect("items");
    let item = |id: &str| {
        items
            .iter()
            .find(|i| i["id"] == format!("tag:cncert-feed,2024:cncert-weekly/en/{id}"))
            .unwrap_or_else(|| panic!("{id}"))
    };
    let i43 = item("2024/43");
    assert_eq!(i43["title"], "CNCERT Weekly Report 2024 No. 43 (Oct 21–27)");
    assert_eq!(
        i43["summary"],
        "Rating: Good | Incidents handled: 295 (cross-border 140) | Phishing complaints: 253 | Malicious URLs: 18"
    );
    assert_eq!(i43["tags"], json!(["CNCERT Weekly Report", "Rating: Good"]));
    let c = i43["content_html"].as_str().expect("content");
    for want in [
        "<p><strong>CNCERT Weekly Report 2024 No. 43 (Oct 21–27)</strong></p>",
        "<strong>Overall rating: Good</strong> (week 2024-W43, 2024-10-21 to 2024-10-27)",
        "<th>Figure</th><th>This week</th><th>Change</th>",
        "<tr><td>Incidents handled</td><td style=\"text-align:right\">295</td><td style=\"text-align:right\">▼17</td></tr>",
        "Original: <span lang=\"zh-CN\">网络安全信息与动态周报2024年第43期（10月21日-10月27日）</span>",
        "Read the article (Chinese)</a>",
        "<h3>Original text (Chinese)</h3>",
    ] {
        assert!(c.contains(want), "{want} not in {c:.2000}");
    }
    // The machine-readable figures are the contract, the same in both editions.
    assert_eq!(i43["_report"]["assessment"], "良");
    assert_eq!(i43["_report"]["metrics"]["incidents_handled"], 295);

    // 2017年第21期: 206000 infected hosts, written in full with separators, never in 万.
    let i21 = item("2017/21");
    let s = i21["summary"].as_str().expect("summary");
    assert!(s.contains("Infected hosts: 206,000"), "{s}");
    let c = i21["content_html"].as_str().expect("content");
    let table = &c[..c.find("</table>").expect("a table")];
    assert!(table.contains(">206,000<") && !table.contains("▼42000<"), "{table}");
    assert!(table.contains("▼42,000"), "{table}");
    assert!(
        !table.contains('万') && !table.contains('起') && !table.contains('个'),
        "{table}"
    );
    assert!(table.contains("Hosts in China infected with malware"), "{table}");
    // Every rating is a word.
    for i in items {
        let a = i["_report"]["assessment"].as_str().unwrap_or("");
        let word = match a {
            "优" => "Excellent",
            "良" => "Good",
            "中" => "Fair",
            "差" => "Poor",
            "危" => "Critical",
            _ => continue,
        };
        let c = i["content_html"].as_str().unwrap_or("");
        assert!(c.contains(&format!("Overall rating: {word}")), "{}", i["id"]);
    }
}

#[test]
fn the_english_page_front_page_and_opml_list_both_editions() {
    let out = rendered();
    let page = text(&out.join("cncert-weekly/en/index.html"));
    for want in [
        "<html lang=\"en\">",
        "<h1>CNCERT Weekly Report</h1>",
        "<a href=\"../index.html\" hreflang=\"zh-CN\" lang=\"zh-CN\">中文</a>",
        "Latest issue: ",
        "CNCERT Weekly Report 2025 No. 3 (Jan 13–19)",
        "Overall rating <span class=\"badge b-良\">Good</span>",
        "<h2>All 24 issues</h2>",
        "<h3>Incidents handled</h3>",
        "<h2>Trends (2017–2025, ",
        "<th>Issue</th><th>Week</th><th>Rating</th><th>Summary</th>",
        "2024 No. 43",
        "type=\"application/rss+xml\"",
    ] {
        assert!(page.contains(want), "{want} not on the English page");
    }
    assert!(!page.contains("万"), "numbers in full on the English page");
    let zh_page = text(&out.join("cncert-weekly/index.html"));
    assert!(zh_page.contains("<a href=\"en/index.html\" hreflang=\"en\" lang=\"en\">English</a>"));
    assert!(zh_page.contains("<html lang=\"zh-CN\">"));

    let front = text(&out.join("index.html"));
    for href in [
        "cncert-weekly/rss.xml",
        "cncert-weekly/en/rss.xml",
        "cncert-weekly/en/index.html",
    ] {
        assert!(
            front.contains(&format!("href=\"{href}\"")),
            "{href} not on the front page"
        );
    }
    assert!(front.contains("CNCERT Weekly Report (English)"));
    let opml = text(&out.join("feeds.opml"));
    let doc = scraper::Html::parse_document(&opml);
    let sel = scraper::Selector::parse("outline").expect("selector");
    let urls: Vec<&str> = doc.select(&sel).filter_map(|o| o.value().attr("xmlurl")).collect();
    assert_eq!(urls.len(), 2, "{opml}");
    assert!(urls[0].ends_with("cncert-weekly/rss.xml") && urls[1].ends_with("cncert-weekly/en/rss.xml"));
}

#[test]
fn hostile_content_stays_valid_and_inert_in_english() {
    let config = common::repo_config();
    let data = common::temp_dir("english-hostile");
    let now = chrono::DateTime::parse_from_rfc3339("2024-10-31T17:30:00+08:00").expect("date");
    let mut report = Report::of_kind(
        PageKind::Report,
        Some("https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=ab".to_string()),
    );
    report.series = Some("cncert-weekly".into());
    report.title = Some("网络安全信息与动态周报2024年第43期<script>alert(1)</script>\u{1}]]>".into());
    report.year = Some(2024);
    report.issue = Some(43);
    report.published = Some(now);
    report.assessment = Some("良\" onmouseover=\"alert(1)".into());
    report.metrics.insert(
        "vulnerability_threat_level".into(),
        MetricValue::Level("高<script>alert(2)</script>".into()),
    );
    let obs = Observation {
        content_html: Some("<p onclick=\"steal()\">正文]]><script>alert('x')</script></p>".into()),
        ..Observation::new(report, ReadVia::Page, now)
    };
    Archive::new(&data)
        .save_entry(&Entry::new(SourceKind::Wechat, obs, now))
        .expect("save");
    let out = common::temp_dir("english-hostile-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let en = out.join("cncert-weekly/en");
    for f in ["rss.xml", "atom.xml", "feed.json", "index.html"] {
        let t = text(&en.join(f));
        if f != "index.html" {
            let feed = feed_rs::parser::parse(t.as_bytes()).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(feed.entries.len(), 1);
        }
        for bad in ["<script", "onclick", "onmouseover=\"alert", "\u{1}"] {
            assert!(!t.contains(bad), "en/{f} contains {bad:?}");
        }
    }
}

/// A server answering `/hook` with `answer`.
fn hook(answer: Value) -> FixtureServer {
    FixtureServer::start_with(
        &common::site_dir(),
        vec![
            json!({"path": "/hook", "responses": [{"status": 200, "body": answer.to_string(), "headers": {"Content-Type": "application/json"}}]}),
        ],
        0,
    )
}

#[test]
fn a_chat_target_with_lang_en_gets_english_messages() {
    // 2017年第20–21期: 248000 → 206000 infected hosts.
    let data = common::temp_dir("english-notify");
    common::import_pages(&data, &["2017-20.html", "2017-21.html"]);
    let mut config = common::repo_config();
    config
        .notify
        .retain(|t| matches!(t.kind.name(), "dingtalk" | "slack") && !t.maintainer);
    assert_eq!(config.notify.len(), 2);
    for t in &mut config.notify {
        if t.kind.name() == "dingtalk" {
            t.lang = Some("en".into());
            t.secret_env = None;
        }
    }
    let (en, zh) = (hook(json!({"errcode": 0, "errmsg": "ok"})), hook(json!("ok")));
    let env = HashMap::from([
        ("DINGTALK_WEBHOOK_URL".to_string(), format!("{}/hook", en.origin)),
        ("SLACK_WEBHOOK_URL".to_string(), format!("{}/hook", zh.origin)),
    ]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let lookup = |k: &str| env.get(k).cloned();
    let s = rt
        .block_on(notify(
            &config,
            &Archive::new(&data),
            &NotifyOptions::default(),
            &lookup,
        ))
        .expect("notify");
    assert!(s.failed.is_empty(), "{:?}", s.failed);
    assert_eq!(s.sent.len(), 2, "{:?}", s.sent);
    let posted = |server: &FixtureServer| -> String {
        let r = server
            .requests()
            .into_iter()
            .find(|r| r.method == "POST")
            .expect("a post");
        let v: Value = serde_json::from_slice(&r.body).expect("json");
        v.to_string()
    };
    let en_text = posted(&en);
    for want in [
        "#### CNCERT Weekly Report 2017 No. 21",
        "**Overall rating**: ",
        "- Hosts in China infected with malware: 206,000 (▼42,000)",
        "[Read the article (Chinese)](",
    ] {
        assert!(en_text.contains(want), "{want} not in {en_text}");
    }
    assert!(!en_text.contains('万') && !en_text.contains("阅读原文"), "{en_text}");
    // The Chinese target is as before.
    let zh_text = posted(&zh);
    assert!(
        zh_text.contains("20.6万个") && zh_text.contains("阅读原文"),
        "{zh_text}"
    );
    assert!(!zh_text.contains("206,000"), "{zh_text}");
}
