//! The durable store under `data/`: one pretty JSON file per issue (`<series>/<year>/<issue>.json`,
//! sorted keys) and `<series>/state.json` (failures, aliases, discovery validators, what was
//! announced). Every write is atomic (temp file + rename) and skipped when nothing changed;
//! nothing is ever removed because a later fetch failed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::assemble::{Observation, ReadVia, SourceKind, SourceRef, assemble};
use crate::error::{Error, Result};
use crate::fetch::Validators;
use crate::report::{IssueId, MetricValue, Report};

/// The version of the archive's file format this build writes.
pub const SCHEMA_VERSION: u32 = 2;

/// How a version-1 file said where its report came from (kept to read old files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LegacySource {
    Page,
    Feed,
    Import,
}

/// One archived issue: the assembled record plus what each source observed of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The assembled report (its fields are stored at the top level of the file).
    #[serde(flatten)]
    pub report: Report,
    /// The file format's version (1 when absent: files written before sources were merged).
    #[serde(default = "schema_v1")]
    pub schema_version: u32,
    /// Every place the issue was read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceRef>,
    /// The origin of every figure and of the assessment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub figure_sources: BTreeMap<String, SourceKind>,
    /// Values other sources stated differently, by figure and source.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conflicts: BTreeMap<String, BTreeMap<SourceKind, MetricValue>>,
    /// What each source observed, as read (the record is assembled from these).
    #[serde(default)]
    pub observations: BTreeMap<SourceKind, Observation>,
    /// When the report was first archived.
    pub first_seen: DateTime<FixedOffset>,
    /// When a source was last read.
    pub fetched_at: DateTime<FixedOffset>,
    /// When the figures or assessment last changed (the feeds' `updated`).
    pub updated: DateTime<FixedOffset>,
    /// The body to show (WeChat's article, else the website page's text), sanitized. Derived from
    /// the observations; read from version-1 files, never written.
    #[serde(default, skip_serializing)]
    pub content_html: Option<String>,
    /// Version 1: where the report came from.
    #[serde(default, rename = "source", skip_serializing)]
    legacy_source: Option<LegacySource>,
    /// When the WeChat article was found deleted by its publisher (the entry is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<FixedOffset>>,
    /// Other URLs (short links) that reached this issue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The version the file had when it was loaded, when it was older than this build's.
    #[serde(skip)]
    pub upgraded_from: Option<u32>,
}

fn schema_v1() -> u32 {
    1
}

impl Entry {
    /// The issue identity (entries are always reports with series, year and issue).
    pub fn id(&self) -> Option<IssueId> {
        self.report.issue_id()
    }

    /// A new entry from one source's observation, stored as given (bodies are expected sanitized).
    pub fn new(source: SourceKind, observation: Observation, now: DateTime<FixedOffset>) -> Entry {
        let mut observations = BTreeMap::new();
        let published = observation.report.published;
        observations.insert(source, observation);
        let mut entry = Entry {
            report: Report::default(),
            schema_version: SCHEMA_VERSION,
            sources: Vec::new(),
            figure_sources: BTreeMap::new(),
            conflicts: BTreeMap::new(),
            observations,
            first_seen: now,
            fetched_at: now,
            // Figures are as old as the article itself when first seen.
            updated: published.map(|p| p.min(now)).unwrap_or(now),
            content_html: None,
            legacy_source: None,
            deleted_at: None,
            aliases: Vec::new(),
            upgraded_from: None,
        };
        entry.reassemble();
        entry
    }

    /// How the WeChat copy was read, if there is one.
    pub fn wechat_via(&self) -> Option<ReadVia> {
        self.observations.get(&SourceKind::Wechat).map(|o| o.via)
    }

    /// Upgrades a version-1 entry (one WeChat record) to observations; true when it changed.
    /// Every field of the old record is kept: the record becomes the WeChat observation.
    pub fn upgrade(&mut self) -> bool {
        if self.schema_version >= SCHEMA_VERSION && !self.observations.is_empty() {
            // The stored record stays as written (with its history warnings); only the body to
            // show, which is not stored twice, is derived, and the PDF records among pictures
            // stored before records said so are recognised.
            if let Some(o) = self.observations.get_mut(&SourceKind::Ocr) {
                crate::picture::PictureText::mark_legacy_pdf_records(&mut o.pictures);
            }
            self.content_html = assemble(&self.observations).content_html;
            return false;
        }
        let via = match self.legacy_source.take() {
            Some(LegacySource::Feed) => ReadVia::Feed,
            Some(LegacySource::Import) => ReadVia::Import,
            _ => ReadVia::Page,
        };
        if self.observations.is_empty() {
            self.observations.insert(
                SourceKind::Wechat,
                Observation {
                    content_html: self.content_html.take(),
                    ..Observation::new(self.report.clone(), via, self.fetched_at)
                },
            );
        }
        self.upgraded_from = Some(self.schema_version);
        self.schema_version = SCHEMA_VERSION;
        self.reassemble();
        true
    }

    /// Holds the record's figures against the rest of the series: a figure far outside the
    /// neighbouring issues gets a warning, and is left out when it was read from a picture.
    pub fn check_history(&mut self, others: &[&Report]) {
        let sources = &self.figure_sources;
        let removed =
            crate::consistency::check_history(&mut self.report, others, |k| sources.get(k) == Some(&SourceKind::Ocr));
        for k in removed {
            self.figure_sources.remove(&k);
        }
    }

    /// Recomputes the record, sources, figure origins and conflicts from the observations.
    pub fn reassemble(&mut self) {
        let a = assemble(&self.observations);
        self.report = a.report;
        self.sources = a.sources;
        self.figure_sources = a.figure_sources;
        self.conflicts = a.conflicts;
        self.content_html = a.content_html;
    }
}

/// Why a URL is not (or not yet) archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `deleted`, `unavailable`, `param_error`, `not_found`, `too_large`, `other_article`, `transient`.
    pub kind: String,
    /// What happened, for people.
    pub reason: String,
    /// When it was seen.
    pub at: DateTime<FixedOffset>,
    /// Whether it failed for good (not retried by later runs).
    pub permanent: bool,
    /// For `before_since`: the `since` it was older than (a changed `since` reads it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<chrono::NaiveDate>,
    /// The issue the URL belongs to, `YEAR/ISSUE` (`2024/43`), where that is known (a website
    /// page the listing named, an issue's PDF): `crawl --retry-failed 2024/43` selects it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
}

/// How far the last walk of a listing went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingWalk {
    /// Issues the walk went through (archived or read), newest first.
    #[serde(default)]
    pub reached: usize,
    /// It reached the listing's last page (or the series' `since`).
    #[serde(default)]
    pub ended: bool,
    /// The listing page where a failure cut the walk short: the next run goes on from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_at: Option<String>,
}

/// `state.json`: what the crawler and notifier remember besides the issues.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Failed URLs and why.
    #[serde(default)]
    pub failed: BTreeMap<String, Failure>,
    /// Short links and the canonical URL they reach.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Validators of discovery sources, for conditional requests.
    #[serde(default)]
    pub discovery: BTreeMap<String, Validators>,
    /// Per website listing, how far the last walk went.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub listings: BTreeMap<String, ListingWalk>,
    /// Per chat target, the issue keys (`year-issue`) announced.
    #[serde(default)]
    pub announced: BTreeMap<String, Vec<String>>,
    /// Per published feed URL, what a WebSub hub was last told about it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pinged: BTreeMap<String, Pinged>,
}

/// A feed a WebSub hub was told about: which hub, and the SHA-256 of the file it then was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinged {
    /// The hub's URL.
    pub hub: String,
    /// SHA-256 of the published file, hex.
    pub sha256: String,
    /// When (RFC 3339).
    pub at: String,
}

/// The archive rooted at a data directory.
#[derive(Debug, Clone)]
pub struct Archive {
    root: PathBuf,
}

/// Whether a series id is one path segment of the archive (lowercase letters, digits, `-`, `_`).
fn safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Serializes to pretty JSON with sorted keys and a final newline.
pub fn to_sorted_json<T: Serialize>(value: &T) -> Result<String> {
    let v = serde_json::to_value(value).map_err(|e| Error::Serialize {
        what: "an archive file".into(),
        message: e.to_string(),
    })?;
    let mut s = serde_json::to_string_pretty(&v).map_err(|e| Error::Serialize {
        what: "an archive file".into(),
        message: e.to_string(),
    })?;
    s.push('\n');
    Ok(s)
}

/// Writes `content` to `path` atomically (temp file in the same directory, fsync, rename).
/// Returns false, and touches nothing, when the file already holds exactly that content.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    let err = |cause| Error::WriteFile {
        path: path.to_path_buf(),
        cause,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(true)
}

impl Archive {
    /// An archive in `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Archive {
        Archive { root: root.into() }
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of one issue.
    pub fn entry_path(&self, id: &IssueId) -> PathBuf {
        self.root
            .join(&id.series)
            .join(id.year.to_string())
            .join(format!("{}.json", id.issue))
    }

    /// The state file of a series.
    pub fn state_path(&self, series: &str) -> PathBuf {
        self.root.join(series).join("state.json")
    }

    /// Loads every entry of a series, oldest first. A file that is not valid JSON is an error naming it.
    pub fn load_series(&self, series: &str) -> Result<Vec<Entry>> {
        let dir = self.root.join(series);
        let mut entries = Vec::new();
        let Ok(years) = std::fs::read_dir(&dir) else {
            return Ok(entries);
        };
        for year in years.flatten() {
            if !year.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let files = std::fs::read_dir(year.path()).map_err(|cause| Error::ReadFile {
                path: year.path(),
                cause,
            })?;
            for file in files.flatten() {
                let path = file.path();
                let is_json = path.extension().is_some_and(|e| e == "json");
                let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
                if !is_json || hidden {
                    continue;
                }
                let text = std::fs::read_to_string(&path).map_err(|cause| Error::ReadFile {
                    path: path.clone(),
                    cause,
                })?;
                let mut entry: Entry = serde_json::from_str(&text).map_err(|cause| Error::BadJson {
                    path: path.clone(),
                    cause,
                })?;
                // A file's place is its identity: a record that says otherwise is not trusted
                // to name where it would be written.
                let placed = IssueId {
                    series: series.to_string(),
                    year: year.file_name().to_string_lossy().parse().unwrap_or(0),
                    issue: path
                        .file_stem()
                        .and_then(|s| s.to_string_lossy().parse().ok())
                        .unwrap_or(0),
                };
                if entry.id().as_ref() != Some(&placed) {
                    return Err(Error::Misplaced {
                        path: path.clone(),
                        says: entry.id().map(|i| i.to_string()).unwrap_or_else(|| "no issue".into()),
                    });
                }
                entry.upgrade();
                entries.push(entry);
            }
        }
        entries.sort_by_key(|e| (e.report.year, e.report.issue));
        Ok(entries)
    }

    /// Loads a series' state (empty when there is none yet).
    pub fn load_state(&self, series: &str) -> Result<State> {
        let path = self.state_path(series);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|cause| Error::BadJson { path, cause }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(cause) => Err(Error::ReadFile { path, cause }),
        }
    }

    /// Writes a series' state atomically.
    pub fn save_state(&self, series: &str, state: &State) -> Result<bool> {
        write_atomic(&self.state_path(series), to_sorted_json(state)?.as_bytes())
    }

    /// Checks that the series' state can be written (before doing something that must be
    /// recorded, such as sending a chat message): a probe file is written next to it and removed.
    pub fn probe_state(&self, series: &str) -> Result<()> {
        let path = self.state_path(series);
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let probe = dir.join(format!(".state.json.probe-{}", std::process::id()));
        let err = |cause| Error::WriteFile {
            path: path.clone(),
            cause,
        };
        std::fs::create_dir_all(&dir).map_err(err)?;
        std::fs::write(&probe, b"").map_err(err)?;
        let _ = std::fs::remove_file(&probe);
        // An existing state.json that is not writable would fail at the rename's target too.
        if path.exists() {
            std::fs::OpenOptions::new().append(true).open(&path).map_err(err)?;
        }
        Ok(())
    }

    /// Writes one entry atomically under the path its issue id gives; false when the file
    /// already held it. An id that could name another place (`..`, `/` in the series) is refused.
    pub fn save_entry(&self, entry: &Entry) -> Result<bool> {
        if let Some(id) = entry.id()
            && !(safe_segment(&id.series) && (1990..=2200).contains(&id.year) && (1..=60).contains(&id.issue))
        {
            return Err(Error::NotAnIssue { what: id.to_string() });
        }
        let id = entry.id().ok_or_else(|| Error::NotAnIssue {
            what: entry
                .report
                .url
                .clone()
                .or_else(|| entry.report.title.clone())
                .unwrap_or_default(),
        })?;
        write_atomic(&self.entry_path(&id), to_sorted_json(entry)?.as_bytes())
    }
}

/// Records what `source` observed of an issue in the archive's entry for it.
/// Returns the entry to store, or `None` when the archive should keep what it has (a discovery
/// feed's copy never replaces a WeChat page that was read).
pub fn observe(
    old: Option<&Entry>,
    source: SourceKind,
    mut observation: Observation,
    now: DateTime<FixedOffset>,
    via_url: Option<&str>,
) -> Option<Entry> {
    observation.content_html = observation.content_html.map(|h| sanitize_body(&h));
    let Some(old) = old else {
        let mut entry = Entry::new(source, observation, now);
        if let Some(v) = via_url {
            entry.aliases.push(v.to_string());
        }
        return Some(entry);
    };
    let mut entry = old.clone();
    entry.upgrade();
    if let Some(prev) = entry.observations.get(&source) {
        if observation.via == ReadVia::Feed && prev.via != ReadVia::Feed {
            return None;
        }
        // A failure never replaces a text: a read whose PDF now fails (404, corrupt, too large)
        // leaves the observation that has the PDF's text as it was (the failure is in the state).
        if prev.pdf_text.is_some() && observation.pdf_text.is_none() && observation.pdf_failure.is_some() {
            return None;
        }
        // What this read could not see is kept from the earlier one.
        if observation.report.published.is_none() {
            observation.report.published = prev.report.published;
        }
        if observation.report.url.is_none() {
            observation.report.url = prev.report.url.clone();
        }
        if observation.content_html.is_none() {
            observation.content_html = prev.content_html.clone();
        }
        if observation.pdf_text.is_none() && observation.pdf_failure.is_none() {
            observation.pdf_text = prev.pdf_text.clone();
            observation.pdf_size = observation.pdf_size.or(prev.pdf_size);
        }
    }
    let before = (entry.report.metrics.clone(), entry.report.assessment.clone());
    // A page fetched now says the article is there; a copy saved earlier does not.
    let undeletes = source == SourceKind::Wechat && observation.via != ReadVia::Import;
    entry.observations.insert(source, observation);
    entry.reassemble();
    entry.fetched_at = now;
    if (entry.report.metrics.clone(), entry.report.assessment.clone()) != before {
        entry.updated = now;
    }
    if undeletes {
        entry.deleted_at = None;
    }
    if let Some(v) = via_url
        && Some(v) != entry.report.url.as_deref()
        && !entry.aliases.iter().any(|a| a == v)
    {
        entry.aliases.push(v.to_string());
    }
    Some(entry)
}

/// Whether a body's tree would cost too much to hand to the sanitizer (html5ever's scope checks
/// take time quadratic in the depth: a body of 100,000 nested `<div>` took minutes).
pub fn too_deep_for_a_tree(html: &str) -> bool {
    use crate::extract::{MAX_DOM_DEPTH, MAX_TREE_WORK, tree_too_costly};
    tree_too_costly(html.as_bytes(), MAX_DOM_DEPTH, MAX_TREE_WORK)
}

/// A body nested too deep for a tree, as its text: one `<p>` a paragraph, read in one linear
/// pass (links and pictures are not kept; such markup is broken or hostile).
fn flat_body(html: &str) -> String {
    crate::extract::read_body(html)
        .paragraphs
        .iter()
        .map(|p| {
            let escaped = p.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            format!("<p>{escaped}</p>\n")
        })
        .collect()
}

/// Sanitizes an article body for storage and feeds: no script, style, iframe, event handlers or
/// `javascript:` URLs; images keep `data-src` (rendering turns it into `src`). A body
/// whose tree would cost too much ([`too_deep_for_a_tree`]) is kept as its text, one paragraph a line.
pub fn sanitize_body(html: &str) -> String {
    if too_deep_for_a_tree(html) {
        return flat_body(html);
    }
    let mut b = ammonia::Builder::default();
    b.add_tags(["section", "figure", "figcaption", "font", "center"])
        .add_tag_attributes(
            "img",
            ["data-src", "src", "alt", "width", "height", "data-ratio", "data-w"],
        )
        .add_tag_attributes("a", ["href", "title"])
        .add_clean_content_tags(["script", "style", "mp-style-type"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"));
    b.clean(html).to_string()
}
