//! The kinds of page WeChat serves besides the ordinary article (picture posts, text posts, its
//! notices in Chinese and English, profile pages), read from small pages with the structure of saved
//! ones; and the series' account known by its `__biz`, not by its name.

mod common;

use std::path::PathBuf;

use cncert_feed::{Config, extract_page};
use serde_json::Value;

const ACCOUNT: &str = "国家互联网应急中心CNCERT";
const BIZ: &str = "MzIwNDk0MDgxMw==";

fn read(file: &str, config: &Config) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/wechat-kinds")
        .join(file);
    let bytes = std::fs::read(&path).expect("fixture readable");
    serde_json::to_value(extract_page(&bytes, None, config).report).expect("serializable")
}

/// The repository's config.yaml without its `biz:` line: the series known by its name only.
fn config_without_biz() -> Config {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.yaml");
    let text = std::fs::read_to_string(path).expect("config.yaml readable");
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("biz:"))
        .map(|l| format!("{l}\n"))
        .collect();
    Config::parse(&text, "config.yaml without biz").expect("valid config")
}

fn url(mid: &str, idx: &str, sn: &str) -> String {
    format!("https://mp.weixin.qq.com/s?__biz={BIZ}&mid={mid}&idx={idx}&sn={sn}")
}

/// Asserts kind, title, author, published and url of one record.
fn check(got: &Value, want: [Option<&str>; 5]) {
    let fields = ["kind", "title", "author", "published", "url"];
    for (field, want) in fields.iter().zip(want) {
        assert_eq!(got.get(*field).and_then(Value::as_str), want, "{field} of {got}");
    }
}

fn warnings(got: &Value) -> Vec<String> {
    got["warnings"]
        .as_array()
        .map(|w| w.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[test]
fn a_picture_post_is_a_live_article() {
    let got = read("picture-post.html", &common::repo_config());
    check(
        &got,
        [
            Some("other_article"),
            Some("周末随拍"),
            Some(ACCOUNT),
            Some("2025-11-05T18:30:00+08:00"),
            Some(&url("2247500001", "1", "0a1b2c3d4e5f60718293a4b5c6d7e8f9")),
        ],
    );
}

#[test]
fn a_picture_post_titled_as_an_issue_is_a_report() {
    let got = read("picture-report.html", &common::repo_config());
    check(
        &got,
        [
            Some("report"),
            Some("网络安全信息与动态周报2025年第44期（10月27日-11月2日）"),
            Some(ACCOUNT),
            Some("2025-11-05T18:30:00+08:00"),
            Some(&url("2247500002", "1", "1a1b2c3d4e5f60718293a4b5c6d7e8f9")),
        ],
    );
    assert_eq!(got["issue"], 44);
    assert_eq!(got["series"], "cncert-weekly");
}

#[test]
fn a_text_post_takes_its_account_from_nick_name_not_from_a_script_expression() {
    let got = read("text-post.html", &common::repo_config());
    check(
        &got,
        [
            Some("other_article"),
            Some("关于开展网络安全宣传周活动的通知"),
            Some(ACCOUNT),
            Some("2024-10-31T17:30:00+08:00"),
            Some(&url("2247500003", "1", "2a1b2c3d4e5f60718293a4b5c6d7e8f9")),
        ],
    );
}

#[test]
fn a_text_post_with_a_plain_nick_name_and_its_data_in_an_object() {
    let got = read("text-post-plain.html", &common::repo_config());
    check(
        &got,
        [
            Some("other_article"),
            Some("一条文本*"),
            Some("CNCERT风险评估"),
            Some("2023-01-31T09:30:00+08:00"),
            Some(&url("2247500004", "2", "3a1b2c3d4e5f60718293a4b5c6d7e8f9")),
        ],
    );
}

#[test]
fn notices_in_both_languages() {
    let config = common::repo_config();
    for (file, kind) in [
        ("deleted.html", "deleted"),
        ("deleted-en.html", "deleted"),
        ("violation.html", "unavailable"),
        ("violation-en.html", "unavailable"),
        ("temporary.html", "unavailable"),
        ("temporary-en.html", "unavailable"),
        ("param-error.html", "param_error"),
        ("captcha.html", "captcha"),
    ] {
        let got = read(file, &config);
        assert_eq!(got["kind"], kind, "{file}: {got}");
        for field in ["title", "author", "published", "url"] {
            assert!(got.get(field).is_none_or(Value::is_null), "{file}: {field} in {got}");
        }
    }
}

#[test]
fn notices_are_named_in_the_warning_when_not_deleted() {
    let got = read("temporary-en.html", &common::repo_config());
    assert!(
        warnings(&got).iter().any(|w| w.contains("temporarily")),
        "{:?}",
        warnings(&got)
    );
}

#[test]
fn a_profile_page_is_no_article() {
    let got = read("profile.html", &common::repo_config());
    check(&got, [Some("unavailable"), None, None, None, None]);
    assert!(
        warnings(&got).iter().any(|w| w.contains("profile")),
        "{:?}",
        warnings(&got)
    );
}

#[test]
fn the_old_name_with_the_right_biz_is_an_issue_with_a_warning() {
    let got = read("old-name.html", &common::repo_config());
    check(
        &got,
        [
            Some("report"),
            Some("网络安全信息与动态周报2023年第4期（1月16日-1月22日）"),
            Some("CNCERT风险评估"),
            Some("2023-01-31T09:30:00+08:00"),
            Some(&url("2247490001", "1", "4a1b2c3d4e5f60718293a4b5c6d7e8f9")),
        ],
    );
    let w = warnings(&got);
    assert!(
        w.iter().any(|w| w.contains("CNCERT风险评估") && w.contains(ACCOUNT)),
        "{w:?}"
    );
}

#[test]
fn the_right_name_with_another_biz_is_not_an_issue() {
    let got = read("wrong-biz.html", &common::repo_config());
    assert_eq!(got["kind"], "other_article", "{got}");
    assert_eq!(got["author"], ACCOUNT);
}

#[test]
fn the_right_name_and_biz_give_no_account_warning() {
    let got = read("right-name.html", &common::repo_config());
    assert_eq!(got["kind"], "report", "{got}");
    assert!(!warnings(&got).iter().any(|w| w.contains(ACCOUNT)), "{got}");
}

#[test]
fn without_biz_in_the_config_the_name_decides_as_before() {
    let config = config_without_biz();
    assert!(config.series.iter().all(|s| s.biz.is_none()));
    assert_eq!(read("old-name.html", &config)["kind"], "other_article");
    assert_eq!(read("wrong-biz.html", &config)["kind"], "report");
    assert_eq!(read("right-name.html", &config)["kind"], "report");
}

#[test]
fn the_shipped_config_knows_the_account_by_its_biz() {
    let config = common::repo_config();
    let series = config.series("cncert-weekly").expect("the series");
    assert_eq!(series.biz.as_deref(), Some(BIZ));
    assert_eq!(series.author.as_deref(), Some(ACCOUNT));
}
