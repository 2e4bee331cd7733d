//! Reading a WeChat page or article body into a record: the page's kind (article, captcha,
//! deleted …), its metadata, its figures and its 近期回顾 links.

use chrono::{DateTime, FixedOffset};

use super::page::{Interstitial, ScannedPage, scan};
use super::url::article_link;
use crate::config::{Config, Series};
use crate::extract::{
    Extracted, collapse_whitespace, find_figures, is_issue_title, normalize_title, parse_title, read_body,
};
use crate::report::{PageKind, Report};

/// What is known about an article besides its body (from the page's scripts or a feed item).
#[derive(Debug, Clone, Default)]
pub struct ArticleMeta {
    /// Title.
    pub title: Option<String>,
    /// Canonical URL.
    pub url: Option<String>,
    /// Publication time.
    pub published: Option<DateTime<FixedOffset>>,
    /// Account name.
    pub author: Option<String>,
}

/// Extracts one page. `source_url` is where it came from (used when the page has no URL of its own).
pub fn extract_page(page: &[u8], source_url: Option<&str>, config: &Config) -> Extracted {
    extract_scanned(scan(page), source_url, config)
}

/// [`extract_page`] for a page already scanned (the scan that told it from the website's pages).
pub fn extract_scanned(scanned: ScannedPage, source_url: Option<&str>, config: &Config) -> Extracted {
    let source = source_url.and_then(article_link).map(|l| l.as_str().to_string());
    let url = scanned.url.clone().or(source);
    if let Some(kind) = scanned.interstitial {
        let (kind, note) = match kind {
            Interstitial::Captcha => (PageKind::Captcha, None),
            Interstitial::Deleted => (PageKind::Deleted, None),
            Interstitial::Unavailable => (
                PageKind::Unavailable,
                Some("WeChat says the content cannot be viewed (violation, complaint or blocked account)"),
            ),
            Interstitial::Temporary => (
                PageKind::Unavailable,
                Some("WeChat says the content is temporarily unavailable (暂时无法查看); it may come back"),
            ),
            Interstitial::ParamError => (PageKind::ParamError, None),
            // Not other_article: that kind says an article lives at this URL, and a profile has no
            // title, time or body of one; a crawl must neither archive it nor expect an issue here.
            Interstitial::Profile => (
                PageKind::Unavailable,
                Some("an account's profile page (关于公众号), not an article"),
            ),
        };
        let mut report = Report::of_kind(kind, url);
        report.warnings = scanned.warnings;
        report.warnings.extend(note.map(str::to_string));
        return Extracted {
            report,
            content_html: None,
            text: None,
        };
    }
    let meta = ArticleMeta {
        title: scanned.title().map(str::to_string),
        url,
        published: scanned.published,
        author: scanned.nickname.clone(),
    };
    if scanned.post {
        // A picture or text post: an article with no #js_content to read figures from.
        let mut out = extract_body("", meta, config);
        out.content_html = None;
        out.report.warnings.splice(0..0, scanned.warnings);
        return out;
    }
    let Some(body) = scanned.content_html else {
        let mut report = Report::of_kind(PageKind::Unavailable, meta.url);
        report.title = meta.title;
        report.warnings = scanned.warnings;
        report
            .warnings
            .push("no article body (#js_content) found: not a WeChat article page".to_string());
        return Extracted {
            report,
            content_html: None,
            text: None,
        };
    };
    let mut out = extract_owned_body(body, meta, config);
    out.report.warnings.splice(0..0, scanned.warnings);
    out
}

/// Extracts a report from an article body (HTML) and what is known about the article.
pub fn extract_body(body_html: &str, meta: ArticleMeta, config: &Config) -> Extracted {
    extract_owned_body(body_html.to_string(), meta, config)
}

/// [`extract_body`] of a body the caller gives away (it becomes the record's `content_html`).
fn extract_owned_body(body_html: String, meta: ArticleMeta, config: &Config) -> Extracted {
    let title = meta.title.as_deref().map(collapse_whitespace).filter(|t| !t.is_empty());
    let matched = title
        .as_deref()
        .map(normalize_title)
        .and_then(|t| config.series.iter().find_map(|s| parse_title(&t, s).map(|p| (s, p))));
    let page_biz = meta.url.as_deref().and_then(url_biz);
    let Some((series, parsed)) = matched.filter(|(s, _)| account_ok(s, page_biz.as_deref(), meta.author.as_deref()))
    else {
        let mut report = Report::of_kind(PageKind::OtherArticle, meta.url);
        report.title = title;
        report.published = meta.published;
        report.author = meta.author;
        return Extracted {
            report,
            content_html: Some(body_html),
            text: None,
        };
    };
    let body = read_body(&body_html);
    let text = body.text();
    let figures = find_figures(&text, series);
    let (assessment, metrics) = (figures.assessment, figures.metrics);
    let mut warnings = figures.warnings;
    // The page passed by its __biz (a name alone would have had to match): say it was renamed.
    if let (Some(want), Some(got), Some(biz), Some(_)) = (&series.author, &meta.author, &series.biz, &page_biz)
        && want.trim() != got.trim()
    {
        warnings.push(format!(
            "the account {biz} shows the name {}, configured author: {}; renamed? (identified by its __biz)",
            got.trim(),
            want.trim()
        ));
    }
    if metrics.is_empty() && figures.left_out.is_empty() {
        warnings.push(format!(
            "no figures found in {}: the wording may have changed; adjust the metric patterns in config.yaml",
            title.as_deref().unwrap_or("the page")
        ));
    }
    if assessment.is_none() {
        warnings.push("no overall assessment (整体评价为…) found".to_string());
    }
    if parsed.period.is_none() {
        warnings.push("the title gives no week (（M月D日-M月D日）)".to_string());
    }
    if meta.published.is_none() {
        warnings.push("no publication time found (var ct, oriCreateTime, createTime)".to_string());
    }
    let own = meta.url.clone();
    let mut previous: Vec<String> = Vec::new();
    for (href, label) in &body.links {
        let label = normalize_title(label);
        if !is_issue_title(&label, series) {
            continue;
        }
        if let Some(link) = article_link(href) {
            let s = link.as_str().to_string();
            if Some(&s) != own.as_ref() && !previous.contains(&s) {
                previous.push(s);
            }
        }
    }
    let summary = body.paragraphs.iter().find(|l| l.chars().count() >= 20).cloned();
    let report = Report {
        kind: Some(PageKind::Report),
        url: meta.url,
        series: Some(series.id.clone()),
        title,
        year: Some(parsed.year),
        issue: Some(parsed.issue),
        period_start: parsed.period.map(|p| p.0),
        period_end: parsed.period.map(|p| p.1),
        published: meta.published,
        assessment,
        metrics,
        previous,
        author: meta.author,
        summary,
        warnings,
        ..Report::default()
    };
    Extracted {
        report,
        content_html: Some(body_html),
        text: None,
    }
}

/// Whether a page is by the series' account: by its `__biz` when the series configures one and the
/// page gives one (the name is then for display only: accounts get renamed), else by its name.
fn account_ok(series: &Series, page_biz: Option<&str>, page_author: Option<&str>) -> bool {
    if let (Some(want), Some(got)) = (&series.biz, page_biz) {
        return want.trim() == got;
    }
    match (&series.author, page_author) {
        (Some(want), Some(got)) => want.trim() == got.trim(),
        _ => true,
    }
}

/// The `__biz` (account id) of an article URL, percent-decoded (`%3D` is `=`).
pub fn url_biz(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    let raw = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("__biz="))
        .filter(|v| !v.is_empty())?;
    Some(raw.replace("%3D", "=").replace("%3d", "="))
}
