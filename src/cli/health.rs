//! The health report after a crawl: written into the archive (`data/<series>/health.json`), its
//! alerts printed, and, in GitHub Actions, its Markdown appended to the job summary
//! (`$GITHUB_STEP_SUMMARY`) and each alert raised as a `::warning` annotation.

use std::io::Write as _;
use std::path::Path;

use crate::archive::Archive;
use crate::config::Config;
use crate::crawl::Summary;
use crate::health;

/// Assesses the run and reports it; `false` when the report could not be written.
pub fn report_health(config: &Config, archive: &Archive, summary: &Summary, quiet: bool) -> bool {
    let reports = match health::assess(config, archive, summary, crate::crawl::now()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: the health report could not be made: {e}");
            return false;
        }
    };
    let mut ok = true;
    for h in &reports {
        if let Err(e) = health::save(archive, h) {
            eprintln!("error: {e}");
            ok = false;
        }
        if !quiet {
            for a in &h.alerts {
                eprintln!("health: {}: {}", h.series, a.message);
            }
        }
    }
    let github = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    if github {
        let mut out = std::io::stdout().lock();
        for line in reports.iter().flat_map(health::annotations) {
            let _ = writeln!(out, "{line}");
        }
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let md: String = reports.iter().map(health::markdown).collect::<Vec<_>>().join("\n");
        if let Err(e) = append(Path::new(&path), &md) {
            // The job summary is a courtesy: the report itself is in the archive.
            eprintln!(
                "warning: could not append the health report to GITHUB_STEP_SUMMARY ({}): {e}",
                Path::new(&path).display()
            );
        }
    }
    ok
}

/// Appends `text` to the file at `path`.
fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")
}
