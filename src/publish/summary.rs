//! The one line of figures of an issue (the feeds' summary, the series page's list, the front
//! page) and how a figure is written in the tables, in each edition ([`Lang`]).

use super::lang::Lang;
use super::{ReportData, esc};
use crate::config::Series;
use crate::report::MetricValue;

/// One line of figures: `态势：良｜处理网络安全事件295起｜…`.
pub fn summary_line(series: &Series, d: &ReportData) -> String {
    summary_line_in(series, d, Lang::Zh)
}

/// One line of figures in an edition: Chinese from `summary` (`态势：良｜处理网络安全事件295起｜…`),
/// English from `summary_en` (`Rating: Good | Incidents handled: 295 | …`, numbers in full); without
/// a template (or with none of its figures), every figure in config order.
pub fn summary_line_in(series: &Series, d: &ReportData, lang: Lang) -> String {
    let template = match lang {
        Lang::Zh => &series.summary,
        Lang::En => &series.summary_en,
    };
    if let Some(t) = template {
        let line = fill_summary(t, d, lang);
        if !line.is_empty() {
            return line;
        }
    }
    let mut parts = Vec::new();
    if let Some(a) = &d.assessment {
        parts.push(match lang {
            Lang::Zh => format!("态势：{a}"),
            Lang::En => format!("Rating: {}", lang.rating(a)),
        });
    }
    for m in &series.metrics {
        if let Some(v) = d.metrics.get(&m.key) {
            parts.push(match (lang, v) {
                (Lang::Zh, MetricValue::Count(n)) => format!("{}{n}{}", m.label, m.unit),
                (Lang::Zh, MetricValue::Level(l)) => format!("{}：{l}", m.label),
                (Lang::En, MetricValue::Count(n)) => format!("{}: {}", m.label_en, lang.count(*n)),
                (Lang::En, MetricValue::Level(l)) => format!("{}: {}", m.label_en, lang.level(l)),
            });
        }
    }
    match (parts.is_empty(), lang) {
        (true, Lang::Zh) => "（本期未提取到数据）".to_string(),
        (true, Lang::En) => "(no figures were extracted from this issue)".to_string(),
        (false, Lang::Zh) => parts.join("｜"),
        (false, Lang::En) => parts.join(" | "),
    }
}

/// A count as the reports write large ones: 184000 → 18.4万 (exact values only).
pub fn short_count(n: i64) -> String {
    if n >= 100_000 && n % 1_000 == 0 {
        let tenths = n / 1_000;
        if tenths % 10 == 0 {
            format!("{}万", tenths / 10)
        } else {
            format!("{}.{}万", tenths / 10, tenths % 10)
        }
    } else {
        n.to_string()
    }
}

/// A figure as the tables of the pages and feeds show it, ready for HTML: `(shown, title)`. A
/// count is written the way the reports (and the summary line) write large ones, with its unit
/// ([`short_count`]: 250000 → `25万个`), and then `title` is ` title="250000个"`, so the exact
/// figure stays one hover away; otherwise `title` is empty. Both are escaped ([`esc`]).
pub fn figure_cell(v: &MetricValue, unit: &str) -> (String, String) {
    match v {
        MetricValue::Count(n) => {
            let short = short_count(*n);
            let title = if short == n.to_string() {
                String::new()
            } else {
                format!(" title=\"{}\"", esc(&format!("{n}{unit}")))
            };
            (esc(&format!("{short}{unit}")), title)
        }
        MetricValue::Level(l) => (esc(&format!("{l}{unit}")), String::new()),
    }
}

/// [`figure_cell`] in an edition: the English one writes a count in full (`250,000`, exact, so
/// no `title`), without a unit, and a level in English (`High`).
pub fn figure_cell_in(v: &MetricValue, m: &crate::config::Metric, lang: Lang) -> (String, String) {
    match (lang, v) {
        (Lang::Zh, _) => figure_cell(v, &m.unit),
        (Lang::En, MetricValue::Count(n)) => (esc(&lang.count(*n)), String::new()),
        (Lang::En, MetricValue::Level(l)) => (esc(&lang.level(l)), String::new()),
    }
}

/// Fills a summary template: parts (split at `｜`, in English at `|`) with a missing figure are
/// dropped, and so are `（…）` groups (in English `(…)`) with a missing figure inside a part.
fn fill_summary(template: &str, d: &ReportData, lang: Lang) -> String {
    let (split, join, open, close) = match lang {
        Lang::Zh => ('｜', "｜", '（', '）'),
        Lang::En => ('|', " | ", '(', ')'),
    };
    let value = |name: &str| -> Option<String> {
        if name == "assessment" {
            return d.assessment.as_deref().map(|a| lang.rating(a));
        }
        d.metrics.get(name).map(|v| match v {
            MetricValue::Count(n) => lang.count(*n),
            MetricValue::Level(l) => lang.level(l),
        })
    };
    let fill = |text: &str| -> Option<String> {
        let mut out = text.to_string();
        for name in crate::config::placeholders(text) {
            out = out.replace(&format!("{{{name}}}"), &value(name)?);
        }
        Some(out)
    };
    let mut parts = Vec::new();
    for part in template.split(split) {
        // Fill the （…） groups first; one with a missing figure disappears.
        let mut kept = String::new();
        let mut rest = part;
        while let Some(at) = rest.find(open) {
            let group = &rest[at..];
            let end = group.find(close).map(|e| e + close.len_utf8()).unwrap_or(group.len());
            let filled = fill(&group[..end]);
            // An English group that disappears takes the space before it along.
            let before = &rest[..at];
            match (&filled, lang) {
                (None, Lang::En) => kept.push_str(before.trim_end()),
                _ => kept.push_str(before),
            }
            if let Some(filled) = filled {
                kept.push_str(&filled);
            }
            rest = &group[end..];
        }
        kept.push_str(rest);
        if let Some(filled) = fill(&kept) {
            let filled = filled.trim().to_string();
            if !filled.is_empty() {
                parts.push(filled);
            }
        }
    }
    parts.join(join)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn data(metrics: &[(&str, i64)], assessment: Option<&str>) -> ReportData {
        ReportData {
            series: "s".into(),
            year: 2024,
            issue: 43,
            period_start: None,
            period_end: None,
            assessment: assessment.map(str::to_string),
            metrics: metrics
                .iter()
                .map(|(k, v)| (k.to_string(), MetricValue::Count(*v)))
                .collect(),
            changes: BTreeMap::new(),
        }
    }

    const T: &str = "态势：{assessment}｜处理{a}起（跨境{b}起）｜感染{c}个";
    const T_EN: &str = "Rating: {assessment} | Handled: {a} (cross-border {b}) | Infected: {c}";

    #[test]
    fn summary_parts_and_groups_with_missing_figures_are_left_out() {
        let full = data(&[("a", 295), ("b", 140), ("c", 184_000)], Some("良"));
        assert_eq!(
            fill_summary(T, &full, Lang::Zh),
            "态势：良｜处理295起（跨境140起）｜感染18.4万个"
        );
        let partial = data(&[("a", 295)], None);
        assert_eq!(fill_summary(T, &partial, Lang::Zh), "处理295起");
        assert_eq!(fill_summary(T, &data(&[], None), Lang::Zh), "");
    }

    #[test]
    fn english_summaries_write_numbers_in_full_and_the_rating_in_words() {
        let full = data(&[("a", 295), ("b", 140), ("c", 184_000)], Some("良"));
        assert_eq!(
            fill_summary(T_EN, &full, Lang::En),
            "Rating: Good | Handled: 295 (cross-border 140) | Infected: 184,000"
        );
        let partial = data(&[("a", 1295)], None);
        assert_eq!(fill_summary(T_EN, &partial, Lang::En), "Handled: 1,295");
    }

    #[test]
    fn large_counts_are_written_in_wan_when_exact() {
        assert_eq!(short_count(184_000), "18.4万");
        assert_eq!(short_count(200_000), "20万");
        assert_eq!(short_count(184_321), "184321");
        assert_eq!(short_count(18_000), "18000");
    }
}
