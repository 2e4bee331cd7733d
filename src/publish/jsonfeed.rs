//! JSON Feed 1.1 with the figures of each item in `_report` (contract).

use serde_json::{Value, json};

use super::{FeedModel, xml_safe};
use crate::error::{Error, Result};

/// The JSON Feed item of one issue (also what the generic webhook receives).
pub fn item(model: &FeedModel, it: &super::Item) -> Value {
    let mut v = json!({
        "id": it.id,
        "title": it.title,
        "content_html": it.content_html,
        "summary": xml_safe(&it.summary),
        "date_published": it.published.to_rfc3339(),
        "date_modified": it.updated.to_rfc3339(),
        "tags": model.categories(it),
        "_report": it.data,
    });
    if !it.link.is_empty() {
        v["url"] = json!(it.link);
    }
    if let Some(a) = &model.series.author {
        v["authors"] = json!([{ "name": a }]);
    }
    if let Some((url, size)) = &it.pdf {
        v["attachments"] = json!([{ "url": url, "mime_type": "application/pdf", "size_in_bytes": size }]);
    }
    v
}

/// Renders the JSON Feed file.
pub fn render(model: &FeedModel) -> Result<String> {
    let items: Vec<Value> = model.items.iter().map(|it| item(model, it)).collect();
    let mut feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": model.title(),
        "home_page_url": model.url_of("index.html"),
        "feed_url": model.url_of("feed.json"),
        "description": model.lang.description(model.series),
        "language": model.lang.code(),
        "items": items,
    });
    if let Some(hub) = &model.site.websub_hub {
        feed["hubs"] = json!([{ "type": "WebSub", "url": hub.as_str() }]);
    }
    if let Some(a) = &model.series.author {
        feed["authors"] = json!([{ "name": a }]);
    }
    let s = serde_json::to_string_pretty(&feed).map_err(|e| Error::Serialize {
        what: "the JSON Feed".into(),
        message: e.to_string(),
    })?;
    Ok(harden_json(&s))
}

/// Escapes `<`, `>` and `&` in serialized JSON (they can only occur inside strings) so that the
/// file stays inert even when a consumer embeds it in HTML; parsers read the same text.
pub fn harden_json(s: &str) -> String {
    let mut out = s
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    out.push('\n');
    out
}
