//! `extract`: one JSON record per input (saved file or URL), in input order, on stdout (JSON
//! Lines); with `--ocr`, the figures in the report's pictures are read too.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Mutex, mpsc};

use crate::assemble::{Observation, ReadVia, SourceKind, assemble};
use crate::cli::{ExtractArgs, Got, Outcome, apply_base_urls, current_thread_runtime, fetch_document, is_url};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::sources::{DocumentKind, document_kind, read_document};
use crate::{PageKind, Report};

/// `extract`: applies `--base-url`, then extracts every input (through [`run_extract_ocr`] with
/// `--ocr`). Fails (exit 1) when an input could not be read; the others are still printed.
pub fn run_extract(mut config: Config, args: &ExtractArgs) -> anyhow::Result<Outcome> {
    apply_base_urls(&mut config, &args.base_url)?;
    if args.ocr {
        return run_extract_ocr(&config, &args.inputs);
    }
    let inputs = &args.inputs;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut failed = 0usize;
    let jobs = args
        .jobs
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1);
    let fetcher = if inputs.iter().any(|i| is_url(i)) {
        Some(Fetcher::new(&config.fetch, crate::sources::hosts())?)
    } else {
        None
    };
    let runtime = if fetcher.is_some() {
        Some(current_thread_runtime()?)
    } else {
        None
    };
    // The worker threads live as long as the run: each keeps its buffer and its regexes'
    // caches warm from one input to the next (a thread a batch cost 13% more time).
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let batch = Batch {
            config: &config,
            workers: Workers::start(scope, &config, jobs),
            fetcher: fetcher.as_ref(),
            runtime: runtime.as_ref(),
        };
        // Work in batches so that memory stays flat however many inputs there are.
        for chunk in inputs.chunks(jobs * 16) {
            let results = batch.extract(chunk);
            // Every error names its input once.
            for result in results {
                match result {
                    Ok(line) => {
                        out.write_all(line.as_bytes())?;
                        out.write_all(b"\n")?;
                    }
                    Err(msg) => {
                        failed += 1;
                        out.flush()?;
                        eprintln!("error: {msg}");
                    }
                }
            }
            out.flush()?;
        }
        Ok(())
    })?;
    Ok(Outcome::failed_if(failed > 0))
}

/// Threads extracting files, fed through a channel; they end when it closes (the [`Workers`] dropped).
struct Workers {
    /// Files to extract, with their place in the batch.
    files: mpsc::Sender<(usize, String)>,
    /// Each file's line (or error), with its place.
    done: mpsc::Receiver<(usize, Result<String, String>)>,
}

impl Workers {
    fn start<'scope>(scope: &'scope std::thread::Scope<'scope, '_>, config: &'scope Config, jobs: usize) -> Workers {
        let (files, todo) = mpsc::channel::<(usize, String)>();
        let (finished, done) = mpsc::channel();
        let todo = std::sync::Arc::new(Mutex::new(todo));
        for _ in 0..jobs {
            let (todo, finished) = (todo.clone(), finished.clone());
            scope.spawn(move || {
                // One buffer per thread, reused: no fresh 300 KB allocation per page.
                let mut buf = Vec::new();
                loop {
                    let next = todo.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((i, input)) = next else { break };
                    // A panic (a bug) is that input's error, not a batch waiting forever for it.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        extract_file(Path::new(&input), config, &mut buf)
                    }))
                    .unwrap_or_else(|_| Err(format!("{input}: the extraction failed (a bug: please report it)")));
                    if finished.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        Workers { files, done }
    }
}

/// What every batch of inputs is extracted with.
struct Batch<'a> {
    config: &'a Config,
    /// The threads for files.
    workers: Workers,
    /// The HTTP client, when an input is a URL.
    fetcher: Option<&'a Fetcher>,
    /// The runtime the fetcher runs on.
    runtime: Option<&'a tokio::runtime::Runtime>,
}

impl Batch<'_> {
    /// Extracts a batch: files on the worker threads, URLs one after another through the fetcher.
    fn extract(&self, chunk: &[String]) -> Vec<Result<String, String>> {
        let mut results: Vec<Option<Result<String, String>>> = vec![None; chunk.len()];
        let mut sent = 0;
        for (i, input) in chunk.iter().enumerate() {
            if !is_url(input) && self.workers.files.send((i, input.clone())).is_ok() {
                sent += 1;
            }
        }
        for (i, input) in chunk.iter().enumerate() {
            if is_url(input) {
                results[i] = Some(match (self.fetcher, self.runtime) {
                    (Some(f), Some(rt)) => rt.block_on(extract_url(input, f, self.config)),
                    _ => Err(format!("{input}: no HTTP client")),
                });
            }
        }
        for _ in 0..sent {
            let Ok((i, r)) = self.workers.done.recv() else { break };
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
        results
            .into_iter()
            .zip(chunk)
            .map(|(r, input)| r.unwrap_or_else(|| Err(format!("{input}: not processed"))))
            .collect()
    }
}

/// The output line of a saved file (read into `buf`); an error names the file once.
fn extract_file(path: &Path, config: &Config, buf: &mut Vec<u8>) -> Result<String, String> {
    buf.clear();
    let input = path.display().to_string();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(buf))
        .map_err(|e| format!("{input}: cannot read the file: {e}"))?;
    // The readers' errors name the input.
    let extracted = read_document(buf, None, &input, config).map_err(|e| e.to_string())?;
    record_line(&extracted.report, &input).map_err(|e| format!("{input}: {e}"))
}

/// An error about a URL that names it exactly once: as it is when it names it already (a refused
/// host's message, the readers' errors), else with the URL in front.
fn named(input: &str, message: String) -> String {
    if message.contains(input) {
        message
    } else {
        format!("{input}: {message}")
    }
}

/// The output line of a URL; a captcha answer is a `captcha` record (with a warning). An error
/// names the URL once.
async fn extract_url(input: &str, fetcher: &Fetcher, config: &Config) -> Result<String, String> {
    read_url(input, fetcher, config).await.map_err(|e| named(input, e))
}

async fn read_url(input: &str, fetcher: &Fetcher, config: &Config) -> Result<String, String> {
    let (page, final_url) = match fetch_document(input, fetcher, config).await? {
        Got::Document(body, url) => (body, url),
        Got::Blocked(reason) => {
            let r = Report::of_kind(PageKind::Captcha, Some(input.to_string()));
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

/// One output line of `extract`: the record, with the input it came from as `input` (last).
pub fn record_line(report: &Report, input: &str) -> Result<String, String> {
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
pub fn run_extract_ocr(config: &Config, inputs: &[String]) -> anyhow::Result<Outcome> {
    let engine = match crate::read::ocr::Engine::detect() {
        Ok(e) => Some(e),
        Err(why) => {
            eprintln!("note: {why}; figures in pictures are not read");
            None
        }
    };
    let fetcher = Fetcher::new(&config.fetch, crate::sources::hosts())?;
    let rt = current_thread_runtime()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0usize;
    for input in inputs {
        let got = if is_url(input) {
            match rt.block_on(fetch_document(input, &fetcher, config)) {
                Ok(Got::Document(body, url)) => Ok((body, Some(url))),
                Ok(Got::Blocked(reason)) => Err(format!("the source answered with its captcha ({reason})")),
                Err(e) => Err(e),
            }
            .map_err(|e| named(input, e))
        } else {
            std::fs::read(input)
                .map(|b| (b, None))
                .map_err(|e| format!("{input}: cannot read the file: {e}"))
        };
        let read = got.and_then(|(bytes, url)| {
            let extracted = read_document(&bytes, url.as_ref(), input, config).map_err(|e| e.to_string())?;
            Ok((bytes, url, extracted))
        });
        let (bytes, url, extracted) = match read {
            Ok(x) => x,
            Err(why) => {
                failed += 1;
                eprintln!("error: {why}");
                continue;
            }
        };
        let report = extracted.report;
        let series = report.series.as_deref().and_then(|id| config.series(id));
        let kind = document_kind(&bytes);
        let is_pdf = kind == DocumentKind::Pdf;
        let pictures = match (&engine, series, &extracted.content_html) {
            (Some(engine), Some(series), _) if is_pdf && report.lacks_monitoring_figures() => {
                let key = url.as_ref().map(|u| u.to_string()).unwrap_or_else(|| input.clone());
                rt.block_on(crate::sources::pictures::read_pdf_pictures(
                    &key,
                    bytes.clone(),
                    engine,
                    series,
                ))
            }
            (Some(engine), Some(series), Some(html)) if report.lacks_monitoring_figures() => {
                let urls = crate::sources::wechat::pictures::section_pictures(html);
                rt.block_on(crate::sources::pictures::read_pictures(
                    &urls,
                    &fetcher,
                    engine,
                    &[],
                    series,
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
        let mut observations = BTreeMap::new();
        observations.insert(
            SourceKind::Ocr,
            crate::sources::pictures::ocr_observation(&report, pictures, series),
        );
        observations.insert(
            kind.source().unwrap_or(SourceKind::Wechat),
            Observation::new(report, ReadVia::Page, crate::crawl::now()),
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
    Ok(Outcome::failed_if(failed > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_line_puts_the_input_last() {
        let report = Report::of_kind(PageKind::Deleted, Some("https://mp.weixin.qq.com/s/x".to_string()));
        let line = record_line(&report, "saved \"page\".html").unwrap();
        assert!(line.ends_with(r#","input":"saved \"page\".html"}"#), "{line}");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["kind"], "deleted");
        assert_eq!(value["url"], "https://mp.weixin.qq.com/s/x");
        assert_eq!(value["input"], "saved \"page\".html");
    }

    #[test]
    fn a_document_is_known_by_its_bytes_and_so_is_its_source() {
        assert_eq!(document_kind(b"%PDF-1.7\n"), DocumentKind::Pdf);
        assert_eq!(document_kind(b"\xEF\xBB\xBF junk %PDF-1.4"), DocumentKind::Pdf);
        assert_ne!(document_kind(b"<html>%PDF</html>"), DocumentKind::Pdf);
        assert_eq!(document_kind(b""), DocumentKind::NotADocument);
        assert_eq!(DocumentKind::Pdf.source(), Some(SourceKind::Website));
        assert_eq!(
            document_kind(b"<html><body>x</body></html>").source(),
            Some(SourceKind::Wechat)
        );
    }
}
