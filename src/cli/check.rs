//! `check`: the config was loaded and built already (every error is reported with file and line
//! before a command runs); this warns about overlapping patterns and says what the file holds.

use crate::cli::init::ConfigOrigin;
use crate::cli::{Outcome, Verbosity};
use crate::config::Config;

/// Warns (stderr) about patterns of one series that overlap, then prints a one-line summary of
/// the config (stdout, naming the file or the built-in config it came from) unless quiet.
pub fn run_check(config: &Config, origin: &ConfigOrigin, verbosity: Verbosity) -> Outcome {
    let name = origin.name();
    // Every pattern parsed at load; a run compiles a regex when it first needs it. Here all are
    // compiled, so that one past the regex engine's size limit is named before a run meets it.
    let mut broken = 0usize;
    for series in &config.series {
        let figures = std::iter::once(("assessment", series.assessment.as_slice()))
            .chain(series.metrics.iter().map(|m| (m.key.as_str(), m.patterns.as_slice())));
        for (key, patterns) in figures {
            for p in patterns {
                if let Err(e) = p.compile_now() {
                    broken += 1;
                    eprintln!(
                        "error: {name}: series '{}': {key}'s pattern '{}' cannot be compiled: {e}; make it smaller",
                        series.id, p.source
                    );
                }
            }
        }
    }
    if broken > 0 {
        return Outcome::Failed;
    }
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
