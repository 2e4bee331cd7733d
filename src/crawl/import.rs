//! `import`: saved files (pages saved from a browser when the crawler is blocked) read by the
//! source that reads them, with the same archive rules as fetched pages.

use std::sync::Arc;

use super::{CrawlOptions, Imported, Known, SeriesRun, Silent, Source, Summary};
use crate::archive::Archive;
use crate::config::Config;
use crate::error::Result;
use crate::fetch::Fetcher;

/// Imports saved files: each is offered to the sources in order; the first that reads it decides.
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
                    .push((path.display().to_string(), format!("cannot read: {e}")));
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
        run.store(kind, *obs, None);
    }
    Ok(summary)
}
