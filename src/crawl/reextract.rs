//! `crawl --reextract`: the current patterns applied to every archived issue's stored texts
//! (article bodies, PDF text, website pages, pictures' texts), offline, through each source's
//! own reading.

use super::frontier::{label, note_figure_warnings};
use super::{Source, Summary, now};
use crate::archive::{Archive, Entry};
use crate::config::Config;
use crate::error::Result;
use crate::report::{PageKind, Report};

/// Re-applies the current patterns to every archived issue's stored texts (article bodies, PDF
/// text, website pages), offline. Every figure the archive would lose is named in
/// `summary.losses`; unless `accept_losses`, nothing is written when there is one.
pub fn reextract(
    config: &Config,
    archive: &Archive,
    sources: &[Box<dyn Source>],
    series_filter: Option<&str>,
    accept_losses: bool,
) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut plan: Vec<(Entry, Entry)> = Vec::new();
    for series in &config.series {
        if series_filter.is_some_and(|s| s != series.id) {
            continue;
        }
        let entries = archive.load_series(&series.id)?;
        let mut news = Vec::with_capacity(entries.len());
        for entry in &entries {
            let mut new = entry.clone();
            let mut unreadable = false;
            for (source, o) in &entry.observations {
                let reader = sources.iter().find(|s| s.kind() == *source);
                let Some(mut report) = reader.and_then(|s| s.reread(o, config)) else {
                    continue;
                };
                if report.previous.is_empty() {
                    report.previous = o.report.previous.clone();
                }
                if report.page_kind() != PageKind::Report || report.issue_id() != entry.id() {
                    unreadable = true;
                    continue;
                }
                if let Some(obs) = new.observations.get_mut(source) {
                    obs.report = report;
                }
            }
            if unreadable {
                summary.failed.push((
                    label(&entry.report),
                    "a stored text no longer reads as this issue with the current config; that source was left as it was".into(),
                ));
            }
            new.reassemble();
            news.push(new);
        }
        // Each issue is held against the others as they read now.
        let reports: Vec<Report> = news.iter().map(|e| e.report.clone()).collect();
        for (i, (entry, mut new)) in entries.into_iter().zip(news).enumerate() {
            let others: Vec<&Report> = reports
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, r)| r)
                .collect();
            new.check_history(&others);
            let name = label(&new.report);
            if let Some(a) = &entry.report.assessment
                && new.report.assessment.is_none()
            {
                summary.losses.push((name.clone(), "assessment".into(), a.clone()));
            }
            for (key, value) in &entry.report.metrics {
                if !new.report.metrics.contains_key(key) {
                    summary.losses.push((name.clone(), key.clone(), value.to_string()));
                }
            }
            plan.push((entry, new));
        }
    }
    if !summary.losses.is_empty() && !accept_losses {
        // Nothing is written: the archive keeps every figure.
        summary.known = plan.len();
        return Ok(summary);
    }
    for (entry, mut new) in plan {
        note_figure_warnings(&mut summary, &label(&new.report), Some(&entry), &new);
        if new.report.metrics != entry.report.metrics || new.report.assessment != entry.report.assessment {
            new.updated = now();
        }
        let name = label(&new.report);
        match archive.save_entry(&new) {
            Ok(true) => summary.updated.push(name),
            Ok(false) => summary.known += 1,
            Err(e) => summary.write_failures.push(e.to_string()),
        }
    }
    Ok(summary)
}
