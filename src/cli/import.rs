//! `import`: adds saved pages (e.g. saved from a browser when the crawler is blocked) to the
//! archive.

use crate::archive::Archive;
use crate::cli::{ImportArgs, Outcome, Verbosity, print_summary, writable_dir};
use crate::config::Config;

/// Imports `args.files` into `args.data`, prints the summary and, unless quiet, `imported …` per
/// new issue (stdout). Fails (exit 1) when a write failed or a file could not be imported.
pub fn run_import(config: &Config, args: &ImportArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    writable_dir("--data", &args.data)?;
    let archive = Archive::new(&args.data);
    let s = crate::crawl::import(config, &archive, &crate::sources::all(), &args.files)?;
    if print_summary(&s, verbosity.quiet) == Outcome::Failed {
        return Ok(Outcome::Failed);
    }
    for n in &s.new {
        if !verbosity.quiet {
            println!("imported {n}");
        }
    }
    Ok(Outcome::failed_if(!s.failed.is_empty()))
}
