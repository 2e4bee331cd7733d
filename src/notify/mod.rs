//! Pushing new issues to readers: Slack, Feishu/Lark, DingTalk, WeCom, Telegram, Discord,
//! Microsoft Teams, a generic webhook (one file per platform behind [`Platform`]) and e-mail over
//! SMTP ([`email`]). What was announced to which target is kept in the archive's state file; a
//! failed send is never recorded, so the next run tries again. [`websub`] tells a WebSub hub that
//! the published feeds changed.

mod alerts;
pub mod dingtalk;
pub mod discord;
pub mod email;
pub mod feishu;
mod post;
mod run;
pub mod slack;
pub mod teams;
pub mod telegram;
pub mod webhook;
pub mod websub;
pub mod wecom;

use serde_json::Value;

use self::post::read_limited;
pub use self::post::{MAX_ANSWER_BYTES, MAX_RETRY_WAIT, rate_limit_wait};
pub use self::run::{NotifyOptions, NotifySummary, Preview, destination, is_placeholder, notify, placeholder};
use crate::config::TargetKind;
use crate::publish::{Change, FeedModel, Item, Lang, change_mark, short_count};
use crate::report::MetricValue;

/// What a message says, format-neutral.
#[derive(Debug, Clone)]
pub struct Message {
    /// Issue title.
    pub title: String,
    /// Article URL.
    pub link: String,
    /// Overall assessment, as the report words it (优 … 危: it picks the colours); shown in the
    /// message's language by [`Message::rating`].
    pub assessment: Option<String>,
    /// `(label, value with unit, change mark)` per figure, config order; counts as the report
    /// and the feeds' summary write them ([`short_count`]: 248000 → `24.8万个`; only exact
    /// multiples of 1,000 from 10万 up are shortened, so nothing is rounded away).
    pub figures: Vec<(String, String, String)>,
    /// The JSON Feed item (for the generic webhook).
    pub item: Value,
    /// Series display name.
    pub series_title: String,
    /// The language of the message (a target's `lang`): its fixed words, the rating, the labels,
    /// and counts in full (`238,000`) in English.
    pub lang: Lang,
}

impl Message {
    /// The message of an item in its model's edition ([`FeedModel::lang`]).
    fn of(model: &FeedModel, it: &Item) -> Message {
        let series = model.series;
        let lang = model.lang;
        let figures = series
            .metrics
            .iter()
            .filter_map(|m| {
                let v = it.data.metrics.get(&m.key)?;
                let value = match v {
                    MetricValue::Count(n) => format!("{}{}", lang.count(*n), lang.unit(m)),
                    MetricValue::Level(l) => lang.level(l),
                };
                Some((
                    lang.label(m).to_string(),
                    value,
                    chat_change_in(it.data.changes.get(&m.key), v, lang),
                ))
            })
            .collect();
        Message {
            title: it.title.clone(),
            link: it.link.clone(),
            assessment: it.data.assessment.clone(),
            figures,
            item: crate::publish::jsonfeed::item(model, it),
            series_title: model.title().to_string(),
            lang,
        }
    }

    /// The overall rating in the message's language (`良`, `Good`).
    pub fn rating(&self) -> Option<String> {
        self.assessment.as_deref().map(|a| self.lang.rating(a))
    }

    /// What the rating is called: `网络安全态势整体评价`, `Overall rating`.
    pub fn rating_label(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "网络安全态势整体评价",
            Lang::En => "Overall rating",
        }
    }

    /// The text of the link to the article: `阅读原文`, `Read the article (Chinese)`.
    pub fn read_label(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "阅读原文",
            Lang::En => "Read the article (Chinese)",
        }
    }

    /// What stands between a name and its value: `：`, `: `.
    pub fn colon(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "：",
            Lang::En => ": ",
        }
    }

    /// A value with its change: `295起（▲12）`, `295 (▲12)`; the value alone without a change.
    pub fn with_change(&self, value: &str, change: &str) -> String {
        match (change.is_empty(), self.lang) {
            (true, _) => value.to_string(),
            (false, Lang::Zh) => format!("{value}（{change}）"),
            (false, Lang::En) => format!("{value} ({change})"),
        }
    }

    /// The figures as markdown list lines (`- 处理网络安全事件：295起（▲12）`), every value
    /// made inert ([`md_text`]).
    pub fn figure_lines(&self) -> Vec<String> {
        self.figures
            .iter()
            .map(|(l, v, c)| {
                format!(
                    "- {}{}{}",
                    md_text(l),
                    self.colon(),
                    self.with_change(&md_text(v), &md_text(c))
                )
            })
            .collect()
    }

    /// The title made inert for markdown.
    pub fn md_title(&self) -> String {
        md_text(&self.title)
    }

    /// The assessment made inert for markdown.
    pub fn md_assessment(&self) -> Option<String> {
        self.rating().as_deref().map(md_text)
    }

    /// The link, when it is one that can stand in markdown and Slack links ([`safe_link`]).
    pub fn safe_link(&self) -> Option<String> {
        safe_link(&self.link)
    }
}

/// A change as chat messages show it: [`change_mark`], with a count's difference written the way
/// the count is ([`short_count`]: `▲12`, `▼42000`, `▲15万`).
pub fn chat_change(c: Option<&Change>, v: &MetricValue) -> String {
    match c {
        Some(Change::Delta(d)) if *d > 0 => format!("▲{}", short_count(*d)),
        Some(Change::Delta(d)) if *d < 0 => format!("▼{}", short_count(d.saturating_neg())),
        _ => change_mark(c, Some(v)),
    }
}

/// [`chat_change`] in a language: English writes a count's difference in full (`▲150,000`) and
/// a level's change in words (`Medium→High`).
pub fn chat_change_in(c: Option<&Change>, v: &MetricValue, lang: Lang) -> String {
    match lang {
        Lang::Zh => chat_change(c, v),
        Lang::En => lang.change_mark(c, Some(v)),
    }
}

/// Text from the archive made inert in chat markdown (DingTalk, WeCom, Feishu lark_md, Slack
/// mrkdwn): control characters dropped, and the characters markdown or HTML give a meaning
/// (`* _ [ ] ( ) < > # | ~ ` \`) replaced by their full-width forms, which read the same in Chinese text.
pub fn md_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '*' => '＊',
            '_' => '＿',
            '[' => '［',
            ']' => '］',
            '(' => '（',
            ')' => '）',
            '<' => '＜',
            '>' => '＞',
            '#' => '＃',
            '|' => '｜',
            '~' => '～',
            '`' => '｀',
            '\\' => '＼',
            '&' => '＆',
            other => other,
        })
        .collect()
}

/// A link that can stand inside markdown `[text](link)` and Slack `<link|text>`: http(s) only,
/// with `( ) | < >`, quotes and spaces percent-encoded; `None` for anything else.
pub fn safe_link(s: &str) -> Option<String> {
    let u = url::Url::parse(s.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let mut out = String::with_capacity(u.as_str().len());
    for c in u.as_str().chars() {
        match c {
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '|' => out.push_str("%7C"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '"' => out.push_str("%22"),
            '\'' => out.push_str("%27"),
            ' ' => out.push_str("%20"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// Where one target's messages go, read from its environment variables. Holds secrets: never
/// printed (see [`Platform::masked`]).
#[derive(Debug, Clone, Default)]
pub struct Destination {
    /// The webhook URL; Telegram: the Bot API origin; e-mail: the SMTP URL.
    pub url: String,
    /// Signing secret (Feishu, DingTalk).
    pub secret: Option<String>,
    /// Telegram: the bot token.
    pub token: Option<String>,
    /// Telegram: the chat (`@channel` or a numeric id).
    pub chat: Option<String>,
    /// E-mail: the sender.
    pub from: Option<String>,
    /// E-mail: the recipients, comma-separated.
    pub to: Option<String>,
}

/// A chat platform: how a message is shaped, where it goes, what counts as success.
pub trait Platform {
    /// The JSON body for `msg`; `dest` and `now_ms` sign it where the platform signs the body.
    fn payload(&self, msg: &Message, dest: &Destination, now_ms: i64) -> Value;
    /// The URL to post to; `dest` and `now_ms` sign it where the platform signs the URL.
    fn url(&self, dest: &Destination, _now_ms: i64) -> String {
        dest.url.clone()
    }
    /// Where the message goes, without any secret, for output (a dry run's placeholder of an
    /// unset variable as it is).
    fn masked(&self, dest: &Destination) -> String {
        if is_placeholder(&dest.url) {
            dest.url.clone()
        } else {
            mask_url(&dest.url)
        }
    }
    /// Whether the platform accepted the message (some say no with HTTP 200).
    fn accepted(&self, status: u16, body: &str) -> std::result::Result<(), String> {
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("HTTP {status}: {}", shorten(body, 200)))
        }
    }
    /// Most messages per minute the platform takes (0: no limit).
    fn per_minute(&self) -> usize {
        0
    }
}

/// The platform implementation for a kind.
pub fn platform(kind: TargetKind) -> Box<dyn Platform + Send + Sync> {
    match kind {
        TargetKind::Slack => Box::new(slack::Slack),
        TargetKind::Feishu => Box::new(feishu::Feishu),
        TargetKind::Dingtalk => Box::new(dingtalk::DingTalk),
        TargetKind::Wecom => Box::new(wecom::WeCom),
        TargetKind::Webhook => Box::new(webhook::Webhook),
        TargetKind::Telegram => Box::new(telegram::Telegram),
        TargetKind::Discord => Box::new(discord::Discord),
        TargetKind::Teams => Box::new(teams::Teams),
        TargetKind::Email => Box::new(email::Email),
    }
}

/// Cuts a string to at most `max` bytes on a char boundary, adding `…` when it cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Shows a webhook URL (the value of a secret variable) without its secret parts: scheme, host
/// and the first path segment (`https://hooks.slack.com/services/***`). A URL that is not a secret
/// (a WebSub hub) is shown with [`crate::fetch::redact`] instead, which masks only secrets in it.
pub fn mask_url(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(url) => {
            let host = url.host_str().unwrap_or("?");
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            match url.path().split('/').find(|s| !s.is_empty()) {
                Some(first) => format!("{}://{host}{port}/{first}/***", url.scheme()),
                None => format!("{}://{host}{port}/***", url.scheme()),
            }
        }
        Err(_) => "***".to_string(),
    }
}

/// Checks a JSON answer whose `field` must be 0 (DingTalk and WeCom `errcode`, Feishu `code`).
pub fn json_code_ok(status: u16, body: &str, fields: &[&str]) -> std::result::Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}: {}", shorten(body, 200)));
    }
    let v: Value = serde_json::from_str(body).map_err(|_| format!("unexpected answer: {}", shorten(body, 200)))?;
    for f in fields {
        if let Some(code) = v.get(*f) {
            return if code.as_i64() == Some(0) {
                Ok(())
            } else {
                let msg = ["errmsg", "msg", "StatusMessage"]
                    .iter()
                    .find_map(|k| v.get(*k).and_then(Value::as_str))
                    .unwrap_or("");
                Err(format!("the platform refused it: {f}={code} {msg}"))
            };
        }
    }
    Err(format!("unexpected answer: {}", shorten(body, 200)))
}

/// HMAC-SHA256 of `message` keyed by `key`, base64.
pub fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC takes keys of any length; this branch cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile() -> Message {
        Message {
            title: "周报[点我](javascript:alert(1))<b>*粗*</b>\u{7}".into(),
            link: "https://mp.weixin.qq.com/s?a=1&b=(x)|y".into(),
            assessment: Some("良](http://evil)".into()),
            figures: vec![("处理网络安全事件".into(), "295起<img>".into(), "▲5".into())],
            item: Value::Null,
            series_title: "网络安全信息与动态周报".into(),
            lang: Lang::Zh,
        }
    }

    #[test]
    fn archive_text_is_inert_in_every_chat_format() {
        let msg = hostile();
        for kind in [
            TargetKind::Slack,
            TargetKind::Feishu,
            TargetKind::Dingtalk,
            TargetKind::Wecom,
        ] {
            let body = platform(kind).payload(&msg, &Destination::default(), 0).to_string();
            for bad in ["](javascript", "](http://evil", "<b>", "<img>", "*粗*", "\\u0007"] {
                assert!(!body.contains(bad), "{kind:?}: {bad} in {body}");
            }
            assert!(body.contains("%28x%29%7Cy"), "{kind:?}: link not made safe: {body}");
        }
        assert_eq!(safe_link("javascript:alert(1)"), None);
        assert_eq!(md_text("a*b_[c](d)"), "a＊b＿［c］（d）");
    }

    #[test]
    fn webhook_urls_are_masked() {
        let m = mask_url("https://oapi.dingtalk.com/robot/send?access_token=SECRET123");
        assert_eq!(m, "https://oapi.dingtalk.com/robot/***");
        assert_eq!(mask_url("https://example.org/?k=SECRET"), "https://example.org/***");
        assert_eq!(
            mask_url("http://127.0.0.1:8080/hook/x"),
            "http://127.0.0.1:8080/hook/***"
        );
        assert_eq!(mask_url("<SLACK_WEBHOOK_URL unset>"), "***");
        assert!(!mask_url("https://hooks.slack.com/services/T000/B000/XXXX").contains("T000"));
    }

    #[test]
    fn changes_are_written_the_way_counts_are() {
        let count = MetricValue::Count(250_000);
        assert_eq!(chat_change(Some(&Change::Delta(150_000)), &count), "▲15万");
        assert_eq!(chat_change(Some(&Change::Delta(-42_000)), &count), "▼42000");
        assert_eq!(chat_change(Some(&Change::Delta(-184_000)), &count), "▼18.4万");
        assert_eq!(chat_change(Some(&Change::Delta(12)), &count), "▲12");
        assert_eq!(chat_change(Some(&Change::Delta(0)), &count), "–");
        assert_eq!(chat_change(None, &count), "");
        let level = MetricValue::Level("高".into());
        assert_eq!(chat_change(Some(&Change::Level { from: "中".into() }), &level), "中→高");
    }

    #[test]
    fn shortening_keeps_char_boundaries() {
        let s = shorten(&"中".repeat(100), 10);
        assert!(s.len() <= 10 && s.ends_with('…'), "{s}");
    }
}
