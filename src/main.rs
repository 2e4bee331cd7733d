//! The `cncert-feed` command line: parses arguments, calls the library, maps errors to exit codes
//! (0 done, 1 other failure, 2 usage or config error, 3 source unreachable or blocked).
//!
//! Each command's work is in [`cncert_feed::cli`]; this file holds only the argument structure.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cncert_feed::cli::{
    self, BuildArgs, CrawlArgs, EXIT_USAGE, ExplainArgs, ExtractArgs, ImportArgs, InitArgs, NotifyArgs, Outcome,
    SiteArgs, Verbosity,
};

/// Feeds with figures from CNCERT's weekly report 《网络安全信息与动态周报》.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// The configuration file (default: ./config.yaml, else the built-in one).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
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
    Extract(ExtractArgs),
    /// Discover new issues and follow back-issue links into the archive.
    Crawl(CrawlArgs),
    /// Crawl, then render the feeds from the archive.
    Build(BuildArgs),
    /// Write the feeds, data files and pages from the archive alone (offline).
    Render(SiteArgs),
    /// Tell the WebSub hub which published feeds changed since it was last told (run after the
    /// feeds are online; what was pinged is remembered in the archive's state).
    Ping(SiteArgs),
    /// Add saved pages (e.g. saved from a browser when the crawler is blocked) to the archive.
    Import(ImportArgs),
    /// Push issues not yet announced to the configured chat targets.
    Notify(NotifyArgs),
    /// Show where each figure of an issue came from: value, source, sentence, pattern; then the
    /// numbers no pattern took and every warning.
    Explain(ExplainArgs),
    /// Validate the configuration file and say what is wrong, with file and line.
    Check,
    /// Write the built-in config.yaml here to edit (and, with --workflow, the publish workflow).
    Init(InitArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbosity = Verbosity {
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    if let Command::Init(args) = &cli.command {
        return finish(cli::init::run_init(cli.config.as_deref(), args, verbosity));
    }
    let (config, origin) = match cli::init::load_config(cli.config.as_deref(), cli.quiet) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let result = match &cli.command {
        Command::Init(_) => Ok(Outcome::Done),
        Command::Check => Ok(cli::check::run_check(&config, &origin, verbosity)),
        Command::Extract(args) => cli::extract::run_extract(config, args),
        Command::Crawl(args) => cli::crawl::run_crawl(config, args, verbosity),
        Command::Build(args) => cli::crawl::run_build(config, args, verbosity),
        Command::Render(args) => cli::render::run_render(config, args, verbosity),
        Command::Ping(args) => cli::render::run_ping(config, args, verbosity),
        Command::Import(args) => cli::import::run_import(&config, args, verbosity),
        Command::Notify(args) => cli::notify::run_notify(&config, args, verbosity),
        Command::Explain(args) => cli::explain::run_explain(config, args),
    };
    finish(result)
}

/// The exit code of a command's result, printing the error of a failed one.
fn finish(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(outcome) => outcome.into(),
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
