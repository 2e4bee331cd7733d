//! Feishu / Lark custom bot: an interactive card with lark_md; signed when a secret is set
//! (timestamp in seconds; HMAC-SHA256 keyed by `timestamp + "\n" + secret` over an empty message).

use serde_json::{Value, json};

use super::{Destination, Message, Platform, hmac_base64, json_code_ok, shorten};

/// Feishu / Lark.
pub struct Feishu;

/// The Feishu signature for a timestamp in seconds.
pub fn sign(timestamp_s: i64, secret: &str) -> String {
    hmac_base64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

impl Platform for Feishu {
    fn payload(&self, msg: &Message, dest: &Destination, now_ms: i64) -> Value {
        let secret = dest.secret.as_deref();
        let mut lines = Vec::new();
        if let Some(a) = msg.md_assessment() {
            lines.push(format!("**{}**{}{a}", msg.rating_label(), msg.colon()));
        }
        lines.extend(msg.figure_lines());
        let template = match msg.assessment.as_deref() {
            Some("优") | Some("良") => "green",
            Some("中") => "orange",
            Some(_) => "red",
            None => "blue",
        };
        let mut v = json!({
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": true},
                "header": {"title": {"tag": "plain_text", "content": shorten(&msg.md_title(), 200)}, "template": template},
                "elements": [
                    {"tag": "div", "text": {"tag": "lark_md", "content": shorten(&lines.join("\n"), 20_000)}},
                    {"tag": "action", "actions": [{"tag": "button", "text": {"tag": "plain_text", "content": msg.read_label()}, "url": msg.safe_link().unwrap_or_default(), "type": "primary"}]}
                ]
            }
        });
        if let Some(secret) = secret {
            let ts = now_ms / 1000;
            v["timestamp"] = json!(ts.to_string());
            v["sign"] = json!(sign(ts, secret));
        }
        v
    }

    fn accepted(&self, status: u16, body: &str) -> Result<(), String> {
        json_code_ok(status, body, &["code", "StatusCode"])
    }
}
