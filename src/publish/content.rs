//! The content of each feed item: the figures table, then the article body sanitized for feed
//! readers (HTML5 structure renamed, only plain elements and attributes kept, images made absolute
//! https with no referrer), then the link to the article.

use std::fmt::Write;
use std::sync::OnceLock;

use regex::Regex;

use super::lang::{self, Lang};
use super::{ReportData, esc};
use crate::archive::Entry;
use crate::config::{Series, Site};

/// WeChat interface text that must never reach a feed.
const INTERFACE_TEXT: &[&str] = &[
    "微信扫一扫",
    "预览时标签不可点",
    "继续滑动看下一个",
    "轻触阅读原文",
    "关注该公众号",
    "使用完整服务",
    "轻点两下取消赞",
    "轻点两下取消在看",
    "向上滑动看下一个",
    "知道了",
];

/// The figures table of one issue with the change against the previous one.
pub fn figures_table(series: &Series, d: &ReportData) -> String {
    figures_table_in(series, d, Lang::Zh)
}

/// [`figures_table`] in an edition: the English one with `label_en`, the rating in words, the
/// week in ISO form and numbers in full.
pub fn figures_table_in(series: &Series, d: &ReportData, lang: Lang) -> String {
    let mut out = String::new();
    match (lang, &d.assessment) {
        (Lang::Zh, Some(a)) => {
            let _ = write!(out, "<p><strong>网络安全态势整体评价：{}</strong>", esc(a));
        }
        (Lang::En, Some(a)) => {
            let _ = write!(out, "<p><strong>Overall rating: {}</strong>", esc(&lang.rating(a)));
        }
        (_, None) => out.push_str("<p>"),
    }
    match lang {
        Lang::Zh => {
            if let (Some(s), Some(e)) = (d.period_start, d.period_end) {
                let _ = write!(out, "（{s} 至 {e}）");
            }
        }
        Lang::En => {
            if let Some(p) = lang::iso_period(d) {
                let space = if d.assessment.is_some() { " " } else { "" };
                let _ = write!(out, "{space}(week {p})");
            }
        }
    }
    out.push_str("</p>\n");
    let rows: Vec<String> = series
        .metrics
        .iter()
        .filter_map(|m| {
            let v = d.metrics.get(&m.key)?;
            let mark = lang.change_mark(d.changes.get(&m.key), Some(v));
            let (shown, title) = super::figure_cell_in(v, m, lang);
            Some(format!(
                "<tr><td>{}</td><td style=\"text-align:right\"{title}>{shown}</td><td style=\"text-align:right\">{}</td></tr>",
                esc(lang.label(m)),
                esc(&mark)
            ))
        })
        .collect();
    if !rows.is_empty() {
        out.push_str(match lang {
            Lang::Zh => "<table><thead><tr><th>指标</th><th>本期</th><th>较上期</th></tr></thead><tbody>\n",
            Lang::En => "<table><thead><tr><th>Figure</th><th>This week</th><th>Change</th></tr></thead><tbody>\n",
        });
        out.push_str(&rows.join("\n"));
        out.push_str("\n</tbody></table>\n");
    }
    out
}

fn img_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"<img\b[^>]*>").expect("valid regex"))
}

fn attr_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"([a-zA-Z][a-zA-Z0-9_-]*)="([^"]*)""#).expect("valid regex"))
}

/// Percent-encodes a URL for use as a query value of an image proxy.
fn encode_component(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Makes an image URL absolute https and routes it through the proxy template when configured
/// (no page to resolve a relative URL against: see [`image_src_at`]).
pub fn image_src(raw: &str, proxy: Option<&str>) -> Option<String> {
    image_src_at(raw, None, proxy)
}

/// Makes an image URL of the page at `base` absolute (resolved like every link, see
/// [`super::links::resolve`]: `/publish/main/upload/Image/chart1.png` on a website page is that
/// site's picture), https, and routes it through the proxy template when configured.
pub fn image_src_at(raw: &str, base: Option<&super::links::Base>, proxy: Option<&str>) -> Option<String> {
    let raw = crate::read::html::decode_entities(raw.trim());
    let mut url = url::Url::parse(&super::links::resolve(&raw, base)?).ok()?;
    if url.scheme() == "http" {
        let _ = url.set_scheme("https");
    }
    if url.scheme() != "https" {
        return None;
    }
    Some(match proxy {
        Some(p) => p.replace("{url}", &encode_component(url.as_str())),
        None => url.to_string(),
    })
}

/// Elements kept in feed content: plain HTML that every reader renders (all of them on the W3C
/// Feed Validator's list of safe elements), no form controls or media.
const FEED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "b",
    "big",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
];

/// HTML5 elements WeChat bodies use, and the safe element each becomes in a feed.
const RENAMED: &[(&str, &str)] = &[
    ("section", "div"),
    ("article", "div"),
    ("header", "div"),
    ("footer", "div"),
    ("aside", "div"),
    ("nav", "div"),
    ("main", "div"),
    ("figure", "div"),
    ("figcaption", "p"),
    ("mark", "span"),
    ("time", "span"),
];

fn renamed_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let names: Vec<&str> = RENAMED.iter().map(|(from, _)| *from).collect();
        Regex::new(&format!(r"(?i)<(/?)({})\b", names.join("|"))).expect("valid regex")
    })
}

/// Sanitizes a stored body for a feed: HTML5 structure becomes `div`/`p`/`span` (older readers
/// drop unknown elements), then only plain elements and attributes remain: no script, style,
/// iframe, event handlers, `javascript:` URLs or inline CSS. A body nested too deep for a tree
/// (an archive edited by hand) is shown as its text. Relative links are left out (no page to
/// resolve them against: see [`sanitize_for_feed_at`]).
pub fn sanitize_for_feed(html: &str) -> String {
    sanitize_for_feed_at(html, None)
}

/// [`sanitize_for_feed`] for the body of the page at `base`: relative `href` and `src` values
/// are resolved against it ([`super::links::resolve`]); one that cannot be is left out.
pub fn sanitize_for_feed_at(html: &str, base: Option<&super::links::Base>) -> String {
    // An archive edited by hand may hold a body too deep for the sanitizer's tree: its text then.
    let flat;
    let html = if crate::archive::too_deep_for_a_tree(html) {
        flat = crate::archive::sanitize_body(html);
        flat.as_str()
    } else {
        html
    };
    let renamed = renamed_re().replace_all(html, |c: &regex::Captures| {
        let to = RENAMED
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(&c[2]))
            .map(|(_, to)| *to)
            .unwrap_or("div");
        format!("<{}{to}", &c[1])
    });
    let mut b = ammonia::Builder::empty();
    b.tags(FEED_TAGS.iter().copied().collect())
        .clean_content_tags(
            ["script", "style", "mp-style-type", "iframe", "noscript"]
                .into_iter()
                .collect(),
        )
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("img", ["src", "data-src", "alt", "width", "height"])
        .add_tag_attributes("td", ["colspan", "rowspan", "align", "valign"])
        .add_tag_attributes("th", ["colspan", "rowspan", "align", "valign"])
        .add_tag_attributes("font", ["color"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::Custom(Box::new(Resolve(base.cloned()))))
        .link_rel(Some("noopener noreferrer"));
    b.clean(&renamed).to_string()
}

/// Resolves the relative URLs ammonia meets against the body's page.
struct Resolve(Option<super::links::Base>);

impl<'a> ammonia::UrlRelativeEvaluate<'a> for Resolve {
    fn evaluate<'u>(&self, url: &'u str) -> Option<std::borrow::Cow<'u, str>> {
        super::links::resolve(url, self.0.as_ref()).map(std::borrow::Cow::Owned)
    }
}

/// Rewrites every `<img>` of sanitized HTML: `src` from `data-src`, absolute https, through the
/// image proxy when one is configured, and `referrerpolicy="no-referrer"`: WeChat's image host
/// refuses requests that name another site as referrer. Relative image URLs are left out (no
/// page to resolve them against: see [`rewrite_images_at`]).
pub fn rewrite_images(html: &str, proxy: Option<&str>) -> String {
    rewrite_images_at(html, None, proxy)
}

/// [`rewrite_images`] for the body of the page at `base`: relative image URLs are resolved
/// against it ([`image_src_at`]).
pub fn rewrite_images_at(html: &str, base: Option<&super::links::Base>, proxy: Option<&str>) -> String {
    img_re()
        .replace_all(html, |caps: &regex::Captures| {
            let tag = &caps[0];
            let mut src = None;
            let mut alt = String::new();
            for a in attr_re().captures_iter(tag) {
                match &a[1] {
                    "data-src" => src = Some(a[2].to_string()),
                    "src" if src.is_none() => src = Some(a[2].to_string()),
                    "alt" => alt = a[2].to_string(),
                    _ => {}
                }
            }
            match src.and_then(|s| image_src_at(&s, base, proxy)) {
                // `alt` is an attribute value as ammonia wrote it (already escaped, `<` and `>`
                // included), not text: it is not escaped again.
                Some(s) => format!(
                    "<img src=\"{}\" alt=\"{alt}\" referrerpolicy=\"no-referrer\" loading=\"lazy\">",
                    esc(&s)
                ),
                None => String::new(),
            }
        })
        .into_owned()
}

/// Removes WeChat interface text from a body.
fn strip_interface_text(html: &str) -> String {
    let mut s = html.to_string();
    for t in INTERFACE_TEXT {
        if s.contains(t) {
            s = s.replace(t, "");
        }
    }
    s
}

/// The article body sanitized for a feed, its links and pictures resolved against its page.
fn body_for_feed(e: &Entry, site: &Site) -> Option<String> {
    let body = e.content_html.as_ref()?;
    // Sanitize again: the archive is a file anyone can edit. Its links are the page's.
    let base = super::links::body_base(e);
    let clean = sanitize_for_feed_at(body, base.as_ref());
    Some(rewrite_images_at(
        &strip_interface_text(&clean),
        base.as_ref(),
        site.image_proxy.as_deref(),
    ))
}

/// The HTML content of a feed item: figures, then the sanitized article body, then the link.
pub fn item_content(series: &Series, site: &Site, e: &Entry, d: &ReportData) -> String {
    item_content_in(series, site, e, d, Lang::Zh)
}

/// [`item_content`] in an edition. The English one: the English title line, the figures table in
/// English, the original Chinese title and a link to the article, then the article itself under
/// "Original text (Chinese)" (its pictures carry most figures since 2021, and a reader can
/// translate it in place).
pub fn item_content_in(series: &Series, site: &Site, e: &Entry, d: &ReportData, lang: Lang) -> String {
    let link = super::links::article_url(e).map(|u| esc(&u));
    let mut out = String::new();
    if lang == Lang::En {
        let _ = writeln!(out, "<p><strong>{}</strong></p>", esc(&lang::title_en(series, d)));
    }
    out.push_str(&figures_table_in(series, d, lang));
    match lang {
        Lang::Zh => {
            if let Some(body) = body_for_feed(e, site) {
                out.push_str("<hr>\n");
                out.push_str(&body);
                out.push('\n');
            }
            if let Some(u) = &link {
                let _ = write!(out, "<p><a href=\"{u}\">阅读原文</a></p>");
            }
        }
        Lang::En => {
            if let Some(t) = e.report.title.as_deref().filter(|t| !t.is_empty()) {
                let _ = writeln!(out, "<p>Original: <span lang=\"zh-CN\">{}</span></p>", esc(t));
            }
            if let Some(u) = &link {
                let _ = writeln!(
                    out,
                    "<p><a href=\"{u}\" hreflang=\"zh-CN\">Read the article (Chinese)</a></p>"
                );
            }
            if let Some(body) = body_for_feed(e, site) {
                out.push_str("<hr>\n<h3>Original text (Chinese)</h3>\n<div lang=\"zh-CN\">");
                out.push_str(&body);
                out.push_str("</div>\n");
            }
        }
    }
    super::xml_safe(&out)
}
