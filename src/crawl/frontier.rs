//! The frontier's state for one series during a run: the archive's view of it, the failure state,
//! the run's summary and budget; and the one way a source's observation reaches the archive.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::{CrawlOptions, Progress, Summary, now};
use crate::archive::{Archive, Entry, Failure, State, observe};
use crate::assemble::{Observation, SourceKind};
use crate::config::{Config, Series};
use crate::consistency::is_figure_warning;
use crate::error::Result;
use crate::fetch::Fetcher;
use crate::report::{IssueId, Report};

/// The archive's view of a series during a crawl.
pub struct Known {
    /// Archived issues.
    pub entries: HashMap<IssueId, Entry>,
    /// Every URL an archived issue was read at (its own, aliases, each source's), to its issue.
    pub by_url: HashMap<String, IssueId>,
    /// Issues archived or changed this run (their neighbours' history is checked again at the end).
    pub touched: std::collections::HashSet<IssueId>,
    /// Documents fetched this run that a later source of the run may read again (a PDF whose
    /// pictures the pictures source reads), by URL; dropped at the end of the series.
    pub documents: HashMap<String, Vec<u8>>,
    /// Recorded failures asked again this run (`--retry-failed`), until they are asked.
    pub retry: BTreeSet<String>,
}

impl Known {
    /// Loads a series' entries from the archive.
    pub fn load(archive: &Archive, series: &str) -> Result<Known> {
        let mut known = Known {
            entries: HashMap::new(),
            touched: Default::default(),
            by_url: HashMap::new(),
            documents: HashMap::new(),
            retry: BTreeSet::new(),
        };
        for e in archive.load_series(series)? {
            if let Some(id) = e.id() {
                known.index(&id, &e);
                known.entries.insert(id, e);
            }
        }
        Ok(known)
    }

    /// Indexes the URLs `e` was read at.
    pub fn index(&mut self, id: &IssueId, e: &Entry) {
        let observed = e.observations.values().filter_map(|o| o.report.url.as_ref());
        for u in e.report.url.iter().chain(&e.aliases).chain(observed) {
            self.by_url.insert(u.clone(), id.clone());
        }
    }

    /// The archived issue read at `url`, if any.
    pub fn entry_at(&self, url: &str) -> Option<&Entry> {
        self.by_url.get(url).and_then(|id| self.entries.get(id))
    }
}

/// A name for an issue in the summary: `2024年第43期`, else its title.
pub fn label(r: &Report) -> String {
    match (r.year, r.issue) {
        (Some(y), Some(i)) => format!("{y}年第{i}期"),
        _ => r.title.clone().unwrap_or_default(),
    }
}

/// One series' run, handed to each source in turn: what it may read and where what it reads goes.
pub struct SeriesRun<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The series being crawled.
    pub series: &'a Series,
    /// The archive.
    pub archive: &'a Archive,
    /// The HTTP client (its policy was set by the sources).
    pub fetcher: Arc<Fetcher>,
    /// What the run was asked to do.
    pub opts: &'a CrawlOptions,
    /// Progress events.
    pub progress: &'a dyn Progress,
    /// The run's summary.
    pub summary: &'a mut Summary,
    /// The archive's view of the series.
    pub known: Known,
    /// Failures, aliases and validators of the series.
    pub state: State,
    /// Issues a source reads at most this run.
    pub limit: usize,
}

impl SeriesRun<'_> {
    /// Records a failure of `url` (`permanent`: never fetched again). The issue it was known to
    /// belong to is kept; a URL asked again this run is not asked a second time.
    pub fn fail(&mut self, url: &str, kind: &str, reason: String, permanent: bool) {
        self.known.retry.remove(url);
        let issue = self.state.failed.get(url).and_then(|f| f.issue.clone());
        self.state.failed.insert(
            url.to_string(),
            Failure {
                kind: kind.to_string(),
                reason,
                at: now(),
                permanent,
                since: None,
                issue,
            },
        );
    }

    /// Notes that the failure recorded for `url` belongs to issue `id` (`--retry-failed YEAR/ISSUE`).
    pub fn link_failure(&mut self, url: &str, id: &IssueId) {
        if let Some(f) = self.state.failed.get_mut(url) {
            f.issue = Some(format!("{}/{}", id.year, id.issue));
        }
    }

    /// Whether `url` failed for good in an earlier run (and is not asked again this run).
    pub fn failed_for_good(&self, url: &str) -> bool {
        !self.known.retry.contains(url) && self.state.failed.get(url).is_some_and(|f| f.permanent)
    }

    /// Writes the state (failures, aliases, validators) now, as a checkpoint.
    pub fn save_state(&mut self) {
        if let Err(err) = self.archive.save_state(&self.series.id, &self.state) {
            self.summary.write_failures.push(err.to_string());
        }
    }

    /// Marks the archived issue read at `url` deleted upstream (it stays in the archive).
    pub fn mark_deleted(&mut self, url: &str) {
        if let Some(id) = self.known.by_url.get(url).cloned()
            && let Some(e) = self.known.entries.get_mut(&id)
            && e.deleted_at.is_none()
        {
            e.deleted_at = Some(now());
            if let Err(err) = self.archive.save_entry(e) {
                self.summary.write_failures.push(err.to_string());
            }
        }
    }

    /// Records a source's observation in the archive and writes the entry. `via` is a URL the
    /// issue was reached at besides its own (a short link), kept as an alias.
    pub fn store(&mut self, source: SourceKind, obs: Observation, via: Option<&str>) {
        let Some(id) = obs.report.issue_id() else { return };
        let name = label(&obs.report);
        let old = self.known.entries.get(&id);
        let is_new = old.is_none();
        let Some(mut entry) = observe(old, source, obs, now(), via) else {
            return;
        };
        let others: Vec<&Report> = self
            .known
            .entries
            .iter()
            .filter(|(k, _)| **k != id)
            .map(|(_, e)| &e.report)
            .collect();
        entry.check_history(&others);
        note_figure_warnings(self.summary, &name, old, &entry);
        // Only a changed record counts as an update (not a new alias or fetch time).
        let same_record = old.is_some_and(|o| {
            o.report == entry.report
                && o.observations.keys().eq(entry.observations.keys())
                && o.wechat_via() == entry.wechat_via()
        });
        match self.archive.save_entry(&entry) {
            Ok(changed) => {
                if is_new {
                    self.summary.new.push(name.clone());
                    self.progress.note(&format!("new: {name}"));
                } else if changed && !same_record {
                    self.summary.updated.push(name);
                } else {
                    self.summary.known += 1;
                }
                self.known.index(&id, &entry);
                self.known.touched.insert(id.clone());
                self.known.entries.insert(id, entry);
            }
            Err(e) => self.summary.write_failures.push(format!("{name}: {e}")),
        }
    }
}

/// Adds the figure warnings `new` has and `old` had not to the run's summary.
pub(crate) fn note_figure_warnings(summary: &mut Summary, name: &str, old: Option<&Entry>, new: &Entry) {
    for w in new.report.warnings.iter().filter(|w| is_figure_warning(w)) {
        if !old.is_some_and(|o| o.report.warnings.contains(w)) {
            summary.figure_warnings.push((name.to_string(), w.clone()));
        }
    }
}

impl SeriesRun<'_> {
    /// Holds the issues archived or changed this run, and their neighbours, against all the
    /// others as they read now, the way `crawl --reextract` does: a record does not depend on the
    /// order its issues were archived in (a crawl goes newest first, so the newest issue had no
    /// neighbour when it was stored). Saves what changed; never drops a figure read from text.
    pub fn settle_history(&mut self) {
        if self.known.touched.is_empty() {
            return;
        }
        let ordinal = |id: &IssueId| i64::from(id.year) * 60 + i64::from(id.issue);
        let near = crate::consistency::HISTORY_NEIGHBOURS as i64;
        let touched: Vec<i64> = self.known.touched.iter().map(ordinal).collect();
        // Every issue as its sources give it, before any history check.
        let bases: Vec<(IssueId, Report)> = self
            .known
            .entries
            .iter()
            .map(|(id, e)| {
                let mut b = e.clone();
                b.reassemble();
                (id.clone(), b.report)
            })
            .collect();
        let mut ids: Vec<IssueId> = bases
            .iter()
            .map(|(id, _)| id.clone())
            .filter(|id| touched.iter().any(|t| (ordinal(id) - t).abs() <= near))
            .collect();
        ids.sort_by_key(|id| std::cmp::Reverse(ordinal(id)));
        for id in ids {
            let Some(old) = self.known.entries.get(&id) else {
                continue;
            };
            let mut new = old.clone();
            new.reassemble();
            let others: Vec<&Report> = bases.iter().filter(|(k, _)| *k != id).map(|(_, r)| r).collect();
            new.check_history(&others);
            if new.report == old.report && new.figure_sources == old.figure_sources && new.conflicts == old.conflicts {
                continue;
            }
            let drops_text =
                old.report.metrics.keys().any(|k| {
                    !new.report.metrics.contains_key(k) && old.figure_sources.get(k) != Some(&SourceKind::Ocr)
                });
            if drops_text {
                continue;
            }
            if new.report.metrics != old.report.metrics || new.report.assessment != old.report.assessment {
                new.updated = now();
            }
            let name = label(&new.report);
            note_figure_warnings(self.summary, &name, Some(old), &new);
            match self.archive.save_entry(&new) {
                Ok(_) => {
                    self.known.entries.insert(id, new);
                }
                Err(e) => self.summary.write_failures.push(format!("{name}: {e}")),
            }
        }
    }
}
