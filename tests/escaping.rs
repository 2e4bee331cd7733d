//! Text in an HTML context is escaped once, where it enters HTML, in every output (issue 18,
//! item 7): archive values carrying markup (title, assessment, a rated figure, a warning, an
//! image's alt text in the body) and config text (a figure label, the summary template) show as
//! text in RSS `description` and `content:encoded`, Atom `content`, JSON Feed `content_html`, the
//! pages, Telegram's HTML and the e-mail's HTML part, and as the very same characters, not
//! escaped, in every plain-text field.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cncert_feed::archive::Archive;
use cncert_feed::notify::{NotifyOptions, notify};
use cncert_feed::publish::render;
use serde_json::{Value, json};

/// The hostile markup put into every field.
const IMG: &str = "<img src=x onerror=alert(1)>";
/// The title of the hostile issue.
const TITLE: &str = "网络安全信息与动态周报2025年第3期<img src=x onerror=alert(1)>\"><script>alert(2)</script>&amp;";
/// Its assessment.
const ASSESSMENT: &str = "良\"><img src=x onerror=alert(1)>";
/// Its rated figure (a level), which the summary template names.
const LEVEL: &str = "高<script>alert(3)</script>";
/// A figure warning shown on the series page.
const WARNING: &str = "incidents_handled (295) left out: <script>alert(4)</script>";
/// A figure label from the config.
const LABEL: &str = "处理<b>事件</b>&amp;";
/// An image whose alt text would end the tag if the tag were cut at its first `>`.
const ALT_IMG: &str = "<p>图</p><img src=\"https://mmbiz.qpic.cn/x.png\" alt=\"><script>alert(6)</script>\">";

/// Markup from the data that must never appear live in any HTML.
const LIVE: &[&str] = &["<img src=x", "<script", "<b>事件", "\"><img", "<i>&"];

/// Reads a JSON file of the archive.
fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// An archive of 2025年第1–3期 imported from the fixture pages, 第3期 then edited on disk to
/// carry markup in every field; and the repository's config with a label and a summary template
/// that carry markup too.
fn hostile_archive() -> (PathBuf, cncert_feed::Config) {
    let mut config = common::repo_config();
    let data = common::temp_dir("escaping-data");
    let pages: Vec<PathBuf> = ["2025-01.html", "2025-02.html", "2025-03.html"]
        .iter()
        .map(|p| common::site_dir().join("pages").join(p))
        .collect();
    let s = cncert_feed::crawl::import(&config, &Archive::new(&data), &cncert_feed::sources::all(), &pages)
        .expect("import");
    assert_eq!(s.new.len(), 3, "{:?}", s.failed);
    let file = data.join("cncert-weekly/2025/3.json");
    let mut v = read_json(&file);
    v["title"] = json!(TITLE);
    v["assessment"] = json!(ASSESSMENT);
    v["metrics"]["vulnerability_threat_level"] = json!(LEVEL);
    v["warnings"] = json!([WARNING]);
    let body = v["observations"]["wechat"]["content_html"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    v["observations"]["wechat"]["content_html"] = json!(format!("{body}{ALT_IMG}"));
    std::fs::write(&file, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    // 第2期 with links that are no web links.
    let file2 = data.join("cncert-weekly/2025/2.json");
    let mut v2 = read_json(&file2);
    v2["url"] = json!("javascript:alert(7)");
    v2["pdf"] = json!("data:text/html,<script>alert(8)</script>");
    std::fs::write(&file2, serde_json::to_string_pretty(&v2).expect("json")).expect("write");
    let series = &mut config.series[0];
    series.summary = Some("态势：{assessment}｜漏洞威胁{vulnerability_threat_level}<i>&amp;".to_string());
    if let Some(m) = series.metrics.iter_mut().find(|m| m.key == "incidents_handled") {
        m.label = LABEL.to_string();
    }
    (data, config)
}

/// Says what of the data is live markup in `html`, and that the data shows as text.
fn assert_inert(what: &str, html: &str) {
    for bad in LIVE {
        assert!(!html.contains(bad), "{what}: live {bad:?} in {html}");
    }
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{what}: the text is gone: {html}"
    );
}

#[test]
fn markup_from_the_archive_is_text_in_every_feed_and_page() {
    let (data, config) = hostile_archive();
    let out = common::temp_dir("escaping-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let dir = out.join("cncert-weekly");

    // RSS: description and content:encoded are HTML; the title is text.
    let rss = rss::Channel::read_from(std::fs::read(dir.join("rss.xml")).expect("rss").as_slice()).expect("rss parses");
    let item = rss
        .items
        .iter()
        .find(|i| i.title.as_deref() == Some(TITLE))
        .expect("the title as it is");
    let description = item.description.clone().unwrap_or_default();
    assert_inert("rss description", &description);
    assert!(
        description.contains("漏洞威胁高&lt;script&gt;alert(3)&lt;/script&gt;"),
        "{description}"
    );
    assert!(
        description.contains("&lt;i&gt;&amp;amp;"),
        "the template is text too: {description}"
    );
    let content = item.content.clone().unwrap_or_default();
    assert_inert("rss content:encoded", &content);
    assert!(content.contains("处理&lt;b&gt;事件&lt;/b&gt;&amp;amp;"), "{content}");
    assert!(
        content.contains("src=\"https://mmbiz.qpic.cn/x.png\""),
        "the image stays: {content}"
    );
    assert!(
        item.categories.iter().any(|c| c.name == format!("态势{ASSESSMENT}")),
        "categories are text: {:?}",
        item.categories
    );

    // Atom: content is HTML; title and summary are text and keep every character.
    let atom = atom_syndication::Feed::read_from(std::fs::read(dir.join("atom.xml")).expect("atom").as_slice())
        .expect("atom parses");
    let entry = atom
        .entries
        .iter()
        .find(|e| e.title.value == TITLE)
        .expect("the title as it is");
    assert_inert(
        "atom content",
        entry
            .content
            .as_ref()
            .and_then(|c| c.value.as_deref())
            .unwrap_or_default(),
    );
    let summary = entry.summary.as_ref().map(|s| s.value.clone()).unwrap_or_default();
    assert!(summary.contains(&format!("态势：{ASSESSMENT}")), "{summary}");
    assert!(summary.contains(&format!("漏洞威胁{LEVEL}<i>&amp;")), "{summary}");

    // JSON Feed: content_html is HTML; title and summary are text.
    let jf = read_json(&dir.join("feed.json"));
    let it = jf["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["title"] == TITLE))
        .expect("the title as it is");
    assert_inert(
        "feed.json content_html",
        it["content_html"].as_str().unwrap_or_default(),
    );
    assert!(
        it["summary"]
            .as_str()
            .is_some_and(|s| s.contains(IMG) && s.contains(LEVEL)),
        "{}",
        it["summary"]
    );
    assert_eq!(it["_report"]["assessment"], ASSESSMENT);

    // The pages.
    let page = std::fs::read_to_string(dir.join("index.html")).expect("page");
    assert_inert("series page", &page);
    assert!(page.contains("alert(4)"), "the warning shows");
    let second = jf["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["_report"]["issue"] == 2))
        .and_then(|i| i["content_html"].as_str())
        .expect("第2期");
    for scheme in ["javascript:", "data:"] {
        assert!(
            !page.contains(&format!("href=\"{scheme}")),
            "series page: a {scheme} link"
        );
        assert!(
            !second.contains(&format!("href=\"{scheme}")),
            "content_html: a {scheme} link"
        );
    }
    assert!(page.contains("<td>2025年第2期</td>"), "the issue shows, unlinked");
    let front = std::fs::read_to_string(out.join("index.html")).expect("front page");
    assert_inert("front page", &front);
}

#[test]
fn an_alt_text_with_markup_never_ends_the_image_tag() {
    let html = format!("<p>正文</p>{ALT_IMG}<img alt=\"a>b\" data-src=\"http://mmbiz.qpic.cn/y.png\">");
    let clean = cncert_feed::publish::html::sanitize_for_feed(&html);
    let out = cncert_feed::publish::html::rewrite_images(&clean, None);
    assert!(!out.contains("<script"), "{out}");
    assert!(out.contains("src=\"https://mmbiz.qpic.cn/x.png\""), "{out}");
    assert!(
        out.contains("src=\"https://mmbiz.qpic.cn/y.png\" alt=\"a&gt;b\""),
        "{out}"
    );
    assert_eq!(out.matches("<img ").count(), 2, "{out}");
    assert!(
        out.ends_with("loading=\"lazy\">"),
        "nothing of a tag is left behind as text: {out}"
    );
}

#[test]
fn escape_html_escapes_the_five_characters_and_borrows_plain_text() {
    use std::borrow::Cow;
    let e = cncert_feed::publish::escape_html;
    assert_eq!(e("a<b>&\"'c"), "a&lt;b&gt;&amp;&quot;&#39;c");
    assert_eq!(e("&amp;"), "&amp;amp;", "text is escaped once, whatever it looks like");
    assert!(matches!(e("网络安全态势整体评价为良"), Cow::Borrowed(_)));
}

/// Every notify target's dry-run payload for the newest (hostile) issue, by target kind.
fn dry_payloads(config: &cncert_feed::Config, data: &Path) -> HashMap<String, Value> {
    let env: HashMap<&str, &str> = [
        ("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/x"),
        ("FEISHU_WEBHOOK_URL", "https://open.feishu.cn/open-apis/bot/v2/hook/x"),
        (
            "DINGTALK_WEBHOOK_URL",
            "https://oapi.dingtalk.com/robot/send?access_token=x",
        ),
        (
            "WECOM_WEBHOOK_URL",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        ),
        ("NOTIFY_WEBHOOK_URL", "https://example.org/hook"),
        ("TELEGRAM_BOT_TOKEN", "1:x"),
        ("TELEGRAM_CHAT_ID", "@c"),
        ("DISCORD_WEBHOOK_URL", "https://discord.com/api/webhooks/1/x"),
        ("TEAMS_WEBHOOK_URL", "https://example.org/teams"),
        ("SMTP_URL", "smtp://relay.local"),
        ("EMAIL_FROM", "Feed <f@example.org>"),
        ("EMAIL_TO", "a@example.org"),
    ]
    .into_iter()
    .collect();
    let lookup = |k: &str| env.get(k).map(|v| v.to_string());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let opts = NotifyOptions {
        dry_run: true,
        backfill: false,
    };
    let s = rt
        .block_on(notify(config, &Archive::new(data), &opts, &lookup))
        .expect("notify");
    s.dry
        .into_iter()
        .filter_map(|p| {
            let kind = p.target.split(':').next().unwrap_or_default().to_string();
            Some((kind, p.payloads.into_iter().next()?.1))
        })
        .collect()
}

#[test]
fn chat_html_escapes_and_chat_text_keeps_the_characters() {
    let (data, config) = hostile_archive();
    let p = dry_payloads(&config, &data);
    assert_eq!(p.len(), 9, "{:?}", p.keys());

    let telegram = p["telegram"]["text"].as_str().unwrap_or_default();
    assert_eq!(p["telegram"]["parse_mode"], "HTML");
    assert!(
        telegram.starts_with("<b>网络安全信息与动态周报2025年第3期&lt;img src=x"),
        "{telegram}"
    );
    assert_inert("telegram", telegram);
    assert!(telegram.contains("处理&lt;b&gt;事件&lt;/b&gt;&amp;amp;"), "{telegram}");

    let mail = p["email"]["html"].as_str().unwrap_or_default();
    assert_inert("e-mail HTML part", mail);
    assert!(
        mail.contains("&lt;script&gt;alert(2)&lt;/script&gt;&amp;amp;"),
        "{mail}"
    );
    let plain = p["email"]["text"].as_str().unwrap_or_default();
    assert!(plain.starts_with(&format!("{TITLE}\n")), "{plain}");
    assert!(
        plain.contains(&format!("网络安全态势整体评价：{ASSESSMENT}")),
        "{plain}"
    );
    assert!(plain.contains(&format!("- {LABEL}：")), "{plain}");
    assert_eq!(p["email"]["subject"], TITLE);

    // Webhook: the JSON Feed item, with the text fields as they are.
    assert_eq!(p["webhook"]["title"], TITLE);
    assert_eq!(p["webhook"]["_report"]["assessment"], ASSESSMENT);

    // The markdown platforms make markup inert their own way; never with HTML entities.
    for kind in ["slack", "feishu", "dingtalk", "wecom", "discord", "teams"] {
        let text = p[kind].to_string();
        assert!(text.contains("网络安全信息与动态周报2025年第3期"), "{kind}: {text}");
        for bad in ["&lt;", "&gt;", "&quot;", "&#39;", "&amp;amp;", "<img", "<script"] {
            assert!(!text.contains(bad), "{kind}: {bad} in {text}");
        }
    }
}

#[test]
fn ordinary_chinese_text_is_unchanged() {
    let e = cncert_feed::publish::escape_html;
    let s = "网络安全信息与动态周报2024年第43期（10月21日-10月27日）｜态势：良｜处理网络安全事件295起";
    assert_eq!(e(s), s);
    assert_eq!(cncert_feed::publish::esc(s), s);
}
