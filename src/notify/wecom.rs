//! WeCom (企业微信) group robot: markdown of at most 4096 bytes, 20 messages a minute.

use serde_json::{Value, json};

use super::{Destination, Message, Platform, json_code_ok, shorten};

/// WeCom.
pub struct WeCom;

/// WeCom's limit on markdown content, in bytes.
pub const MAX_BYTES: usize = 4096;

impl Platform for WeCom {
    fn payload(&self, msg: &Message, _dest: &Destination, _now_ms: i64) -> Value {
        let link = msg
            .safe_link()
            .map(|l| format!("\n[{}]({l})", msg.read_label()))
            .unwrap_or_default();
        let mut text = format!("**{}**\n", msg.md_title());
        if let Some(a) = msg.md_assessment() {
            text.push_str(&format!(
                "> {}{}<font color=\"warning\">{a}</font>\n",
                msg.rating_label(),
                msg.colon()
            ));
        }
        text.push_str(&msg.figure_lines().join("\n"));
        // Shorten the figures, never the link.
        let text = shorten(&text, MAX_BYTES.saturating_sub(link.len()));
        json!({"msgtype": "markdown", "markdown": {"content": format!("{text}{link}")}})
    }

    fn accepted(&self, status: u16, body: &str) -> Result<(), String> {
        json_code_ok(status, body, &["errcode"])
    }

    fn per_minute(&self) -> usize {
        20
    }
}
