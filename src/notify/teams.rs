//! Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
//! received"): a `message` with one Adaptive Card 1.4 attachment (title, assessment, a FactSet of
//! figures and changes, an Action.OpenUrl to the article). Workflows answer 202 Accepted.

use serde_json::{Value, json};

use super::{Destination, Message, Platform, md_text, shorten};

/// Microsoft Teams.
pub struct Teams;

/// Adaptive Card colour for an assessment.
fn colour(assessment: Option<&str>) -> &'static str {
    match assessment.map(str::trim) {
        Some("优") => "Good",
        Some("良") => "Accent",
        Some("中") => "Warning",
        Some("差") => "Attention",
        _ => "Default",
    }
}

impl Platform for Teams {
    fn payload(&self, msg: &Message, _dest: &Destination, _now_ms: i64) -> Value {
        let mut body = vec![json!({
            "type": "TextBlock",
            "text": shorten(&md_text(&msg.title), 400),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": true,
        })];
        if let Some(a) = msg.md_assessment() {
            body.push(json!({
                "type": "TextBlock",
                "text": format!("{}{}{}", msg.rating_label(), msg.colon(), shorten(&a, 64)),
                "color": colour(msg.assessment.as_deref()),
                "weight": "Bolder",
                "wrap": true,
            }));
        }
        let facts: Vec<Value> = msg
            .figures
            .iter()
            .map(|(l, v, c)| {
                let value = msg.with_change(&md_text(v), &md_text(c));
                json!({"title": shorten(&md_text(l), 200), "value": shorten(&value, 200)})
            })
            .collect();
        if !facts.is_empty() {
            body.push(json!({"type": "FactSet", "facts": facts}));
        }
        body.push(json!({
            "type": "TextBlock",
            "text": md_text(&msg.series_title),
            "isSubtle": true,
            "size": "Small",
            "wrap": true,
        }));
        let mut card = json!({
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
            "msteams": {"width": "Full"},
        });
        if let Some(link) = msg.safe_link() {
            card["actions"] = json!([{"type": "Action.OpenUrl", "title": msg.read_label(), "url": link}]);
        }
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": card,
            }]
        })
    }

    fn per_minute(&self) -> usize {
        30
    }
}
