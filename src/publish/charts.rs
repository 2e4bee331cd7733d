//! The charts of the series page: one inline SVG line chart per counted figure, over the
//! archived weeks.

use std::fmt::Write;

use chrono::Datelike;

use super::lang::Lang;
use super::{FeedModel, ReportData, esc};
use crate::config::MetricKind;
use crate::report::MetricValue;

/// About how wide a year's label is, in the chart's units (four digits at font size 7).
const YEAR_LABEL_WIDTH: f64 = 16.0;

/// An SVG line chart of one metric over time (x: the week's first day, y: value). The line
/// breaks where weeks are missing, so a gap of years never reads as a trend.
fn chart(lang: Lang, label: &str, unit: &str, points: &[(chrono::NaiveDate, String, i64)]) -> String {
    let short_count = |n: i64| lang.count(n);
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
    // Where the last year label drawn ends.
    let mut label_end = f64::MIN;
    if last.0.year() > first.0.year() {
        for year in (first.0.year() + 1)..=last.0.year() {
            let Some(jan1) = chrono::NaiveDate::from_ymd_opt(year, 1, 1) else {
                continue;
            };
            let x = pad + (w - 2.0 * pad) * (jan1 - first.0).num_days() as f64 / days;
            let _ = write!(
                ticks,
                "<line x1=\"{x:.1}\" y1=\"{pad}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#d0d7de\" stroke-width=\"0.5\"/>",
                h - pad
            );
            // A label that would run past the right edge ends at its tick instead; one that
            // would then overlap the label before it is left out (the tick stays).
            let (label_x, anchor, left) = if x + 1.0 + YEAR_LABEL_WIDTH > w {
                (x - 1.0, " text-anchor=\"end\"", x - 1.0 - YEAR_LABEL_WIDTH)
            } else {
                (x + 1.0, "", x + 1.0)
            };
            if left < label_end + 1.0 {
                continue;
            }
            label_end = left + YEAR_LABEL_WIDTH;
            let _ = write!(
                ticks,
                "<text x=\"{label_x:.1}\" y=\"{:.1}\" font-size=\"7\" fill=\"#57606a\"{anchor}>{year}</text>",
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
        // Each point says what it is on hover: as the report writes it, and exactly.
        let short = short_count(p.2);
        let exact = if lang == Lang::En || short == p.2.to_string() {
            String::new()
        } else {
            format!("（{}）", p.2)
        };
        let colon = if lang == Lang::En { ": " } else { "：" };
        let _ = write!(
            dots,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"1.8\" fill=\"#0969da\" fill-opacity=\"0.01\"><title>{}{colon}{short}{}{exact}</title></circle>",
            esc(&p.1),
            esc(unit)
        );
    }
    flush(&mut segment, &mut shapes);
    let shapes = format!("{ticks}{shapes}{dots}");
    // Each part of the caption stays on one line (a narrow chart breaks between them).
    let (parts, sep) = match lang {
        Lang::Zh => (
            [
                format!("{} – {}（{} 期）", esc(&first.1), esc(&last.1), points.len()),
                format!("最新 {}{}", short_count(last.2), esc(unit)),
                format!("最低 {} 最高 {}", short_count(min), short_count(max)),
            ],
            "｜",
        ),
        Lang::En => (
            [
                format!("{} – {} ({} issues)", esc(&first.1), esc(&last.1), points.len()),
                format!("latest {}", short_count(last.2)),
                format!("low {}, high {}", short_count(min), short_count(max)),
            ],
            " | ",
        ),
    };
    let caption = parts.map(|p| format!("<span class=\"nw\">{p}</span>")).join(sep);
    format!(
        "<div class=\"chart\"><h3>{}</h3><svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">{shapes}</svg><div class=\"muted\">{caption}</div></div>",
        esc(label),
        esc(label)
    )
}

/// Number of most recent issues drawn in each chart (the CSV holds all of them): more than the
/// website's whole archive, so in practice every archived week is drawn.
const CHART_ISSUES: usize = 1200;

/// The heading of the charts, saying what they show: the years of the issues drawn and how many
/// there are (`趋势（2014–2025 年，共 28 期）`), "最近" when older issues were left out.
fn heading(lang: Lang, drawn: &[&ReportData], left_out: bool) -> String {
    let (Some(first), Some(last)) = (drawn.first(), drawn.last()) else {
        return match lang {
            Lang::Zh => "趋势".to_string(),
            Lang::En => "Trends".to_string(),
        };
    };
    if lang == Lang::En {
        let years = if first.year == last.year {
            first.year.to_string()
        } else {
            format!("{}–{}", first.year, last.year)
        };
        let which = if left_out { "latest " } else { "" };
        return format!("Trends ({years}, {which}{} issues)", drawn.len());
    }
    let years = if first.year == last.year {
        format!("{} 年", first.year)
    } else {
        format!("{}–{} 年", first.year, last.year)
    };
    let count = if left_out {
        format!("最近 {} 期", drawn.len())
    } else {
        format!("共 {} 期", drawn.len())
    };
    format!("趋势（{years}，{count}）")
}

/// The trends section of the series page: a chart per counted figure over the archived weeks
/// (the most recent [`CHART_ISSUES`]), each with at least two points; empty when none has.
pub(super) fn trends(model: &FeedModel) -> String {
    let start = model.all.len().saturating_sub(CHART_ISSUES);
    // An issue is drawn at its week: one without a known week is in no chart.
    let drawn: Vec<&ReportData> = model.data[start..]
        .iter()
        .filter(|d| d.period_start.is_some())
        .collect();
    let charts: Vec<String> = model
        .series
        .metrics
        .iter()
        .filter(|m| m.kind == MetricKind::Count)
        .filter_map(|m| {
            let points: Vec<(chrono::NaiveDate, String, i64)> = drawn
                .iter()
                .filter_map(|d| {
                    let v = d.metrics.get(&m.key).and_then(MetricValue::as_count)?;
                    Some((d.period_start?, model.lang.issue_name(d.year, d.issue), v))
                })
                .collect();
            (points.len() >= 2).then(|| chart(model.lang, model.lang.label(m), model.lang.unit(m), &points))
        })
        .collect();
    if charts.is_empty() {
        return String::new();
    }
    format!(
        "<h2>{}</h2>\n<div class=\"charts\">{}</div>\n",
        heading(model.lang, &drawn, start > 0),
        charts.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The year labels of a chart: (x, anchored at its end, year).
    fn labels(svg: &str) -> Vec<(f64, bool, String)> {
        svg.split("<text x=\"")
            .skip(1)
            .filter_map(|t| {
                let (x, rest) = t.split_once('"')?;
                let (attrs, rest) = rest.split_once('>')?;
                let (year, _) = rest.split_once('<')?;
                Some((x.parse().ok()?, attrs.contains("text-anchor=\"end\""), year.to_string()))
            })
            .collect()
    }

    #[test]
    fn a_year_label_at_the_right_edge_ends_at_its_tick() {
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        // The axis ends three weeks into 2025: its tick is near the right edge.
        let points = vec![
            (day(2023, 6, 5), "2023年第23期".to_string(), 10),
            (day(2024, 6, 3), "2024年第23期".to_string(), 12),
            (day(2025, 1, 20), "2025年第4期".to_string(), 11),
        ];
        let svg = chart(Lang::Zh, "处理网络安全事件", "起", &points);
        let l = labels(&svg);
        assert_eq!(
            l.iter().map(|(_, _, y)| y.as_str()).collect::<Vec<_>>(),
            ["2024", "2025"]
        );
        for (x, end, year) in &l {
            let right = if *end { *x } else { x + YEAR_LABEL_WIDTH };
            assert!(right <= 300.0, "{year} runs past the edge: {svg}");
        }
        assert!(l[1].1 && !l[0].1, "{l:?}");
        // Over eleven years the year before is too close: the last label is left out, no label
        // overlaps another, every tick stays.
        let points = vec![
            (day(2014, 2, 10), "2014年第6期".to_string(), 10),
            (day(2024, 6, 3), "2024年第23期".to_string(), 12),
            (day(2025, 1, 20), "2025年第4期".to_string(), 11),
        ];
        let svg = chart(Lang::Zh, "处理网络安全事件", "起", &points);
        let l = labels(&svg);
        assert_eq!(l.len(), 10, "{l:?}");
        assert_eq!(svg.matches("<line").count(), 11);
        for pair in l.windows(2) {
            let end = |(x, anchored, _): &(f64, bool, String)| if *anchored { *x } else { x + YEAR_LABEL_WIDTH };
            let start = |(x, anchored, _): &(f64, bool, String)| if *anchored { x - YEAR_LABEL_WIDTH } else { *x };
            assert!(end(&pair[0]) < start(&pair[1]), "{pair:?}");
        }
    }
}
