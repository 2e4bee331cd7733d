//! `notify` against loopback mock servers, one per platform: payload shapes, signatures checked
//! the way each platform checks them, a second run sending nothing, first use sending only the
//! newest, secrets absent from output. Failures to send: tests/notify_failures.rs.

mod common;

use std::collections::HashMap;

use base64::Engine;
use cncert_feed::notify::NotifyOptions;
use common::notify::{
    DINGTALK_SECRET, FEISHU_SECRET, Mocks, SMTP_PASSWORD, SMTP_USER, TELEGRAM_TOKEN, archive_with_three, pct, posts,
    run, telegram_path,
};
use common::server::Logged;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

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
    assert_eq!(s.sent.len(), 9, "{:?}", s.sent);
    for server in mocks.all() {
        let p = posts(server);
        assert_eq!(p.len(), 1, "first use sends only the newest");
        assert!(String::from_utf8_lossy(&p[0].body).contains("2024年第43期"));
    }
    assert_eq!(mocks.smtp.accepted().len(), 1, "first use mails only the newest");

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

    // Telegram: sendMessage with HTML, the chat as given, within 4,096 characters.
    let t = &posts(&mocks.telegram)[0];
    assert_eq!(t.path, telegram_path());
    let tg = body(t);
    assert_eq!(tg["chat_id"], "@cncert_weekly");
    assert_eq!(tg["parse_mode"], "HTML");
    let text = tg["text"].as_str().expect("text");
    assert!(text.starts_with("<b>网络安全信息与动态周报2024年第43期"), "{text}");
    assert!(text.contains("• 处理网络安全事件：295起"), "{text}");
    assert!(
        text.contains("<a href=\"https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&amp;mid=2247499441"),
        "{text}"
    );
    assert!(text.chars().count() <= 4096);

    // Discord: one embed, a field per figure, colour of 良, no mentions.
    let dc = body(&posts(&mocks.discord)[0]);
    let embed = &dc["embeds"][0];
    assert!(embed["title"].as_str().expect("title").contains("2024年第43期"));
    assert!(embed["url"].as_str().expect("url").contains("mid=2247499441"));
    assert_eq!(embed["color"], 0x1565C0);
    let fields = embed["fields"].as_array().expect("fields");
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "处理网络安全事件" && f["value"].as_str().is_some_and(|v| v.starts_with("295起"))),
        "{fields:?}"
    );
    assert_eq!(dc["allowed_mentions"]["parse"], json!([]));

    // Teams: a message with an Adaptive Card 1.4: title, FactSet, OpenUrl; the query kept.
    let tm = &posts(&mocks.teams)[0];
    assert_eq!(query_param(&tm.query, "sig").as_deref(), Some("teams-s1g"));
    let teams = body(tm);
    assert_eq!(teams["type"], "message");
    let att = &teams["attachments"][0];
    assert_eq!(att["contentType"], "application/vnd.microsoft.card.adaptive");
    let card = &att["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert!(
        card["body"][0]["text"]
            .as_str()
            .expect("title")
            .contains("2024年第43期")
    );
    let facts = card["body"]
        .as_array()
        .expect("body")
        .iter()
        .find(|b| b["type"] == "FactSet")
        .and_then(|f| f["facts"].as_array())
        .expect("FactSet");
    assert!(
        facts
            .iter()
            .any(|f| f["title"] == "处理网络安全事件" && f["value"].as_str().is_some_and(|v| v.starts_with("295起")))
    );
    assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
    assert!(
        card["actions"][0]["url"]
            .as_str()
            .expect("url")
            .contains("mid=2247499441")
    );

    // E-mail: logged in, one message to both recipients, multipart/alternative, text and HTML.
    let mail = &mocks.smtp.accepted()[0];
    assert_eq!(mail.login, Some((SMTP_USER.to_string(), SMTP_PASSWORD.to_string())));
    assert_eq!(mail.from, "<feed@example.org>");
    assert_eq!(mail.to, vec!["<a@example.org>", "<b@example.net>"]);
    let (subject, parts) = common::smtp::parts(&mail.data);
    assert!(subject.starts_with("网络安全信息与动态周报2024年第43期"), "{subject}");
    assert_eq!(parts.len(), 2, "{}", mail.data);
    assert_eq!(parts[0].0, "text/plain");
    assert!(parts[0].1.contains("- 处理网络安全事件：295起"), "{}", parts[0].1);
    assert!(
        parts[0].1.contains("阅读原文：https://mp.weixin.qq.com/s?__biz="),
        "{}",
        parts[0].1
    );
    assert_eq!(parts[1].0, "text/html");
    assert!(
        parts[1]
            .1
            .contains("<td style=\"border:1px solid #ddd;padding:4px 8px\">处理网络安全事件</td>"),
        "{}",
        parts[1].1
    );
    assert!(
        parts[1].1.contains("<a href=\"https://mp.weixin.qq.com/s?__biz="),
        "{}",
        parts[1].1
    );

    // A second run sends nothing.
    let again = run(&config, &data, &mocks.env(), NotifyOptions::default());
    assert!(again.sent.is_empty(), "{:?}", again.sent);
    assert_eq!(posts(&mocks.slack).len(), 1);
    assert_eq!(posts(&mocks.telegram).len(), 1);
    assert_eq!(mocks.smtp.received().len(), 1);
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
    assert_eq!(s.sent.len(), 27);
    let titles: Vec<String> = posts(&mocks.webhook)
        .iter()
        .map(|r| body(r)["_report"]["issue"].to_string())
        .collect();
    assert_eq!(titles, vec!["41", "42", "43"]);
}

#[test]
fn unset_targets_are_skipped_with_one_line_each() {
    let data = archive_with_three();
    let s = run(&common::repo_config(), &data, &HashMap::new(), NotifyOptions::default());
    assert_eq!(s.skipped.len(), 9, "{:?}", s.skipped);
    assert!(s.skipped[0].contains("SLACK_WEBHOOK_URL is not set"));
    assert!(
        s.skipped
            .iter()
            .any(|l| l.contains("TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID are not set")),
        "{:?}",
        s.skipped
    );
    assert!(
        s.skipped
            .iter()
            .any(|l| l.contains("SMTP_URL, EMAIL_FROM, EMAIL_TO are not set"))
    );
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
        TELEGRAM_TOKEN,
        "AAF-tel3gram",
        "discord-t0ken",
        "teams-s1g",
        SMTP_PASSWORD,
        &pct(SMTP_PASSWORD),
    ] {
        assert!(!all.contains(secret), "output leaks {secret}");
    }
    for (target, shown) in [
        ("telegram", "/bot***/sendMessage"),
        ("discord", "/api/***"),
        ("email", "smtp://***@127.0.0.1:"),
    ] {
        assert!(all.contains(shown), "{target}: {shown} not in {all}");
    }
    assert!(all.contains("\"parse_mode\": \"HTML\""), "{all}");
    assert!(all.contains("\"type\": \"AdaptiveCard\""), "{all}");
    assert!(all.contains("multipart") || all.contains("\"html\": "), "{all}");
    for server in mocks.all() {
        assert!(posts(server).is_empty());
    }
    assert!(mocks.smtp.received().is_empty() && mocks.smtp.logins().is_empty());
    // Nothing was recorded: a real run afterwards still sends.
    let s = run(&common::repo_config(), &data, &mocks.env(), NotifyOptions::default());
    assert_eq!(s.sent.len(), 9);
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
fn counts_read_in_wan_as_the_report_writes_them_in_every_target() {
    // 2017年第20–21期: 境内感染网络病毒的主机 248000 → 206000, 被木马或僵尸程序控制的主机
    // 180000 → 123000: each chat shows 20.6万个 and 12.3万个 (the summary's form), never 206000.
    let data = common::temp_dir("notify-wan");
    common::import_pages(&data, &["2017-20.html", "2017-21.html"]);
    let mocks = Mocks::new();
    let s = run(&common::repo_config(), &data, &mocks.env(), NotifyOptions::default());
    assert!(s.failed.is_empty(), "{:?}", s.failed);
    assert_eq!(s.sent.len(), 9, "{:?}", s.sent);
    let chats = [
        &mocks.slack,
        &mocks.feishu,
        &mocks.dingtalk,
        &mocks.wecom,
        &mocks.telegram,
        &mocks.discord,
        &mocks.teams,
    ];
    for server in chats {
        let sent = String::from_utf8_lossy(&posts(server)[0].body).into_owned();
        assert!(sent.contains("20.6万个") && sent.contains("12.3万个"), "{sent}");
        assert!(sent.contains("▼42000"), "the change as its count is: {sent}");
        assert!(!sent.contains("206000") && !sent.contains("123000"), "{sent}");
    }
    let mail = &mocks.smtp.accepted()[0];
    let (_, parts) = common::smtp::parts(&mail.data);
    for (kind, part) in &parts {
        assert!(part.contains("20.6万个") && !part.contains("206000"), "{kind}: {part}");
    }
    // The generic webhook carries the JSON Feed item: exact figures for machines in _report,
    // the summary in 万 as the feeds have it.
    let item = body(&posts(&mocks.webhook)[0]);
    assert_eq!(item["_report"]["metrics"]["infected_hosts"], 206_000);
    assert!(
        item["summary"]
            .as_str()
            .is_some_and(|s| s.contains("感染病毒主机20.6万个")),
        "{}",
        item["summary"]
    );
}
