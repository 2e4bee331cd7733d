//! `extract`: one JSON record per input (saved file or URL), in input order, on stdout (JSON
//! Lines); with `--ocr`, the figures in the report's pictures are read too.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::assemble::{Observation, ReadVia, SourceKind, assemble};
use crate::cli::{ExtractArgs, Got, Outcome, apply_base_urls, current_thread_runtime, fetch_document, is_url};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::sources::{DocumentKind, read_classified, read_document};
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
    let pool = Pool {
        inputs,
        config: &config,
        next: AtomicUsize::new(0),
        written: AtomicUsize::new(0),
        closed: AtomicBool::new(false),
    };
    std::thread::scope(|scope| -> anyhow::Result<()> {
        // However this thread leaves (stdout closed, a bug), a worker waiting for the output
        // to catch up stops waiting.
        let _closing = Closing(&pool.closed);
        let (finished, done) = mpsc::channel();
        for _ in 1..jobs {
            let finished = finished.clone();
            let pool = &pool;
            scope.spawn(move || pool.work(&finished));
        }
        drop(finished);
        // The main thread extracts too (with `--jobs 1` it is the only one: no thread, no hand-over)
        // and writes the lines in input order as they come; a worker's results are collected
        // between its own inputs, so no thread waits on another while there is work.
        let mut pending: BTreeMap<usize, Result<String, String>> = BTreeMap::new();
        let mut write = |pending: &mut BTreeMap<usize, Result<String, String>>| -> anyhow::Result<()> {
            let mut at = pool.written.load(Ordering::Acquire);
            while let Some(result) = pending.remove(&at) {
                match result {
                    Ok(line) => {
                        out.write_all(line.as_bytes())?;
                        out.write_all(b"\n")?;
                    }
                    Err(msg) => {
                        // Every error names its input once.
                        failed += 1;
                        out.flush()?;
                        eprintln!("error: {msg}");
                    }
                }
                at += 1;
            }
            pool.written.store(at, Ordering::Release);
            Ok(())
        };
        let mut buf = Vec::new();
        let url = |i: usize| match (fetcher.as_ref(), runtime.as_ref()) {
            (Some(f), Some(rt)) => rt.block_on(extract_url(&inputs[i], f, &config)),
            _ => Err(format!("{}: no HTTP client", inputs[i])),
        };
        let take = |pending: &mut BTreeMap<usize, Result<String, String>>,
                    (i, r): (usize, Option<Result<String, String>>)| {
            // A worker leaves URLs to this thread (the fetcher's).
            pending.insert(i, r.unwrap_or_else(|| url(i)));
        };
        while let Some(i) = pool.claim() {
            let r = if is_url(&inputs[i]) {
                url(i)
            } else {
                pool.file(i, &mut buf)
            };
            pending.insert(i, r);
            while let Ok(got) = done.try_recv() {
                take(&mut pending, got);
            }
            write(&mut pending)?;
        }
        for got in done.iter() {
            take(&mut pending, got);
            write(&mut pending)?;
        }
        write(&mut pending)?;
        out.flush()?;
        Ok(())
    })?;
    Ok(Outcome::failed_if(failed > 0))
}

/// The inputs of one `extract` run, taken one at a time by every thread, in order.
struct Pool<'a> {
    inputs: &'a [String],
    config: &'a Config,
    /// The next input to take.
    next: AtomicUsize,
    /// The inputs written out so far (by the main thread).
    written: AtomicUsize,
    /// The main thread writes no more: workers stop.
    closed: AtomicBool,
}

/// Sets its flag when dropped.
struct Closing<'a>(&'a AtomicBool);

impl Drop for Closing<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// How far ahead of the output a worker may run (its results wait in memory until written).
const AHEAD: usize = 256;

impl Pool<'_> {
    /// The next input for a thread, if any is left.
    fn claim(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.inputs.len()).then_some(i)
    }

    /// A worker thread: files until none is left (a URL is sent back as `None`, for the main
    /// thread to fetch); it waits while the output is far behind (the main thread on a slow URL),
    /// so that memory stays flat however many inputs there are.
    fn work(&self, finished: &mpsc::Sender<(usize, Option<Result<String, String>>)>) {
        // One buffer per thread, reused: no fresh 300 KB allocation per page.
        let mut buf = Vec::new();
        while let Some(i) = self.claim() {
            while i >= self.written.load(Ordering::Acquire) + AHEAD {
                if self.closed.load(Ordering::Acquire) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            let r = (!is_url(&self.inputs[i])).then(|| self.file(i, &mut buf));
            if finished.send((i, r)).is_err() {
                break;
            }
        }
    }

    /// One file's line; a panic (a bug) is that input's error, not a run waiting forever for it.
    fn file(&self, i: usize, buf: &mut Vec<u8>) -> Result<String, String> {
        let input = &self.inputs[i];
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            extract_file(Path::new(input), self.config, buf)
        }))
        .unwrap_or_else(|_| Err(format!("{input}: the extraction failed (a bug: please report it)")))
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
            let (kind, extracted) = read_classified(&bytes, url.as_ref(), input, config).map_err(|e| e.to_string())?;
            Ok((bytes, url, kind, extracted))
        });
        let (bytes, url, kind, extracted) = match read {
            Ok(x) => x,
            Err(why) => {
                failed += 1;
                eprintln!("error: {why}");
                continue;
            }
        };
        let report = extracted.report;
        let series = report.series.as_deref().and_then(|id| config.series(id));
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
    use crate::sources::document_kind;

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
