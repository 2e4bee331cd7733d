//! The `cncert-feed` command line: parses arguments, calls the library, maps errors to exit codes
//! (0 done, 1 other failure, 2 usage or config error, 3 source unreachable or blocked).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use cncert_feed::assemble::SourceKind;
use cncert_feed::config::Config;
use cncert_feed::fetch::{Fetched, Fetcher};
use cncert_feed::sources::read_document;

/// Feeds with figures from CNCERT's weekly report 《网络安全信息与动态周报》.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// The configuration file.
    #[arg(long, global = true, default_value = "config.yaml")]
    config: PathBuf,
    /// Print only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more detail.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print one JSON record per page (saved file or URL), in input order.
    Extract {
        /// Saved pages, PDFs or URLs (WeChat articles, website pages, PDFs).
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Send requests for a host to another origin: HOST=URL (repeatable); a bare URL means mp.weixin.qq.com.
        #[arg(long)]
        base_url: Vec<String>,
        /// Threads for files (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Also read the figures in the report's pictures (Tesseract); each record then carries
        /// `figure_sources`.
        #[arg(long)]
        ocr: bool,
    },
    /// Discover new issues and follow back-issue links into the archive.
    Crawl(CrawlArgs),
    /// Crawl, then render the feeds from the archive.
    Build(CrawlArgs),
    /// Write the feeds, data files and pages from the archive alone (offline).
    Render(SiteArgs),
    /// Tell the WebSub hub which published feeds changed since it was last told (run after the
    /// feeds are online; what was pinged is remembered in the archive's state).
    Ping(SiteArgs),
    /// Add saved pages (e.g. saved from a browser when the crawler is blocked) to the archive.
    Import {
        /// Saved article pages.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The archive directory.
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
    },
    /// Push issues not yet announced to the configured chat targets.
    Notify {
        /// The archive directory.
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        /// Print the payloads (webhook URLs masked); send and record nothing.
        #[arg(long)]
        dry_run: bool,
        /// Send every issue not yet announced, not only the newest on a target's first use.
        #[arg(long)]
        backfill: bool,
    },
    /// Show where each figure of an issue came from: value, source, sentence, pattern; then the
    /// numbers no pattern took and every warning.
    Explain {
        /// `YEAR/ISSUE` of an archived issue (e.g. 2024/43), or a saved page, PDF or URL.
        target: String,
        /// The archive directory (for `YEAR/ISSUE`).
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        /// The series (default: the first in the config).
        #[arg(long)]
        series: Option<String>,
        /// Send requests for a host to another origin: HOST=URL (repeatable).
        #[arg(long)]
        base_url: Vec<String>,
    },
    /// Validate the configuration file and say what is wrong, with file and line.
    Check,
}

/// Default archive directory.
const DEFAULT_DATA: &str = "data";
/// Default output directory.
const DEFAULT_OUT: &str = "public";

/// Options of `render` and `ping`: the archive, the output and where it is served.
#[derive(clap::Args, Debug, Clone)]
struct SiteArgs {
    /// The archive directory.
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// The output directory.
    #[arg(long, default_value = DEFAULT_OUT)]
    out: PathBuf,
    /// Where the output is served (overrides site.base_url), e.g. the GitHub Pages URL.
    #[arg(long)]
    site_url: Option<String>,
    /// The WebSub hub (overrides site.websub_hub).
    #[arg(long)]
    websub_hub: Option<String>,
}

impl SiteArgs {
    /// `--site-url` and `--websub-hub` over the config's.
    fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        set_site_url(config, self.site_url.as_deref())?;
        set_websub_hub(config, self.websub_hub.as_deref())
    }
}

/// Options of `crawl` and `build`.
#[derive(clap::Args, Debug, Clone)]
struct CrawlArgs {
    /// Start from this article URL instead of the configured discovery (repeatable).
    #[arg(long = "start")]
    start: Vec<String>,
    /// Send requests for a host to another origin: HOST=URL (repeatable); a bare URL means mp.weixin.qq.com.
    #[arg(long)]
    base_url: Vec<String>,
    /// Read only these sources: wechat, website (comma-separated; default: every configured one).
    #[arg(long, value_delimiter = ',')]
    sources: Vec<String>,
    /// The archive directory.
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// The output directory (build).
    #[arg(long, default_value = DEFAULT_OUT)]
    out: PathBuf,
    /// At most this many issues per series (default: the series' max_issues).
    #[arg(long)]
    max_issues: Option<usize>,
    /// Follow back-issue links without a limit.
    #[arg(long)]
    backfill: bool,
    /// Only this series.
    #[arg(long)]
    series: Option<String>,
    /// Minimum delay between requests to one host, in ms.
    #[arg(long)]
    delay_ms: Option<u64>,
    /// Re-apply the configured patterns to archived issues (offline; no crawl).
    #[arg(long)]
    reextract: bool,
    /// Do not read the figures in pictures this run (config: `ocr: false`).
    #[arg(long)]
    no_ocr: bool,
    /// With --reextract: write the result even where figures would be lost.
    #[arg(long, requires = "reextract")]
    accept_losses: bool,
    /// Where the output is served (overrides site.base_url), e.g. the GitHub Pages URL (build).
    #[arg(long)]
    site_url: Option<String>,
    /// The WebSub hub the feeds name (overrides site.websub_hub) (build).
    #[arg(long)]
    websub_hub: Option<String>,
}

/// Exit code when the source could not be reached or blocked the crawl.
const EXIT_BLOCKED: u8 = 3;

/// Exit code for usage or config errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let result = match cli.command {
        Command::Check => {
            for series in &config.series {
                for w in series.pattern_overlaps() {
                    eprintln!("warning: {}: series '{}': {w}", cli.config.display(), series.id);
                }
            }
            if !cli.quiet {
                println!(
                    "{}: OK ({} series, {} metrics, {} notify targets)",
                    cli.config.display(),
                    config.series.len(),
                    config.series.iter().map(|s| s.metrics.len()).sum::<usize>(),
                    config.notify.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract {
            inputs,
            base_url,
            ocr: true,
            ..
        } => run_extract_ocr(config, &inputs, &base_url),
        Command::Extract {
            inputs, base_url, jobs, ..
        } => run_extract(config, &inputs, &base_url, jobs),
        Command::Crawl(args) => run_crawl(config, &args, cli.quiet, cli.verbose),
        Command::Build(args) => run_build(config, &args, cli.quiet, cli.verbose),
        Command::Render(args) => args
            .apply(&mut config)
            .and_then(|_| readable_dir("--data", &args.data))
            .and_then(|_| writable_dir("--out", &args.out))
            .and_then(|_| render_to(&config, &args.data, &args.out, cli.quiet))
            .map(|_| ExitCode::SUCCESS),
        Command::Notify {
            data,
            dry_run,
            backfill,
        } => run_notify(&config, &data, dry_run, backfill, cli.quiet),
        Command::Ping(args) => args
            .apply(&mut config)
            .and_then(|_| run_ping(&config, &args.data, &args.out, cli.quiet)),
        Command::Import { files, data } => run_import(&config, &files, &data, cli.quiet),
        Command::Explain {
            target,
            data,
            series,
            base_url,
        } => run_explain(config, &target, &data, series.as_deref(), &base_url),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code_of(&e))
        }
    }
}

/// The exit code of an error: 2 for usage and config errors (found before any work started),
/// 1 for everything else.
fn exit_code_of(e: &anyhow::Error) -> u8 {
    let usage = e
        .chain()
        .filter_map(|c| c.downcast_ref::<cncert_feed::Error>())
        .any(|c| c.kind() == cncert_feed::error::ErrorKind::Usage);
    if usage { EXIT_USAGE } else { 1 }
}

/// A usage error (exit 2) as the command line reports it.
fn usage(argument: impl Into<String>, message: impl Into<String>) -> anyhow::Error {
    cncert_feed::Error::usage(argument, message).into()
}

/// Pre-flight check of a directory the command writes: it must not be a file, and it must be
/// possible to create it and write into it. Checked before any work starts.
fn writable_dir(flag: &str, dir: &Path) -> anyhow::Result<()> {
    let arg = format!("{flag} {}", dir.display());
    if dir.exists() && !dir.is_dir() {
        return Err(usage(arg, "is a file, not a directory; give a directory"));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| usage(&arg, format!("cannot be created ({e}); give a writable directory")))?;
    let probe = dir.join(format!(".cncert-feed-write-test-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(usage(arg, format!("is not writable ({e}); give a writable directory"))),
    }
}

/// Pre-flight check of a directory the command only reads: it must not be a file.
fn readable_dir(flag: &str, dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(usage(
            format!("{flag} {}", dir.display()),
            "is a file, not a directory; give the archive directory",
        ));
    }
    Ok(())
}

/// Overrides `site.base_url` (absolute http(s), ending in `/`).
fn set_site_url(config: &mut Config, site_url: Option<&str>) -> anyhow::Result<()> {
    let Some(s) = site_url.filter(|s| !s.trim().is_empty()) else {
        return Ok(());
    };
    let arg = format!("--site-url {s}");
    let mut u = url::Url::parse(s.trim()).map_err(|e| {
        usage(
            &arg,
            format!("is not an absolute URL ({e}); write https://you.github.io/cncert-feed/"),
        )
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(usage(arg, "must be an http or https URL"));
    }
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    config.site.base_url = Some(u);
    Ok(())
}

/// `--websub-hub URL` over `site.websub_hub`.
fn set_websub_hub(config: &mut Config, hub: Option<&str>) -> anyhow::Result<()> {
    let Some(h) = hub.filter(|s| !s.trim().is_empty()) else {
        return Ok(());
    };
    let u = cncert_feed::config::parse_hub(h).map_err(|m| usage(format!("--websub-hub {h}"), m))?;
    config.site.websub_hub = Some(u);
    Ok(())
}

/// Pings the WebSub hub for each feed that changed; exit 1 when the hub refused one (it is
/// retried next run).
fn run_ping(config: &Config, data: &Path, out: &Path, quiet: bool) -> anyhow::Result<ExitCode> {
    let Some(hub) = config.site.websub_hub.clone() else {
        if !quiet {
            eprintln!("no WebSub hub is configured (site.websub_hub or --websub-hub): nothing to ping");
        }
        return Ok(ExitCode::SUCCESS);
    };
    readable_dir("--out", out)?;
    writable_dir("--data", data)?;
    let archive = cncert_feed::archive::Archive::new(data);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let s = rt.block_on(cncert_feed::notify::websub::ping(config, &archive, out, &hub))?;
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    if !quiet {
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
    Ok(if s.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Applies the command-line overrides to the config (one place, as DESIGN.md asks) and checks
/// every argument before any work starts (`renders`: the command writes `--out` too).
fn merge_args(config: &mut Config, args: &CrawlArgs, renders: bool) -> anyhow::Result<()> {
    set_site_url(config, args.site_url.as_deref())?;
    set_websub_hub(config, args.websub_hub.as_deref())?;
    apply_base_urls(config, &args.base_url)?;
    if let Some(d) = args.delay_ms {
        config.fetch.delay_ms = d;
    }
    check_series(config, args.series.as_deref())?;
    for start in &args.start {
        let arg = format!("--start {start}");
        let parsed = url::Url::parse(start.trim()).map_err(|e| {
            usage(
                &arg,
                format!("is not an absolute URL ({e}); give an article URL of mp.weixin.qq.com"),
            )
        })?;
        if cncert_feed::sources::wechat::url::article_link(parsed.as_str()).is_none() {
            return Err(usage(
                arg,
                "is not an article URL of mp.weixin.qq.com (https://mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=… or /s/…)",
            ));
        }
    }
    parse_sources(&args.sources)?;
    writable_dir("--data", &args.data)?;
    if renders {
        writable_dir("--out", &args.out)?;
    }
    Ok(())
}

/// Pre-flight: `--series` names a configured series.
fn check_series(config: &Config, series: Option<&str>) -> anyhow::Result<()> {
    if let Some(s) = series
        && config.series(s).is_none()
    {
        return Err(usage(
            format!("--series {s}"),
            format!(
                "no such series in the config (known: {})",
                config
                    .series
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(())
}

/// Applies `--base-url [HOST=]URL` arguments: a bare URL maps mp.weixin.qq.com.
fn apply_base_urls(config: &mut Config, args: &[String]) -> anyhow::Result<()> {
    for arg in args {
        let (host, u) = match arg.split_once('=') {
            Some((h, u)) if !h.contains('/') && !h.contains(':') => (Some(h.to_ascii_lowercase()), u),
            _ => (None, arg.as_str()),
        };
        let mut url = url::Url::parse(u).map_err(|e| {
            usage(
                format!("--base-url {arg}"),
                format!("'{u}' is not an absolute URL ({e}); write HOST=http://127.0.0.1:8080/"),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(usage(
                format!("--base-url {arg}"),
                format!("'{u}' must be an http or https URL"),
            ));
        }
        if !url.path().ends_with('/') {
            let p = format!("{}/", url.path());
            url.set_path(&p);
        }
        match host {
            Some(h) if h != cncert_feed::config::WECHAT_HOST => {
                config.fetch.base_urls.insert(h, url);
            }
            _ => config.fetch.base_url = Some(url),
        }
    }
    Ok(())
}

/// Parses `--sources`.
fn parse_sources(names: &[String]) -> anyhow::Result<Option<Vec<cncert_feed::assemble::SourceKind>>> {
    use cncert_feed::assemble::SourceKind;
    if names.is_empty() {
        return Ok(None);
    }
    names
        .iter()
        .map(|n| match n.trim() {
            "wechat" => Ok(SourceKind::Wechat),
            "website" => Ok(SourceKind::Website),
            other => Err(usage(
                format!("--sources {other}"),
                "unknown source; write wechat, website or wechat,website",
            )),
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .map(Some)
}

/// Progress on a terminal: a spinner with the current URL; plain lines otherwise.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
    verbose: bool,
}

impl Reporter {
    fn new(quiet: bool, verbose: bool) -> Reporter {
        use std::io::IsTerminal;
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Reporter { bar, quiet, verbose }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl cncert_feed::crawl::Progress for Reporter {
    fn fetching(&self, what: &str) {
        match &self.bar {
            Some(b) => b.set_message(format!("fetching {what}")),
            None if self.verbose => eprintln!("fetching {what}"),
            None => {}
        }
    }
    fn note(&self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
    }
}

/// How a crawl ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Done (failed URLs are listed, not fatal): exit 0.
    Done,
    /// The source blocked the run or could not be reached: exit 3.
    SourceUnavailable,
    /// Something local failed (a write of the archive or the state): exit 1.
    LocalFailure,
}

impl Outcome {
    fn code(self) -> ExitCode {
        match self {
            Outcome::Done => ExitCode::SUCCESS,
            Outcome::SourceUnavailable => ExitCode::from(EXIT_BLOCKED),
            Outcome::LocalFailure => ExitCode::FAILURE,
        }
    }
}

/// Prints the end-of-run summary; returns how the run ended.
fn print_summary(s: &cncert_feed::crawl::Summary, quiet: bool) -> Outcome {
    for w in &s.write_failures {
        eprintln!("error: {w}");
    }
    if !quiet {
        eprintln!(
            "summary: {} new, {} updated, {} already known, {} deleted, {} failed, {} article requests",
            s.new.len(),
            s.updated.len(),
            s.known,
            s.deleted.len(),
            s.failed.len(),
            s.article_requests
        );
        for (u, why) in &s.failed {
            eprintln!("  failed: {u}: {why}");
        }
        for d in &s.deleted {
            eprintln!("  deleted: {d}");
        }
        for (u, why) in &s.unreachable {
            eprintln!("  discovery source unreadable: {u}: {why}");
        }
        for (issue, w) in &s.figure_warnings {
            eprintln!("  figure warning: {issue}: {w}");
        }
        if s.pictures_read > 0 {
            eprintln!("  pictures read by OCR: {}", s.pictures_read);
        }
        if let Some(why) = &s.ocr_unavailable {
            eprintln!("  note: {why}; the figures in pictures were not read");
        }
    }
    for b in &s.blocked {
        eprintln!(
            "warning: blocked by the source: {b}; try again later, or save the pages from a browser and `import` them"
        );
    }
    if !s.write_failures.is_empty() {
        Outcome::LocalFailure
    } else if s.source_unavailable() {
        Outcome::SourceUnavailable
    } else {
        Outcome::Done
    }
}

fn crawl_only(config: &Config, args: &CrawlArgs, quiet: bool, verbose: bool) -> anyhow::Result<Outcome> {
    let archive = cncert_feed::archive::Archive::new(&args.data);
    if args.reextract {
        let s = cncert_feed::crawl::reextract(
            config,
            &archive,
            &cncert_feed::sources::all(),
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
                return Ok(Outcome::LocalFailure);
            }
        }
        return Ok(outcome);
    }
    let fetcher = std::sync::Arc::new(Fetcher::new(&config.fetch, cncert_feed::sources::hosts())?);
    let opts = cncert_feed::crawl::CrawlOptions {
        start: args.start.clone(),
        max_issues: args.max_issues,
        backfill: args.backfill,
        series: args.series.clone(),
        sources: parse_sources(&args.sources)?,
        no_ocr: args.no_ocr,
    };
    let reporter = Reporter::new(quiet, verbose);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let sources = cncert_feed::sources::all();
    let cx = cncert_feed::crawl::CrawlContext {
        config,
        archive: &archive,
        fetcher,
        sources: &sources,
        progress: &reporter,
    };
    let summary = rt.block_on(cncert_feed::crawl::crawl(&cx, &opts));
    reporter.finish();
    let summary = summary.with_context(|| format!("crawling into {}", args.data.display()))?;
    Ok(print_summary(&summary, quiet))
}

fn run_crawl(mut config: Config, args: &CrawlArgs, quiet: bool, verbose: bool) -> anyhow::Result<ExitCode> {
    merge_args(&mut config, args, false)?;
    Ok(crawl_only(&config, args, quiet, verbose)?.code())
}

fn run_build(mut config: Config, args: &CrawlArgs, quiet: bool, verbose: bool) -> anyhow::Result<ExitCode> {
    merge_args(&mut config, args, true)?;
    // A failed crawl still renders what the archive holds; the failure decides the exit code.
    let outcome = match crawl_only(&config, args, quiet, verbose) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e:#}");
            Outcome::LocalFailure
        }
    };
    render_to(&config, &args.data, &args.out, quiet)?;
    Ok(outcome.code())
}

fn render_to(config: &Config, data: &Path, out: &Path, quiet: bool) -> anyhow::Result<()> {
    let archive = cncert_feed::archive::Archive::new(data);
    let written = cncert_feed::publish::render(config, &archive, out)
        .with_context(|| format!("rendering {} into {}", data.display(), out.display()))?;
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

fn run_import(config: &Config, files: &[PathBuf], data: &Path, quiet: bool) -> anyhow::Result<ExitCode> {
    writable_dir("--data", data)?;
    let archive = cncert_feed::archive::Archive::new(data);
    let s = cncert_feed::crawl::import(config, &archive, &cncert_feed::sources::all(), files)?;
    if print_summary(&s, quiet) == Outcome::LocalFailure {
        return Ok(ExitCode::FAILURE);
    }
    for n in &s.new {
        if !quiet {
            println!("imported {n}");
        }
    }
    Ok(if s.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn run_notify(config: &Config, data: &Path, dry_run: bool, backfill: bool, quiet: bool) -> anyhow::Result<ExitCode> {
    if dry_run {
        readable_dir("--data", data)?;
    } else {
        writable_dir("--data", data)?;
    }
    let archive = cncert_feed::archive::Archive::new(data);
    let opts = cncert_feed::notify::NotifyOptions { dry_run, backfill };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let env = |name: &str| std::env::var(name).ok();
    let s = rt
        .block_on(cncert_feed::notify::notify(config, &archive, &opts, &env))
        .with_context(|| format!("notifying from {}", data.display()))?;
    for line in &s.skipped {
        if !quiet {
            eprintln!("{line}");
        }
    }
    for (target, url, payload) in &s.dry {
        println!("# {target} → {url}");
        println!("{}", serde_json::to_string_pretty(payload)?);
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
    Ok(if s.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Whether the bytes are a PDF (its header may follow a few bytes of junk).
fn memchr_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-")
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// Extracts every input, printing records in input order as soon as they are ready.
fn run_extract(
    mut config: Config,
    inputs: &[String],
    base_url: &[String],
    jobs: Option<usize>,
) -> anyhow::Result<ExitCode> {
    apply_base_urls(&mut config, base_url)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut failed = 0usize;
    let jobs = jobs
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1);
    let fetcher = if inputs.iter().any(|i| is_url(i)) {
        Some(Fetcher::new(&config.fetch, cncert_feed::sources::hosts())?)
    } else {
        None
    };
    let runtime = if fetcher.is_some() {
        Some(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
    } else {
        None
    };
    // Work in batches so that memory stays flat however many inputs there are.
    let batch = jobs * 16;
    for chunk in inputs.chunks(batch) {
        let results = extract_batch(chunk, &config, jobs, fetcher.as_ref(), runtime.as_ref());
        for (input, result) in chunk.iter().zip(results) {
            match result {
                Ok(line) => {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
                Err(msg) => {
                    failed += 1;
                    out.flush()?;
                    eprintln!("error: {input}: {msg}");
                }
            }
        }
        out.flush()?;
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Extracts a batch: files on `jobs` threads, URLs one after another through the fetcher.
fn extract_batch(
    chunk: &[String],
    config: &Config,
    jobs: usize,
    fetcher: Option<&Fetcher>,
    runtime: Option<&tokio::runtime::Runtime>,
) -> Vec<Result<String, String>> {
    let mut results: Vec<Option<Result<String, String>>> = vec![None; chunk.len()];
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|s| {
        for _ in 0..jobs.min(chunk.len()) {
            s.spawn(|| {
                // One buffer per thread, reused: no fresh 300 KB allocation per page.
                let mut buf = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(input) = chunk.get(i) else { break };
                    if is_url(input) {
                        continue;
                    }
                    let r = extract_file(Path::new(input), config, &mut buf);
                    let mut guard = slots.lock().unwrap_or_else(|p| p.into_inner());
                    guard[i] = Some(r);
                }
            });
        }
    });
    for (i, input) in chunk.iter().enumerate() {
        if is_url(input) {
            results[i] = Some(match (fetcher, runtime) {
                (Some(f), Some(rt)) => rt.block_on(extract_url(input, f, config)),
                _ => Err("no HTTP client".to_string()),
            });
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not processed".to_string())))
        .collect()
}

fn extract_file(path: &Path, config: &Config, buf: &mut Vec<u8>) -> Result<String, String> {
    use std::io::Read;
    buf.clear();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(buf))
        .map_err(|e| format!("cannot read the file: {e}"))?;
    let input = path.display().to_string();
    let extracted = read_document(buf, None, &input, config).map_err(|e| e.to_string())?;
    record_line(&extracted.report, &input)
}

/// One output line of `extract`: the record, with the input it came from as `input` (last).
fn record_line(report: &cncert_feed::Report, input: &str) -> Result<String, String> {
    let record = serde_json::to_string(report).map_err(|e| e.to_string())?;
    let input = serde_json::to_string(input).map_err(|e| e.to_string())?;
    Ok(match record.strip_suffix('}') {
        Some(open) if open.len() > 1 => format!("{open},\"input\":{input}}}"),
        _ => format!("{{\"input\":{input}}}"),
    })
}

/// `extract --ocr`: inputs one after another; a WeChat issue whose text lacks the monitoring
/// figures has the pictures of its 本周网络安全基本态势 section read, and the record is assembled
/// from the text and the pictures (text wins), with `figure_sources`.
fn run_extract_ocr(mut config: Config, inputs: &[String], base_url: &[String]) -> anyhow::Result<ExitCode> {
    use cncert_feed::assemble::{Observation, ReadVia, assemble};
    apply_base_urls(&mut config, base_url)?;
    let engine = match cncert_feed::read::ocr::Engine::detect() {
        Ok(e) => Some(e),
        Err(why) => {
            eprintln!("note: {why}; figures in pictures are not read");
            None
        }
    };
    let fetcher = Fetcher::new(&config.fetch, cncert_feed::sources::hosts())?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0usize;
    for input in inputs {
        let got = if is_url(input) {
            match rt.block_on(fetch_document(input, &fetcher, &config)) {
                Ok(Got::Document(body, url)) => Ok((body, Some(url))),
                Ok(Got::Blocked(reason)) => Err(format!("the source answered with its captcha ({reason})")),
                Err(e) => Err(e),
            }
        } else {
            std::fs::read(input)
                .map(|b| (b, None))
                .map_err(|e| format!("cannot read the file: {e}"))
        };
        let (bytes, url) = match got {
            Ok(x) => x,
            Err(why) => {
                failed += 1;
                eprintln!("error: {input}: {why}");
                continue;
            }
        };
        let extracted = match read_document(&bytes, url.as_ref(), input, &config) {
            Ok(x) => x,
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
                continue;
            }
        };
        let report = extracted.report;
        let series = report.series.as_deref().and_then(|id| config.series(id));
        let is_pdf = memchr_pdf(&bytes);
        let pictures = match (&engine, series, &extracted.content_html) {
            (Some(engine), Some(_), _) if is_pdf && report.lacks_monitoring_figures() => {
                let key = url.as_ref().map(|u| u.to_string()).unwrap_or_else(|| input.clone());
                rt.block_on(cncert_feed::sources::pictures::read_pdf_pictures(
                    &key,
                    bytes.clone(),
                    engine,
                ))
            }
            (Some(engine), Some(_), Some(html)) if report.lacks_monitoring_figures() => {
                let urls = cncert_feed::sources::wechat::pictures::section_pictures(html);
                rt.block_on(cncert_feed::sources::pictures::read_pictures(
                    &urls,
                    &fetcher,
                    engine,
                    &[],
                ))
            }
            _ => Vec::new(),
        };
        let (Some(series), false) = (series, pictures.is_empty()) else {
            out.write_all(record_line(&report, input).map_err(anyhow::Error::msg)?.as_bytes())?;
            out.write_all(b"\n")?;
            continue;
        };
        for p in pictures.iter().filter(|p| p.note.is_some()) {
            eprintln!(
                "note: {input}: picture {}: {}",
                p.url,
                p.note.as_deref().unwrap_or_default()
            );
        }
        let mut observations = std::collections::BTreeMap::new();
        observations.insert(
            SourceKind::Ocr,
            cncert_feed::sources::pictures::ocr_observation(&report, pictures, series),
        );
        observations.insert(
            if is_pdf || report.url.as_deref().is_some_and(|u| u.contains("cert.org.cn")) {
                SourceKind::Website
            } else {
                SourceKind::Wechat
            },
            Observation::new(report, ReadVia::Page, cncert_feed::crawl::now()),
        );
        let assembled = assemble(&observations);
        let line = record_line(&assembled.report, input).map_err(anyhow::Error::msg)?;
        let sources = serde_json::to_string(&assembled.figure_sources)?;
        let line = match line.strip_suffix('}') {
            Some(open) => format!("{open},\"figure_sources\":{sources}}}"),
            None => line,
        };
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// What fetching an input gave.
enum Got {
    /// The document and where it ended up (after redirects).
    Document(Vec<u8>, url::Url),
    /// The source answered with its captcha.
    Blocked(String),
}

/// Fetches a document given by URL (pages and PDFs, within the larger of the size limits).
async fn fetch_document(input: &str, fetcher: &Fetcher, config: &Config) -> Result<Got, String> {
    let url = url::Url::parse(input).map_err(|e| format!("not a valid URL ({e})"))?;
    match fetcher
        .get_large(&url, config.fetch.max_pdf_bytes.max(config.fetch.max_body_bytes))
        .await
    {
        Fetched::Page { url, body, .. } => Ok(Got::Document(body, url)),
        Fetched::Blocked(reason) => Ok(Got::Blocked(reason)),
        Fetched::Status(code) => Err(format!("HTTP {code}")),
        Fetched::TooLarge(max) => Err(format!(
            "the page is larger than {max} bytes (fetch.max_body_bytes); not parsed"
        )),
        Fetched::Refused(why) => Err(why),
        Fetched::Failed(why) => Err(why),
        Fetched::NotModified => Err("unexpected 304".to_string()),
    }
}

async fn extract_url(input: &str, fetcher: &Fetcher, config: &Config) -> Result<String, String> {
    let (page, final_url) = match fetch_document(input, fetcher, config).await? {
        Got::Document(body, url) => (body, url),
        Got::Blocked(reason) => {
            let r = cncert_feed::Report::of_kind(cncert_feed::PageKind::Captcha, Some(input.to_string()));
            eprintln!("warning: {input}: {reason}");
            return record_line(&r, input);
        }
    };
    let extracted = read_document(&page, Some(&final_url), input, config).map_err(|e| e.to_string())?;
    let mut report = extracted.report;
    if report.url.is_none() {
        report.url = Some(input.to_string());
    }
    record_line(&report, input)
}

/// `explain`: an archived issue (`YEAR/ISSUE`), or a saved file or URL read now.
fn run_explain(
    mut config: Config,
    target: &str,
    data: &Path,
    series: Option<&str>,
    base_url: &[String],
) -> anyhow::Result<ExitCode> {
    apply_base_urls(&mut config, base_url)?;
    check_series(&config, series)?;
    if let Some((year, issue)) = parse_issue_ref(target) {
        readable_dir("--data", data)?;
        let series = match series {
            Some(id) => config
                .series
                .iter()
                .find(|s| s.id == id)
                .ok_or_else(|| anyhow::anyhow!("no series '{id}' in the config"))?,
            None => config
                .series
                .first()
                .ok_or_else(|| anyhow::anyhow!("the config lists no series"))?,
        };
        let archive = cncert_feed::archive::Archive::new(data);
        let entries = archive.load_series(&series.id)?;
        let entry = entries
            .iter()
            .find(|e| e.report.year == Some(year) && e.report.issue == Some(issue))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "issue {year}/{issue} of '{}' is not in the archive {}; run `crawl` first, or give the article's URL or a saved page",
                    series.id,
                    data.display()
                )
            })?;
        print!("{}", cncert_feed::explain::explain_entry(entry, series));
        return Ok(ExitCode::SUCCESS);
    }
    let (bytes, url) = if is_url(target) {
        let fetcher = Fetcher::new(&config.fetch, cncert_feed::sources::hosts())?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        match rt.block_on(fetch_document(target, &fetcher, &config)) {
            Ok(Got::Document(body, url)) => (body, Some(url)),
            Ok(Got::Blocked(reason)) => anyhow::bail!(
                "{target}: the source answered with its captcha ({reason}); save the page from a browser and explain the file"
            ),
            Err(why) => anyhow::bail!("{target}: {why}"),
        }
    } else {
        let bytes = std::fs::read(target).map_err(|e| anyhow::anyhow!("{target}: cannot read the file: {e}"))?;
        (bytes, None)
    };
    let source = match cncert_feed::sources::document_kind(&bytes) {
        cncert_feed::sources::DocumentKind::WechatPage => SourceKind::Wechat,
        _ => SourceKind::Website,
    };
    let extracted = read_document(&bytes, url.as_ref(), target, &config)?;
    let report = &extracted.report;
    let Some(series) = report
        .series
        .as_deref()
        .and_then(|id| config.series.iter().find(|s| s.id == id))
    else {
        anyhow::bail!(
            "{target}: not an issue of a configured series (read as {}); nothing to explain",
            report.page_kind().as_str()
        );
    };
    let mut sources: std::collections::BTreeMap<String, SourceKind> =
        report.metrics.keys().map(|k| (k.clone(), source)).collect();
    if report.assessment.is_some() {
        sources.insert(cncert_feed::assemble::ASSESSMENT_KEY.to_string(), source);
    }
    let readings: Vec<_> = cncert_feed::explain::reading_of_document(&extracted, source, target, series)
        .into_iter()
        .collect();
    print!("{}", cncert_feed::explain::render(report, &sources, &readings, series));
    Ok(ExitCode::SUCCESS)
}

/// `2024/43` (also `2024-43`) as year and issue.
fn parse_issue_ref(s: &str) -> Option<(i32, u32)> {
    let (y, i) = s.split_once(['/', '-'])?;
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) || i.is_empty() || i.len() > 2 {
        return None;
    }
    Some((y.parse().ok()?, i.parse().ok()?))
}
