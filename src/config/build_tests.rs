//! Tests of the config validation (`build.rs`).
use super::*;
use crate::config::DEFAULT_DELAY_MS;
use crate::config::MINIMAL_FOR_TESTS as MINIMAL;

#[test]
fn english_labels_default_to_the_key_in_words_and_health_is_checked() {
    let c = Config::parse(MINIMAL, "t.yaml").unwrap();
    assert_eq!(c.series[0].metrics[0].label_en, "Incidents handled");
    assert_eq!(c.series[0].title_en, "Demo");
    assert_eq!(c.health.failing_runs, 3);
    assert_eq!(c.health.previous_issues, 5);
    let text = format!("{MINIMAL}health:\n  failing_runs: 0\n");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.contains("health.failing_runs") && e.contains("at least 1"), "{e}");
    let text = format!("{MINIMAL}notify:\n  - kind: slack\n    url_env: SLACK_WEBHOOK_URL\n    lang: fr\n");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.contains("lang must be zh or en"), "{e}");
    let text = MINIMAL.replace("    metrics:", "    summary_en: 'Handled {nope}'\n    metrics:");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.contains("summary_en") && e.contains("{nope}"), "{e}");
}

#[test]
fn errors_point_at_the_line_of_the_value_itself() {
    // A duplicate key points at the duplicate, not at the first entry (or a comment).
    let text = format!(
        "# the key incidents_handled is defined below\n{}      - key: incidents_handled\n        label: 又一个\n        patterns: ['x{{N}}']\n",
        MINIMAL
    );
    let dup_line = text.lines().position(|l| l.contains("label: 又一个")).expect("line");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("t.yaml:{dup_line}:")) && e.contains("listed twice"),
        "{e}"
    );
    // A bad pattern that also appears, fine, earlier in a comment.
    let text = MINIMAL
        .replace(
            "    metrics:\n",
            "    # '共处理(?:了网络安全事件{N}起' was the old pattern\n    metrics:\n",
        )
        .replace(
            "patterns: ['共处理网络安全事件{N}起']",
            "patterns: ['ok{N}', '共处理(?:了网络安全事件{N}起']",
        );
    let line = text.lines().position(|l| l.contains("patterns: ['ok")).expect("line") + 1;
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.starts_with(&format!("t.yaml:{line}:")), "{e}");
}

#[test]
fn each_target_kind_takes_its_own_variables() {
    let ok = format!(
        "{MINIMAL}notify:\n  - kind: telegram\n    token_env: TELEGRAM_BOT_TOKEN\n    chat_env: TELEGRAM_CHAT_ID\n  - kind: email\n    url_env: SMTP_URL\n    from_env: EMAIL_FROM\n    to_env: EMAIL_TO\n  - kind: discord\n    url_env: DISCORD_WEBHOOK_URL\n"
    );
    let c = Config::parse(&ok, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.notify[0].key(), "telegram:telegram_bot_token+telegram_chat_id");
    assert!(
        c.notify[0]
            .variables()
            .contains(&("api_env", "TELEGRAM_API_URL".to_string())),
        "the API URL variable has a default"
    );
    assert_eq!(c.notify[1].key(), "email:smtp_url+email_to");
    assert_eq!(c.notify[2].key(), "discord:discord_webhook_url");
    for (target, expect) in [
        (
            "  - kind: telegram\n    token_env: TELEGRAM_BOT_TOKEN\n",
            "needs chat_env: add `chat_env: TELEGRAM_CHAT_ID`",
        ),
        (
            "  - kind: email\n    url_env: SMTP_URL\n    to_env: EMAIL_TO\n",
            "needs from_env",
        ),
        (
            "  - kind: discord\n    url_env: DISCORD_WEBHOOK_URL\n    secret_env: X\n",
            "secret_env is not used by discord",
        ),
        (
            "  - kind: teams\n    url_env: https://prod.westeurope.logic.azure.com/workflows/1?sig=abc\n",
            "must name an environment variable",
        ),
        (
            "  - kind: slack\n    token_env: SLACK_TOKEN\n",
            "token_env is not used by slack",
        ),
        ("  - kind: teams\n", "needs url_env: add `url_env: TEAMS_WEBHOOK_URL`"),
    ] {
        let text = format!("{MINIMAL}notify:\n{target}");
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(e.contains(expect), "{target}: {e}");
        assert!(
            !e.contains("sig=abc"),
            "a value put where a name goes is not repeated: {e}"
        );
    }
}

#[test]
fn a_websub_hub_must_be_an_http_url() {
    let good = format!("site:\n  websub_hub: https://pubsubhubbub.appspot.com/\n{MINIMAL}");
    let c = Config::parse(&good, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.site.websub_hub.map(|u| u.to_string()).as_deref(),
        Some("https://pubsubhubbub.appspot.com/")
    );
    for hub in ["pubsubhubbub.appspot.com", "ftp://hub.example.org/"] {
        let bad = format!("site:\n  websub_hub: {hub}\n{MINIMAL}");
        let e = Config::parse(&bad, "t.yaml").unwrap_err().to_string();
        assert!(e.starts_with("t.yaml:2:") && e.contains("site.websub_hub"), "{e}");
    }
}

#[test]
fn a_notify_target_naming_an_unknown_series_is_refused() {
    let text = format!("{MINIMAL}notify:\n  - kind: slack\n    url_env: SLACK_WEBHOOK_URL\n    series: [demo, nope]\n");
    let line = text
        .lines()
        .position(|l| l.contains("series: [demo, nope]"))
        .expect("line")
        + 1;
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("t.yaml:{line}:")) && e.contains("'nope'") && e.contains("known: demo"),
        "{e}"
    );
}

#[test]
fn minimal_config_gets_defaults() {
    let c = Config::parse(MINIMAL, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.fetch.delay_ms, DEFAULT_DELAY_MS);
    assert_eq!(c.series[0].max_issues, DEFAULT_MAX_ISSUES);
    assert_eq!(c.site.feed_limit, DEFAULT_FEED_LIMIT);
}

#[test]
fn unknown_field_names_line_and_field() {
    let text = MINIMAL.replace("    title: Demo\n", "    title: Demo\n    colour: red\n");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.starts_with("t.yaml:5:"), "{e}");
    assert!(e.contains("colour"), "{e}");
}

#[test]
fn bad_regex_names_line() {
    let text = MINIMAL.replace("共处理网络安全事件{N}起", "共处理(网络安全事件{N}起");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.starts_with("t.yaml:10:"), "{e}");
    assert!(e.contains("not a valid regex"), "{e}");
}

#[test]
fn pattern_without_value_is_refused() {
    let text = MINIMAL.replace("共处理网络安全事件{N}起", "共处理网络安全事件起");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.contains("captures no value"), "{e}");
}

#[test]
fn wrong_type_is_reported() {
    let text = format!("fetch:\n  delay_ms: slow\n{MINIMAL}");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.starts_with("t.yaml:2:"), "{e}");
}

#[test]
fn missing_value_is_reported() {
    let text = MINIMAL.replace("    title: Demo\n", "");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.contains("title"), "{e}");
}

#[test]
fn summary_placeholders_must_name_metrics() {
    let text = MINIMAL.replace(
        "    metrics:\n",
        "    summary: '态势：{assessment}｜处理{incidents_handld}起'\n    metrics:\n",
    );
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.contains("{incidents_handld}") && e.starts_with("t.yaml:7:"), "{e}");
}

#[test]
fn hostile_series_id_is_refused() {
    let text = MINIMAL.replace("id: demo", "id: ../etc");
    let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
    assert!(e.contains("a-z, 0-9"), "{e}");
}
