//! How the issues a run read compare with the ones before them: their figures against the usual
//! count, the figures the previous issues all had and this one lacks, and, for each, whether a
//! source that used to state it was read and no pattern matched (the wording changed: the
//! sentences that now hold a number of its unit are quoted, as `explain` shows them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RunFacts;
use crate::archive::Entry;
use crate::assemble::SourceKind;
use crate::config::Series;
use crate::consistency::is_figure_warning;
use crate::explain::readings_of_entry;
use crate::extract::untaken;

/// Sentences quoted per missing figure at most.
const MAX_QUOTED: usize = 3;

/// One issue against the issues before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueHealth {
    /// `2024/43`.
    pub issue: String,
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `new` (archived this run, newer than every issue archived before), `backfilled`
    /// (archived this run, older than an issue archived before), `updated` (changed this run) or
    /// `unchanged` (the newest issue, not touched this run).
    pub state: String,
    /// Whether it is the archive's newest issue.
    pub newest: bool,
    /// Figures the record has.
    pub figures: usize,
    /// Of them, by the source they came from.
    pub by_source: BTreeMap<String, usize>,
    /// The figures of the issues before it, nearest first.
    pub previous: Vec<usize>,
    /// The median of `previous`, when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usual: Option<usize>,
    /// Figures every one of the previous issues had and this one lacks.
    pub missing: Vec<Missing>,
    /// The record's warnings about figures (left out and why, far outside the history, sources
    /// disagreeing).
    pub left_out: Vec<String>,
    /// Its other warnings.
    pub warnings: Vec<String>,
}

/// A figure the previous issues had and this one lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    /// The metric key.
    pub key: String,
    /// Its label.
    pub label: String,
    /// Why, as far as can be told: `left out` (read and refused, see `left_out`), `not read yet`
    /// (the source that used to state it was not read for this issue), `no pattern matched`.
    pub why: String,
    /// The source whose text no pattern of it matched (with `no pattern matched`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Sentences of that text holding a number of its unit that no pattern took: where the
    /// figure probably is now.
    pub sentences: Vec<String>,
}

impl IssueHealth {
    /// Its alerts as (id, message): fewer figures than usual, and each figure no pattern matched.
    /// Only the newest issue and issues newer than the archive had raise alerts: a backfill of
    /// old issues is reported, not alerted.
    pub(super) fn alerts(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if !self.newest && self.state != "new" {
            return out;
        }
        if let Some(usual) = self.usual
            && self.figures < usual
        {
            let missing: Vec<&str> = self.missing.iter().map(|m| m.key.as_str()).collect();
            out.push((
                format!("few_figures:{}", self.issue),
                format!(
                    "{} has {} figures where the {} issues before it had {usual} (median){}",
                    self.issue,
                    self.figures,
                    self.previous.len(),
                    if missing.is_empty() {
                        String::new()
                    } else {
                        format!("; missing: {}", missing.join(", "))
                    }
                ),
            ));
        }
        let unmatched: Vec<&Missing> = self.missing.iter().filter(|m| m.why == "no pattern matched").collect();
        if !unmatched.is_empty() {
            let each: Vec<String> = unmatched
                .iter()
                .map(|m| {
                    let quoted = match m.sentences.first() {
                        Some(_) if unmatched.len() == 1 => {
                            format!(": the number is probably in {}", m.sentences.join(" / "))
                        }
                        Some(s) => format!(": perhaps {s}"),
                        None => String::new(),
                    };
                    format!(
                        "{} ({}) in the {} text{quoted}",
                        m.key,
                        m.label,
                        m.source.as_deref().unwrap_or("?")
                    )
                })
                .collect();
            out.push((
                format!("reworded:{}", self.issue),
                format!(
                    "{}: no pattern matched {}, though the {} issues before it all had {}; the wording may have changed: `cncert-feed explain {}` shows the text, then adjust the patterns in config.yaml",
                    self.issue,
                    each.join("; "),
                    self.previous.len(),
                    if unmatched.len() == 1 { "it" } else { "them" },
                    self.issue
                ),
            ));
        }
        out
    }
}

/// An entry's index and its `(year, issue)`.
type Numbered = (usize, (i32, u32));

/// Issues a report lists at most (a backfill touches hundreds): the newest first.
pub const MAX_ISSUES: usize = 30;

/// The issues archived or changed this run and the newest issue, newest first (at most
/// [`MAX_ISSUES`]), each against the `n` issues before it; and how many more were touched.
pub(super) fn assess(series: &Series, entries: &[Entry], ran: &RunFacts, n: usize) -> (Vec<IssueHealth>, usize) {
    let numbered: Vec<Numbered> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| Some((i, (e.report.year?, e.report.issue?))))
        .collect();
    let newest = numbered.last().map(|(_, id)| *id);
    // The newest issue archived before this run: new issues older than it are a backfill (on a
    // first run, every issue but the newest).
    let before_run = numbered
        .iter()
        .rev()
        .map(|(_, id)| *id)
        .find(|id| !ran.new.contains(id))
        .or(newest);
    let listed: Vec<(usize, &Numbered)> = numbered
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, (_, id))| ran.touched.contains(id) || Some(*id) == newest)
        .collect();
    let more = listed.len().saturating_sub(MAX_ISSUES);
    let issues = listed
        .into_iter()
        .take(MAX_ISSUES)
        .map(|(pos, (i, id))| {
            let before: Vec<&Entry> = numbered[..pos]
                .iter()
                .rev()
                .take(n)
                .map(|(j, _)| &entries[*j])
                .collect();
            let state = if ran.new.contains(id) {
                if before_run.is_some_and(|b| *id < b) {
                    "backfilled"
                } else {
                    "new"
                }
            } else if ran.touched.contains(id) {
                "updated"
            } else {
                "unchanged"
            };
            let mut h = issue_health(series, &entries[*i], &before, state);
            h.newest = Some(*id) == newest;
            h
        })
        .collect();
    (issues, more)
}

/// One issue against `before` (nearest first).
fn issue_health(series: &Series, entry: &Entry, before: &[&Entry], state: &str) -> IssueHealth {
    let r = &entry.report;
    let previous: Vec<usize> = before.iter().map(|e| e.report.metrics.len()).collect();
    let mut by_source: BTreeMap<String, usize> = BTreeMap::new();
    for (key, source) in &entry.figure_sources {
        if r.metrics.contains_key(key) {
            *by_source.entry(source.as_str().to_string()).or_default() += 1;
        }
    }
    let (left_out, warnings): (Vec<String>, Vec<String>) =
        r.warnings.iter().cloned().partition(|w| is_figure_warning(w));
    let lacking: Vec<&crate::config::Metric> = series
        .metrics
        .iter()
        .filter(|m| !r.metrics.contains_key(&m.key))
        .filter(|m| !before.is_empty() && before.iter().all(|e| e.report.metrics.contains_key(&m.key)))
        .collect();
    let readings = if lacking.is_empty() {
        Vec::new()
    } else {
        readings_of_entry(entry, series)
    };
    let missing = lacking
        .iter()
        .map(|m| {
            // The sources that stated it before: was one of them read for this issue?
            let stated_by: Vec<SourceKind> = before
                .iter()
                .filter_map(|e| e.figure_sources.get(&m.key).copied())
                .collect();
            let read: Vec<&crate::explain::Reading> =
                readings.iter().filter(|rd| stated_by.contains(&rd.source)).collect();
            let refused = left_out.iter().any(|w| w.contains(&m.key))
                || readings.iter().any(|rd| {
                    rd.figures.left_out.contains_key(&m.key) || rd.figures.matches.iter().any(|f| f.key == m.key)
                });
            let (why, source, sentences) = if refused {
                ("left out", None, Vec::new())
            } else if let Some(rd) = read.first() {
                let sentences: Vec<String> = untaken(&rd.figures)
                    .into_iter()
                    .filter(|s| m.unit.is_empty() || s.contains(m.unit.as_str()))
                    .filter(|s| shares_a_word(s, &m.label))
                    .take(MAX_QUOTED)
                    .collect();
                ("no pattern matched", Some(rd.source.as_str().to_string()), sentences)
            } else {
                ("not read yet", None, Vec::new())
            };
            Missing {
                key: m.key.clone(),
                label: m.label.clone(),
                why: why.to_string(),
                source,
                sentences,
            }
        })
        .collect();
    IssueHealth {
        issue: format!("{}/{}", r.year.unwrap_or(0), r.issue.unwrap_or(0)),
        title: r.title.clone(),
        state: state.to_string(),
        newest: false,
        figures: r.metrics.len(),
        by_source,
        usual: median(&previous),
        previous,
        missing,
        left_out,
        warnings,
    }
}

/// Whether `sentence` holds two characters in a row of `label` (境内被篡改网站 → 篡改): a
/// sentence about something else is not quoted as the figure's new wording.
fn shares_a_word(sentence: &str, label: &str) -> bool {
    let chars: Vec<char> = label.chars().collect();
    chars
        .windows(2)
        .any(|w| !w.iter().any(|c| c.is_ascii_punctuation()) && sentence.contains(&w.iter().collect::<String>()))
}

/// The median (the lower middle of an even count).
fn median(v: &[usize]) -> Option<usize> {
    let mut s = v.to_vec();
    s.sort_unstable();
    s.get(s.len().checked_sub(1)? / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_is_quoted_only_when_it_shares_a_word_with_the_label() {
        assert!(shares_a_word("境内被«篡改»的网站数量为123个", "境内被篡改网站"));
        assert!(!shares_a_word("超«1.84亿条»账号密码记录泄露", "境内被篡改网站"));
    }

    #[test]
    fn median_is_the_lower_middle() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[16]), Some(16));
        assert_eq!(median(&[16, 12, 16, 16, 9]), Some(16));
        assert_eq!(median(&[9, 12]), Some(9));
    }
}
