//! `notify` when sending fails: an errcode answer, a platform error or a rate limit outlasting
//! retry_after is a failure, not recorded, sent on the next run; a rate limit within retry_after
//! is waited out; e-mail never logs in without TLS when TLS is required, and settings that cannot
//! work are named without their secrets; nothing is sent when it could not be recorded.

mod common;

use cncert_feed::archive::Archive;
use cncert_feed::notify::{NotifyOptions, notify};
use common::notify::{
    Mocks, SMTP_PASSWORD, answers, archive_with_three, hook, pct, posts, run, status_only, telegram, telegram_path,
};
use serde_json::json;

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

/// Only the targets of `kinds` from the repository's config.
fn config_with(kinds: &[&str]) -> cncert_feed::Config {
    let mut config = common::repo_config();
    config.notify.retain(|t| kinds.contains(&t.kind.name()));
    assert_eq!(config.notify.len(), kinds.len());
    config
}

#[test]
fn platform_errors_are_failures_and_are_retried_next_run() {
    let data = archive_with_three();
    let mut mocks = Mocks::new();
    mocks.telegram = telegram(
        json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}),
        400,
    );
    // Discord rate-limits twice in a row: one wait of retry_after, then a failure.
    mocks.discord = answers(
        "/api/webhooks/123/discord-t0ken",
        vec![
            json!({"status": 429, "body": json!({"message": "You are being rate limited.", "retry_after": 0.2, "global": false}).to_string(), "headers": {"Content-Type": "application/json"}}),
        ],
    );
    mocks.smtp.answer_next_data("554 5.7.1 Message rejected as spam");
    let config = config_with(&["telegram", "discord", "email"]);
    let started = std::time::Instant::now();
    let s = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert!(s.sent.is_empty(), "{:?}", s.sent);
    assert_eq!(s.failed.len(), 3, "{:?}", s.failed);
    let why = |kind: &str| {
        s.failed
            .iter()
            .find(|(t, _, _)| t.starts_with(kind))
            .map(|(_, _, w)| w.clone())
            .unwrap_or_default()
    };
    assert!(why("telegram").contains("chat not found"), "{}", why("telegram"));
    assert!(why("discord").contains("429"), "{}", why("discord"));
    assert!(
        why("email").contains("554") && why("email").contains("rejected as spam"),
        "{}",
        why("email")
    );
    assert!(!why("email").contains(SMTP_PASSWORD));
    assert_eq!(posts(&mocks.discord).len(), 2, "one retry after retry_after");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(200),
        "retry_after was waited"
    );

    // The platforms accept again: the same (newest) issue is sent, once.
    mocks.telegram = telegram(json!({"ok": true, "result": {}}), 200);
    mocks.discord = status_only("/api/webhooks/123/discord-t0ken", 204);
    let again = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert!(again.failed.is_empty(), "{:?}", again.failed);
    assert_eq!(again.sent.len(), 3, "{:?}", again.sent);
    assert!(again.sent.iter().all(|(_, t)| t.contains("2024年第43期")));
    assert_eq!(mocks.smtp.accepted().len(), 1);
    let third = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert!(third.sent.is_empty() && third.failed.is_empty(), "{third:?}");
}

#[test]
fn a_rate_limit_within_retry_after_is_waited_out_and_sent() {
    let data = archive_with_three();
    let mut mocks = Mocks::new();
    mocks.telegram = answers(
        &telegram_path(),
        vec![
            json!({"status": 429, "body": json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}).to_string()}),
            json!({"status": 200, "body": json!({"ok": true, "result": {}}).to_string()}),
        ],
    );
    let config = config_with(&["telegram"]);
    let started = std::time::Instant::now();
    let s = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert!(s.failed.is_empty(), "{:?}", s.failed);
    assert_eq!(s.sent.len(), 1);
    assert_eq!(posts(&mocks.telegram).len(), 2);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "waited retry_after"
    );
}

#[test]
fn e_mail_never_logs_in_without_tls_when_tls_is_required() {
    let data = archive_with_three();
    let mut mocks = Mocks::new();
    // The mock server offers no STARTTLS.
    mocks.smtp_query = "?tls=required".into();
    let config = config_with(&["email"]);
    let s = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert_eq!(s.failed.len(), 1, "{s:?}");
    let why = &s.failed[0].2;
    assert!(
        !why.contains(SMTP_PASSWORD) && !why.contains(&pct(SMTP_PASSWORD)),
        "{why}"
    );
    assert!(why.starts_with("SMTP smtp://***@127.0.0.1:"), "{why}");
    assert!(mocks.smtp.logins().is_empty(), "credentials went out in the clear");
    assert!(mocks.smtp.received().is_empty());
}

#[test]
fn e_mail_settings_that_cannot_work_are_named() {
    let data = archive_with_three();
    let mocks = Mocks::new();
    let config = config_with(&["email"]);
    for (var, value, expect) in [
        (
            "SMTP_URL",
            "https://user:hunter22@mail.example.org",
            "scheme https:// is not SMTP",
        ),
        (
            "SMTP_URL",
            "smtp://user:hunter22@mail.example.org?tls=sometimes",
            "tls=sometimes",
        ),
        ("EMAIL_FROM", "not an address", "EMAIL_FROM"),
        ("EMAIL_TO", "a@example.org, nobody", "EMAIL_TO: 'nobody'"),
    ] {
        let mut env = mocks.env();
        env.insert(var.into(), value.into());
        let s = run(&config, &data, &env, NotifyOptions::default());
        assert!(s.sent.is_empty());
        assert_eq!(s.failed.len(), 1, "{var}={value}: {s:?}");
        assert!(s.failed[0].2.contains(expect), "{var}={value}: {}", s.failed[0].2);
        assert!(!s.failed[0].2.contains("hunter22"));
    }
    assert!(mocks.smtp.received().is_empty());
    // Nothing was recorded as first use: fixed settings send the newest only.
    let s = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert_eq!(s.sent.len(), 1, "{s:?}");
}
