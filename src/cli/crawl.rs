//! `crawl` (discover new issues and follow back-issue links into the archive; or, with
//! `--reextract`, re-apply the patterns to the archive offline) and `build` (crawl, then render).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::archive::Archive;
use crate::cli::render::render_to;
use crate::cli::{
    BuildArgs, CrawlArgs, Outcome, Reporter, Verbosity, apply_base_urls, build_unavailable_line, check_series,
    parse_sources, print_summary, set_site_url, set_websub_hub, unreachable_what, usage, writable_dir,
};
use crate::config::Config;
use crate::crawl::RetrySelector;
use crate::fetch::Fetcher;

impl CrawlArgs {
    /// Applies the command-line overrides to the config (one place, as DESIGN.md asks) and checks
    /// every argument before any work starts.
    pub fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        apply_base_urls(config, &self.base_url)?;
        if let Some(d) = self.delay_ms {
            config.fetch.delay_ms = d;
        }
        check_series(config, self.series.as_deref())?;
        for start in &self.start {
            check_start(start)?;
        }
        parse_sources(&self.sources)?;
        writable_dir("--data", &self.data)?;
        self.check_retry(config)?;
        Ok(())
    }

    /// The values of `--retry-failed`, parsed (not checked against the state).
    pub fn parse_retry(&self) -> anyhow::Result<Vec<RetrySelector>> {
        let mut selectors = Vec::new();
        for v in &self.retry_failed {
            let s = RetrySelector::parse(v).map_err(|m| usage(format!("--retry-failed {v}"), m))?;
            if !selectors.contains(&s) {
                selectors.push(s);
            }
        }
        Ok(selectors)
    }

    /// Pre-flight: each value of `--retry-failed` but the bare flag picks a recorded failure of
    /// the series crawled; one that picks none is a usage error saying why and where the
    /// failures are listed.
    fn check_retry(&self, config: &Config) -> anyhow::Result<()> {
        let selectors = self.parse_retry()?;
        let mut unmatched: Vec<(RetrySelector, Option<String>)> = selectors
            .iter()
            .filter(|s| **s != RetrySelector::All)
            .map(|s| (s.clone(), None))
            .collect();
        if unmatched.is_empty() {
            return Ok(());
        }
        let archive = Archive::new(&self.data);
        let mut recorded: Vec<(PathBuf, Vec<String>)> = Vec::new();
        let crawled = config
            .series
            .iter()
            .filter(|s| self.series.as_ref().is_none_or(|id| *id == s.id));
        for series in crawled {
            let state = archive
                .load_state(&series.id)
                .with_context(|| format!("reading the recorded failures of {}", series.id))?;
            let known = crate::crawl::Known::load(&archive, &series.id)
                .with_context(|| format!("reading the archive of {}", series.id))?;
            let picked = crate::crawl::select(&state, &known, &selectors);
            unmatched.retain_mut(|(s, why)| {
                let missed = picked.unmatched.contains(s);
                if missed && why.is_none() {
                    *why = Some(crate::crawl::why_unmatched(s, &known));
                }
                missed
            });
            let listed = state
                .failed
                .iter()
                .map(|(u, f)| crate::crawl::describe_failure(u, f))
                .collect();
            recorded.push((archive.state_path(&series.id), listed));
        }
        match unmatched.into_iter().next() {
            None => Ok(()),
            Some((s, why)) => Err(usage(
                format!("--retry-failed {s}"),
                format!(
                    "{}; {}",
                    why.unwrap_or_else(|| "picks no recorded failure".into()),
                    where_failures_are(&recorded)
                ),
            )),
        }
    }
}

/// Where the recorded failures are, and the first few of them, for a `--retry-failed` that picked none.
fn where_failures_are(recorded: &[(PathBuf, Vec<String>)]) -> String {
    const SHOWN: usize = 10;
    if recorded.iter().all(|(_, list)| list.is_empty()) {
        let paths: Vec<String> = recorded.iter().map(|(p, _)| p.display().to_string()).collect();
        return format!("no failure is recorded ({})", paths.join(", "));
    }
    let mut out = String::from("the recorded failures are under \"failed\" in");
    for (path, list) in recorded {
        out.push_str(&format!("\n  {} ({} recorded)", path.display(), list.len()));
        for f in list.iter().take(SHOWN) {
            out.push_str(&format!("\n    {f}"));
        }
        if list.len() > SHOWN {
            out.push_str(&format!("\n    … and {} more", list.len() - SHOWN));
        }
    }
    out
}

impl BuildArgs {
    /// [`CrawlArgs::apply`], and the overrides and checks of what `build` renders: where it is
    /// served, the WebSub hub, `--out`.
    pub fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        set_site_url(config, self.site_url.as_deref())?;
        set_websub_hub(config, self.websub_hub.as_deref())?;
        self.crawl.apply(config)?;
        writable_dir("--out", &self.out)?;
        Ok(())
    }
}

/// Pre-flight: a `--start` is an article URL of mp.weixin.qq.com.
fn check_start(start: &str) -> anyhow::Result<()> {
    let arg = format!("--start {start}");
    let parsed = url::Url::parse(start.trim()).map_err(|e| {
        usage(
            &arg,
            format!("is not an absolute URL ({e}); give an article URL of mp.weixin.qq.com"),
        )
    })?;
    if crate::sources::wechat::url::article_link(parsed.as_str()).is_none() {
        return Err(usage(
            arg,
            "is not an article URL of mp.weixin.qq.com (https://mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=… or /s/…)",
        ));
    }
    Ok(())
}

/// `crawl`: checks the arguments, then crawls (or reextracts). An exit 3 ends with a line
/// saying what could not be reached and that nothing was rendered.
pub fn run_crawl(mut config: Config, args: &CrawlArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    args.apply(&mut config)?;
    let ran = crawl_only(&config, args, verbosity)?;
    if let Some(what) = &ran.unavailable {
        eprintln!(
            "exit 3: could not reach {what}; the archive in {} keeps what it had (`render` writes the feeds from it)",
            args.data.display()
        );
    }
    Ok(ran.outcome)
}

/// `build`: checks the arguments, crawls, then renders what the archive holds even when the
/// crawl failed (the crawl's outcome decides the exit code; a failed render is an error). An
/// exit 3 ends with a line saying what could not be reached and that the feeds were rendered
/// from the archive (or are empty).
pub fn run_build(mut config: Config, build: &BuildArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    build.apply(&mut config)?;
    let args = &build.crawl;
    // A failed crawl still renders what the archive holds; the failure decides the exit code.
    let ran = match crawl_only(&config, args, verbosity) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            Ran {
                outcome: Outcome::Failed,
                unavailable: None,
            }
        }
    };
    render_to(&config, &args.data, &build.out, verbosity.quiet)?;
    if let Some(what) = &ran.unavailable {
        let archive = Archive::new(&args.data);
        let issues = config
            .series
            .iter()
            .map(|s| archive.load_series(&s.id).map(|e| e.len()).unwrap_or(0))
            .sum();
        eprintln!("{}", build_unavailable_line(what, &build.out, issues));
    }
    Ok(ran.outcome)
}

/// How a crawl ended.
struct Ran {
    /// The outcome, for the exit code.
    outcome: Outcome,
    /// What could not be reached, when the outcome is [`Outcome::SourceUnavailable`].
    unavailable: Option<String>,
}

/// The crawl (or the reextract) of a checked config; prints the summary.
fn crawl_only(config: &Config, args: &CrawlArgs, verbosity: Verbosity) -> anyhow::Result<Ran> {
    let archive = Archive::new(&args.data);
    if args.reextract {
        return reextract(config, args, &archive, verbosity.quiet).map(|outcome| Ran {
            outcome,
            unavailable: None,
        });
    }
    let fetcher = Arc::new(Fetcher::new(&config.fetch, crate::sources::hosts())?);
    let opts = crate::crawl::CrawlOptions {
        start: args.start.clone(),
        max_issues: args.max_issues,
        backfill: args.backfill,
        series: args.series.clone(),
        sources: parse_sources(&args.sources)?,
        no_ocr: args.no_ocr,
        retry_failed: args.parse_retry()?,
    };
    let reporter = Reporter::new(verbosity);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let sources = crate::sources::all();
    let cx = crate::crawl::CrawlContext {
        config,
        archive: &archive,
        fetcher,
        sources: &sources,
        progress: &reporter,
    };
    let summary = rt.block_on(crate::crawl::crawl(&cx, &opts));
    reporter.finish();
    let summary = summary.with_context(|| format!("crawling into {}", args.data.display()))?;
    let mut outcome = print_summary(&summary, verbosity.quiet);
    if !crate::cli::health::report_health(config, &archive, &summary, verbosity.quiet) && outcome == Outcome::Done {
        outcome = Outcome::Failed;
    }
    let unavailable = (outcome == Outcome::SourceUnavailable).then(|| unreachable_what(&summary));
    Ok(Ran { outcome, unavailable })
}

/// `crawl --reextract`: nothing is written when figures would be lost, unless `--accept-losses`.
fn reextract(config: &Config, args: &CrawlArgs, archive: &Archive, quiet: bool) -> anyhow::Result<Outcome> {
    let s = crate::crawl::reextract(
        config,
        archive,
        &crate::sources::all(),
        args.series.as_deref(),
        args.accept_losses,
    )?;
    let outcome = print_summary(&s, quiet);
    if !s.losses.is_empty() {
        for (issue, key, value) in &s.losses {
            eprintln!("  would lose: {issue}: {key} = {value}");
        }
        if !args.accept_losses {
            eprintln!(
                "error: the current patterns would take {} figure(s) out of the archive (listed above); nothing was changed. Fix the patterns (`explain YEAR/ISSUE` shows why), or run again with --accept-losses",
                s.losses.len()
            );
            return Ok(Outcome::Failed);
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_must_be_a_wechat_article_url() {
        check_start("https://mp.weixin.qq.com/s/AbCdEfGhIjKlMnOp").unwrap();
        for bad in ["mp.weixin.qq.com/s/Abc", "https://example.org/s/AbCdEfGhIjKlMnOp"] {
            let e = check_start(bad).unwrap_err();
            assert!(e.to_string().contains(&format!("--start {bad}")), "{e:#}");
        }
    }
}
