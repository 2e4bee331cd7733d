//! `import`: adds files saved by hand when the crawler is blocked (WeChat article pages, the
//! website's detail pages, report PDFs: whatever `extract` reads) to the archive, each as the
//! observation of its source, and says per file what became of it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use url::Url;

use crate::archive::Archive;
use crate::assemble::{Observation, SourceKind};
use crate::cli::{ImportArgs, Outcome, Verbosity, usage, writable_dir};
use crate::config::Config;
use crate::crawl::{CrawlOptions, Known, SeriesRun, Silent, Summary, label};
use crate::fetch::Fetcher;

/// Imports `args.files` into `args.data`: one line per file, in order (what was imported on
/// stdout, unless quiet; a refusal on stderr as `error: FILE: why`), then a summary on stderr.
/// Fails (exit 1) when a file was refused or a write failed; the other files are imported.
pub fn run_import(config: &Config, args: &ImportArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    writable_dir("--data", &args.data)?;
    let url = given_url(args)?;
    let archive = Archive::new(&args.data);
    let mut importer = Importer::new(config, &archive)?;
    let mut refused = 0usize;
    for path in &args.files {
        let input = path.display().to_string();
        match importer.file(path, url.as_ref()) {
            Ok(line) if !verbosity.quiet => println!("{input}: {line}"),
            Ok(_) => {}
            Err(why) => {
                refused += 1;
                eprintln!("error: {input}: {why}");
            }
        }
    }
    let written_per_file = importer.summary.write_failures.len();
    let s = importer.finish();
    // Rewrites of neighbouring issues after their history was checked again.
    for w in &s.write_failures[written_per_file.min(s.write_failures.len())..] {
        eprintln!("error: {w}");
    }
    if !verbosity.quiet {
        let unwritten = s.write_failures.len();
        let unwritten = if unwritten > 0 {
            format!(", {unwritten} not written")
        } else {
            String::new()
        };
        eprintln!(
            "import: {} new, {} updated, {} unchanged, {} refused{unwritten}",
            s.new.len(),
            s.updated.len(),
            s.known,
            refused.saturating_sub(written_per_file)
        );
        for (issue, w) in &s.figure_warnings {
            eprintln!("  figure warning: {issue}: {w}");
        }
    }
    Ok(Outcome::failed_if(refused > 0 || !s.write_failures.is_empty()))
}

/// `--url`, checked: an http(s) URL, given with one file.
fn given_url(args: &ImportArgs) -> anyhow::Result<Option<Url>> {
    let Some(text) = &args.url else {
        return Ok(None);
    };
    let arg = format!("--url {text}");
    if args.files.len() != 1 {
        return Err(usage(
            arg,
            "says where one FILE came from; give one FILE with it (import the others separately)",
        ));
    }
    match Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(u)),
        _ => Err(usage(arg, "must be an http or https URL")),
    }
}

/// One import run: the archive's view of every series, and what happened.
struct Importer<'a> {
    config: &'a Config,
    archive: &'a Archive,
    fetcher: Arc<Fetcher>,
    opts: CrawlOptions,
    summary: Summary,
    known: HashMap<String, Known>,
}

impl<'a> Importer<'a> {
    /// Loads the archive's view of every configured series.
    fn new(config: &'a Config, archive: &'a Archive) -> anyhow::Result<Importer<'a>> {
        let mut known = HashMap::new();
        for series in &config.series {
            known.insert(series.id.clone(), Known::load(archive, &series.id)?);
        }
        Ok(Importer {
            config,
            archive,
            // An import fetches nothing: the client is there because a run has one.
            fetcher: Arc::new(Fetcher::new(&config.fetch, Vec::new())?),
            opts: CrawlOptions::default(),
            summary: Summary::default(),
            known,
        })
    }

    /// Imports one file: what became of it, or why it was refused (without the file's name).
    fn file(&mut self, path: &Path, url: Option<&Url>) -> Result<String, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
        let input = path.display().to_string();
        let (kind, obs) = crate::sources::import_document(&bytes, url, &input, self.config)?;
        let (name, what, id) = (label(&obs.report), describe(kind, &obs), obs.report.issue_id());
        let series = obs
            .report
            .series
            .as_deref()
            .and_then(|id| self.config.series(id))
            .ok_or_else(|| format!("{name} is of no configured series"))?;
        let Some(known) = self.known.remove(&series.id) else {
            return Err(format!("{name} is of no configured series"));
        };
        let before = (
            self.summary.new.len(),
            self.summary.updated.len(),
            self.summary.write_failures.len(),
        );
        let mut run = self.series_run(series, known);
        let mut notes = run.store_import(kind, obs);
        let archived = id.as_ref().and_then(|id| run.known.entries.get(id));
        notes.extend(
            archived
                .and_then(|e| e.observations.get(&SourceKind::Website))
                .and_then(pdf_hint),
        );
        let known = run.known;
        self.known.insert(series.id.clone(), known);
        let s = &self.summary;
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(": {}", notes.join("; "))
        };
        if s.write_failures.len() > before.2 {
            let why = s.write_failures.last().map(String::as_str).unwrap_or_default();
            let why = why.strip_prefix(&format!("{name}: ")).unwrap_or(why);
            return Err(format!("{name} from {what} was not archived: {why}"));
        }
        Ok(if s.new.len() > before.0 {
            format!("new issue {name}, from {what}{notes}")
        } else if s.updated.len() > before.1 {
            format!("updated {name} with {what}{notes}")
        } else {
            format!("unchanged: {name}, {what}{notes}")
        })
    }

    /// A run of one series over the archive's view of it (`known`), fetching nothing.
    fn series_run<'s>(&'s mut self, series: &'a crate::config::Series, known: Known) -> SeriesRun<'s> {
        SeriesRun {
            config: self.config,
            series,
            archive: self.archive,
            fetcher: self.fetcher.clone(),
            opts: &self.opts,
            progress: &Silent,
            summary: &mut self.summary,
            known,
            state: Default::default(),
            limit: usize::MAX,
        }
    }

    /// Holds the issues imported, and their neighbours, against the rest of their series (as a
    /// crawl does at its end), and returns what happened.
    fn finish(mut self) -> Summary {
        for series in &self.config.series {
            let Some(known) = self.known.remove(&series.id) else {
                continue;
            };
            let mut run = self.series_run(series, known);
            run.settle_history();
        }
        self.summary
    }
}

/// What a file was read as, for people.
fn describe(kind: SourceKind, obs: &Observation) -> &'static str {
    match kind {
        SourceKind::Wechat => "the WeChat article",
        SourceKind::Website if obs.pdf_text.is_some() => "the website's PDF",
        SourceKind::Website => "the website's detail page",
        SourceKind::Ocr => "the pictures",
    }
}

/// The website's observation of an issue lacks the text of the PDF it links: say where the figures are.
fn pdf_hint(obs: &Observation) -> Option<String> {
    let pdf = obs.report.pdf.as_deref()?;
    (obs.pdf_text.is_none() && obs.report.metrics.is_empty())
        .then(|| format!("the page states no figures, its PDF does: import the PDF too ({pdf})"))
}
