//! `notify --dry-run` previews every configured target, set or not (placeholders where a
//! variable is unset), sends and records nothing, and says why a target gets nothing: an empty
//! archive, every issue already announced, no target configured. A real run skips an unset
//! target with one line and says why nothing went where nothing did.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use cncert_feed::archive::Archive;
use cncert_feed::notify::{NotifyOptions, notify};
use common::notify::archive_with_three;
use common::server::FixtureServer;
use serde_json::json;

/// Every variable the repository's config names.
const VARIABLES: [&str; 15] = [
    "SLACK_WEBHOOK_URL",
    "FEISHU_WEBHOOK_URL",
    "FEISHU_SECRET",
    "DINGTALK_WEBHOOK_URL",
    "DINGTALK_SECRET",
    "WECOM_WEBHOOK_URL",
    "NOTIFY_WEBHOOK_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_CHAT_ID",
    "TELEGRAM_API_URL",
    "DISCORD_WEBHOOK_URL",
    "TEAMS_WEBHOOK_URL",
    "SMTP_URL",
    "EMAIL_FROM",
    "EMAIL_TO",
];

/// `notify` with the repository's config, only `set` of its variables in the environment.
fn cli(data: &Path, dry_run: bool, set: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cncert-feed"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).arg("notify");
    if dry_run {
        cmd.arg("--dry-run");
    }
    cmd.arg("--data").arg(data);
    for v in VARIABLES {
        cmd.env_remove(v);
    }
    for (k, v) in set {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The `# target → URL · title` lines of a dry run.
fn headers(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("# ") && l.contains(" → "))
        .collect()
}

fn webhook_mock() -> FixtureServer {
    FixtureServer::start_with(
        &common::site_dir(),
        vec![json!({"path": "/hook", "responses": [{"status": 200, "body": "{}"}]})],
        0,
    )
}

fn posts(server: &FixtureServer) -> usize {
    server.requests().iter().filter(|r| r.method == "POST").count()
}

#[test]
fn a_dry_run_with_nothing_set_previews_every_target_with_placeholders() {
    let data = archive_with_three();
    let o = cli(&data, true, &[]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let h = headers(&out);
    assert_eq!(h.len(), 9, "one payload per target: {h:#?}");
    let newest = "网络安全信息与动态周报2024年第43期";
    for (target, shown) in [
        ("slack:slack_webhook_url", "<SLACK_WEBHOOK_URL unset>"),
        ("feishu:feishu_webhook_url", "<FEISHU_WEBHOOK_URL unset>"),
        ("dingtalk:dingtalk_webhook_url", "<DINGTALK_WEBHOOK_URL unset>"),
        ("wecom:wecom_webhook_url", "<WECOM_WEBHOOK_URL unset>"),
        ("webhook:notify_webhook_url", "<NOTIFY_WEBHOOK_URL unset>"),
        (
            "telegram:telegram_bot_token+telegram_chat_id",
            "https://api.telegram.org/bot<TELEGRAM_BOT_TOKEN unset>/sendMessage",
        ),
        ("discord:discord_webhook_url", "<DISCORD_WEBHOOK_URL unset>"),
        ("teams:teams_webhook_url", "<TEAMS_WEBHOOK_URL unset>"),
        ("email:smtp_url+email_to", "<SMTP_URL unset>"),
    ] {
        let header = format!("# {target} → {shown} · {newest}");
        assert!(h.iter().any(|l| l.starts_with(&header)), "{header} not in {h:#?}");
        assert!(
            out.contains(&format!("# {target}: ")) && out.contains("a real run skips this target"),
            "{target}: no note in {out}"
        );
    }
    assert!(
        out.contains(
            "# telegram:telegram_bot_token+telegram_chat_id: TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID are not set"
        )
    );
    assert!(out.contains("\"chat_id\": \"<TELEGRAM_CHAT_ID unset>\""), "{out}");
    assert!(out.contains("\"from\": \"<EMAIL_FROM unset>\"") && out.contains("\"to\": \"<EMAIL_TO unset>\""));
    assert!(out.contains("# feishu:feishu_webhook_url: FEISHU_SECRET is not set: sent unsigned"));
    assert!(out.contains("first use: only the newest issue is sent, the 2 older ones are recorded as announced"));
    assert!(
        err.contains("dry run: 9 message(s) for 9 target(s) shown; nothing was sent or recorded"),
        "{err}"
    );
    assert!(
        !data.join("cncert-weekly/state.json").exists(),
        "a dry run records nothing"
    );

    // A real run skips each target with one line saying which variable to set, and sends nothing.
    let o = cli(&data, false, &[]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.is_empty(), "{out}");
    let skipped: Vec<&str> = err.lines().filter(|l| l.ends_with("; skipped")).collect();
    assert_eq!(skipped.len(), 9, "{err}");
    assert!(skipped[0].starts_with("slack:slack_webhook_url: SLACK_WEBHOOK_URL is not set"));
    assert!(!err.contains("sent to"), "{err}");
}

#[test]
fn a_dry_run_masks_what_is_set_and_placeholders_the_rest() {
    let data = archive_with_three();
    let hook = webhook_mock();
    let set = [
        (
            "SLACK_WEBHOOK_URL",
            format!("{}/hook/T000/B000/slack-s3cret", hook.origin),
        ),
        ("TELEGRAM_BOT_TOKEN", "7012345678:AAF-tel3gram-t0ken".to_string()),
    ];
    let o = cli(&data, true, &set);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(!out.contains("slack-s3cret") && !err.contains("slack-s3cret"));
    assert!(!out.contains("tel3gram") && !err.contains("tel3gram"));
    let h = headers(&out);
    assert!(
        h.iter()
            .any(|l| l.starts_with(&format!("# slack:slack_webhook_url → {}/hook/*** · ", hook.origin))),
        "{h:#?}"
    );
    assert!(!out.contains("SLACK_WEBHOOK_URL is not set"), "{out}");
    // A token set, a chat not: the token masked, the chat a placeholder.
    assert!(
        h.iter()
            .any(|l| l.contains("→ https://api.telegram.org/bot***/sendMessage · ")),
        "{h:#?}"
    );
    assert!(
        out.contains("TELEGRAM_CHAT_ID is not set: shown with a placeholder"),
        "{out}"
    );
    assert!(out.contains("<DISCORD_WEBHOOK_URL unset>"));
    assert_eq!(posts(&hook), 0, "a dry run sends nothing");
}

#[test]
fn an_empty_archive_says_there_is_nothing_to_send() {
    for data in [
        common::temp_dir("preview-empty"),
        common::temp_dir("preview-none").join("not-yet"),
    ] {
        for dry_run in [true, false] {
            let o = cli(&data, dry_run, &[]);
            let (out, err) = text(&o);
            assert!(o.status.success(), "{err}");
            let all = format!("{out}{err}");
            assert!(
                all.contains("cncert-weekly: nothing to send: the archive in")
                    && all.contains("holds no issue of this series yet (run crawl, build or import first)"),
                "dry run {dry_run}: {all}"
            );
            assert!(headers(&out).is_empty(), "{out}");
            // Not nine lines about unset variables: the archive is why nothing goes.
            assert!(!all.contains("is not set"), "{all}");
        }
        assert!(
            !data.join("cncert-weekly/state.json").exists(),
            "no target's first use is recorded on an empty archive"
        );
    }
}

#[test]
fn a_target_that_had_every_issue_is_named_with_why() {
    let data = archive_with_three();
    let hook = webhook_mock();
    let set = [("NOTIFY_WEBHOOK_URL", format!("{}/hook", hook.origin))];
    // A real run: the webhook gets the newest (first use), the others are skipped.
    let o = cli(&data, false, &set);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(posts(&hook), 1, "{err}");

    let why = "nothing to send: every issue of cncert-weekly in the archive (3) was already announced to this target";
    let o = cli(&data, true, &set);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains(&format!("# webhook:notify_webhook_url: {why}")), "{out}");
    let h = headers(&out);
    assert!(!h.iter().any(|l| l.contains("webhook:notify_webhook_url")), "{h:#?}");
    assert_eq!(h.len(), 8, "the targets not used yet are still previewed: {h:#?}");
    assert!(err.contains("dry run: 8 message(s) for 8 target(s)"), "{err}");

    // A real run says the same on stderr, and sends nothing more.
    let o = cli(&data, false, &set);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains(&format!("webhook:notify_webhook_url: {why}")), "{err}");
    assert_eq!(posts(&hook), 1);
}

#[test]
fn no_target_configured_is_said() {
    let data = archive_with_three();
    let mut config = common::repo_config();
    config.notify.clear();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let lookup = |_: &str| None;
    for dry_run in [true, false] {
        let opts = NotifyOptions {
            dry_run,
            ..NotifyOptions::default()
        };
        let s = rt
            .block_on(notify(&config, &Archive::new(&data), &opts, &lookup))
            .expect("notify runs");
        assert!(s.dry.is_empty() && s.sent.is_empty());
        assert_eq!(
            s.idle,
            vec!["nothing to send: no target is configured (notify: in config.yaml)".to_string()]
        );
    }
}

#[test]
fn a_backfill_dry_run_shows_every_issue_oldest_first() {
    let data = archive_with_three();
    let mut config = common::repo_config();
    config.notify.retain(|t| t.kind.name() == "slack");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let lookup = |_: &str| None;
    let opts = NotifyOptions {
        dry_run: true,
        backfill: true,
    };
    let s = rt
        .block_on(notify(&config, &Archive::new(&data), &opts, &lookup))
        .expect("notify runs");
    assert_eq!(s.dry.len(), 1);
    let titles: Vec<&str> = s.dry[0].payloads.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(
        titles[0].contains("第41期") && titles[2].contains("第43期"),
        "{titles:?}"
    );
    assert!(
        !s.dry[0].notes.iter().any(|n| n.contains("first use")),
        "{:?}",
        s.dry[0].notes
    );
}
