//! `check`: the config was loaded and built already (every error is reported with file and line
//! before a command runs); this warns about overlapping patterns and says what the file holds.

use crate::cli::init::ConfigOrigin;
use crate::cli::{Outcome, Verbosity};
use crate::config::Config;

/// Warns (stderr) about patterns of one series that overlap, then prints a one-line summary of
/// the config (stdout, naming the file or the built-in config it came from) unless quiet.
pub fn run_check(config: &Config, origin: &ConfigOrigin, verbosity: Verbosity) -> Outcome {
    let name = origin.name();
    for series in &config.series {
        for w in series.pattern_overlaps() {
            eprintln!("warning: {name}: series '{}': {w}", series.id);
        }
    }
    if !verbosity.quiet {
        println!(
            "{name}: OK ({} series, {} metrics, {} notify targets)",
            config.series.len(),
            config.series.iter().map(|s| s.metrics.len()).sum::<usize>(),
            config.notify.len()
        );
    }
    Outcome::Done
}
