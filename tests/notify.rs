//! `notify` against loopback mock servers, one per platform: payload shapes, signatures checked
//! the way each platform checks them, errcode failures not recorded, a second run sending nothing,
//! first use sending only the newest, secrets absent from output.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine;
use cncert_feed::archive::Archive;
use cncert_feed::notify::{NotifyOptions, NotifySummary, notify};
use common::server::{FixtureServer, Logged};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

const FEISHU_SECRET: &str = "feishu-s3cret-value";
const DINGTALK_SECRET: &str = "SECd1ngtalk-s3cret";

/// An archive with 2024年第41–43期, imported from the fixture pages.
fn archive_with_three() -> PathBuf {
    let data = common::temp_dir("notify-data");
    let pages: Vec<PathBuf> = ["2024-41.html", "2024-42.html", "2024-43.html"]
        .iter()
        .map(|p| common::site_dir().join("pages").join(p))
        .collect();
    let s = cncert_feed::crawl::import(&common::repo_config(), &Archive::new(&data), &pages).expect("import");
    assert_eq!(s.new.len(), 3);
    data
}

fn hook(answer: Value) -> FixtureServer {
    let routes = vec![
        json!({"path": "/hook", "responses": [{"status": 200, "body": answer.to_string(), "headers": {"Content-Type": "application/json"}}]}),
    ];
    FixtureServer::start_with(&common::site_dir(), routes, 0)
}

struct Mocks {
    slack: FixtureServer,
    feishu: FixtureServer,
    dingtalk: FixtureServer,
    wecom: FixtureServer,
    webhook: FixtureServer,
}

impl Mocks {
    fn new() -> Mocks {
        Mocks {
            slack: hook(json!("ok")),
            feishu: hook(json!({"code": 0, "msg": "success", "data": {}})),
            dingtalk: hook(json!({"errcode": 0, "errmsg": "ok"})),
            wecom: hook(json!({"errcode": 0, "errmsg": "ok"})),
            webhook: hook(json!({"received": true})),
        }
    }

    /// Every platform's mock, in config order.
    fn all(&self) -> [&FixtureServer; 5] {
        [&self.slack, &self.feishu, &self.dingtalk, &self.wecom, &self.webhook]
    }

    fn env(&self) -> HashMap<String, String> {
        HashMap::from([
            (
                "SLACK_WEBHOOK_URL".into(),
                format!("{}/hook?token=slack-token-123", self.slack.origin),
            ),
            (
                "FEISHU_WEBHOOK_URL".into(),
                format!("{}/hook?token=feishu-token-123", self.feishu.origin),
            ),
            ("FEISHU_SECRET".into(), FEISHU_SECRET.into()),
            (
                "DINGTALK_WEBHOOK_URL".into(),
                format!("{}/hook?access_token=ding-token-123", self.dingtalk.origin),
            ),
            ("DINGTALK_SECRET".into(), DINGTALK_SECRET.into()),
            (
                "WECOM_WEBHOOK_URL".into(),
                format!("{}/hook?key=wecom-key-123", self.wecom.origin),
            ),
            ("NOTIFY_WEBHOOK_URL".into(), format!("{}/hook", self.webhook.origin)),
        ])
    }
}

fn run(
    config: &cncert_feed::Config,
    data: &PathBuf,
    env: &HashMap<String, String>,
    opts: NotifyOptions,
) -> NotifySummary {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let lookup = |k: &str| env.get(k).cloned();
    rt.block_on(notify(config, &Archive::new(data), &opts, &lookup))
        .expect("notify runs")
}

fn posts(server: &FixtureServer) -> Vec<Logged> {
    server.requests().into_iter().filter(|r| r.method == "POST").collect()
}

fn body(r: &Logged) -> Value {
    serde_json::from_slice(&r.body).expect("JSON body")
}

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(msg);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn query_param(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn first_use_sends_the_newest_in_each_native_form_then_nothing() {
    let data = archive_with_three();
    let mocks = Mocks::new();
    let config = common::repo_config();
    let s = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert!(s.failed.is_empty(), "{:?}", s.failed);
    assert_eq!(s.sent.len(), 5, "{:?}", s.sent);
    for server in mocks.all() {
        let p = posts(server);
        assert_eq!(p.len(), 1, "first use sends only the newest");
        assert!(String::from_utf8_lossy(&p[0].body).contains("2024年第43期"));
    }

    // Slack: blocks with mrkdwn, the link kept.
    let slack = body(&posts(&mocks.slack)[0]);
    assert_eq!(slack["blocks"][0]["type"], "header");
    assert_eq!(slack["blocks"][1]["text"]["type"], "mrkdwn");
    let text = slack["blocks"][1]["text"]["text"].as_str().expect("text");
    assert!(text.contains("处理网络安全事件：295起"), "{text}");
    assert!(text.contains("良"));
    assert!(
        slack["blocks"][2]["elements"][0]["text"]
            .as_str()
            .expect("link")
            .contains("mid=2247499441")
    );

    // Feishu: interactive card with lark_md, signed as Feishu checks it.
    let feishu = body(&posts(&mocks.feishu)[0]);
    assert_eq!(feishu["msg_type"], "interactive");
    assert_eq!(feishu["card"]["elements"][0]["text"]["tag"], "lark_md");
    let ts = feishu["timestamp"].as_str().expect("timestamp string");
    let ts_num: i64 = ts.parse().expect("seconds");
    assert!(
        (ts_num - chrono::Utc::now().timestamp()).abs() < 60,
        "timestamp in seconds"
    );
    let expected = hmac_b64(format!("{ts}\n{FEISHU_SECRET}").as_bytes(), b"");
    assert_eq!(feishu["sign"], expected);

    // DingTalk: markdown, 加签 in the URL.
    let d = &posts(&mocks.dingtalk)[0];
    let ding = body(d);
    assert_eq!(ding["msgtype"], "markdown");
    assert!(
        ding["markdown"]["text"]
            .as_str()
            .expect("text")
            .contains("[阅读原文](https://mp.weixin.qq.com/s?")
    );
    let ts = query_param(&d.query, "timestamp").expect("timestamp");
    let ts_num: i64 = ts.parse().expect("ms");
    assert!(
        (ts_num - chrono::Utc::now().timestamp_millis()).abs() < 60_000,
        "timestamp in ms"
    );
    let sign = query_param(&d.query, "sign").expect("sign");
    assert_eq!(
        sign,
        hmac_b64(
            DINGTALK_SECRET.as_bytes(),
            format!("{ts}\n{DINGTALK_SECRET}").as_bytes()
        )
    );
    assert_eq!(query_param(&d.query, "access_token").as_deref(), Some("ding-token-123"));

    // WeCom: markdown within 4096 bytes.
    let wecom = body(&posts(&mocks.wecom)[0]);
    assert_eq!(wecom["msgtype"], "markdown");
    assert!(wecom["markdown"]["content"].as_str().expect("content").len() <= 4096);

    // Webhook: the JSON Feed item with _report.
    let item = body(&posts(&mocks.webhook)[0]);
    assert_eq!(item["_report"]["metrics"]["incidents_handled"], 295);
    assert_eq!(item["id"], "tag:cncert-feed,2024:cncert-weekly/2024/43");

    // A second run sends nothing.
    let again = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert!(again.sent.is_empty(), "{:?}", again.sent);
    assert_eq!(posts(&mocks.slack).len(), 1);
}

#[test]
fn backfill_sends_everything_oldest_first() {
    let data = archive_with_three();
    let mocks = Mocks::new();
    let s = run(
        &common::repo_config(),
        &data,
        &mocks.env(),
        NotifyOptions {
            backfill: true,
            ..NotifyOptions::default()
        },
    );
    assert_eq!(s.sent.len(), 15);
    let titles: Vec<String> = posts(&mocks.webhook)
        .iter()
        .map(|r| body(r)["_report"]["issue"].to_string())
        .collect();
    assert_eq!(titles, vec!["41", "42", "43"]);
}

#[test]
fn an_errcode_answer_is_a_failure_and_is_retried_next_run() {
    let data = archive_with_three();
    let mut mocks = Mocks::new();
    mocks.dingtalk = hook(json!({"errcode": 310000, "errmsg": "sign not match"}));
    mocks.feishu =
        hook(json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}));
    let config = common::repo_config();
    let s = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert_eq!(s.failed.len(), 2, "{:?}", s.failed);
    assert!(s.failed.iter().any(|(_, _, why)| why.contains("310000")));
    // Not recorded as sent: the next run tries again (and succeeds once the platform accepts).
    mocks.dingtalk = hook(json!({"errcode": 0, "errmsg": "ok"}));
    mocks.feishu = hook(json!({"StatusCode": 0, "StatusMessage": "success"}));
    let again = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert_eq!(again.sent.len(), 2, "{:?}", again);
    assert!(again.sent.iter().all(|(_, t)| t.contains("2024年第43期")));
}

#[test]
fn unset_targets_are_skipped_with_one_line_each() {
    let data = archive_with_three();
    let s = run(&common::repo_config(), &data, &HashMap::new(), NotifyOptions::default());
    assert_eq!(s.skipped.len(), 5, "{:?}", s.skipped);
    assert!(s.skipped[0].contains("SLACK_WEBHOOK_URL is not set"));
    assert!(s.sent.is_empty() && s.failed.is_empty());
}

#[test]
fn dry_run_prints_payloads_without_secrets_and_sends_nothing() {
    let data = archive_with_three();
    let mocks = Mocks::new();
    let dir = common::temp_dir("notify-cli");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["notify", "--dry-run", "--data"])
        .arg(&data)
        .envs(mocks.env())
        .env("TMPDIR", &dir)
        .output()
        .expect("binary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("\"msgtype\": \"markdown\""), "{all}");
    for secret in [
        FEISHU_SECRET,
        DINGTALK_SECRET,
        "slack-token-123",
        "feishu-token-123",
        "ding-token-123",
        "wecom-key-123",
    ] {
        assert!(!all.contains(secret), "output leaks {secret}");
    }
    for server in mocks.all() {
        assert!(posts(server).is_empty());
    }
    // Nothing was recorded: a real run afterwards still sends.
    let s = run(&common::repo_config(), &data, &mocks.env(), NotifyOptions::default());
    assert_eq!(s.sent.len(), 5);
}

#[test]
fn wecom_messages_are_shortened_but_keep_the_link() {
    let data = archive_with_three();
    let mocks = Mocks::new();
    let mut config = common::repo_config();
    for m in &mut config.series[0].metrics {
        m.label = "很长的指标名称".repeat(80);
    }
    let s = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert!(s.failed.is_empty(), "{:?}", s.failed);
    let content = body(&posts(&mocks.wecom)[0])["markdown"]["content"]
        .as_str()
        .expect("content")
        .to_string();
    assert!(content.len() <= 4096, "{}", content.len());
    assert!(content.ends_with("[阅读原文](https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499441&idx=1&sn=650a8b278b5b970e0da3576fe4e820ed)"));
}

#[test]
fn signatures_match_known_answer_vectors() {
    // Written out from an independent implementation (Python's hmac + base64), not recomputed here.
    assert_eq!(
        cncert_feed::notify::feishu::sign(1_599_360_473, "demo"),
        "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8="
    );
    assert_eq!(
        cncert_feed::notify::dingtalk::sign(1_577_262_236_757, "SEC1234567890abcdef"),
        "f7qQ1A8KagEZ45y1gasTtKsEq5ERTeDXP9T%2BWkIqzDk%3D"
    );
}

#[test]
fn nothing_is_sent_when_what_is_sent_cannot_be_recorded() {
    let data = archive_with_three();
    let mocks = Mocks::new();
    // state.json reads fine, but no file can be written next to it: where this process would
    // write its temporary files (the probe, and the copy renamed over state.json) stand
    // directories. (Tests run as root in CI, where permissions would not stop a write.)
    let dir = data.join("cncert-weekly");
    std::fs::write(dir.join("state.json"), b"{}").expect("state");
    let pid = std::process::id();
    for name in [format!(".state.json.probe-{pid}"), format!(".state.json.tmp-{pid}")] {
        std::fs::create_dir_all(dir.join(name).join("blocker")).expect("dir");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let env = mocks.env();
    let lookup = |k: &str| env.get(k).cloned();
    let result = rt.block_on(notify(
        &common::repo_config(),
        &Archive::new(&data),
        &NotifyOptions::default(),
        &lookup,
    ));
    let err = result.expect_err("an unrecordable send is refused");
    assert!(err.to_string().contains("state.json"), "{err}");
    for m in mocks.all() {
        assert!(posts(m).is_empty(), "sent although it could not be recorded");
    }
}
