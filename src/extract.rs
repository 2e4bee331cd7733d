//! From a page (or an article body) to a [`Report`]: classification, title parsing, text
//! normalization and the configured metric patterns.

mod body;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use unicode_normalization::UnicodeNormalization;

pub use body::{Body, read_body, read_body_fast, read_body_with_dom};

use crate::config::{Config, MetricKind, Series};
use crate::report::{MetricValue, PageKind, Report};
use crate::wechat::page::{Interstitial, scan};
use crate::wechat::url::article_link;

/// A report plus the article body it came from (kept by the archive, not printed by `extract`).
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The normalized record.
    pub report: Report,
    /// The `#js_content` HTML, unsanitized, when the page had one.
    pub content_html: Option<String>,
}

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
    let scanned = scan(page);
    let source = source_url.and_then(article_link).map(|l| l.as_str().to_string());
    let url = scanned.url.clone().or(source);
    if let Some(kind) = scanned.interstitial {
        let kind = match kind {
            Interstitial::Captcha => PageKind::Captcha,
            Interstitial::Deleted => PageKind::Deleted,
            Interstitial::Unavailable => PageKind::Unavailable,
            Interstitial::ParamError => PageKind::ParamError,
        };
        let mut report = Report::of_kind(kind, url);
        report.warnings = scanned.warnings;
        return Extracted {
            report,
            content_html: None,
        };
    }
    let meta = ArticleMeta {
        title: scanned.title().map(str::to_string),
        url,
        published: scanned.published,
        author: scanned.nickname.clone(),
    };
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
        };
    };
    let mut out = extract_body(&body, meta, config);
    out.report.warnings.splice(0..0, scanned.warnings);
    out
}

/// Extracts a report from an article body (HTML) and what is known about the article.
pub fn extract_body(body_html: &str, meta: ArticleMeta, config: &Config) -> Extracted {
    let title = meta.title.as_deref().map(collapse_whitespace).filter(|t| !t.is_empty());
    let matched = title
        .as_deref()
        .map(normalize_title)
        .and_then(|t| config.series.iter().find_map(|s| parse_title(&t, s).map(|p| (s, p))));
    let author_ok = |s: &Series| match (&s.author, &meta.author) {
        (Some(want), Some(got)) => want.trim() == got.trim(),
        _ => true,
    };
    let Some((series, parsed)) = matched.filter(|(s, _)| author_ok(s)) else {
        let mut report = Report::of_kind(PageKind::OtherArticle, meta.url);
        report.title = title;
        report.published = meta.published;
        report.author = meta.author;
        return Extracted {
            report,
            content_html: Some(body_html.to_string()),
        };
    };
    let body = read_body(body_html);
    let text = body.text();
    let mut warnings = Vec::new();
    let assessment = series.assessment.iter().find_map(|re| {
        re.captures(&text)
            .and_then(|c| c.name("value"))
            .map(|m| m.as_str().to_string())
    });
    let mut metrics = std::collections::BTreeMap::new();
    for metric in &series.metrics {
        let found = metric.patterns.iter().find_map(|re| {
            let caps = re.captures(&text)?;
            let raw = caps.name("value")?.as_str();
            match metric.kind {
                MetricKind::Count => parse_number(raw).map(MetricValue::Count),
                MetricKind::Level => Some(MetricValue::Level(raw.to_string())),
            }
        });
        if let Some(v) = found {
            metrics.insert(metric.key.clone(), v);
        }
    }
    if metrics.is_empty() {
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
        if parse_title(&label, series).is_none() {
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
    };
    Extracted {
        report,
        content_html: Some(body_html.to_string()),
    }
}

/// Trims and collapses runs of whitespace to one space.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a character is CJK (ideographs, CJK punctuation, full-width forms).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

/// Normalizes one line of text: NFKC, zero-width characters dropped, whitespace next to CJK
/// removed, other runs of whitespace collapsed, URLs removed.
pub fn normalize_line(s: &str) -> String {
    let nfkc: String = s
        .nfkc()
        .filter(|c| !matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'))
        .collect();
    let without_urls = remove_urls(&nfkc);
    let chars: Vec<char> = without_urls.chars().collect();
    let mut out = String::with_capacity(without_urls.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            let prev = out.chars().next_back();
            let next = chars.get(i).copied();
            let glue = prev.is_none() || next.is_none() || prev.is_some_and(is_cjk) || next.is_some_and(is_cjk);
            if !glue {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Removes `http://…` and `https://…` runs (and `www.` hosts) so that their digits never become figures.
fn remove_urls(s: &str) -> String {
    if !s.contains("://") && !s.contains("www.") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        let next = ["https://", "http://", "www."]
            .iter()
            .filter_map(|p| rest.find(p))
            .min();
        let Some(i) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || is_cjk(*c) || matches!(c, '"' | '\'' | '<' | '>' | ')'))
            .map(|(e, _)| e)
            .unwrap_or(tail.len());
        out.push(' ');
        rest = &tail[end..];
    }
    out
}

/// Whether a normalized line is a figure or table caption (图1 …, 表2 …).
pub(crate) fn is_caption(line: &str) -> bool {
    let mut chars = line.chars();
    matches!(chars.next(), Some('图' | '表')) && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Normalizes a title: NFKC and whitespace next to CJK removed (parentheses become ASCII).
pub fn normalize_title(s: &str) -> String {
    normalize_line(s).trim().to_string()
}

/// Parses a count as written: `295`, `1,234`, `18.4万` (184000), `1.2亿`.
pub fn parse_number(s: &str) -> Option<i64> {
    let s = s.trim();
    let (digits, mult) = if let Some(d) = s.strip_suffix('万') {
        (d, 10_000i64)
    } else if let Some(d) = s.strip_suffix('亿') {
        (d, 100_000_000i64)
    } else {
        (s, 1)
    };
    let digits: String = digits.chars().filter(|c| *c != ',' && !c.is_whitespace()).collect();
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = int.parse::<i64>().ok()?.checked_mul(mult)?;
    // Exact decimal arithmetic: 18.4万 is 18*10000 + 4*1000.
    let mut frac_value = 0i64;
    let mut scale = mult;
    for d in frac.bytes() {
        scale /= 10;
        if scale == 0 {
            // Finer than the unit: round on the first dropped digit.
            if d >= b'5' {
                frac_value += 1;
            }
            break;
        }
        frac_value += i64::from(d - b'0') * scale;
    }
    whole.checked_add(frac_value)
}

/// What a title says: the issue and the week it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TitleInfo {
    /// Year of the issue.
    pub year: i32,
    /// Issue number.
    pub issue: u32,
    /// First and last day of the week.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

/// Parses a (normalized) title against a series' pattern; `None` when it is not an issue of it.
pub fn parse_title(title: &str, series: &Series) -> Option<TitleInfo> {
    let caps = series.title_re.captures(title)?;
    let year: i32 = caps.name("year")?.as_str().parse().ok()?;
    let issue: u32 = caps.name("issue")?.as_str().parse().ok()?;
    if !(1990..=2200).contains(&year) || issue == 0 || issue > 60 {
        return None;
    }
    let after = &title[caps.get(0).map(|m| m.end()).unwrap_or(0)..];
    let period = parse_period(after, year, issue);
    Some(TitleInfo { year, issue, period })
}

fn period_re() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(concat!(
            r"^[^0-9]{0,8}?[(\[【]?\s*",
            // 10月21日 / 2024年10月21日 / 10.21 / 2024.10.21
            r"(?:(?P<y1>\d{4})[年./-])?(?P<m1>\d{1,2})[月./-](?P<d1>\d{1,2})日?",
            r"\s*(?:[-–—~〜至到−]+)\s*",
            r"(?:(?P<y2>\d{4})[年./-])?(?:(?P<m2>\d{1,2})[月./-])?(?P<d2>\d{1,2})日?",
            r"\s*[)\]】]?",
        ))
        .expect("the period regex is valid")
    })
}

/// Parses `(10月21日-10月27日)` after the issue number into dates, choosing the years so that
/// the week lies closest to where issue `issue` of `year` falls (weeks cross New Year).
pub fn parse_period(s: &str, year: i32, issue: u32) -> Option<(NaiveDate, NaiveDate)> {
    let c = period_re().captures(s)?;
    let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
    let (m1, d1, d2) = (num("m1")?, num("d1")?, num("d2")?);
    let m2 = num("m2").unwrap_or(m1);
    let expected = NaiveDate::from_ymd_opt(year, 1, 1)? + chrono::Duration::days(7 * (i64::from(issue) - 1));
    let start = match c.name("y1").and_then(|m| m.as_str().parse::<i32>().ok()) {
        Some(y) => NaiveDate::from_ymd_opt(y, m1, d1)?,
        None => [year - 1, year, year + 1]
            .iter()
            .filter_map(|&y| NaiveDate::from_ymd_opt(y, m1, d1))
            .min_by_key(|d| (*d - expected).num_days().abs())?,
    };
    let end = match c.name("y2").and_then(|m| m.as_str().parse::<i32>().ok()) {
        Some(y) => NaiveDate::from_ymd_opt(y, m2, d2)?,
        None => [start.year(), start.year() + 1]
            .iter()
            .filter_map(|&y| NaiveDate::from_ymd_opt(y, m2, d2))
            .find(|d| *d >= start)?,
    };
    let days = (end - start).num_days();
    (0..=14).contains(&days).then_some((start, end))
}
