//! `render` (the feeds, data files and pages from the archive alone, offline) and `ping` (tell
//! the WebSub hub which published feeds changed).

use std::path::Path;

use anyhow::Context;

use crate::archive::Archive;
use crate::cli::{Outcome, SiteArgs, Verbosity, current_thread_runtime, readable_dir, writable_dir};
use crate::config::Config;

/// `render`: applies `--site-url`/`--websub-hub`, checks the directories, renders.
pub fn run_render(mut config: Config, args: &SiteArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    args.apply(&mut config)?;
    readable_dir("--data", &args.data)?;
    writable_dir("--out", &args.out)?;
    render_to(&config, &args.data, &args.out, verbosity.quiet)?;
    Ok(Outcome::Done)
}

/// Renders the archive at `data` into `out`; says how many files changed unless quiet.
pub fn render_to(config: &Config, data: &Path, out: &Path, quiet: bool) -> anyhow::Result<()> {
    let archive = Archive::new(data);
    let written = crate::publish::render(config, &archive, out)
        .with_context(|| format!("rendering {} into {}", data.display(), out.display()))?;
    for note in &written.notes {
        eprintln!("warning: {note}");
    }
    if !quiet
        && let Some(site) = config
            .site
            .base_url
            .as_ref()
            .filter(|u| crate::notify::websub::is_example_site(u.as_str()))
    {
        eprintln!(
            "note: the feeds name {site} (the shipped config's example site) as their home: set \
             site.base_url in config.yaml, or pass --site-url, to the address they will be served at"
        );
    }
    if !quiet {
        eprintln!(
            "rendered {} files into {} ({} changed)",
            written.total,
            out.display(),
            written.changed
        );
    }
    Ok(())
}

/// `ping`: pings the WebSub hub for each feed that changed, under the URL the feed names as its
/// own (`--site-url` overrides it); fails (exit 1) when the hub refused one (it is retried next
/// run); refuses (exit 2) the example site of the shipped config.
pub fn run_ping(mut config: Config, args: &SiteArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    args.apply(&mut config)?;
    // Only a --site-url given here overrides what the feeds name; site.base_url is the last resort.
    let given = args.site_url.as_deref().is_some_and(|s| !s.trim().is_empty());
    let site_url = given.then(|| config.site.base_url.clone()).flatten();
    let quiet = verbosity.quiet;
    let Some(hub) = config.site.websub_hub.clone() else {
        if !quiet {
            eprintln!("no WebSub hub is configured (site.websub_hub or --websub-hub): nothing to ping");
        }
        return Ok(Outcome::Done);
    };
    readable_dir("--out", &args.out)?;
    writable_dir("--data", &args.data)?;
    let archive = Archive::new(&args.data);
    let rt = current_thread_runtime()?;
    let s = rt.block_on(crate::notify::websub::ping(
        &config,
        &archive,
        &args.out,
        &hub,
        site_url.as_ref(),
    ))?;
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    if !quiet {
        let hub = crate::notify::websub::shown(hub.as_str());
        for u in &s.pinged {
            eprintln!("pinged {hub}: {u}");
        }
        if !s.unchanged.is_empty() {
            eprintln!("{} feed(s) unchanged since the last ping", s.unchanged.len());
        }
    }
    for (u, why) in &s.failed {
        eprintln!("error: {u}: {why} (will be retried next run)");
    }
    Ok(Outcome::failed_if(!s.failed.is_empty()))
}
