//! HTML pages: the series page (latest figures, the SVG charts, the list of issues) and the front
//! page. Self-contained: inline CSS and SVG, no scripts, no CDN; works from GitHub Pages and from
//! disk. The feed items' HTML is [`super::content`]'s (re-exported here).

use std::fmt::Write;

use super::lang::Lang;
use super::{FeedModel, esc};
use crate::archive::Entry;
use crate::config::Site;
use crate::report::MetricValue;

pub use super::content::{figures_table, image_src, item_content, rewrite_images, sanitize_for_feed};

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
    /// The English edition's name of the series.
    pub title_en: String,
    /// The newest issue's English title.
    pub latest_en: Option<String>,
}

impl SeriesCard {
    /// The card of a rendered series, from its Chinese and English editions.
    pub fn of(model: &FeedModel, en: &FeedModel) -> SeriesCard {
        SeriesCard {
            id: model.series.id.clone(),
            title: model.series.title.clone(),
            count: model.all.len(),
            latest: model.items.first().map(|i| i.title.clone()),
            latest_summary: model.items.first().map(|i| i.summary.clone()),
            title_en: en.title().to_string(),
            latest_en: en.items.first().map(|i| i.title.clone()),
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
.chart h3{font-size:.95em;margin:0 0 4px}.chart svg{width:100%;height:auto}.muted{color:#656d76;font-size:.9em}.nw{white-space:nowrap}.scroll{overflow-x:auto}.ocr{font-size:.8em;color:#656d76;margin-left:.4em}.warn summary{color:#9a6700;cursor:pointer}.warn ul{margin:4px 0;padding-left:1.2em}\
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}a{color:#4493f8}th,td{border-color:#30363d}.chart{border-color:#30363d}}";

/// A whole page; `feeds` are `(title, relative href)` of the feeds readers should discover.
fn page(title: &str, feeds: &[(String, String)], body: &str) -> String {
    page_in(Lang::Zh, title, feeds, body)
}

/// [`page`] in an edition's language (`<html lang>`).
fn page_in(lang: Lang, title: &str, feeds: &[(String, String)], body: &str) -> String {
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
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n{discovery}<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        lang.code(),
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

/// The subscribe links of a series page, with the link to the other edition.
fn subscribe_links(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => {
            "<div class=\"sub\"><a href=\"rss.xml\">RSS</a><a href=\"atom.xml\">Atom</a><a href=\"feed.json\">JSON Feed</a><a href=\"metrics.csv\">CSV</a><a href=\"metrics.json\">JSON</a><a href=\"../feeds.opml\">OPML</a><a href=\"en/index.html\" hreflang=\"en\" lang=\"en\">English</a></div>"
        }
        Lang::En => {
            "<div class=\"sub\"><a href=\"rss.xml\">RSS</a><a href=\"atom.xml\">Atom</a><a href=\"feed.json\">JSON Feed</a><a href=\"../metrics.csv\">CSV</a><a href=\"../metrics.json\">JSON</a><a href=\"../../feeds.opml\">OPML</a><a href=\"../index.html\" hreflang=\"zh-CN\" lang=\"zh-CN\">中文</a></div>"
        }
    }
}

/// The words of a series page in an edition.
struct Words {
    intro: &'static str,
    run_report: &'static str,
    latest: &'static str,
    rating: &'static str,
    head: &'static str,
    ocr: &'static str,
    ocr_title: &'static str,
    none: &'static str,
    deleted: &'static str,
    pdf_title: &'static str,
    notes: &'static str,
    footer: &'static str,
}

const ZH: Words = Words {
    intro: "发布的每周网络安全态势与处置数据，自动整理为订阅源（非官方）。",
    run_report: "<a href=\"health.md\">运行报告</a>",
    latest: "最新一期：",
    rating: "态势整体评价",
    head: "<table><thead><tr><th>指标</th><th>本期</th><th>较上期</th></tr></thead><tbody>\n",
    ocr: "识别自图片",
    ocr_title: "此数字由程序从原文图片识别，可点开图片核对",
    none: "<p>尚未收录任何一期。</p>\n",
    deleted: "（原文已删除）",
    pdf_title: "报告 PDF（CNCERT 网站）",
    notes: "数据提示",
    footer: "<p class=\"muted\">数据来自国家互联网应急中心CNCERT网站（www.cert.org.cn）与微信公众号的《网络安全信息与动态周报》，由 cncert-feed 自动提取；以原文为准。</p>",
};

const EN: Words = Words {
    intro: "'s weekly rating of China's network security situation and its incident figures, in English, as feeds (unofficial). The articles themselves are in Chinese.",
    run_report: "<a href=\"../health.md\">run report</a>",
    latest: "Latest issue: ",
    rating: "Overall rating",
    head: "<table><thead><tr><th>Figure</th><th>This week</th><th>Change</th></tr></thead><tbody>\n",
    ocr: "read from a picture",
    ocr_title: "The program read this number from a picture in the article; open the picture to check it",
    none: "<p>No issue archived yet.</p>\n",
    deleted: " (article deleted)",
    pdf_title: "The report as PDF (CNCERT website)",
    notes: "Notes on the figures",
    footer: "<p class=\"muted\">Figures from CNCERT's 《网络安全信息与动态周报》 (Weekly Report on Network Security Information and Trends) on its website (www.cert.org.cn) and WeChat account, extracted by cncert-feed; ratings and labels translated. The Chinese original is authoritative.</p>",
};

/// The page of one series in its model's edition: latest figures, charts, the list of issues,
/// subscribe links, the link to the other edition.
pub fn series_page(model: &FeedModel) -> String {
    let series = model.series;
    let lang = model.lang;
    let w = match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{}</h1>\n<p class=\"muted\">{}{}</p>\n{}",
        esc(model.title()),
        esc(match lang {
            Lang::Zh => series.author.as_deref().unwrap_or("CNCERT"),
            Lang::En => "CNCERT",
        }),
        esc(w.intro),
        subscribe_links(lang)
    );
    if let Some(status) = &model.status {
        let status = esc(status);
        let _ = writeln!(
            body,
            "<p class=\"muted\" id=\"data-status\">{status} · {}</p>",
            w.run_report
        );
    }
    if let Some((e, d)) = model.all.last().zip(model.data.last()) {
        let _ = write!(body, "<h2>{}", w.latest);
        let title = match lang {
            Lang::Zh => esc(e.report.title.as_deref().unwrap_or("")),
            Lang::En => esc(&super::lang::title_en(series, d)),
        };
        match super::links::article_url(e).map(|u| esc(&u)) {
            Some(u) => {
                let _ = write!(body, "<a href=\"{u}\">{title}</a>");
            }
            None => body.push_str(&title),
        }
        body.push_str("</h2>\n");
        if lang == Lang::En
            && let Some(t) = e.report.title.as_deref().filter(|t| !t.is_empty())
        {
            let _ = writeln!(
                body,
                "<p class=\"muted\">Original: <span lang=\"zh-CN\">{}</span></p>",
                esc(t)
            );
        }
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
                "<p>{} <span class=\"badge {class}\">{}</span></p>",
                w.rating,
                esc(&lang.rating(a))
            );
        }
        body.push_str(w.head);
        for m in &series.metrics {
            let Some(v) = d.metrics.get(&m.key) else { continue };
            let mark = lang.change_mark(d.changes.get(&m.key), Some(v));
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
                    " <a class=\"ocr\" href=\"{}\" referrerpolicy=\"no-referrer\" title=\"{}\">{}</a>",
                    esc(&u),
                    w.ocr_title,
                    w.ocr
                ),
                Some(None) => format!(" <span class=\"ocr\">{}</span>", w.ocr),
                None => String::new(),
            };
            let (shown, title) = super::figure_cell_in(v, m, lang);
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td class=\"n\"{title}>{shown}{ocr}</td><td class=\"n {class}\">{}</td></tr>",
                esc(lang.label(m)),
                esc(&mark)
            );
        }
        body.push_str("</tbody></table>\n");
    } else {
        body.push_str(w.none);
    }
    body.push_str(&super::charts::trends(model));
    let _ = write!(
        body,
        "{}\n<div class=\"scroll\"><table><thead><tr>{}</tr></thead><tbody>\n",
        match lang {
            Lang::Zh => format!("<h2>全部 {} 期</h2>", model.all.len()),
            Lang::En => format!("<h2>All {} issues</h2>", model.all.len()),
        },
        match lang {
            Lang::Zh => "<th>期号</th><th>周期</th><th>评价</th><th>摘要</th>",
            Lang::En => "<th>Issue</th><th>Week</th><th>Rating</th><th>Summary</th>",
        }
    );
    for (e, d) in model.all.iter().zip(&model.data).rev() {
        let name = lang.issue_name(d.year, d.issue);
        let link = match super::links::article_url(e).map(|u| esc(&u)) {
            Some(u) => format!("<a href=\"{u}\">{}</a>", esc(&name)),
            None => esc(&name),
        };
        let period = match (d.period_start, d.period_end) {
            (Some(s), Some(e)) => format!("{s} – {e}"),
            _ => String::new(),
        };
        let deleted = if e.deleted_at.is_some() { w.deleted } else { "" };
        let pdf = match super::links::pdf_link(e).map(|u| esc(&u)) {
            Some(u) => format!(" <a href=\"{u}\" title=\"{}\">PDF</a>", w.pdf_title),
            None => String::new(),
        };
        // What the checks found about this issue's figures: a reader should know.
        let warnings: Vec<String> = e
            .report
            .warnings
            .iter()
            .filter(|w| crate::consistency::is_figure_warning(w))
            .map(|w| match lang {
                Lang::Zh => format!("<li>{}</li>", esc(w)),
                Lang::En => format!("<li lang=\"zh-CN\">{}</li>", esc(w)),
            })
            .collect();
        let warnings = if warnings.is_empty() {
            String::new()
        } else {
            format!(
                "<details class=\"warn\"><summary>⚠ {} {}</summary><ul>{}</ul></details>",
                w.notes,
                warnings.len(),
                warnings.concat()
            )
        };
        // A record without a web URL is linked here by its feed items: its row is their target.
        let anchor = match super::links::article_url(e) {
            Some(_) => String::new(),
            None => format!(" id=\"{}\"", super::links::row_anchor(d.year, d.issue)),
        };
        let _ = writeln!(
            body,
            "<tr{anchor}><td>{link}{pdf}{deleted}</td><td>{period}</td><td>{}</td><td class=\"muted\">{}{warnings}</td></tr>",
            esc(&d.assessment.as_deref().map(|a| lang.rating(a)).unwrap_or_default()),
            esc(&super::summary_line_in(series, d, lang))
        );
    }
    body.push_str("</tbody></table></div>\n");
    body.push_str(w.footer);
    page_in(lang, model.title(), &feed_links(model.title(), ""), &body)
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
        // The English edition of the series.
        let _ = write!(
            body,
            "<div lang=\"en\"><h3><a href=\"{id}/en/index.html\" hreflang=\"en\">{} (English)</a></h3>\n<p>{} issues{}</p>\n<div class=\"sub\"><a href=\"{id}/en/rss.xml\">RSS</a><a href=\"{id}/en/atom.xml\">Atom</a><a href=\"{id}/en/feed.json\">JSON Feed</a></div></div>\n",
            esc(&c.title_en),
            c.count,
            match &c.latest_en {
                Some(t) => format!("; latest: {}", esc(t)),
                None => String::new(),
            },
            id = esc(&c.id)
        );
    }
    let feeds: Vec<(String, String)> = cards
        .iter()
        .flat_map(|c| {
            feed_links(&c.title, &format!("{}/", c.id))
                .into_iter()
                .chain(feed_links(
                    &format!("{} (English)", c.title_en),
                    &format!("{}/en/", c.id),
                ))
        })
        .collect();
    page(&site.title, &feeds, &body)
}
