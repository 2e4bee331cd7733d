//! Telegram Bot API `sendMessage`: HTML parse mode (only `<b>` and `<a>` are used; every text
//! escaped with [`crate::publish::escape_html`]), to a channel (`@name`) or a chat id. The API answers
//! `{"ok": true}`; `{"ok": false}` or HTTP 429 with `parameters.retry_after` is a failure.
//! At most 20 messages a minute to one chat.

use serde_json::{Value, json};

use super::{Destination, Message, Platform, shorten};
use crate::publish::escape_html;

/// The Bot API's origin when `TELEGRAM_API_URL` is unset.
pub const DEFAULT_API: &str = "https://api.telegram.org";

/// The most characters a message's text may have.
pub const MAX_TEXT: usize = 4096;

/// Telegram.
pub struct Telegram;

/// Escapes text for Telegram's HTML parse mode: control characters but newlines dropped, then
/// [`escape_html`] (Telegram reads `&amp; &lt; &gt; &quot;` and numeric entities such as `&#39;`).
pub fn esc(s: &str) -> String {
    let kept: String = s.chars().filter(|c| !c.is_control() || *c == '\n').collect();
    escape_html(&kept).into_owned()
}

/// The message text in HTML within [`MAX_TEXT`] characters (counted before entity parsing, so
/// the limit holds however Telegram counts): figures that do not fit are left out, the link never.
pub fn text(msg: &Message) -> String {
    let head = format!("<b>{}</b>", esc(&shorten(&msg.title, 512)));
    let assessment = msg
        .rating()
        .map(|a| format!("{}{}<b>{}</b>", msg.rating_label(), msg.colon(), esc(&shorten(&a, 64))));
    let link = super::safe_link(&msg.link).map(|l| format!("<a href=\"{}\">{}</a>", esc(&l), msg.read_label()));
    let tail = link.into_iter().collect::<Vec<_>>();
    let figures: Vec<String> = msg
        .figures
        .iter()
        .map(|(l, v, c)| {
            let (l, v) = (esc(&shorten(l, 200)), esc(&shorten(v, 100)));
            format!("• {l}{}{}", msg.colon(), msg.with_change(&v, &esc(&shorten(c, 60))))
        })
        .collect();
    let build = |n: usize| {
        let mut lines = vec![head.clone()];
        lines.extend(assessment.clone());
        lines.extend(figures.iter().take(n).cloned());
        if n < figures.len() {
            lines.push("…".to_string());
        }
        lines.extend(tail.iter().cloned());
        lines.join("\n")
    };
    let mut n = figures.len();
    let mut out = build(n);
    while out.chars().count() > MAX_TEXT && n > 0 {
        n -= 1;
        out = build(n);
    }
    out
}

impl Platform for Telegram {
    fn payload(&self, msg: &Message, dest: &Destination, _now_ms: i64) -> Value {
        let chat = dest.chat.clone().unwrap_or_default();
        // A numeric id goes as a number, a channel name as a string; both are what the API takes.
        let chat_id = match chat.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => json!(chat),
        };
        json!({
            "chat_id": chat_id,
            "text": text(msg),
            "parse_mode": "HTML",
        })
    }

    fn url(&self, dest: &Destination, _now_ms: i64) -> String {
        format!(
            "{}/bot{}/sendMessage",
            dest.url.trim_end_matches('/'),
            dest.token.as_deref().unwrap_or_default()
        )
    }

    fn masked(&self, dest: &Destination) -> String {
        let origin = url::Url::parse(&dest.url)
            .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or("?")))
            .unwrap_or_else(|_| "***".to_string());
        // A dry run's placeholder of an unset token is shown as it is.
        let token = dest
            .token
            .as_deref()
            .filter(|t| super::is_placeholder(t))
            .unwrap_or("***");
        format!("{origin}/bot{token}/sendMessage")
    }

    fn accepted(&self, status: u16, body: &str) -> Result<(), String> {
        let v: Option<Value> = serde_json::from_str(body).ok();
        let ok = v.as_ref().and_then(|v| v.get("ok")).and_then(Value::as_bool);
        if (200..300).contains(&status) && ok == Some(true) {
            return Ok(());
        }
        let description = v
            .as_ref()
            .and_then(|v| v.get("description"))
            .and_then(Value::as_str)
            .map(|d| shorten(d, 200))
            .unwrap_or_else(|| shorten(body, 200));
        Err(format!("Telegram refused it (HTTP {status}): {description}"))
    }

    fn per_minute(&self) -> usize {
        20
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(figures: usize, label: &str) -> Message {
        Message {
            title: "网络安全信息与动态周报2024年第43期 <script>&".into(),
            link: "https://mp.weixin.qq.com/s?__biz=X&mid=1\"onclick".into(),
            assessment: Some("良".into()),
            figures: (0..figures)
                .map(|i| (format!("{label}{i}"), format!("{i}起"), "▲1".into()))
                .collect(),
            item: Value::Null,
            series_title: "周报".into(),
            lang: crate::publish::Lang::Zh,
        }
    }

    #[test]
    fn html_is_escaped_and_the_link_stays_inside_its_attribute() {
        let t = text(&msg(2, "处理<b>事件"));
        assert!(
            t.starts_with("<b>网络安全信息与动态周报2024年第43期 &lt;script&gt;&amp;</b>"),
            "{t}"
        );
        assert!(t.contains("• 处理&lt;b&gt;事件0：0起（▲1）"), "{t}");
        assert!(
            t.ends_with("<a href=\"https://mp.weixin.qq.com/s?__biz=X&amp;mid=1%22onclick\">阅读原文</a>"),
            "{t}"
        );
    }

    #[test]
    fn long_messages_drop_figures_not_the_link() {
        let t = text(&msg(100, &"很长的指标名称".repeat(25)));
        assert!(t.chars().count() <= MAX_TEXT, "{}", t.chars().count());
        assert!(t.contains("\n…\n"), "a cut is marked");
        assert!(t.ends_with("阅读原文</a>"));
    }

    #[test]
    fn the_token_never_shows() {
        let dest = Destination {
            url: "https://api.telegram.org".into(),
            token: Some("123456:ABC-secret".into()),
            chat: Some("@cncert".into()),
            ..Destination::default()
        };
        assert_eq!(
            Telegram.url(&dest, 0),
            "https://api.telegram.org/bot123456:ABC-secret/sendMessage"
        );
        assert_eq!(Telegram.masked(&dest), "https://api.telegram.org/bot***/sendMessage");
        assert_eq!(Telegram.payload(&msg(1, "x"), &dest, 0)["chat_id"], "@cncert");
        let numeric = Destination {
            chat: Some("-1001234567890".into()),
            ..dest
        };
        assert_eq!(
            Telegram.payload(&msg(1, "x"), &numeric, 0)["chat_id"],
            -1_001_234_567_890_i64
        );
    }

    #[test]
    fn ok_false_is_a_failure_with_the_description() {
        assert!(Telegram.accepted(200, r#"{"ok":true,"result":{}}"#).is_ok());
        let e = Telegram
            .accepted(
                400,
                r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
            )
            .unwrap_err();
        assert!(e.contains("chat not found"), "{e}");
        assert!(Telegram.accepted(200, r#"{"ok":false}"#).is_err());
    }
}
