//! The pictures source: the figures in an issue's pictures (since 2021 the monitoring figures are
//! only there). It fetches the pictures of the WeChat article's 本周网络安全基本态势 section and
//! reads the pictures inside the website's PDF, through OCR ([`crate::read::ocr`]); the figures
//! are then read from their texts ([`crate::extract::pictures`]).

use crate::picture::{PictureText, sha256_hex};
use crate::read::ocr::Engine;

/// At most this many pictures are read per issue.
pub const MAX_IMAGES: usize = 12;
/// Pictures larger than this are skipped with a note.
pub const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;

/// The key under which a PDF's picture is kept: the PDF's URL and the picture's place in it.
pub fn pdf_picture_url(pdf: &str, number: usize) -> String {
    format!("{pdf}#picture={number}")
}

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
        url: pdf_url.to_string(),
        sha256: sha256_hex(bytes),
        text: String::new(),
        note: None,
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
        let url = pdf_picture_url(pdf_url, p.number);
        out.push(match engine.read(&p.encoded) {
            Ok(text) => PictureText {
                url,
                sha256: p.sha256,
                text,
                note: None,
            },
            Err(why) => PictureText {
                url,
                sha256: p.sha256,
                text: String::new(),
                note: Some(why),
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
            .find(|k| &k.url == u && (!k.sha256.is_empty() || k.note.is_some()))
        {
            out.push(k.clone());
            continue;
        }
        let note = |n: String| PictureText {
            url: u.clone(),
            sha256: String::new(),
            text: String::new(),
            note: Some(n),
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
                out.push(note(format!("HTTP {code}; skipped")));
                continue;
            }
            Fetched::Refused(why) | Fetched::Failed(why) | Fetched::Blocked(why) => {
                out.push(note(format!("{why}; skipped")));
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
        out.push(match read {
            Ok(text) => PictureText {
                url: u.clone(),
                sha256,
                text,
                note: None,
            },
            Err(why) => PictureText {
                url: u.clone(),
                sha256,
                text: String::new(),
                note: Some(why),
            },
        });
    }
    out
}
