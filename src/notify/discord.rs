//! Discord webhook: one embed (title linking to the article, the assessment, one inline field per
//! figure with its change, colour by assessment), within Discord's limits (title 256, field name
//! 256, field value 1,024, 25 fields, 6,000 characters in all). Mentions are switched off, so no
//! text from the archive can ping anyone. Success is 204; a 429's `retry_after` is honoured.

use serde_json::{Value, json};

use super::{Destination, Message, Platform, md_text};

/// Discord.
pub struct Discord;

/// The most characters in all of a message's embeds.
pub const MAX_EMBED_TOTAL: usize = 6000;
/// The most fields in one embed.
pub const MAX_FIELDS: usize = 25;

/// Cuts to at most `max` characters (Discord counts characters, not bytes), marking a cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Embed colour for an assessment: 优 green, 良 blue, 中 amber, 差 red, otherwise grey.
pub fn colour(assessment: Option<&str>) -> u32 {
    match assessment.map(str::trim) {
        Some("优") => 0x2E7D32,
        Some("良") => 0x1565C0,
        Some("中") => 0xF9A825,
        Some("差") => 0xC62828,
        _ => 0x607D8B,
    }
}

impl Platform for Discord {
    fn payload(&self, msg: &Message, _dest: &Destination, _now_ms: i64) -> Value {
        let title = cut(&md_text(&msg.title), 256);
        let description = msg
            .rating()
            .map(|a| format!("{}{}**{}**", msg.rating_label(), msg.colon(), cut(&md_text(&a), 64)))
            .unwrap_or_default();
        let footer = cut(&md_text(&msg.series_title), 256);
        let mut total = title.chars().count() + description.chars().count() + footer.chars().count();
        let mut fields = Vec::new();
        for (label, value, change) in &msg.figures {
            let name = cut(&md_text(label), 256);
            let value = cut(&msg.with_change(&md_text(value), &md_text(change)), 1024);
            let size = name.chars().count() + value.chars().count();
            if fields.len() == MAX_FIELDS || total + size > MAX_EMBED_TOTAL {
                break;
            }
            total += size;
            fields.push(json!({"name": name, "value": value, "inline": true}));
        }
        let mut embed = json!({
            "title": title,
            "color": colour(msg.assessment.as_deref()),
            "fields": fields,
            "footer": {"text": footer},
        });
        if !description.is_empty() {
            embed["description"] = json!(description);
        }
        if let Some(link) = msg.safe_link() {
            embed["url"] = json!(link);
        }
        json!({
            "embeds": [embed],
            "allowed_mentions": {"parse": []},
        })
    }

    fn per_minute(&self) -> usize {
        30
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(n: usize, label: &str, value: &str) -> Message {
        Message {
            title: "标题".repeat(200),
            link: "javascript:alert(1)".into(),
            assessment: Some("差".into()),
            figures: (0..n)
                .map(|i| (format!("{label}{i}"), value.to_string(), "▲1".into()))
                .collect(),
            item: Value::Null,
            series_title: "周报 @everyone".into(),
            lang: crate::publish::Lang::Zh,
        }
    }

    fn total(embed: &Value) -> usize {
        let s = |v: &Value| v.as_str().map(|s| s.chars().count()).unwrap_or(0);
        s(&embed["title"])
            + s(&embed["description"])
            + s(&embed["footer"]["text"])
            + embed["fields"]
                .as_array()
                .map(|f| f.iter().map(|f| s(&f["name"]) + s(&f["value"])).sum())
                .unwrap_or(0)
    }

    #[test]
    fn every_limit_holds_on_oversized_input() {
        let p = Discord.payload(
            &msg(40, &"指标".repeat(300), &"9".repeat(2000)),
            &Destination::default(),
            0,
        );
        let e = &p["embeds"][0];
        assert!(e["title"].as_str().unwrap_or_default().chars().count() <= 256);
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        assert!(!fields.is_empty() && fields.len() <= MAX_FIELDS);
        for f in &fields {
            assert!(f["name"].as_str().unwrap_or_default().chars().count() <= 256);
            assert!(f["value"].as_str().unwrap_or_default().chars().count() <= 1024);
        }
        assert!(total(e) <= MAX_EMBED_TOTAL, "{}", total(e));
        assert!(e.get("url").is_none(), "a javascript: link is dropped");
        assert_eq!(e["color"], 0xC62828);
        assert_eq!(p["allowed_mentions"]["parse"], serde_json::json!([]));
    }

    #[test]
    fn sixteen_figures_all_fit() {
        let p = Discord.payload(&msg(16, "处理网络安全事件", "295起"), &Destination::default(), 0);
        assert_eq!(p["embeds"][0]["fields"].as_array().map(Vec::len), Some(16));
        assert_eq!(p["embeds"][0]["fields"][0]["value"], "295起（▲1）");
    }
}
