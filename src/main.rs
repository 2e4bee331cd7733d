//! The `cncert-feed` command line: parses arguments, calls the library, maps errors to exit codes
//! (0 done, 1 other failure, 2 usage or config error, 3 source unreachable or blocked).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use cncert_feed::config::Config;
use cncert_feed::extract::extract_page;
use cncert_feed::fetch::{Fetched, Fetcher};

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
        /// Saved pages or article URLs.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Send mp.weixin.qq.com requests to this origin instead.
        #[arg(long)]
        base_url: Option<String>,
        /// Threads for files (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Validate the configuration file and say what is wrong, with file and line.
    Check,
}

/// Exit code for usage or config errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let result = match cli.command {
        Command::Check => {
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
        Command::Extract { inputs, base_url, jobs } => run_extract(config, &inputs, base_url.as_deref(), jobs),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// Extracts every input, printing records in input order as soon as they are ready.
fn run_extract(
    mut config: Config,
    inputs: &[String],
    base_url: Option<&str>,
    jobs: Option<usize>,
) -> anyhow::Result<ExitCode> {
    if let Some(b) = base_url {
        config.fetch.base_url =
            Some(url::Url::parse(b).with_context(|| format!("--base-url '{b}' is not an absolute URL"))?);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut failed = 0usize;
    let jobs = jobs
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1);
    let fetcher = if inputs.iter().any(|i| is_url(i)) {
        Some(Fetcher::new(&config.fetch)?)
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
    let extracted = extract_page(buf, None, config);
    serde_json::to_string(&extracted.report).map_err(|e| e.to_string())
}

async fn extract_url(input: &str, fetcher: &Fetcher, config: &Config) -> Result<String, String> {
    let url = url::Url::parse(input).map_err(|e| format!("not a valid URL ({e})"))?;
    let (page, final_url) = match fetcher.get(&url, None).await {
        Fetched::Page { url, body, .. } => (body, url),
        Fetched::Blocked(reason) => {
            let r = cncert_feed::Report::of_kind(cncert_feed::PageKind::Captcha, Some(input.to_string()));
            eprintln!("warning: {input}: {reason}");
            return serde_json::to_string(&r).map_err(|e| e.to_string());
        }
        Fetched::Status(code) => return Err(format!("HTTP {code}")),
        Fetched::TooLarge(max) => {
            return Err(format!(
                "the page is larger than {max} bytes (fetch.max_body_bytes); not parsed"
            ));
        }
        Fetched::Refused(why) => return Err(why),
        Fetched::Failed(why) => return Err(why),
        Fetched::NotModified => return Err("unexpected 304".to_string()),
    };
    let extracted = extract_page(&page, Some(final_url.as_str()), config);
    let mut report = extracted.report;
    if report.url.is_none() {
        report.url = Some(input.to_string());
    }
    serde_json::to_string(&report).map_err(|e| e.to_string())
}
