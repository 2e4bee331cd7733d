//! DingTalk custom robot: markdown; with a secret, 加签 (timestamp in ms; HMAC-SHA256 of
//! `timestamp + "\n" + secret` keyed by the secret; base64, URL-encoded, appended to the URL).
//! At most 20 messages a minute.

use serde_json::{Value, json};

use super::{Destination, Message, Platform, hmac_base64, json_code_ok, shorten};

/// DingTalk.
pub struct DingTalk;

/// The DingTalk signature for a timestamp in milliseconds, URL-encoded.
pub fn sign(timestamp_ms: i64, secret: &str) -> String {
    let raw = hmac_base64(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes());
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

impl Platform for DingTalk {
    fn payload(&self, msg: &Message, _dest: &Destination, _now_ms: i64) -> Value {
        let mut text = format!("#### {}\n\n", msg.md_title());
        if let Some(a) = msg.md_assessment() {
            text.push_str(&format!("**{}**{}{a}\n\n", msg.rating_label(), msg.colon()));
        }
        text.push_str(&msg.figure_lines().join("\n"));
        let text = shorten(&text, 15_000);
        let link = msg
            .safe_link()
            .map(|l| format!("\n\n[{}]({l})", msg.read_label()))
            .unwrap_or_default();
        json!({
            "msgtype": "markdown",
            "markdown": {"title": shorten(&msg.md_title(), 100), "text": format!("{text}{link}")}
        })
    }

    fn url(&self, dest: &Destination, now_ms: i64) -> String {
        let webhook = dest.url.as_str();
        match dest.secret.as_deref() {
            Some(s) => {
                let sep = if webhook.contains('?') { '&' } else { '?' };
                format!("{webhook}{sep}timestamp={now_ms}&sign={}", sign(now_ms, s))
            }
            None => webhook.to_string(),
        }
    }

    fn accepted(&self, status: u16, body: &str) -> Result<(), String> {
        json_code_ok(status, body, &["errcode"])
    }

    fn per_minute(&self) -> usize {
        20
    }
}
