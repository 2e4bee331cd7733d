//! `crawl` (discover new issues and follow back-issue links into the archive; or, with
//! `--reextract`, re-apply the patterns to the archive offline) and `build` (crawl, then render).

use std::sync::Arc;

use anyhow::Context;

use crate::archive::Archive;
use crate::cli::render::render_to;
use crate::cli::{
    CrawlArgs, Outcome, Reporter, Verbosity, apply_base_urls, check_series, parse_sources, print_summary, set_site_url,
    set_websub_hub, usage, writable_dir,
};
use crate::config::Config;
use crate::fetch::Fetcher;

impl CrawlArgs {
    /// Applies the command-line overrides to the config (one place, as DESIGN.md asks) and checks
    /// every argument before any work starts (`renders`: the command writes `--out` too).
    pub fn apply(&self, config: &mut Config, renders: bool) -> anyhow::Result<()> {
        set_site_url(config, self.site_url.as_deref())?;
        set_websub_hub(config, self.websub_hub.as_deref())?;
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
        if renders {
            writable_dir("--out", &self.out)?;
        }
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

/// `crawl`: checks the arguments, then crawls (or reextracts).
pub fn run_crawl(mut config: Config, args: &CrawlArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    args.apply(&mut config, false)?;
    crawl_only(&config, args, verbosity)
}

/// `build`: checks the arguments, crawls, then renders what the archive holds even when the
/// crawl failed (the crawl's outcome decides the exit code; a failed render is an error).
pub fn run_build(mut config: Config, args: &CrawlArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    args.apply(&mut config, true)?;
    // A failed crawl still renders what the archive holds; the failure decides the exit code.
    let outcome = match crawl_only(&config, args, verbosity) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e:#}");
            Outcome::Failed
        }
    };
    render_to(&config, &args.data, &args.out, verbosity.quiet)?;
    Ok(outcome)
}

/// The crawl (or the reextract) of a checked config; prints the summary.
fn crawl_only(config: &Config, args: &CrawlArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    let archive = Archive::new(&args.data);
    if args.reextract {
        return reextract(config, args, &archive, verbosity.quiet);
    }
    let fetcher = Arc::new(Fetcher::new(&config.fetch, crate::sources::hosts())?);
    let opts = crate::crawl::CrawlOptions {
        start: args.start.clone(),
        max_issues: args.max_issues,
        backfill: args.backfill,
        series: args.series.clone(),
        sources: parse_sources(&args.sources)?,
        no_ocr: args.no_ocr,
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
    Ok(print_summary(&summary, verbosity.quiet))
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
