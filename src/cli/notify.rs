//! `notify`: pushes the issues not yet announced to the configured chat targets (or, with
//! `--dry-run`, prints what each would get, and why a target gets nothing).

use anyhow::Context;

use crate::archive::Archive;
use crate::cli::{NotifyArgs, Outcome, Verbosity, current_thread_runtime, readable_dir, writable_dir};
use crate::config::Config;

/// Sends (or prints) the announcements; secrets are read from the environment. Fails (exit 1)
/// when a target refused one (it is retried next run).
pub fn run_notify(config: &Config, args: &NotifyArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    let quiet = verbosity.quiet;
    let data = &args.data;
    if args.dry_run {
        readable_dir("--data", data)?;
    } else {
        writable_dir("--data", data)?;
    }
    let archive = Archive::new(data);
    let opts = crate::notify::NotifyOptions {
        dry_run: args.dry_run,
        backfill: args.backfill,
    };
    let rt = current_thread_runtime()?;
    let env = |name: &str| std::env::var(name).ok();
    let s = rt
        .block_on(crate::notify::notify(config, &archive, &opts, &env))
        .with_context(|| format!("notifying from {}", data.display()))?;
    if args.dry_run {
        print_preview(&s, quiet)?;
    } else if !quiet {
        for line in s.skipped.iter().chain(&s.idle) {
            eprintln!("{line}");
        }
    }
    for (target, title) in &s.sent {
        if !quiet {
            eprintln!("sent to {target}: {title}");
        }
    }
    for (target, title, why) in &s.failed {
        if title.is_empty() {
            eprintln!("error: {target}: {why} (will be retried next run)");
        } else {
            eprintln!("error: {target}: {title}: {why} (will be retried next run)");
        }
    }
    Ok(Outcome::failed_if(!s.failed.is_empty()))
}

/// A dry run on stdout: per target, its notes (`# target: …`) and each payload under
/// `# target → URL · title`; where nothing is to be sent, why. A closing count on stderr.
fn print_preview(s: &crate::notify::NotifySummary, quiet: bool) -> anyhow::Result<()> {
    for line in &s.idle {
        println!("# {line}");
    }
    let mut messages = 0;
    for p in &s.dry {
        for note in &p.notes {
            println!("# {}: {note}", p.target);
        }
        for (title, payload) in &p.payloads {
            println!("# {} → {} · {title}", p.target, p.url);
            println!("{}", serde_json::to_string_pretty(payload)?);
            messages += 1;
        }
    }
    if !quiet {
        let targets = s.dry.iter().filter(|p| !p.payloads.is_empty()).count();
        eprintln!("dry run: {messages} message(s) for {targets} target(s) shown; nothing was sent or recorded");
    }
    Ok(())
}
