//! Which pictures of a WeChat article hold the monitoring figures: those of its 本周网络安全基本态势
//! section, in order.

use crate::read::html::decode_entities;
use crate::sources::pictures::MAX_IMAGES;

/// Section headings that end the 本周网络安全基本态势 section.
const SECTION_ENDS: &[&str] = &[
    "事件处理情况",
    "本周重要漏洞",
    "近期回顾",
    "业界新闻速递",
    "关于国家互联网应急中心",
];

/// The pictures of an article body's 本周网络安全基本态势 section (`data-src`, else `src`), at most
/// [`MAX_IMAGES`], in order. None when the body has no such section.
pub fn section_pictures(body_html: &str) -> Vec<String> {
    let Some(start) = body_html.find("本周网络安全基本态势") else {
        return Vec::new();
    };
    let rest = &body_html[start..];
    let end = SECTION_ENDS
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    let section = &rest[..end];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = section[at..].find("<img") {
        let tag_start = at + i;
        let tag_end = section[tag_start..]
            .find('>')
            .map(|e| tag_start + e)
            .unwrap_or(section.len());
        let tag = &section[tag_start..tag_end];
        if let Some(src) = attribute(tag, "data-src").or_else(|| attribute(tag, "src")) {
            let src = decode_entities(&src);
            if !out.contains(&src) {
                out.push(src);
            }
        }
        at = tag_end;
        if out.len() >= MAX_IMAGES {
            break;
        }
    }
    out
}

/// An attribute's value in one tag (`name="…"` or `name='…'`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = tag[from..].find(name) {
        let p = from + i;
        let before = tag[..p].chars().next_back();
        let after = tag[p + name.len()..].trim_start();
        if before.is_some_and(|c| c.is_whitespace())
            && let Some(v) = after.strip_prefix('=')
        {
            let v = v.trim_start();
            let q = v.chars().next()?;
            if q == '"' || q == '\'' {
                let inner = &v[1..];
                return inner.find(q).map(|e| inner[..e].to_string());
            }
        }
        from = p + name.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_pictures_are_picked_in_order_and_no_others() {
        let html = r#"<p><img data-src="https://mmbiz.qpic.cn/a/640?x=1&amp;y=2"></p><h2>本周网络安全基本态势</h2><p>本周，态势整体评价为良。</p>
            <p><img class="rich" data-src="https://mmbiz.qpic.cn/b/640"></p><p><img src='https://mmbiz.qpic.cn/c/640'></p>
            <p><img data-src="https://mmbiz.qpic.cn/b/640"></p><h2>本周事件处理情况</h2><p><img data-src="https://mmbiz.qpic.cn/d/640"></p>"#;
        assert_eq!(
            section_pictures(html),
            vec![
                "https://mmbiz.qpic.cn/b/640".to_string(),
                "https://mmbiz.qpic.cn/c/640".to_string()
            ]
        );
        assert!(section_pictures("<p>no section</p><img data-src=\"x\">").is_empty());
    }
}
