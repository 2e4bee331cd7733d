//! Slack incoming webhook: Block Kit with mrkdwn (header, figures, link).

use serde_json::{Value, json};

use super::{Destination, Message, Platform, md_text, shorten};

/// Slack.
pub struct Slack;

/// Escapes text for Slack mrkdwn (`&`, `<`, `>`).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

impl Platform for Slack {
    fn payload(&self, msg: &Message, _dest: &Destination, _now_ms: i64) -> Value {
        let mut lines = Vec::new();
        if let Some(a) = msg.md_assessment() {
            lines.push(format!("*{}*{}{}", msg.rating_label(), msg.colon(), esc(&a)));
        }
        lines.extend(msg.figure_lines().iter().map(|l| esc(&l.replacen("- ", "• ", 1))));
        let body = shorten(&lines.join("\n"), 2900);
        json!({
            "text": shorten(&msg.md_title(), 300),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": shorten(&msg.md_title(), 150), "emoji": false}},
                {"type": "section", "text": {"type": "mrkdwn", "text": body}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": match msg.safe_link() {
                    Some(l) => format!("<{}|{}> · {}", esc(&l), msg.read_label(), esc(&md_text(&msg.series_title))),
                    None => esc(&md_text(&msg.series_title)),
                }}]}
            ]
        })
    }
}
