//! WeChat's album (合集) JSON API: `/mp/appmsgalbum?action=getalbum&__biz=…&album_id=…&f=json`.
//! Numbers come as strings; `article_list` is an object instead of an array when it holds one item.

use serde::Deserialize;
use serde_json::Value;

/// One article listed by an album page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbumItem {
    /// Article title.
    pub title: String,
    /// Article URL as listed.
    pub url: String,
    /// Message id (for paging).
    pub msgid: String,
    /// Item index within the message (for paging).
    pub itemidx: String,
}

/// One page of an album.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbumPage {
    /// The articles on this page.
    pub items: Vec<AlbumItem>,
    /// Whether another page follows (`continue_flag` is "1").
    pub more: bool,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    base_resp: Option<BaseResp>,
    #[serde(default)]
    getalbum_resp: Option<GetAlbum>,
}

#[derive(Deserialize)]
struct BaseResp {
    #[serde(default)]
    ret: Value,
}

#[derive(Deserialize)]
struct GetAlbum {
    #[serde(default)]
    article_list: Value,
    #[serde(default)]
    continue_flag: Value,
}

/// A number or a string holding one, as text.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Parses one album page. Errors say what was wrong with the JSON.
pub fn parse(body: &[u8]) -> Result<AlbumPage, String> {
    let env: Envelope = serde_json::from_slice(body).map_err(|e| format!("not album JSON ({e})"))?;
    if let Some(b) = &env.base_resp {
        let ret = text_of(&b.ret);
        if !ret.is_empty() && ret != "0" {
            return Err(format!("the album API answered ret={ret} (check __biz and album_id)"));
        }
    }
    let Some(resp) = env.getalbum_resp else {
        return Err("the album JSON has no getalbum_resp".to_string());
    };
    let list = match resp.article_list {
        Value::Array(a) => a,
        Value::Object(o) => vec![Value::Object(o)],
        _ => Vec::new(),
    };
    let items = list
        .iter()
        .filter_map(|v| {
            let o = v.as_object()?;
            let get = |k: &str| o.get(k).map(text_of).unwrap_or_default();
            let url = get("url");
            (!url.is_empty()).then(|| AlbumItem {
                title: get("title"),
                url,
                msgid: get("msgid"),
                itemidx: get("itemidx"),
            })
        })
        .collect();
    Ok(AlbumPage {
        items,
        more: text_of(&resp.continue_flag) == "1",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_object_list_and_string_numbers() {
        let p = parse(br#"{"base_resp":{"ret":0},"getalbum_resp":{"article_list":{"title":"t","url":"http://mp.weixin.qq.com/s/x","msgid":"5","itemidx":"1"},"continue_flag":"0"}}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].msgid, "5");
        assert!(!p.more);
    }

    #[test]
    fn numbers_as_numbers_and_continue() {
        let p = parse(br#"{"getalbum_resp":{"article_list":[{"title":"t","url":"u","msgid":5,"itemidx":1}],"continue_flag":"1"}}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.items[0].msgid, "5");
        assert!(p.more);
    }

    #[test]
    fn error_answers_are_errors() {
        assert!(parse(br#"{"base_resp":{"ret":-2}}"#).is_err_and(|e| e.contains("ret=-2")));
        assert!(parse(b"<html>").is_err());
    }
}
