//! The interface every source implements, and the one the frontier drives: discovery, fetching
//! and reading belong to the source; budgets, dedupe, failures and the archive to the frontier.

use std::future::Future;
use std::pin::Pin;

use super::{CrawlOptions, SeriesRun};
use crate::assemble::{Observation, SourceKind};
use crate::config::Config;
use crate::fetch::HostPolicy;
use crate::report::Report;

/// A source's run over one series, as a future borrowing the run.
pub type SourceRun<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// What a source made of a saved file (`import`).
#[derive(Debug)]
pub enum Imported {
    /// The source does not read such files.
    NotMine,
    /// The source reads such files, but this one is not an issue it can archive: why.
    Refused(String),
    /// An issue, ready for the archive.
    Read(Box<Observation>),
}

/// One place an issue is read from (WeChat, the website, the pictures of an issue).
///
/// A source owns its discovery, its fetch policy ([`Source::hosts`]: which hosts, how polite,
/// what a block looks like) and its reading (bytes → [`Observation`]). It reports what it reads
/// through [`SeriesRun::store`] and [`SeriesRun::fail`]; the frontier keeps the archive, the
/// failure state, the budget and the summary. Sources run one after another, in the order given,
/// so a later one (the pictures) sees what the earlier ones archived.
pub trait Source: Send + Sync {
    /// The archive's name for what this source observes.
    fn kind(&self) -> SourceKind;

    /// The hosts this source fetches from, and how.
    fn hosts(&self) -> Vec<HostPolicy>;

    /// Whether this run reads this source (`--sources`, `--no-ocr`, the config).
    fn selected(&self, opts: &CrawlOptions, _config: &Config) -> bool {
        opts.reads(self.kind())
    }

    /// Discovers, fetches and reads the series' issues from this source.
    fn run<'a, 'b: 'a>(&'a self, run: &'a mut SeriesRun<'b>) -> SourceRun<'a>;

    /// Reads a stored observation again with the current config (offline), when it kept what
    /// it was read from; `None` when it kept nothing to read.
    fn reread(&self, _observation: &Observation, _config: &Config) -> Option<Report> {
        None
    }

    /// Reads a saved file (a page saved from a browser).
    fn import(&self, _bytes: &[u8], _config: &Config) -> Imported {
        Imported::NotMine
    }
}
