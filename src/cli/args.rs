//! The options of each command, as clap parses them (their `///` lines are the `--help` texts).
//!
//! They live in the library so that each command's function can take them as they are, from
//! `main.rs` or from a test.

use std::path::PathBuf;

/// Default archive directory.
pub const DEFAULT_DATA: &str = "data";
/// Default output directory.
pub const DEFAULT_OUT: &str = "public";

/// Options of `extract`.
#[derive(clap::Args, Debug, Clone)]
pub struct ExtractArgs {
    /// Saved pages, PDFs or URLs (WeChat articles, website pages, PDFs).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Send requests for a host to another origin: HOST=URL (repeatable); a bare URL means mp.weixin.qq.com.
    #[arg(long)]
    pub base_url: Vec<String>,
    /// Threads reading files, the main thread among them (default: all cores; 1: no other thread).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Also read the figures in the report's pictures (Tesseract); each record then carries
    /// `figure_sources`.
    #[arg(long)]
    pub ocr: bool,
}

/// Options of `crawl` (and, flattened into [`BuildArgs`], of `build`).
#[derive(clap::Args, Debug, Clone)]
pub struct CrawlArgs {
    /// Start from this article URL instead of the configured discovery (repeatable).
    #[arg(long = "start")]
    pub start: Vec<String>,
    /// Send requests for a host to another origin: HOST=URL (repeatable); a bare URL means mp.weixin.qq.com.
    #[arg(long)]
    pub base_url: Vec<String>,
    /// Read only these sources: wechat, website (comma-separated; default: every configured one).
    #[arg(long, value_delimiter = ',')]
    pub sources: Vec<String>,
    /// The archive directory.
    #[arg(long, default_value = DEFAULT_DATA)]
    pub data: PathBuf,
    /// At most this many issues per series (default: the series' max_issues).
    #[arg(long)]
    pub max_issues: Option<usize>,
    /// Follow back-issue links without a limit.
    #[arg(long)]
    pub backfill: bool,
    /// Only this series.
    #[arg(long)]
    pub series: Option<String>,
    /// Minimum delay between requests to one host, in ms.
    #[arg(long)]
    pub delay_ms: Option<u64>,
    /// Re-apply the configured patterns to archived issues (offline; no crawl).
    #[arg(long)]
    pub reextract: bool,
    /// Do not read the figures in pictures this run (config: `ocr: false`).
    #[arg(long)]
    pub no_ocr: bool,
    /// Ask recorded failures again this run (a 404 and the like is otherwise never asked again):
    /// alone, every one (deleted articles aside); or those given (repeatable, comma-separated): a
    /// URL as recorded in state.json (or percent-decoded), or YEAR/ISSUE for an issue's failed
    /// page and PDF (e.g. 2024/43).
    #[arg(
        long,
        value_name = "URL|YEAR/ISSUE",
        num_args = 0..=1,
        default_missing_value = "all",
        value_delimiter = ',',
        conflicts_with = "reextract"
    )]
    pub retry_failed: Vec<String>,
    /// With --reextract: write the result even where figures would be lost.
    #[arg(long, requires = "reextract")]
    pub accept_losses: bool,
}

/// Options of `build`: those of `crawl`, and where the feeds go.
#[derive(clap::Args, Debug, Clone)]
pub struct BuildArgs {
    /// What the crawl is asked to do.
    #[command(flatten)]
    pub crawl: CrawlArgs,
    /// The output directory.
    #[arg(long, default_value = DEFAULT_OUT)]
    pub out: PathBuf,
    /// Where the output is served (overrides site.base_url), e.g. the GitHub Pages URL.
    #[arg(long)]
    pub site_url: Option<String>,
    /// The WebSub hub the feeds name (overrides site.websub_hub).
    #[arg(long)]
    pub websub_hub: Option<String>,
}

/// Options of `render` and `ping`: the archive, the output and where it is served.
#[derive(clap::Args, Debug, Clone)]
pub struct SiteArgs {
    /// The archive directory.
    #[arg(long, default_value = DEFAULT_DATA)]
    pub data: PathBuf,
    /// The output directory.
    #[arg(long, default_value = DEFAULT_OUT)]
    pub out: PathBuf,
    /// Where the output is served (overrides site.base_url), e.g. the GitHub Pages URL.
    #[arg(long)]
    pub site_url: Option<String>,
    /// The WebSub hub (overrides site.websub_hub).
    #[arg(long)]
    pub websub_hub: Option<String>,
}

/// Options of `import`.
#[derive(clap::Args, Debug, Clone)]
pub struct ImportArgs {
    /// Saved files: WeChat article pages, the website's detail pages (UTF-8, GBK, GB2312), report PDFs.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Where the one FILE came from: a page's URL, or a PDF's (its `pdf` link) or its detail page's.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The archive directory.
    #[arg(long, default_value = DEFAULT_DATA)]
    pub data: PathBuf,
}

/// Options of `notify`.
#[derive(clap::Args, Debug, Clone)]
pub struct NotifyArgs {
    /// The archive directory.
    #[arg(long, default_value = DEFAULT_DATA)]
    pub data: PathBuf,
    /// Print what each target would get (URLs masked; `<NAME unset>` for a variable not set)
    /// and why a target would get nothing; send and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Send every issue not yet announced, not only the newest on a target's first use.
    #[arg(long)]
    pub backfill: bool,
}

/// Options of `explain`.
#[derive(clap::Args, Debug, Clone)]
pub struct ExplainArgs {
    /// `YEAR/ISSUE` of an archived issue (e.g. 2024/43), or a saved page, PDF or URL.
    pub target: String,
    /// The archive directory (for `YEAR/ISSUE`).
    #[arg(long, default_value = DEFAULT_DATA)]
    pub data: PathBuf,
    /// The series (default: the first in the config).
    #[arg(long)]
    pub series: Option<String>,
    /// Send requests for a host to another origin: HOST=URL (repeatable).
    #[arg(long)]
    pub base_url: Vec<String>,
}
