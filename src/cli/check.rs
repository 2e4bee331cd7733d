//! `check`: the config was loaded and built already (every error is reported with file and line
//! before a command runs); this warns about overlapping patterns and says what the file holds.

use std::path::Path;

use crate::cli::{Outcome, Verbosity};
use crate::config::Config;

/// Warns (stderr) about patterns of one series that overlap, then prints a one-line summary of
/// the config at `path` (stdout) unless quiet.
pub fn run_check(config: &Config, path: &Path, verbosity: Verbosity) -> Outcome {
    for series in &config.series {
        for w in series.pattern_overlaps() {
            eprintln!("warning: {}: series '{}': {w}", path.display(), series.id);
        }
    }
    if !verbosity.quiet {
        println!(
            "{}: OK ({} series, {} metrics, {} notify targets)",
            path.display(),
            config.series.len(),
            config.series.iter().map(|s| s.metrics.len()).sum::<usize>(),
            config.notify.len()
        );
    }
    Outcome::Done
}
