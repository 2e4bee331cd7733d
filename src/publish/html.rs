//! HTML: the content of each feed item (figures table + sanitized article body), the series page
//! with inline SVG charts, and the front page. Self-contained: inline CSS and SVG, no scripts,
//! no CDN; works from GitHub Pages and from disk.

use std::fmt::Write;
use std::sync::OnceLock;

use chrono::Datelike;
use regex::Regex;

use super::{FeedModel, ReportData, change_mark, esc, escape_href};
use crate::archive::Entry;
use crate::config::{MetricKind, Series, Site};
use crate::report::MetricValue;

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
    let mut out = String::new();
    if let Some(a) = &d.assessment {
        let _ = write!(out, "<p><strong>网络安全态势整体评价：{}</strong>", esc(a));
    } else {
        out.push_str("<p>");
    }
    if let (Some(s), Some(e)) = (d.period_start, d.period_end) {
        let _ = write!(out, "（{s} 至 {e}）");
    }
    out.push_str("</p>\n");
    let rows: Vec<String> = series
        .metrics
        .iter()
        .filter_map(|m| {
            let v = d.metrics.get(&m.key)?;
            let mark = change_mark(d.changes.get(&m.key), Some(v));
            Some(format!(
                "<tr><td>{}</td><td style=\"text-align:right\">{}{}</td><td style=\"text-align:right\">{}</td></tr>",
                esc(&m.label),
                esc(&v.to_string()),
                esc(&m.unit),
                esc(&mark)
            ))
        })
        .collect();
    if !rows.is_empty() {
        out.push_str("<table><thead><tr><th>指标</th><th>本期</th><th>较上期</th></tr></thead><tbody>\n");
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

/// Makes an image URL absolute https and routes it through the proxy template when configured.
pub fn image_src(raw: &str, proxy: Option<&str>) -> Option<String> {
    let raw = crate::read::html::decode_entities(raw.trim());
    let mut url = url::Url::parse(&raw)
        .or_else(|_| url::Url::parse(&format!("https:{raw}")))
        .ok()?;
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
/// (an archive edited by hand) is shown as its text.
pub fn sanitize_for_feed(html: &str) -> String {
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
        .link_rel(Some("noopener noreferrer"));
    b.clean(&renamed).to_string()
}

/// Rewrites every `<img>` of sanitized HTML: `src` from `data-src`, absolute https, through the
/// image proxy when one is configured, and `referrerpolicy="no-referrer"`: WeChat's image host
/// refuses requests that name another site as referrer.
pub fn rewrite_images(html: &str, proxy: Option<&str>) -> String {
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
            match src.and_then(|s| image_src(&s, proxy)) {
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

/// The HTML content of a feed item: figures, then the sanitized article body, then the link.
pub fn item_content(series: &Series, site: &Site, e: &Entry, d: &ReportData) -> String {
    let mut out = figures_table(series, d);
    if let Some(body) = &e.content_html {
        // Sanitize again: the archive is a file anyone can edit.
        let clean = sanitize_for_feed(body);
        out.push_str("<hr>\n");
        out.push_str(&rewrite_images(
            &strip_interface_text(&clean),
            site.image_proxy.as_deref(),
        ));
        out.push('\n');
    }
    if let Some(u) = e.report.url.as_deref().and_then(escape_href) {
        let _ = write!(out, "<p><a href=\"{u}\">阅读原文</a></p>");
    }
    super::xml_safe(&out)
}

/// For a figure read from a picture: `Some(the picture that states it)` (`Some(None)` when no
/// picture's text shows the number as such); `None` for a figure from text.
fn picture_of(e: &Entry, key: &str, value: &MetricValue) -> Option<Option<String>> {
    if e.figure_sources.get(key) != Some(&crate::assemble::SourceKind::Ocr) {
        return None;
    }
    let pictures = &e.observations.get(&crate::assemble::SourceKind::Ocr)?.pictures;
    let forms: Vec<String> = match value {
        MetricValue::Count(n) => {
            let mut f = vec![n.to_string()];
            if *n >= 10_000 && n % 1000 == 0 {
                let wan = *n as f64 / 10_000.0;
                f.push(format!(
                    "{}万",
                    if n % 10_000 == 0 {
                        format!("{}", n / 10_000)
                    } else {
                        format!("{wan:.1}")
                    }
                ));
            }
            f
        }
        MetricValue::Level(l) => vec![l.clone()],
    };
    let found = pictures.iter().find(|p| {
        let text: String = p.text.chars().filter(|c| !c.is_whitespace()).collect();
        forms.iter().any(|f| text.contains(f.as_str()))
            && (p.url.starts_with("https://") || p.url.starts_with("http://"))
    });
    Some(found.map(|p| p.url.clone()))
}

/// What the front page and OPML need of a series.
#[derive(Debug, Clone)]
pub struct SeriesCard {
    /// Series id.
    pub id: String,
    /// Display name.
    pub title: String,
    /// Issues archived.
    pub count: usize,
    /// Title of the newest issue.
    pub latest: Option<String>,
    /// Its one-line summary.
    pub latest_summary: Option<String>,
}

impl SeriesCard {
    /// The card of a rendered series.
    pub fn of(model: &FeedModel) -> SeriesCard {
        SeriesCard {
            id: model.series.id.clone(),
            title: model.series.title.clone(),
            count: model.all.len(),
            latest: model.items.first().map(|i| i.title.clone()),
            latest_summary: model.items.first().map(|i| i.summary.clone()),
        }
    }
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0 auto;max-width:960px;padding:16px;color:#1f2328;background:#fff;line-height:1.5}\
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}\
a{color:#0969da}.sub{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}.sub a{border:1px solid #0969da;border-radius:6px;padding:4px 12px;text-decoration:none}\
table{border-collapse:collapse;width:100%}th,td:first-child,td:nth-child(2){white-space:nowrap}th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.up{color:#cf222e}.down{color:#1a7f37}.badge{display:inline-block;border-radius:6px;padding:2px 10px;color:#fff;font-weight:bold}\
.b-优{background:#1a7f37}.b-良{background:#2da44e}.b-中{background:#bf8700}.b-差{background:#cf222e}.b-危{background:#82071e}\
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:12px}.chart{border:1px solid #d0d7de;border-radius:6px;padding:8px}\
.chart h3{font-size:.95em;margin:0 0 4px}.chart svg{width:100%;height:auto}.muted{color:#656d76;font-size:.9em}.scroll{overflow-x:auto}.ocr{font-size:.8em;color:#656d76;margin-left:.4em}.warn summary{color:#9a6700;cursor:pointer}.warn ul{margin:4px 0;padding-left:1.2em}\
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}a{color:#4493f8}th,td{border-color:#30363d}.chart{border-color:#30363d}}";

/// A whole page; `feeds` are `(title, relative href)` of the feeds readers should discover.
fn page(title: &str, feeds: &[(String, String)], body: &str) -> String {
    let mut discovery = String::new();
    for (t, href) in feeds {
        let kind = if href.ends_with("atom.xml") {
            "application/atom+xml"
        } else if href.ends_with(".json") {
            "application/feed+json"
        } else {
            "application/rss+xml"
        };
        let _ = writeln!(
            discovery,
            "<link rel=\"alternate\" type=\"{kind}\" title=\"{}\" href=\"{}\">",
            esc(t),
            esc(href)
        );
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n{discovery}<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        esc(title)
    )
}

/// The three feeds of a series for autodiscovery, relative to `prefix`.
fn feed_links(title: &str, prefix: &str) -> Vec<(String, String)> {
    [("RSS", "rss.xml"), ("Atom", "atom.xml"), ("JSON Feed", "feed.json")]
        .iter()
        .map(|(kind, file)| (format!("{title} ({kind})"), format!("{prefix}{file}")))
        .collect()
}

/// An SVG line chart of one metric over time (x: the week's first day, y: value). The line
/// breaks where weeks are missing, so a gap of years never reads as a trend.
fn chart(label: &str, unit: &str, points: &[(chrono::NaiveDate, String, i64)]) -> String {
    let (w, h, pad) = (300.0f64, 120.0f64, 6.0f64);
    let min = points.iter().map(|p| p.2).min().unwrap_or(0);
    let max = points.iter().map(|p| p.2).max().unwrap_or(0);
    let span = (max - min).max(1) as f64;
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::new();
    };
    let days = (last.0 - first.0).num_days().max(1) as f64;
    let xy = |p: &(chrono::NaiveDate, String, i64)| {
        let x = pad + (w - 2.0 * pad) * (p.0 - first.0).num_days() as f64 / days;
        let y = h - pad - (h - 2.0 * pad) * (p.2 - min) as f64 / span;
        (x, y)
    };
    let mut shapes = String::new();
    let mut segment: Vec<(f64, f64)> = Vec::new();
    let flush = |seg: &mut Vec<(f64, f64)>, out: &mut String| {
        match seg.len() {
            0 => {}
            1 => {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"#0969da\"/>",
                    seg[0].0, seg[0].1
                );
            }
            _ => {
                let pts: Vec<String> = seg.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = write!(
                    out,
                    "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\" points=\"{}\"/>",
                    pts.join(" ")
                );
            }
        }
        seg.clear();
    };
    // Year ticks, so that ten years read as ten years.
    let mut ticks = String::new();
    if last.0.year() > first.0.year() {
        for year in (first.0.year() + 1)..=last.0.year() {
            let Some(jan1) = chrono::NaiveDate::from_ymd_opt(year, 1, 1) else {
                continue;
            };
            let x = pad + (w - 2.0 * pad) * (jan1 - first.0).num_days() as f64 / days;
            let _ = write!(
                ticks,
                "<line x1=\"{x:.1}\" y1=\"{pad}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#d0d7de\" stroke-width=\"0.5\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"7\" fill=\"#57606a\">{year}</text>",
                h - pad,
                x + 1.0,
                h - 1.0
            );
        }
    }
    let mut dots = String::new();
    for (i, p) in points.iter().enumerate() {
        if i > 0 && (p.0 - points[i - 1].0).num_days() > 21 {
            flush(&mut segment, &mut shapes);
        }
        let (x, y) = xy(p);
        segment.push((x, y));
        // Each point says what it is on hover.
        let _ = write!(
            dots,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"1.8\" fill=\"#0969da\" fill-opacity=\"0.01\"><title>{}：{}{}</title></circle>",
            esc(&p.1),
            p.2,
            esc(unit)
        );
    }
    flush(&mut segment, &mut shapes);
    let shapes = format!("{ticks}{shapes}{dots}");
    let caption = format!(
        "{} – {}｜最新 {}{}｜最低 {min} 最高 {max}",
        esc(&first.1),
        esc(&last.1),
        last.2,
        esc(unit)
    );
    format!(
        "<div class=\"chart\"><h3>{}</h3><svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">{shapes}</svg><div class=\"muted\">{caption}</div></div>",
        esc(label),
        esc(label)
    )
}

/// Number of most recent issues drawn in each chart (the CSV holds all of them).
const CHART_ISSUES: usize = 1200;

fn subscribe_links() -> &'static str {
    "<div class=\"sub\"><a href=\"rss.xml\">RSS</a><a href=\"atom.xml\">Atom</a><a href=\"feed.json\">JSON Feed</a><a href=\"metrics.csv\">CSV</a><a href=\"metrics.json\">JSON</a><a href=\"../feeds.opml\">OPML</a></div>"
}

/// The page of one series: latest figures, charts, the list of issues, subscribe links.
pub fn series_page(model: &FeedModel) -> String {
    let series = model.series;
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{}</h1>\n<p class=\"muted\">{}发布的每周网络安全态势与处置数据，自动整理为订阅源（非官方）。</p>\n{}",
        esc(&series.title),
        esc(series.author.as_deref().unwrap_or("CNCERT")),
        subscribe_links()
    );
    if let Some((e, d)) = model.all.last().zip(model.data.last()) {
        let _ = write!(body, "<h2>最新一期：");
        match e.report.url.as_deref().and_then(escape_href) {
            Some(u) => {
                let _ = write!(
                    body,
                    "<a href=\"{u}\">{}</a>",
                    esc(e.report.title.as_deref().unwrap_or(""))
                );
            }
            None => body.push_str(&esc(e.report.title.as_deref().unwrap_or(""))),
        }
        body.push_str("</h2>\n");
        if let Some(a) = &d.assessment {
            // The class comes from a fixed list, never from the archive's text.
            let class = match a.as_str() {
                "优" => "b-优",
                "良" => "b-良",
                "中" => "b-中",
                "差" => "b-差",
                "危" => "b-危",
                _ => "b-other",
            };
            let _ = write!(
                body,
                "<p>态势整体评价 <span class=\"badge {class}\">{}</span></p>",
                esc(a)
            );
        }
        body.push_str("<table><thead><tr><th>指标</th><th>本期</th><th>较上期</th></tr></thead><tbody>\n");
        for m in &series.metrics {
            let Some(v) = d.metrics.get(&m.key) else { continue };
            let mark = change_mark(d.changes.get(&m.key), Some(v));
            let class = if mark.starts_with('▲') {
                "up"
            } else if mark.starts_with('▼') {
                "down"
            } else {
                ""
            };
            // A figure read from a picture says so, with the picture, so a reader can check it by eye.
            let ocr = match picture_of(e, &m.key, v) {
                Some(Some(u)) => format!(
                    " <a class=\"ocr\" href=\"{}\" referrerpolicy=\"no-referrer\" title=\"此数字由程序从原文图片识别，可点开图片核对\">识别自图片</a>",
                    esc(&u)
                ),
                Some(None) => " <span class=\"ocr\">识别自图片</span>".to_string(),
                None => String::new(),
            };
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td class=\"n\">{}{}{ocr}</td><td class=\"n {class}\">{}</td></tr>",
                esc(&m.label),
                esc(&v.to_string()),
                esc(&m.unit),
                esc(&mark)
            );
        }
        body.push_str("</tbody></table>\n");
    } else {
        body.push_str("<p>尚未收录任何一期。</p>\n");
    }
    let start = model.all.len().saturating_sub(CHART_ISSUES);
    let charts: Vec<String> = series
        .metrics
        .iter()
        .filter(|m| m.kind == MetricKind::Count)
        .filter_map(|m| {
            let points: Vec<(chrono::NaiveDate, String, i64)> = model.data[start..]
                .iter()
                .filter_map(|d| {
                    let v = d.metrics.get(&m.key).and_then(MetricValue::as_count)?;
                    Some((d.period_start?, format!("{}年第{}期", d.year, d.issue), v))
                })
                .collect();
            (points.len() >= 2).then(|| chart(&m.label, &m.unit, &points))
        })
        .collect();
    if !charts.is_empty() {
        let _ = write!(
            body,
            "<h2>趋势（最近 {} 期）</h2>\n<div class=\"charts\">{}</div>\n",
            CHART_ISSUES.min(model.all.len()),
            charts.join("\n")
        );
    }
    let _ = write!(
        body,
        "<h2>全部 {} 期</h2>\n<div class=\"scroll\"><table><thead><tr><th>期号</th><th>周期</th><th>评价</th><th>摘要</th></tr></thead><tbody>\n",
        model.all.len()
    );
    for (e, d) in model.all.iter().zip(&model.data).rev() {
        let name = format!("{}年第{}期", d.year, d.issue);
        let link = match e.report.url.as_deref().and_then(escape_href) {
            Some(u) => format!("<a href=\"{u}\">{}</a>", esc(&name)),
            None => esc(&name),
        };
        let period = match (d.period_start, d.period_end) {
            (Some(s), Some(e)) => format!("{s} – {e}"),
            _ => String::new(),
        };
        let deleted = if e.deleted_at.is_some() {
            "（原文已删除）"
        } else {
            ""
        };
        let pdf = match e.report.pdf.as_deref().and_then(escape_href) {
            Some(u) => format!(" <a href=\"{u}\" title=\"报告 PDF（CNCERT 网站）\">PDF</a>"),
            None => String::new(),
        };
        // What the checks found about this issue's figures: a reader should know.
        let warnings: Vec<String> = e
            .report
            .warnings
            .iter()
            .filter(|w| crate::consistency::is_figure_warning(w))
            .map(|w| format!("<li>{}</li>", esc(w)))
            .collect();
        let warnings = if warnings.is_empty() {
            String::new()
        } else {
            format!(
                "<details class=\"warn\"><summary>⚠ 数据提示 {}</summary><ul>{}</ul></details>",
                warnings.len(),
                warnings.concat()
            )
        };
        let _ = writeln!(
            body,
            "<tr><td>{link}{pdf}{deleted}</td><td>{period}</td><td>{}</td><td class=\"muted\">{}{warnings}</td></tr>",
            esc(d.assessment.as_deref().unwrap_or("")),
            esc(&super::summary_line(series, d))
        );
    }
    body.push_str("</tbody></table></div>\n<p class=\"muted\">数据来自国家互联网应急中心CNCERT网站（www.cert.org.cn）与微信公众号的《网络安全信息与动态周报》，由 cncert-feed 自动提取；以原文为准。</p>");
    page(&series.title, &feed_links(&series.title, ""), &body)
}

/// The front page: every series with its subscribe links.
pub fn front_page(site: &Site, cards: &[SeriesCard]) -> String {
    let mut body = format!("<h1>{}</h1>\n", esc(&site.title));
    body.push_str("<p class=\"muted\">把 CNCERT《网络安全信息与动态周报》变成可订阅的 RSS / Atom / JSON Feed，并附每周数据。</p>\n");
    for c in cards {
        let _ = write!(
            body,
            "<h2><a href=\"{id}/index.html\">{}</a></h2>\n<p>已收录 {} 期{}</p>\n<div class=\"sub\"><a href=\"{id}/rss.xml\">RSS</a><a href=\"{id}/atom.xml\">Atom</a><a href=\"{id}/feed.json\">JSON Feed</a><a href=\"{id}/metrics.csv\">CSV</a><a href=\"feeds.opml\">OPML</a></div>\n",
            esc(&c.title),
            c.count,
            match (&c.latest, &c.latest_summary) {
                (Some(t), Some(s)) => format!("；最新：{}<br><span class=\"muted\">{}</span>", esc(t), esc(s)),
                _ => String::new(),
            },
            id = esc(&c.id)
        );
    }
    let feeds: Vec<(String, String)> = cards
        .iter()
        .flat_map(|c| feed_links(&c.title, &format!("{}/", c.id)))
        .collect();
    page(&site.title, &feeds, &body)
}
