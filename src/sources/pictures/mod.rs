//! The pictures source: the figures in an issue's pictures (since 2021 the monitoring figures are
//! only there). It fetches the pictures of the WeChat article's 本周网络安全基本态势 section and
//! reads the pictures inside the website's PDF, through OCR ([`crate::read::ocr`]); the figures
//! are then read from their texts ([`crate::extract::pictures`]).

use std::collections::HashSet;

use crate::archive::Entry;
use crate::assemble::{Observation, ReadVia, SourceKind};
use crate::config::{Config, Series};
use crate::crawl::{CrawlOptions, SeriesRun, Source, SourceRun, label, now};
use crate::fetch::{Fetched, Fetcher, HostPolicy};
use crate::picture::{PictureKey, PictureText, sha256_hex};
use crate::read::ocr::Engine;
use crate::report::{IssueId, Report};
use crate::sources::wechat::IMAGE_HOST;
use crate::sources::wechat::pictures::section_pictures;

/// The pictures source: OCR of the pictures of issues whose texts lack the monitoring figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pictures;

impl Source for Pictures {
    fn kind(&self) -> SourceKind {
        SourceKind::Ocr
    }

    fn hosts(&self) -> Vec<HostPolicy> {
        vec![HostPolicy::pictures(IMAGE_HOST)]
    }

    fn selected(&self, opts: &CrawlOptions, config: &Config) -> bool {
        config.ocr && !opts.no_ocr
    }

    fn run<'a, 'b: 'a>(&'a self, run: &'a mut SeriesRun<'b>) -> SourceRun<'a> {
        Box::pin(ocr_pass(run))
    }

    fn reread(&self, o: &Observation, config: &Config) -> Option<Report> {
        if o.pictures.is_empty() {
            return None;
        }
        let series = config.series(o.report.series.as_deref()?)?;
        Some(ocr_observation(&o.report, o.pictures.clone(), series).report)
    }
}

/// At most this many pictures are read per issue.
pub const MAX_IMAGES: usize = 12;
/// Pictures larger than this are skipped with a note.
pub const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;

/// Reads the pictures inside a PDF (at most [`MAX_IMAGES`]). The first entry stands for the PDF
/// itself (its URL and SHA-256, no text): the record that its pictures were read, so the PDF is
/// not fetched for them again; a note on it says what could not be read.
pub async fn read_pdf_pictures(pdf_url: &str, bytes: Vec<u8>, engine: &Engine) -> Vec<PictureText> {
    let engine = engine.clone();
    let pdf_url = pdf_url.to_string();
    tokio::task::spawn_blocking(move || read_pdf_pictures_now(&pdf_url, &bytes, &engine))
        .await
        .unwrap_or_default()
}

fn read_pdf_pictures_now(pdf_url: &str, bytes: &[u8], engine: &Engine) -> Vec<PictureText> {
    let mut marker = PictureText {
        sha256: sha256_hex(bytes),
        ..PictureText::pdf(pdf_url)
    };
    let (pictures, skipped) = match crate::read::pdf::pdf_pictures(bytes, MAX_IMAGES) {
        Ok(x) => x,
        Err(e) => {
            marker.note = Some(format!("the PDF's pictures cannot be read: {e}"));
            return vec![marker];
        }
    };
    if skipped > 0 {
        marker.note = Some(format!(
            "{skipped} picture(s) of the PDF are in forms not read (JPEG 2000, CCITT, masks, palettes) or too large"
        ));
    }
    let mut out = vec![marker];
    for p in pictures {
        let picture = PictureText {
            sha256: p.sha256,
            ..PictureText::in_pdf(pdf_url, p.number)
        };
        out.push(match engine.read(&p.encoded) {
            Ok(text) => PictureText { text, ..picture },
            Err(why) => PictureText {
                note: Some(why),
                ..picture
            },
        });
    }
    out
}

/// Fetches and reads the pictures at `urls` (through the fetcher: politeness, retries, base-URL
/// mapping; mmbiz.qpic.cn only). A picture already in `known` (read, even to no text, or given up
/// with a note) is not fetched again.
/// Pictures that cannot be read get a note instead of text.
pub async fn read_pictures(
    urls: &[String],
    fetcher: &crate::fetch::Fetcher,
    engine: &Engine,
    known: &[PictureText],
) -> Vec<PictureText> {
    use crate::fetch::Fetched;
    let mut out = Vec::new();
    for u in urls.iter().take(MAX_IMAGES) {
        if let Some(k) = known
            .iter()
            .find(|k| k.key() == PictureKey::Article(u) && k.is_settled())
        {
            out.push(k.clone());
            continue;
        }
        let note = |n: String| PictureText {
            note: Some(n),
            ..PictureText::article(u)
        };
        let Ok(url) = url::Url::parse(u) else {
            out.push(note("not an absolute URL; skipped".into()));
            continue;
        };
        let bytes = match fetcher.get_image(&url, MAX_IMAGE_BYTES).await {
            Fetched::Page { body, .. } => body,
            Fetched::TooLarge(max) => {
                out.push(note(format!("larger than {} MiB; skipped", max / (1024 * 1024))));
                continue;
            }
            Fetched::Status(code) => {
                let passing = code == 408 || code == 429 || code >= 500;
                out.push(PictureText {
                    retry: passing,
                    ..note(format!("HTTP {code}; skipped"))
                });
                continue;
            }
            Fetched::Refused(why) => {
                out.push(note(format!("{why}; skipped")));
                continue;
            }
            Fetched::Failed(why) | Fetched::Blocked(why) => {
                out.push(PictureText {
                    retry: true,
                    ..note(format!("{why}; tried again next run"))
                });
                continue;
            }
            Fetched::NotModified => {
                out.push(note("unexpected 304; skipped".into()));
                continue;
            }
        };
        let sha256 = sha256_hex(&bytes);
        let engine = engine.clone();
        let read = tokio::task::spawn_blocking(move || engine.read(&bytes))
            .await
            .unwrap_or_else(|e| Err(format!("OCR stopped: {e}")));
        let picture = PictureText {
            sha256,
            ..PictureText::article(u)
        };
        out.push(match read {
            Ok(text) => PictureText { text, ..picture },
            Err(why) => PictureText {
                note: Some(why),
                ..picture
            },
        });
    }
    out
}

/// Pictures of an issue not read yet: its WeChat section's picture URLs (all of them, the read
/// ones included, in order) when one is unread, and its website PDF when its pictures are unread.
struct Unread {
    id: IssueId,
    wechat: Vec<String>,
    pdf: Option<String>,
}

/// What of an entry's pictures is still to be read, when its text sources lack the monitoring
/// figures (since 2021 they are only in pictures).
fn unread_pictures(id: &IssueId, e: &Entry) -> Option<Unread> {
    let texts = e.observations.iter().filter(|(k, _)| **k != SourceKind::Ocr);
    if !texts.clone().all(|(_, o)| o.report.lacks_monitoring_figures()) {
        return None;
    }
    let read: HashSet<PictureKey> = e
        .observations
        .get(&SourceKind::Ocr)
        .map(|o| o.pictures.iter().filter(|p| !p.retry).map(PictureText::key).collect())
        .unwrap_or_default();
    let wechat = e
        .observations
        .get(&SourceKind::Wechat)
        .and_then(|o| o.content_html.as_deref())
        .map(section_pictures)
        .unwrap_or_default();
    let wechat = if wechat
        .iter()
        .take(MAX_IMAGES)
        .any(|u| !read.contains(&PictureKey::Article(u)))
    {
        wechat
    } else {
        Vec::new()
    };
    let pdf = e
        .observations
        .get(&SourceKind::Website)
        .filter(|o| o.pdf_text.is_some())
        .and_then(|o| o.report.pdf.clone())
        .filter(|u| !read.contains(&PictureKey::Pdf(u)));
    (!wechat.is_empty() || pdf.is_some()).then(|| Unread {
        id: id.clone(),
        wechat,
        pdf,
    })
}

/// Reads the pictures of archived issues whose text lacks the monitoring figures: the WeChat
/// article's and those inside the website's PDF (at most `limit` issues a run, newest first).
/// Pictures already read are never fetched or read again: their text is in the archive. A PDF
/// read by this run's website pass is not fetched again either.
async fn ocr_pass(run: &mut SeriesRun<'_>) {
    let (config, series, progress, limit) = (run.config, run.series, run.progress, run.limit);
    let fetcher = run.fetcher.clone();
    let mut todo: Vec<Unread> = run
        .known
        .entries
        .iter()
        .filter_map(|(id, e)| unread_pictures(id, e))
        .collect();
    if todo.is_empty() {
        return;
    }
    let engine = match crate::read::ocr::Engine::detect() {
        Ok(e) => e,
        Err(why) => {
            progress.note(&format!("note: {why}; the figures in pictures are not read this run"));
            run.summary.ocr_unavailable = Some(why);
            return;
        }
    };
    todo.sort_by_key(|t| std::cmp::Reverse((t.id.year, t.id.issue)));
    todo.truncate(limit);
    for t in todo {
        let Some(entry) = run.known.entries.get(&t.id) else {
            continue;
        };
        let base = entry.report.clone();
        let before: Vec<PictureText> = entry
            .observations
            .get(&SourceKind::Ocr)
            .map(|o| o.pictures.clone())
            .unwrap_or_default();
        progress.fetching(&format!("pictures of {}", label(&base)));
        let mut pictures = if t.wechat.is_empty() {
            Vec::new()
        } else {
            read_pictures(&t.wechat, &fetcher, &engine, &before).await
        };
        // Pictures read before that this read did not cover (a PDF's) stay.
        for p in &before {
            if !pictures.iter().any(|q| q.key() == p.key()) {
                pictures.push(p.clone());
            }
        }
        if let Some(pdf) = &t.pdf {
            let bytes = match run.known.documents.remove(pdf) {
                Some(b) => Some(b),
                None => fetch_pdf(pdf, &fetcher, config.fetch.max_pdf_bytes, run).await,
            };
            if let Some(bytes) = bytes {
                pictures.extend(read_pdf_pictures(pdf, bytes, &engine).await);
            }
        }
        let new = pictures
            .iter()
            .filter(|p| !p.sha256.is_empty() && !p.text.is_empty())
            .filter(|p| !before.iter().any(|b| b.key() == p.key() && b.is_settled()))
            .count();
        run.summary.pictures_read += new;
        for p in pictures.iter().filter(|p| p.retry) {
            run.summary.pictures_failed += 1;
            let why = p.note.clone().unwrap_or_default();
            run.summary
                .failed
                .push((p.url.clone(), format!("picture of {}: {why}", label(&base))));
        }
        if pictures == before {
            continue;
        }
        let obs = ocr_observation(&base, pictures, series);
        run.store(SourceKind::Ocr, obs, None);
    }
}

/// Fetches a PDF for its pictures; `None` (with the failure in the summary) when it cannot be had.
async fn fetch_pdf(pdf: &str, fetcher: &Fetcher, max: u64, run: &mut SeriesRun<'_>) -> Option<Vec<u8>> {
    let summary = &mut *run.summary;
    let url = url::Url::parse(pdf).ok()?;
    let fetched = fetcher.get_large(&url, max).await;
    summary.tally(&fetched);
    match fetched {
        Fetched::Page { body, .. } => Some(body),
        other => {
            let why = match other {
                Fetched::Status(code) => format!("HTTP {code}"),
                Fetched::TooLarge(m) => format!("larger than {m} bytes"),
                Fetched::Refused(why) | Fetched::Failed(why) | Fetched::Blocked(why) => why,
                _ => "no PDF".to_string(),
            };
            summary
                .failed
                .push((pdf.to_string(), format!("the PDF, for its pictures: {why}")));
            None
        }
    }
}

/// The OCR source's observation of an issue: the identity of `base` (the WeChat record), the
/// figures the pictures confirm, and the pictures' texts (kept, so none is read twice).
pub fn ocr_observation(base: &Report, pictures: Vec<PictureText>, series: &Series) -> Observation {
    let figures = crate::extract::pictures::figures_from_pictures(&pictures, series);
    let mut report = base.clone();
    report.metrics = figures.metrics;
    report.assessment = None;
    report.previous = Vec::new();
    report.summary = None;
    report.warnings = figures.warnings;
    for p in &pictures {
        if let Some(n) = &p.note {
            report.warnings.push(format!("picture {}: {n}", p.url));
        }
    }
    Observation {
        pictures,
        ..Observation::new(report, ReadVia::Page, now())
    }
}
