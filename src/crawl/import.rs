//! `import`: saved files (pages and PDFs saved from a browser when the crawler is blocked) read by
//! the source that reads them, with the same archive rules as fetched pages, except that an
//! import never takes anything out of the archive ([`SeriesRun::store_import`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{CrawlOptions, Imported, Known, SeriesRun, Silent, Source, Summary, now};
use crate::archive::{Archive, Entry};
use crate::assemble::{ASSESSMENT_KEY, Observation, ReadVia, SourceKind};
use crate::config::Config;
use crate::error::Result;
use crate::fetch::Fetcher;
use crate::report::{MetricValue, Report};

/// Imports saved files: each is offered to the sources in order; the first that reads it decides.
/// (The command `import` reads with `sources::import_document`, which takes every document
/// `extract` reads; this entry point takes what the given sources' [`Source::import`] read.)
pub fn import(
    config: &Config,
    archive: &Archive,
    sources: &[Box<dyn Source>],
    files: &[std::path::PathBuf],
) -> Result<Summary> {
    let mut summary = Summary::default();
    // An import fetches nothing: the client is there because a run has one.
    let fetcher = Arc::new(Fetcher::new(&config.fetch, Vec::new())?);
    let opts = CrawlOptions::default();
    for path in files {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                summary
                    .failed
                    .push((path.display().to_string(), format!("cannot read the file: {e}")));
                continue;
            }
        };
        let read = sources
            .iter()
            .map(|s| (s.kind(), s.import(&bytes, config)))
            .find(|(_, i)| !matches!(i, Imported::NotMine));
        let (kind, obs) = match read {
            Some((kind, Imported::Read(obs))) => (kind, obs),
            Some((_, Imported::Refused(why))) => {
                summary.failed.push((path.display().to_string(), why));
                continue;
            }
            _ => {
                summary.failed.push((
                    path.display().to_string(),
                    "not a web page (a binary or text file); import saved article pages".into(),
                ));
                continue;
            }
        };
        let Some(series) = obs.report.series.as_deref().and_then(|id| config.series(id)) else {
            continue;
        };
        let mut run = SeriesRun {
            config,
            series,
            archive,
            fetcher: fetcher.clone(),
            opts: &opts,
            progress: &Silent,
            summary: &mut summary,
            known: Known::load(archive, &series.id)?,
            state: Default::default(),
            limit: usize::MAX,
        };
        run.store_import(kind, *obs);
        run.settle_history();
    }
    Ok(summary)
}

impl SeriesRun<'_> {
    /// Records an observation read from a saved file as a crawl records one ([`SeriesRun::store`]:
    /// the sources' precedence, the history checks, the write), except that an import never takes
    /// anything out of the archive. When the archive holds this source's observation of the issue
    /// already, that observation stays as it is (its figures, texts, links and title) and the file
    /// only adds what it lacks; a figure the file states otherwise keeps the archive's value. Only a
    /// discovery feed's copy of an article gives way to a saved page, as in a crawl (the feed's
    /// figures the page lacks are kept). Nothing is written when the file adds nothing.
    ///
    /// Returns, for people, what the file changed in the issue's record and what it did not.
    pub fn store_import(&mut self, source: SourceKind, obs: Observation) -> Vec<String> {
        let Some(id) = obs.report.issue_id() else {
            return Vec::new();
        };
        let old = self.known.entries.get(&id);
        let before = old.map(|e| figures(&e.report));
        let (obs, mut notes) = match old.and_then(|e| e.observations.get(&source)) {
            Some(prev) => merge_into(prev, obs),
            None => (Some(obs), Vec::new()),
        };
        let Some(obs) = obs else {
            self.summary.known += 1;
            notes.push("the archive holds all this copy has".into());
            return notes;
        };
        self.store(source, obs, None);
        if let (Some(before), Some(entry)) = (before, self.known.entries.get(&id)) {
            notes.splice(0..0, record_changes(&before, entry));
        }
        notes
    }
}

/// An issue's figures with its assessment among them (under `assessment`).
fn figures(r: &Report) -> BTreeMap<String, MetricValue> {
    let mut f = r.metrics.clone();
    if let Some(a) = &r.assessment {
        f.insert(ASSESSMENT_KEY.to_string(), MetricValue::Level(a.clone()));
    }
    f
}

/// The archived observation `prev` with what the imported `new` adds (`None` when it adds
/// nothing), and notes on the figures they state differently. The archive's copy stands, unless it
/// is a discovery feed's copy: then the saved page stands, and the feed's copy fills its gaps.
fn merge_into(prev: &Observation, new: Observation) -> (Option<Observation>, Vec<String>) {
    let file_wins = prev.via == ReadVia::Feed;
    let (mut base, fill) = if file_wins {
        (new, prev.clone())
    } else {
        (prev.clone(), new)
    };
    let mut notes = Vec::new();
    let mut changed = file_wins;
    let mine = figures(&base.report);
    for (key, theirs) in figures(&fill.report) {
        match mine.get(&key) {
            None if key == ASSESSMENT_KEY => base.report.assessment = Some(theirs.to_string()),
            None => {
                base.report.metrics.insert(key, theirs);
            }
            Some(kept) if *kept != theirs => {
                notes.push(if file_wins {
                    format!("{key}: this copy's {kept} replaces the feed copy's {theirs}")
                } else {
                    format!("{key}: the archive's {kept} is kept (this copy says {theirs})")
                });
                continue;
            }
            Some(_) => continue,
        }
        changed = true;
    }
    changed |= fill_gaps(&mut base.report, &fill.report);
    for (kept, theirs) in [
        (&mut base.content_html, fill.content_html),
        (&mut base.pdf_text, fill.pdf_text),
    ] {
        if kept.is_none() && theirs.is_some() {
            *kept = theirs;
            changed = true;
        }
    }
    if base.pdf_text.is_some() {
        base.pdf_size = base.pdf_size.or(fill.pdf_size);
        base.pdf_failure = None;
    } else if base.pdf_failure.is_none() {
        base.pdf_failure = fill.pdf_failure;
    }
    if !changed {
        return (None, notes);
    }
    for w in fill.report.warnings {
        if !base.report.warnings.contains(&w) {
            base.report.warnings.push(w);
        }
    }
    base.fetched_at = now();
    (Some(base), notes)
}

/// Fills the fields `base` lacks from `fill` (a period the text states beats a computed one);
/// true when one was filled.
fn fill_gaps(base: &mut Report, fill: &Report) -> bool {
    let mut filled = false;
    for (kept, theirs) in [
        (&mut base.url, &fill.url),
        (&mut base.title, &fill.title),
        (&mut base.pdf, &fill.pdf),
        (&mut base.author, &fill.author),
        (&mut base.summary, &fill.summary),
    ] {
        if kept.is_none() && theirs.is_some() {
            kept.clone_from(theirs);
            filled = true;
        }
    }
    if base.published.is_none() && fill.published.is_some() {
        base.published = fill.published;
        filled = true;
    }
    if fill.period_start.is_some() && (base.period_start.is_none() || base.period_inferred && !fill.period_inferred) {
        base.period_start = fill.period_start;
        base.period_end = fill.period_end;
        base.period_inferred = fill.period_inferred;
        filled = true;
    }
    if base.previous.is_empty() && !fill.previous.is_empty() {
        base.previous.clone_from(&fill.previous);
        filled = true;
    }
    filled
}

/// What changed in an issue's record, for people: the figures added, and those another source
/// now gives (the earlier value stays under `conflicts`).
fn record_changes(before: &BTreeMap<String, MetricValue>, entry: &Entry) -> Vec<String> {
    let mut added = Vec::new();
    let mut notes = Vec::new();
    for (key, value) in figures(&entry.report) {
        match before.get(&key) {
            None => added.push(key),
            Some(old) if *old != value => {
                let from = entry.figure_sources.get(&key).map_or("another source", |s| s.as_str());
                notes.push(format!(
                    "{key}: {old} → {value} (the {from} figure takes precedence; {old} is kept under conflicts)"
                ));
            }
            Some(_) => {}
        }
    }
    if !added.is_empty() {
        notes.insert(0, format!("figures added: {}", added.join(", ")));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(via: ReadVia, metrics: &[(&str, i64)]) -> Observation {
        let report = Report {
            metrics: metrics
                .iter()
                .map(|(k, v)| (k.to_string(), MetricValue::Count(*v)))
                .collect(),
            ..Report::default()
        };
        Observation::new(report, via, now())
    }

    fn count(o: &Observation, key: &str) -> Option<i64> {
        o.report.metrics.get(key).and_then(MetricValue::as_count)
    }

    #[test]
    fn a_worse_copy_adds_nothing_and_a_disagreeing_one_keeps_the_archives_figure() {
        let mut prev = obs(ReadVia::Page, &[("a", 1), ("b", 2)]);
        prev.content_html = Some("<p>body</p>".into());
        let (merged, notes) = merge_into(&prev, obs(ReadVia::Import, &[("a", 1)]));
        assert!(merged.is_none() && notes.is_empty(), "{notes:?}");

        let (merged, notes) = merge_into(&prev, obs(ReadVia::Import, &[("a", 3), ("c", 4)]));
        let merged = merged.expect("c is new");
        assert_eq!(
            (count(&merged, "a"), count(&merged, "b"), count(&merged, "c")),
            (Some(1), Some(2), Some(4))
        );
        assert_eq!(merged.via, ReadVia::Page);
        assert_eq!(merged.content_html.as_deref(), Some("<p>body</p>"));
        assert_eq!(notes, ["a: the archive's 1 is kept (this copy says 3)"]);
    }

    #[test]
    fn a_saved_page_replaces_a_feed_copy_and_keeps_what_only_the_feed_had() {
        let mut prev = obs(ReadVia::Feed, &[("a", 1), ("b", 2)]);
        prev.content_html = Some("<p>feed</p>".into());
        let mut page = obs(ReadVia::Import, &[("a", 3)]);
        page.content_html = Some("<p>page</p>".into());
        let (merged, notes) = merge_into(&prev, page);
        let merged = merged.expect("the page replaces the feed copy");
        assert_eq!((count(&merged, "a"), count(&merged, "b")), (Some(3), Some(2)));
        assert_eq!(merged.via, ReadVia::Import);
        assert_eq!(merged.content_html.as_deref(), Some("<p>page</p>"));
        assert_eq!(notes, ["a: this copy's 3 replaces the feed copy's 1"]);
    }

    #[test]
    fn a_pdf_fills_a_page_whose_pdf_failed_and_a_stated_week_beats_a_computed_one() {
        let mut prev = obs(ReadVia::Page, &[]);
        prev.report.url = Some("https://www.cert.org.cn/x_.html".into());
        prev.report.period_start = chrono::NaiveDate::from_ymd_opt(2024, 10, 20);
        prev.report.period_inferred = true;
        prev.pdf_failure = Some("HTTP 404".into());
        let mut pdf = obs(ReadVia::Import, &[("a", 5)]);
        pdf.report.period_start = chrono::NaiveDate::from_ymd_opt(2024, 10, 21);
        pdf.pdf_text = Some("text".into());
        pdf.pdf_size = Some(10);
        let (merged, _) = merge_into(&prev, pdf);
        let merged = merged.expect("the PDF adds its text");
        assert_eq!(merged.report.url.as_deref(), Some("https://www.cert.org.cn/x_.html"));
        assert_eq!((merged.pdf_text.as_deref(), merged.pdf_size), (Some("text"), Some(10)));
        assert_eq!(merged.pdf_failure, None);
        assert_eq!(
            merged.report.period_start,
            chrono::NaiveDate::from_ymd_opt(2024, 10, 21)
        );
        assert!(!merged.report.period_inferred);
        assert_eq!(count(&merged, "a"), Some(5));
    }
}
