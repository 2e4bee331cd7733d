//! `cncert-feed explain`: for each figure of an issue, its value, the source it came from, the
//! sentence it was read from with the match marked, and the pattern that matched; then what the
//! text mentions that no pattern took, and every warning. A read-only view over the extraction
//! (the same [`find_figures`] the pipeline runs) and the archive; it changes nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::archive::Entry;
use crate::assemble::{ASSESSMENT_KEY, SourceKind};
use crate::config::Series;
use crate::extract::{Extracted, Figures, find_figures, read_body, untaken};
use crate::report::{MetricValue, Report};

/// What one source's text says, as the patterns read it.
#[derive(Debug, Clone)]
pub struct Reading {
    /// Which source.
    pub source: SourceKind,
    /// Where the text came from (URL or file).
    pub place: String,
    /// The matches and figures.
    pub figures: Figures,
}

/// The text a stored body and PDF text give, as the extraction reads it.
fn text_of(content_html: Option<&str>, text: Option<&str>) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    if let Some(html) = content_html {
        lines.extend(read_body(html).lines);
    }
    if let Some(t) = text {
        lines.extend(t.lines().map(str::to_string));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Reads every stored text of an archived issue again with the current patterns.
pub fn readings_of_entry(entry: &Entry, series: &Series) -> Vec<Reading> {
    entry
        .observations
        .iter()
        .filter_map(|(source, o)| {
            if !o.pictures.is_empty() {
                // The pictures' texts, as OCR read them (what `ocr` figures come from); a figure
                // from pictures is taken only when confirmed, see the warnings.
                let text: Vec<String> = o
                    .pictures
                    .iter()
                    .flat_map(|p| crate::extract::pictures::normalize(&p.text))
                    .collect();
                let read = o.pictures.iter().filter(|p| !p.text.is_empty()).count();
                let pictures = o.pictures.iter().filter(|p| !p.is_pdf_record()).count();
                return Some(Reading {
                    source: *source,
                    place: format!("{read} of {pictures} pictures"),
                    figures: find_figures(&text.join("\n"), series),
                });
            }
            let text = text_of(o.content_html.as_deref(), o.pdf_text.as_deref())?;
            Some(Reading {
                source: *source,
                place: o.report.url.clone().unwrap_or_default(),
                figures: find_figures(&text, series),
            })
        })
        .collect()
}

/// Reads one extracted document (`source` says which kind it is).
pub fn reading_of_document(ex: &Extracted, source: SourceKind, place: &str, series: &Series) -> Option<Reading> {
    let text = text_of(ex.content_html.as_deref(), ex.text.as_deref())?;
    Some(Reading {
        source,
        place: place.to_string(),
        figures: find_figures(&text, series),
    })
}

fn value_text(v: &MetricValue, unit: &str) -> String {
    match v {
        MetricValue::Count(n) => format!("{n} {unit}").trim_end().to_string(),
        MetricValue::Level(l) => l.clone(),
    }
}

/// The explanation, as printed: `record` is the issue as the archive (or the extraction) holds
/// it, `figure_sources` where each of its figures came from.
pub fn render(
    record: &Report,
    figure_sources: &BTreeMap<String, SourceKind>,
    readings: &[Reading],
    series: &Series,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", record.title.as_deref().unwrap_or("(no title)"));
    if let (Some(y), Some(i)) = (record.year, record.issue) {
        let _ = writeln!(out, "issue {y}/{i} of series {}", series.id);
    }
    for r in readings {
        let _ = writeln!(out, "read from {}: {}", r.source.as_str(), r.place);
    }
    if readings.is_empty() {
        let _ = writeln!(out, "no stored text to read (the figures below are as archived)");
    }
    out.push('\n');

    let mut keys: Vec<(String, String, String)> =
        vec![(ASSESSMENT_KEY.to_string(), "整体评价".to_string(), String::new())];
    keys.extend(
        series
            .metrics
            .iter()
            .map(|m| (m.key.clone(), m.label.clone(), m.unit.clone())),
    );
    let mut not_stated = Vec::new();
    for (key, label, unit) in &keys {
        let value = if key == ASSESSMENT_KEY {
            record.assessment.clone().map(MetricValue::Level)
        } else {
            record.metrics.get(key).cloned()
        };
        let matched: Vec<(&Reading, &crate::extract::FigureMatch)> = readings
            .iter()
            .flat_map(|r| r.figures.matches.iter().filter(|m| &m.key == key).map(move |m| (r, m)))
            .collect();
        let left_out: Vec<(&Reading, &String)> = readings
            .iter()
            .filter_map(|r| r.figures.left_out.get(key).map(|why| (r, why)))
            .collect();
        if value.is_none() && matched.is_empty() {
            not_stated.push(key.as_str());
            continue;
        }
        match &value {
            Some(v) => {
                let from = figure_sources.get(key).map(|s| s.as_str()).unwrap_or("?");
                let _ = writeln!(out, "{key} ({label}) = {}  from {from}", value_text(v, unit));
            }
            None => {
                let now: Vec<String> = readings
                    .iter()
                    .filter_map(|r| {
                        r.figures
                            .metrics
                            .get(key)
                            .map(|v| format!("{} {}", r.source.as_str(), value_text(v, unit)))
                    })
                    .collect();
                let why = if !now.is_empty() {
                    format!("not in the record; the current patterns read {}", now.join(", "))
                } else if readings.iter().any(|r| r.figures.left_out.contains_key(key)) {
                    "left out".to_string()
                } else {
                    "not in the record".to_string()
                };
                let _ = writeln!(out, "{key} ({label}): {why}");
            }
        }
        for (r, m) in matched {
            let how = if r.figures.matched_as_written(m, series) {
                "as written"
            } else {
                "with one character missing or doubled"
            };
            let _ = writeln!(out, "    {}: pattern '{}' matched {how}", r.source.as_str(), m.pattern);
            let _ = writeln!(out, "        {}", r.figures.quote(m.span));
            if let Some(why) = &m.rejected {
                let _ = writeln!(out, "        not taken: {why}");
            }
        }
        for (r, why) in left_out {
            let _ = writeln!(out, "    {}: left out: {why}", r.source.as_str());
        }
    }
    if !not_stated.is_empty() {
        let _ = writeln!(
            out,
            "\nnot stated in any text (no pattern matched): {}",
            not_stated.join(", ")
        );
    }

    let mut any_untaken = false;
    for r in readings {
        let numbers = untaken(&r.figures);
        if numbers.is_empty() {
            continue;
        }
        if !any_untaken {
            let _ = writeln!(out, "\nnumbers in the text that no pattern took:");
            any_untaken = true;
        }
        for n in numbers {
            let _ = writeln!(out, "    {}: {n}", r.source.as_str());
        }
    }

    let mut warnings: Vec<String> = record.warnings.clone();
    for r in readings {
        for w in &r.figures.warnings {
            // The record carries what the archive last read; the current patterns may say more.
            if !warnings.iter().any(|x| x.contains(w.as_str())) {
                warnings.push(format!("{} (current patterns): {w}", r.source.as_str()));
            }
        }
    }
    if warnings.is_empty() {
        let _ = writeln!(out, "\nwarnings: none");
    } else {
        let _ = writeln!(out, "\nwarnings:");
        for w in warnings {
            let _ = writeln!(out, "    {w}");
        }
    }
    out
}

/// Explains an archived issue: its record, and every stored text read again.
pub fn explain_entry(entry: &Entry, series: &Series) -> String {
    let readings = readings_of_entry(entry, series);
    let mut out = render(&entry.report, &entry.figure_sources, &readings, series);
    if !entry.conflicts.is_empty() {
        out.push_str("\nsources that stated other values (kept in `conflicts`):\n");
        for (key, others) in &entry.conflicts {
            let list: Vec<String> = others.iter().map(|(s, v)| format!("{} {v}", s.as_str())).collect();
            let _ = writeln!(out, "    {key}: {}", list.join(", "));
        }
    }
    // Where the current patterns read differently from the archive, say how to update it.
    let mut fresh = entry.clone();
    for r in &readings {
        if let Some(o) = fresh.observations.get_mut(&r.source) {
            if r.source == SourceKind::Ocr {
                // Pictures' figures count only when confirmed, as the crawl takes them.
                o.report.metrics = crate::extract::pictures::figures_from_pictures(&o.pictures, series).metrics;
                continue;
            }
            o.report.metrics = r.figures.metrics.clone();
            o.report.assessment = r.figures.assessment.clone();
        }
    }
    fresh.reassemble();
    if fresh.report.metrics != entry.report.metrics || fresh.report.assessment != entry.report.assessment {
        out.push_str(
            "\nthe current patterns read this issue differently from the archive; run `cncert-feed crawl --reextract` to update it\n",
        );
    }
    out
}
