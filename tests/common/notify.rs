//! Helpers of the notify tests: an archive of three issues, a loopback mock server per platform
//! (and an SMTP server) with the environment naming them, and a `notify` run through the library.

use std::collections::HashMap;
use std::path::PathBuf;

use cncert_feed::archive::Archive;
use cncert_feed::notify::{NotifyOptions, NotifySummary, notify};
use serde_json::{Value, json};

use super::server::{FixtureServer, Logged};

/// The secrets of the mocks' environment: never to appear in output.
pub const FEISHU_SECRET: &str = "feishu-s3cret-value";
pub const DINGTALK_SECRET: &str = "SECd1ngtalk-s3cret";
pub const TELEGRAM_TOKEN: &str = "7012345678:AAF-tel3gram-t0ken";
pub const SMTP_USER: &str = "feed@example.org";
pub const SMTP_PASSWORD: &str = "sm+p p@ss:w0rd";

/// An archive with 2024年第41–43期, imported from the fixture pages.
pub fn archive_with_three() -> PathBuf {
    let data = super::temp_dir("notify-data");
    assert_eq!(
        super::import_pages(&data, &["2024-41.html", "2024-42.html", "2024-43.html"]),
        3
    );
    data
}

/// A server answering /hook with `answer` as JSON.
pub fn hook(answer: Value) -> FixtureServer {
    answers(
        "/hook",
        vec![json!({"status": 200, "body": answer.to_string(), "headers": {"Content-Type": "application/json"}})],
    )
}

/// A server answering `path` with `responses` in turn (the last one repeats).
pub fn answers(path: &str, responses: Vec<Value>) -> FixtureServer {
    FixtureServer::start_with(
        &super::site_dir(),
        vec![json!({"path": path, "responses": responses})],
        0,
    )
}

/// Percent-encodes everything but letters and digits (for the login in SMTP_URL).
pub fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The path of the Bot API's sendMessage for TELEGRAM_TOKEN.
pub fn telegram_path() -> String {
    format!("/bot{TELEGRAM_TOKEN}/sendMessage")
}

/// A Bot API server answering sendMessage with `answer` and `status`.
pub fn telegram(answer: Value, status: u16) -> FixtureServer {
    answers(
        &telegram_path(),
        vec![json!({"status": status, "body": answer.to_string(), "headers": {"Content-Type": "application/json"}})],
    )
}

/// A server answering `path` with `status` and an empty body.
pub fn status_only(path: &str, status: u16) -> FixtureServer {
    answers(path, vec![json!({"status": status, "body": ""})])
}

/// A mock server for each platform of the repository's config, and the environment naming them.
pub struct Mocks {
    pub slack: FixtureServer,
    pub feishu: FixtureServer,
    pub dingtalk: FixtureServer,
    pub wecom: FixtureServer,
    pub webhook: FixtureServer,
    pub telegram: FixtureServer,
    pub discord: FixtureServer,
    pub teams: FixtureServer,
    pub smtp: super::smtp::SmtpServer,
    pub smtp_query: String,
}

impl Mocks {
    /// Every mock accepting what it is sent.
    pub fn new() -> Mocks {
        Mocks {
            slack: hook(json!("ok")),
            feishu: hook(json!({"code": 0, "msg": "success", "data": {}})),
            dingtalk: hook(json!({"errcode": 0, "errmsg": "ok"})),
            wecom: hook(json!({"errcode": 0, "errmsg": "ok"})),
            webhook: hook(json!({"received": true})),
            telegram: telegram(json!({"ok": true, "result": {"message_id": 7}}), 200),
            discord: status_only("/api/webhooks/123/discord-t0ken", 204),
            teams: status_only("/workflows/abc/triggers/manual/paths/invoke", 202),
            smtp: super::smtp::SmtpServer::start(Some((SMTP_USER, SMTP_PASSWORD))),
            smtp_query: String::new(),
        }
    }

    /// Every HTTP platform's mock, in config order.
    pub fn all(&self) -> [&FixtureServer; 8] {
        [
            &self.slack,
            &self.feishu,
            &self.dingtalk,
            &self.wecom,
            &self.webhook,
            &self.telegram,
            &self.discord,
            &self.teams,
        ]
    }

    /// The variables of every target, pointing at the mocks, with the secrets.
    pub fn env(&self) -> HashMap<String, String> {
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
            ("TELEGRAM_BOT_TOKEN".into(), TELEGRAM_TOKEN.into()),
            ("TELEGRAM_CHAT_ID".into(), "@cncert_weekly".into()),
            ("TELEGRAM_API_URL".into(), self.telegram.origin.clone()),
            (
                "DISCORD_WEBHOOK_URL".into(),
                format!("{}/api/webhooks/123/discord-t0ken", self.discord.origin),
            ),
            (
                "TEAMS_WEBHOOK_URL".into(),
                format!(
                    "{}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=teams-s1g",
                    self.teams.origin
                ),
            ),
            (
                "SMTP_URL".into(),
                format!(
                    "smtp://{}:{}@{}:{}{}",
                    pct(SMTP_USER),
                    pct(SMTP_PASSWORD),
                    self.smtp.host,
                    self.smtp.port,
                    self.smtp_query
                ),
            ),
            ("EMAIL_FROM".into(), "CNCERT 周报 <feed@example.org>".into()),
            ("EMAIL_TO".into(), "a@example.org, Bob <b@example.net>".into()),
        ])
    }
}

/// Runs `notify` through the library with `env` as the environment.
pub fn run(
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

/// The POST requests `server` received.
pub fn posts(server: &FixtureServer) -> Vec<Logged> {
    server.requests().into_iter().filter(|r| r.method == "POST").collect()
}
