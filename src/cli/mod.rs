//! The commands of the `cncert-feed` command line, one module per command: the orchestration each
//! needs (pre-flight checks of its arguments, the library calls, what it prints), callable from a
//! test without a process. `main.rs` only parses the arguments, calls one function here and turns
//! the result into an exit code (DESIGN.md §4).
//!
//! This is the application layer: errors are `anyhow` with context; the exit code of an error is
//! 2 when its chain holds a usage error ([`crate::Error::usage`]), 1 otherwise.

pub mod args;
pub mod check;
pub mod crawl;
pub mod explain;
pub mod extract;
pub mod health;
pub mod import;
pub mod init;
pub mod notify;
pub mod render;

use std::path::Path;
use std::process::ExitCode;

use crate::assemble::SourceKind;
use crate::config::Config;
use crate::fetch::{Fetched, Fetcher};

pub use args::{BuildArgs, CrawlArgs, ExplainArgs, ExtractArgs, ImportArgs, NotifyArgs, SiteArgs};
pub use init::InitArgs;

/// Exit code when the source could not be reached or blocked the crawl.
pub const EXIT_BLOCKED: u8 = 3;

/// Exit code for usage or config errors.
pub const EXIT_USAGE: u8 = 2;

/// How much a command prints (the global `-q` and `-v`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verbosity {
    /// Print only errors.
    pub quiet: bool,
    /// Print more detail.
    pub verbose: bool,
}

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (failed URLs of a crawl are listed, not fatal): exit 0.
    Done,
    /// The source blocked the run or could not be reached: exit 3.
    SourceUnavailable,
    /// Something failed: a write of the archive or the state, an input that could not be read,
    /// a send or ping that was refused: exit 1.
    Failed,
}

impl Outcome {
    /// `Failed` when `failed`, else `Done`.
    pub fn failed_if(failed: bool) -> Outcome {
        if failed { Outcome::Failed } else { Outcome::Done }
    }

    /// The process exit code (0, 1 or 3).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::SourceUnavailable => EXIT_BLOCKED,
            Outcome::Failed => 1,
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> ExitCode {
        ExitCode::from(o.exit_code())
    }
}

/// A usage error (exit 2) as the command line reports it.
pub fn usage(argument: impl Into<String>, message: impl Into<String>) -> anyhow::Error {
    crate::Error::usage(argument, message).into()
}

/// Pre-flight check of a directory the command writes: it must not be a file, and it must be
/// possible to create it and write into it. Checked before any work starts, and without creating
/// anything, so that a later argument found wrong leaves no directory behind (issue 19.5): a
/// directory that does not exist yet is created by the first write into it. The only trace is a
/// probe file, written and removed at once, in the directory or, when it does not exist yet, in
/// its nearest existing ancestor.
pub fn writable_dir(flag: &str, dir: &Path) -> anyhow::Result<()> {
    let arg = format!("{flag} {}", dir.display());
    if dir.exists() {
        if !dir.is_dir() {
            return Err(usage(arg, "is a file, not a directory; give a directory"));
        }
        return probe(dir).map_err(|e| usage(arg, format!("is not writable ({e}); give a writable directory")));
    }
    let cannot = |why: String| usage(&arg, format!("cannot be created ({why}); give a writable directory"));
    let ancestor = dir
        .ancestors()
        .skip(1)
        .map(|a| if a.as_os_str().is_empty() { Path::new(".") } else { a })
        .find(|a| a.exists())
        .unwrap_or(Path::new("."));
    if !ancestor.is_dir() {
        return Err(cannot(format!("{} is a file, not a directory", ancestor.display())));
    }
    probe(ancestor).map_err(|e| cannot(format!("{} is not writable: {e}", ancestor.display())))
}

/// Writes an empty probe file into `dir` and removes it.
fn probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".cncert-feed-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Pre-flight check of a directory the command only reads: it must not be a file.
pub fn readable_dir(flag: &str, dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(usage(
            format!("{flag} {}", dir.display()),
            "is a file, not a directory; give the archive directory",
        ));
    }
    Ok(())
}

/// Overrides `site.base_url` (absolute http(s), ending in `/`).
pub fn set_site_url(config: &mut Config, site_url: Option<&str>) -> anyhow::Result<()> {
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
pub fn set_websub_hub(config: &mut Config, hub: Option<&str>) -> anyhow::Result<()> {
    let Some(h) = hub.filter(|s| !s.trim().is_empty()) else {
        return Ok(());
    };
    let u = crate::config::parse_hub(h).map_err(|m| usage(format!("--websub-hub {h}"), m))?;
    config.site.websub_hub = Some(u);
    Ok(())
}

impl SiteArgs {
    /// `--site-url` and `--websub-hub` over the config's.
    pub fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        set_site_url(config, self.site_url.as_deref())?;
        set_websub_hub(config, self.websub_hub.as_deref())
    }
}

/// Pre-flight: `--series` names a configured series.
pub fn check_series(config: &Config, series: Option<&str>) -> anyhow::Result<()> {
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
pub fn apply_base_urls(config: &mut Config, args: &[String]) -> anyhow::Result<()> {
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
            Some(h) if h != crate::config::WECHAT_HOST => {
                config.fetch.base_urls.insert(h, url);
            }
            _ => config.fetch.base_url = Some(url),
        }
    }
    Ok(())
}

/// Parses `--sources`.
pub fn parse_sources(names: &[String]) -> anyhow::Result<Option<Vec<SourceKind>>> {
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
pub struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
    verbose: bool,
}

impl Reporter {
    /// A spinner when stderr is a terminal and the run is not quiet; plain lines otherwise.
    pub fn new(verbosity: Verbosity) -> Reporter {
        use std::io::IsTerminal;
        let Verbosity { quiet, verbose } = verbosity;
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Reporter { bar, quiet, verbose }
    }

    /// Clears the spinner (before the summary is printed).
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl crate::crawl::Progress for Reporter {
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

/// Prints the end-of-run summary of a crawl, import or reextract; returns how the run ended.
pub fn print_summary(s: &crate::crawl::Summary, quiet: bool) -> Outcome {
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
            eprintln!("  failed: {}: {why}", crate::crawl::readable_url(u));
        }
        for d in &s.deleted {
            eprintln!("  deleted: {}", crate::crawl::readable_url(d));
        }
        for (u, why) in &s.unreachable {
            eprintln!("  discovery source unreadable: {u}: {why}");
        }
        for (host, why) in &s.down_hosts {
            eprintln!(
                "  host unreachable: {host}: {why}; its other requests were not sent this run (tried again next run)"
            );
        }
        for (issue, w) in &s.figure_warnings {
            eprintln!("  figure warning: {issue}: {w}");
        }
        if s.pictures_read > 0 {
            eprintln!("  pictures read by OCR: {}", s.pictures_read);
        }
        if s.pictures_failed > 0 {
            eprintln!("  pictures not fetched (tried again next run): {}", s.pictures_failed);
        }
        if let Some(why) = &s.ocr_unavailable {
            eprintln!("  note: {why}; the figures in pictures were not read");
        }
    }
    if s.pictures_failed > 0 && s.pictures_read == 0 {
        eprintln!(
            "warning: none of the {} pictures to read could be fetched; their figures are missing until a later run reaches the picture host",
            s.pictures_failed
        );
    }
    for b in &s.blocked {
        eprintln!(
            "warning: blocked by the source: {b}; try again later, or save the pages from a browser and `import` them"
        );
    }
    if !s.write_failures.is_empty() {
        Outcome::Failed
    } else if s.source_unavailable() {
        Outcome::SourceUnavailable
    } else {
        Outcome::Done
    }
}

/// What could not be reached or blocked a run, for the last line of an exit 3: the blocks, the
/// hosts given up, else the hosts of the failed URLs and unreadable discovery sources, each with
/// the plain head of its first reason (the summary above lists the details).
pub fn unreachable_what(s: &crate::crawl::Summary) -> String {
    let mut parts: Vec<String> = s.blocked.iter().map(|b| format!("blocked by {b}")).collect();
    parts.extend(s.down_hosts.iter().map(|(h, why)| format!("{h} ({})", plain(why))));
    if parts.is_empty() {
        let mut hosts: Vec<(String, &str)> = Vec::new();
        for (u, why) in s.failed.iter().chain(&s.unreachable) {
            let host = url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| u.clone());
            if !hosts.iter().any(|(h, _)| *h == host) {
                hosts.push((host, why));
            }
        }
        parts.extend(hosts.into_iter().map(|(h, why)| format!("{h} ({})", plain(why))));
    }
    if parts.is_empty() {
        "the source (no request was answered)".to_string()
    } else {
        parts.join("; ")
    }
}

/// The plain head of a reason (before the library's detail): "could not connect".
fn plain(why: &str) -> &str {
    why.split(": ").next().unwrap_or(why).trim()
}

/// The last line of a `build` that exits 3: what could not be reached, and that the feeds in
/// `out` were rendered from the archive's `issues` issues (or are empty).
pub fn build_unavailable_line(what: &str, out: &Path, issues: usize) -> String {
    if issues == 0 {
        format!(
            "exit 3: could not reach {what}; the archive is empty, so the feeds in {} are empty",
            out.display()
        )
    } else {
        format!(
            "exit 3: could not reach {what}; the feeds in {} were rendered from the archive ({issues} issue{})",
            out.display(),
            if issues == 1 { "" } else { "s" }
        )
    }
}

/// Whether an input names a URL (else it is a file).
pub fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// A runtime on this thread, for commands that make a few requests.
fn current_thread_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the error's chain holds a usage error (exit 2).
    fn is_usage(e: &anyhow::Error) -> bool {
        e.chain()
            .filter_map(|c| c.downcast_ref::<crate::Error>())
            .any(|c| c.kind() == crate::error::ErrorKind::Usage)
    }

    /// The repository's config.yaml.
    fn config() -> Config {
        Config::parse(include_str!("../../config.yaml"), "config.yaml").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn base_urls_map_hosts_and_a_bare_url_maps_wechat() {
        let mut config = config();
        apply_base_urls(
            &mut config,
            &[
                "http://127.0.0.1:8080".to_string(),
                "WWW.Cert.org.cn=http://127.0.0.1:9090/mirror".to_string(),
            ],
        )
        .unwrap();
        assert_eq!(
            config.fetch.base_url.as_ref().unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            config.fetch.base_urls.get("www.cert.org.cn").unwrap().as_str(),
            "http://127.0.0.1:9090/mirror/"
        );
    }

    #[test]
    fn a_bad_base_url_is_a_usage_error_naming_the_argument() {
        let mut config = config();
        for bad in ["not a url", "ftp://example.org/", "www.cert.org.cn=/relative"] {
            let e = apply_base_urls(&mut config, &[bad.to_string()]).unwrap_err();
            assert!(is_usage(&e), "{bad}: {e:#}");
            assert!(e.to_string().contains(&format!("--base-url {bad}")), "{e:#}");
        }
    }

    #[test]
    fn unknown_sources_and_series_are_usage_errors() {
        let config = config();
        assert_eq!(parse_sources(&[]).unwrap(), None);
        assert_eq!(
            parse_sources(&["website".to_string(), " wechat".to_string()]).unwrap(),
            Some(vec![SourceKind::Website, SourceKind::Wechat])
        );
        assert!(is_usage(&parse_sources(&["rss".to_string()]).unwrap_err()));
        assert!(is_usage(&check_series(&config, Some("no-such-series")).unwrap_err()));
        let first = config.series[0].id.clone();
        check_series(&config, Some(&first)).unwrap();
    }

    #[test]
    fn outcomes_map_to_the_documented_exit_codes() {
        assert_eq!(Outcome::Done.exit_code(), 0);
        assert_eq!(Outcome::Failed.exit_code(), 1);
        assert_eq!(Outcome::SourceUnavailable.exit_code(), 3);
        assert_eq!(Outcome::failed_if(true), Outcome::Failed);
        assert_eq!(Outcome::failed_if(false), Outcome::Done);
    }
}
