//! From a page (or an article body) to a [`Report`]: classification, title parsing, text
//! normalization and the configured metric patterns.

mod body;
mod figures;
pub mod pictures;
mod text;

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

pub use body::{
    Body, MAX_DOM_DEPTH, MAX_TREE_WORK, nesting_exceeds, read_body, read_body_fast, read_body_with_dom, tree_too_costly,
};
pub use figures::{ASSESSMENT, FigureMatch, Figures, find_figures, joined_text, untaken};
pub use text::{collapse_whitespace, normalize_line, normalize_title};
pub(crate) use text::{is_caption, is_cjk};

use crate::config::{Config, Series};
use crate::report::{MetricValue, PageKind, Report};

/// A report plus the article body it came from (kept by the archive, not printed by `extract`).
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The normalized record.
    pub report: Report,
    /// The `#js_content` HTML, unsanitized, when the page had one.
    pub content_html: Option<String>,
    /// A PDF's text as normalized paragraphs (one a line), kept so re-extraction needs no network.
    pub text: Option<String>,
}

/// The overall assessment and the figures a (normalized) text states, by the series' patterns
/// (see [`find_figures`] for the matches, the figures left out and why).
pub fn read_figures(text: &str, series: &Series) -> (Option<String>, BTreeMap<String, MetricValue>) {
    let f = find_figures(text, series);
    (f.assessment, f.metrics)
}

/// Parses a count as written: `295`, `1,234`, `18.4万` (184000), `1.2亿`. A comma is a
/// thousands separator, every three digits or not at all: `4078,19` and `40,78` are not numbers.
pub fn parse_number(s: &str) -> Option<i64> {
    let s = s.trim();
    let (digits, mult) = if let Some(d) = s.strip_suffix('万') {
        (d, 10_000i64)
    } else if let Some(d) = s.strip_suffix('亿') {
        (d, 100_000_000i64)
    } else {
        (s, 1)
    };
    let digits: String = digits.chars().filter(|c| !c.is_whitespace()).collect();
    let (grouped, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let int = thousands(grouped)?;
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

/// The digits of an integer part written with thousands separators (`1,234,567`), or without
/// (`1234567`); `None` when a comma is misplaced (`4078,19`, `1,2345`, `,123`, `123,`).
fn thousands(s: &str) -> Option<String> {
    let mut groups = s.split(',');
    let first = groups.next()?;
    let mut out = first.to_string();
    let mut grouped = false;
    for g in groups {
        grouped = true;
        if g.len() != 3 {
            return None;
        }
        out.push_str(g);
    }
    if grouped && !(1..=3).contains(&first.len()) {
        return None;
    }
    Some(out)
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
    let (year, issue, end) = title_issue(title, series)?;
    let period = parse_period(&title[end..], year, issue);
    Some(TitleInfo { year, issue, period })
}

/// Whether a (normalized) title is an issue of a series, as [`parse_title`] decides, without
/// reading its week (what a link to an issue needs).
pub fn is_issue_title(title: &str, series: &Series) -> bool {
    title_issue(title, series).is_some()
}

/// The year and the issue a title gives, and where the title pattern's match ends.
fn title_issue(title: &str, series: &Series) -> Option<(i32, u32, usize)> {
    let caps = series.title_re.captures(title)?;
    let year: i32 = caps.name("year")?.as_str().parse().ok()?;
    let issue: u32 = caps.name("issue")?.as_str().parse().ok()?;
    if !(1990..=2200).contains(&year) || issue == 0 || issue > 60 {
        return None;
    }
    Some((year, issue, caps.get(0).map_or(0, |m| m.end())))
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

/// Joins text whose lines break anywhere (PDF text runs, OCR) into normalized paragraphs: lines
/// are joined (whitespace next to Chinese characters disappears in normalization) until a line
/// ends a sentence (。！？) or a blank line follows one; captions are dropped.
pub fn paragraphs_of(text: &str) -> Vec<String> {
    paragraphs_with(text, true)
}

/// [`paragraphs_of`], with or without joining digits split across runs (`join_numbers`): PDF
/// text splits numbers into runs, OCR text puts table columns side by side (`15 25.4%`), where
/// joining would make one number of two.
pub fn paragraphs_with(text: &str, join_numbers: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, out: &mut Vec<String>| {
        let line = normalize_line(current).trim().to_string();
        if !line.is_empty() && !is_caption(&line) {
            out.push(line);
        }
        current.clear();
    };
    let ends_sentence = |s: &str| s.trim_end().ends_with(['。', '！', '？', '!', '?']);
    let text = if join_numbers {
        join_split_numbers(text)
    } else {
        text.to_string()
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            if ends_sentence(&current) {
                flush(&mut current, &mut out);
            }
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if ends_sentence(line) {
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    out
}

/// Joins numbers that a PDF split into separate text runs (`29\n5起` → `295起`, `23.\n8万`,
/// `1\n.0%`): whitespace between a digit (or a decimal point) and a digit is dropped, so that a
/// pattern can never take part of a number for the whole. Between two runs of digits the break is
/// kept when the second is a number of its own ([`complete_number_at`]: `305 15.0%`, a table's
/// next column): joining there would make one wrong number of two, and a pattern that then sees
/// digits after its number leaves the figure out.
fn join_split_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            let start = i;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            let run = &chars[start..i];
            let blank_line = run.iter().filter(|c| **c == '\n').count() > 1;
            let prev = out.chars().next_back();
            let next = chars.get(i).copied();
            let after = chars.get(i + 1).copied();
            let joins = !blank_line
                && match next {
                    // `23.` + `8万`: the number is not complete without its decimals.
                    Some(n) if n.is_ascii_digit() && prev == Some('.') => true,
                    Some(n) if n.is_ascii_digit() => {
                        prev.is_some_and(|p| p.is_ascii_digit()) && !complete_number_at(&chars[i..])
                    }
                    Some('.') => prev.is_some_and(|p| p.is_ascii_digit()) && after.is_some_and(|a| a.is_ascii_digit()),
                    _ => false,
                };
            if !joins {
                out.extend(run);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Whether the digits at the start of `chars` are a number of its own rather than the tail of a
/// number split before them: a percentage (`15%`, `15.0%`), a decimal (`15.0`, `3.8万`) or a
/// magnitude (`38万`). Only plain digits (`5`, `17个`, `5起`) continue the number before a break.
fn complete_number_at(chars: &[char]) -> bool {
    let end = chars
        .iter()
        .position(|c| !(c.is_ascii_digit() || *c == ','))
        .unwrap_or(chars.len());
    match chars.get(end) {
        Some('.') => chars.get(end + 1).is_some_and(|c| c.is_ascii_digit()),
        Some('%' | '％' | '‰' | '万' | '亿') => true,
        _ => false,
    }
}

fn header_re() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"(?P<year>\d{4})年第(?P<issue>\d{1,2})期").expect("the issue regex is valid"))
}

fn stated_period_re() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(concat!(
            r"(?P<y1>\d{4})(?:年|\.)(?P<m1>\d{1,2})(?:月|\.)(?P<d1>\d{1,2})日?",
            r"\s*(?:[-–—~〜至到−])\s*",
            r"(?:(?P<y2>\d{4})(?:年|\.))?(?P<m2>\d{1,2})(?:月|\.)(?P<d2>\d{1,2})日?"
        ))
        .expect("the period regex is valid")
    })
}

/// The week a text states near its beginning (`2024年10月21日-2024年10月27日`, `2014.02.03至2014.02.09`).
pub fn stated_period(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let c = stated_period_re().captures(text)?;
    let num = |n: &str| c.name(n).and_then(|m| m.as_str().parse::<u32>().ok());
    let y1 = num("y1")? as i32;
    let start = NaiveDate::from_ymd_opt(y1, num("m1")?, num("d1")?)?;
    let y2 = num("y2").map(|y| y as i32).unwrap_or(y1);
    let mut end = NaiveDate::from_ymd_opt(y2, num("m2")?, num("d2")?)?;
    if end < start && c.name("y2").is_none() {
        end = NaiveDate::from_ymd_opt(y1 + 1, num("m2")?, num("d2")?)?;
    }
    let days = (end - start).num_days();
    (0..=14).contains(&days).then_some((start, end))
}

/// The Monday-to-Sunday week of ISO week `issue` of `year`.
pub fn iso_week(year: i32, issue: u32) -> Option<(NaiveDate, NaiveDate)> {
    let monday = NaiveDate::from_isoywd_opt(year, issue, chrono::Weekday::Mon)?;
    Some((monday, monday + chrono::Duration::days(6)))
}

/// Whether a (normalized) title names `series` by its whole title: the title itself, optionally in
/// 《》, followed by a separator or the period, not a longer name (勒索软件动态周报 …).
fn names_series(title: &str, series: &Series) -> bool {
    let want = normalize_title(&series.title);
    let t = title.trim_start_matches(['《', '<']);
    let Some(rest) = t.strip_prefix(want.as_str()) else {
        return false;
    };
    rest.is_empty() || !rest.starts_with(|c: char| is_cjk(c) && !matches!(c, '》' | '(' | '（' | '-' | '—'))
}

/// Which issue a text (a PDF, a website page) is, from its title and its first paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextIssue {
    /// Year.
    pub year: i32,
    /// Issue number.
    pub issue: u32,
    /// Whether the number is the ISO week of the period (no number was written).
    pub issue_inferred: bool,
    /// The week.
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// Whether the week was computed from the number (no week was written).
    pub period_inferred: bool,
}

/// Reads the issue a report's text is: the number from the title or the text's header
/// (`2024年第43期`), the week from where the text states it (it wins over any computation), else
/// the ISO week of the number; with a week but no number, the ISO week's number (`issue_inferred`).
pub fn text_issue(title: Option<&str>, paragraphs: &[String], series: &Series) -> Option<TextIssue> {
    let title = title.map(normalize_title);
    let head: String = paragraphs.iter().take(12).cloned().collect::<Vec<_>>().join("\n");
    let head: String = head.chars().take(600).collect();
    let from_title = title.as_deref().and_then(|t| parse_title(t, series));
    if let Some(t) = title.as_deref()
        && from_title.is_none()
        && !names_series(t, series)
    {
        return None;
    }
    if title.is_none() && !normalize_title(&head).contains(&normalize_title(&series.title)) {
        return None;
    }
    let number = from_title.map(|t| (t.year, t.issue)).or_else(|| {
        let c = header_re().captures(&head)?;
        Some((c["year"].parse().ok()?, c["issue"].parse().ok()?))
    });
    let stated = from_title
        .and_then(|t| t.period)
        .or_else(|| title.as_deref().and_then(stated_period))
        .or_else(|| stated_period(&head));
    match (number, stated) {
        (Some((year, issue)), Some(period)) => Some(TextIssue {
            year,
            issue,
            issue_inferred: false,
            period: Some(period),
            period_inferred: false,
        }),
        (Some((year, issue)), None) => {
            let period = iso_week(year, issue);
            Some(TextIssue {
                year,
                issue,
                issue_inferred: false,
                period,
                period_inferred: period.is_some(),
            })
        }
        (None, Some(period)) => {
            let week = period.0.iso_week();
            Some(TextIssue {
                year: week.year(),
                issue: week.week(),
                issue_inferred: true,
                period: Some(period),
                period_inferred: false,
            })
        }
        (None, None) => None,
    }
}

/// A report from text that is not a WeChat article (a PDF's text, a website page's text).
/// `title` is the heading when there is one; without it, the text must name the series in its
/// first paragraphs. `None` when the text is not an issue of a configured series.
pub fn report_from_text(title: Option<&str>, paragraphs: &[String], config: &Config) -> Option<Report> {
    let (series, issue) = config
        .series
        .iter()
        .find_map(|s| text_issue(title, paragraphs, s).map(|i| (s, i)))?;
    let text = paragraphs.join("\n");
    let figures = find_figures(&text, series);
    let (assessment, metrics) = (figures.assessment, figures.metrics);
    // The assessment's sentence and what follows it in its paragraph (PDF text runs the
    // dashboard's table into it).
    let summary = paragraphs.iter().find_map(|p| {
        let at = p.find("整体评价")?;
        let start = p[..at].rfind("本周").unwrap_or(at);
        Some(p[start..].to_string())
    });
    Some(Report {
        kind: Some(PageKind::Report),
        series: Some(series.id.clone()),
        title: title.map(collapse_whitespace).or_else(|| {
            Some(format!(
                "{}{}年第{}期",
                normalize_title(&series.title),
                issue.year,
                issue.issue
            ))
        }),
        year: Some(issue.year),
        issue: Some(issue.issue),
        issue_inferred: issue.issue_inferred,
        period_start: issue.period.map(|p| p.0),
        period_end: issue.period.map(|p| p.1),
        period_inferred: issue.period_inferred,
        assessment,
        metrics,
        summary,
        warnings: figures.warnings,
        ..Report::default()
    })
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
