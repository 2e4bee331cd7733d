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
use crate::read::ocr::{Engine, Session};
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

/// Reads the pictures inside a PDF (at most [`MAX_IMAGES`]), and again those whose figures the
/// first reading left unconfirmed ([`Engine::second_pass`]). The first entry stands for the PDF
/// itself (its URL and SHA-256, no text): the record that its pictures were read, so the PDF is
/// not fetched for them again; a note on it says what could not be read.
pub async fn read_pdf_pictures(pdf_url: &str, bytes: Vec<u8>, engine: &Engine, series: &Series) -> Vec<PictureText> {
    let first = engine.clone();
    let pdf_url = pdf_url.to_string();
    let (mut entries, pending) = tokio::task::spawn_blocking(move || {
        let (mut entries, pending) = pdf_picture_entries(&pdf_url, &bytes);
        read_now(&mut entries, &pending, &first);
        (entries, pending)
    })
    .await
    .unwrap_or_default();
    read_again(&mut entries, pending, engine, series).await;
    entries
}

/// Reads pictures already had (each its URL and bytes) as an issue's pictures are read: all in
/// one Tesseract process, then those whose figures that left unconfirmed a second time, otherwise
/// prepared ([`Engine::second_pass`]). Blocking; for tests and measurements of OCR.
pub fn read_twice_now(pictures: Vec<(String, Vec<u8>)>, engine: &Engine, series: &Series) -> Vec<PictureText> {
    let mut entries: Vec<PictureText> = pictures
        .iter()
        .map(|(url, bytes)| PictureText {
            sha256: sha256_hex(bytes),
            ..PictureText::article(url)
        })
        .collect();
    let pending: Pending = pictures.into_iter().map(|(_, b)| b).enumerate().collect();
    read_now(&mut entries, &pending, engine);
    let again = to_read_again(&entries, pending, series);
    put_second(&mut entries, read_second(again, engine));
    entries
}

/// The second reading of an issue's pictures (issue 21): those of `read` (each with the place of
/// its entry) whose figures the first reading left unconfirmed
/// ([`PictureFigures::read_again`](crate::extract::pictures::PictureFigures::read_again)) are
/// read again, prepared otherwise ([`Engine::second_pass`]), in one batch. The text is kept
/// beside the first ([`PictureText::second_reading`]) and only adds figures the first did not
/// read: the two readings of one picture never confirm each other.
async fn read_again(entries: &mut [PictureText], read: Pending, engine: &Engine, series: &Series) {
    let again = to_read_again(entries, read, series);
    if again.is_empty() {
        return;
    }
    let engine = engine.clone();
    let texts = tokio::task::spawn_blocking(move || read_second(again, &engine))
        .await
        .unwrap_or_default();
    put_second(entries, texts);
}

/// The pictures of `read` that [`read_again`] reads again.
fn to_read_again(entries: &[PictureText], read: Pending, series: &Series) -> Pending {
    let again = crate::extract::pictures::figures_from_pictures(entries, series).read_again;
    read.into_iter().filter(|(place, _)| again.contains(place)).collect()
}

/// The second readings of `again` (blocking), each with the place of its entry.
fn read_second(again: Pending, engine: &Engine) -> Vec<(usize, Result<String, String>)> {
    if again.is_empty() {
        return Vec::new();
    }
    let pictures: Vec<&[u8]> = again.iter().map(|(_, b)| b.as_slice()).collect();
    let texts = engine.second_pass().read_many(&pictures);
    again.iter().map(|(place, _)| *place).zip(texts).collect()
}

/// Puts the second readings into their entries (a picture the second reading failed on keeps
/// its first reading alone).
fn put_second(entries: &mut [PictureText], texts: Vec<(usize, Result<String, String>)>) {
    for (place, text) in texts {
        if let (Some(p), Ok(text)) = (entries.get_mut(place), text) {
            p.second_reading = text;
        }
    }
}

/// Bytes of pictures waiting for OCR, each with the place of its entry.
type Pending = Vec<(usize, Vec<u8>)>;

/// The entries of a PDF's pictures (the first stands for the PDF itself, see
/// [`read_pdf_pictures`]), their texts still to be read from the pictures returned beside.
fn pdf_picture_entries(pdf_url: &str, bytes: &[u8]) -> (Vec<PictureText>, Pending) {
    let mut marker = PictureText {
        sha256: sha256_hex(bytes),
        ..PictureText::pdf(pdf_url)
    };
    let (pictures, skipped) = match crate::read::pdf::pdf_pictures(bytes, MAX_IMAGES) {
        Ok(x) => x,
        Err(e) => {
            marker.note = Some(format!("the PDF's pictures cannot be read: {e}"));
            return (vec![marker], Vec::new());
        }
    };
    if skipped > 0 {
        marker.note = Some(format!(
            "{skipped} picture(s) of the PDF are in forms not read (JPEG 2000, CCITT, masks, palettes) or too large"
        ));
    }
    let mut out = vec![marker];
    let mut pending = Vec::new();
    for p in pictures {
        out.push(PictureText {
            sha256: p.sha256,
            ..PictureText::in_pdf(pdf_url, p.number)
        });
        pending.push((out.len() - 1, p.encoded));
    }
    (out, pending)
}

/// Reads the pending pictures in one Tesseract process ([`Engine::read_many`]) and puts each
/// text (or why there is none) into its entry.
fn read_now(entries: &mut [PictureText], pending: &Pending, engine: &Engine) {
    if pending.is_empty() {
        return;
    }
    let pictures: Vec<&[u8]> = pending.iter().map(|(_, b)| b.as_slice()).collect();
    let places = pending.iter().map(|(place, _)| *place);
    for (place, read) in places.zip(engine.read_many(&pictures)) {
        if let Some(p) = entries.get_mut(place) {
            match read {
                Ok(text) => p.text = text,
                Err(why) => p.note = Some(why),
            }
        }
    }
}

/// The pictures of an issue read by one Tesseract process as they are fetched ([`Session`]):
/// it reads one while the next is fetched. Their bytes are kept until the end, for the second
/// reading of those whose figures the first left unconfirmed ([`read_again`]).
struct Reading {
    engine: Engine,
    session: Option<Session>,
    /// Where the pictures added are in the caller's list of entries, in the order added.
    places: Vec<usize>,
    /// Entries whose reading was lost (a bug), with why.
    lost: Vec<(usize, String)>,
    /// The pictures added, each with the place of its entry.
    added: Pending,
}

impl Reading {
    fn new(engine: &Engine) -> Reading {
        Reading {
            engine: engine.clone(),
            session: None,
            places: Vec::new(),
            lost: Vec::new(),
            added: Vec::new(),
        }
    }

    /// Hands the picture of entry `place` to Tesseract (prepared off the async runtime's threads).
    async fn add(&mut self, place: usize, bytes: Vec<u8>) {
        let mut session = self.session.take().unwrap_or_else(|| Session::new(&self.engine));
        let added = tokio::task::spawn_blocking(move || {
            session.add(&bytes);
            (session, bytes)
        })
        .await;
        match added {
            Ok((session, bytes)) => {
                self.session = Some(session);
                self.places.push(place);
                self.added.push((place, bytes));
            }
            Err(e) => {
                let why = format!("OCR stopped: {e}");
                self.lost.extend(self.places.drain(..).map(|p| (p, why.clone())));
                self.lost.push((place, why));
            }
        }
    }

    /// Puts every picture's text (or why there is none) into its entry; then reads again those
    /// whose figures that left unconfirmed ([`read_again`]).
    async fn finish(self, entries: &mut [PictureText], series: &Series) {
        let mut read: Vec<(usize, Result<String, String>)> = Vec::new();
        if let Some(session) = self.session {
            match tokio::task::spawn_blocking(move || session.finish()).await {
                Ok(texts) => read.extend(self.places.into_iter().zip(texts)),
                Err(e) => read.extend(self.places.into_iter().map(|p| (p, Err(format!("OCR stopped: {e}"))))),
            }
        }
        read.extend(self.lost.into_iter().map(|(p, why)| (p, Err(why))));
        for (place, text) in read {
            if let Some(p) = entries.get_mut(place) {
                match text {
                    Ok(text) => p.text = text,
                    Err(why) => p.note = Some(why),
                }
            }
        }
        read_again(entries, self.added, &self.engine, series).await;
    }
}

/// Fetches and reads the pictures at `urls` (through the fetcher: politeness, retries, base-URL
/// mapping; mmbiz.qpic.cn only), all of them in one Tesseract process, then again those whose
/// figures (by `series`) that left unconfirmed ([`Engine::second_pass`]). A picture already in
/// `known` (read, even to no text, or given up with a note) is not fetched again.
/// Pictures that cannot be read get a note instead of text.
pub async fn read_pictures(
    urls: &[String],
    fetcher: &crate::fetch::Fetcher,
    engine: &Engine,
    known: &[PictureText],
    series: &Series,
) -> Vec<PictureText> {
    let mut reading = Reading::new(engine);
    let mut out = fetch_pictures(urls, fetcher, known, &mut reading).await;
    reading.finish(&mut out, series).await;
    out
}

/// The entries of the pictures at `urls` (see [`read_pictures`]); each picture fetched is handed
/// to `reading` as it comes, its text filled in when the reading finishes.
async fn fetch_pictures(
    urls: &[String],
    fetcher: &crate::fetch::Fetcher,
    known: &[PictureText],
    reading: &mut Reading,
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
        out.push(PictureText {
            sha256: sha256_hex(&bytes),
            ..PictureText::article(u)
        });
        reading.add(out.len() - 1, bytes).await;
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
        // The article's pictures and the PDF's are read by one Tesseract process, each picture
        // as it comes.
        let mut reading = Reading::new(&engine);
        let mut pictures = if t.wechat.is_empty() {
            Vec::new()
        } else {
            fetch_pictures(&t.wechat, &fetcher, &before, &mut reading).await
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
                let pdf = pdf.clone();
                let (entries, in_pdf) = tokio::task::spawn_blocking(move || pdf_picture_entries(&pdf, &bytes))
                    .await
                    .unwrap_or_default();
                let offset = pictures.len();
                pictures.extend(entries);
                for (i, b) in in_pdf {
                    reading.add(offset + i, b).await;
                }
            }
        }
        reading.finish(&mut pictures, series).await;
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
