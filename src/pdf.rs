//! A PDF's text, in reading order, whatever its fonts (embedded subsets with ToUnicode,
//! non-embedded CJK fonts under predefined CMaps such as UniGB-UCS2-H) and owner-password
//! encryption; `NoText` for scans. Everything PDF-specific sits behind [`pdf_text`] so the
//! reader (lopdf today, chosen by measurement: see the README) can be swapped.
//!
//! A malformed PDF is an error, never a panic (the reader runs under `catch_unwind`) and never a
//! hang (it runs on its own thread with a time limit).

use std::time::Duration;

/// The longest a single PDF may take to read.
pub const PDF_TIME_LIMIT: Duration = Duration::from_secs(20);

/// What a PDF holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfText {
    /// Its text, one text run a line (lines break anywhere, even inside words).
    Text(String),
    /// No text layer at all (a scan).
    NoText,
}

/// Why a PDF could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PdfError(pub String);

/// Reads the text of a PDF.
pub fn pdf_text(bytes: &[u8]) -> Result<PdfText, PdfError> {
    if memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_none() {
        return Err(PdfError("not a PDF (no %PDF- header)".into()));
    }
    let owned = bytes.to_vec();
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name("pdf-text".into()).spawn(move || {
        let r = std::panic::catch_unwind(|| read(&owned))
            .unwrap_or_else(|_| Err(PdfError("the PDF reader failed on malformed content".into())));
        let _ = tx.send(r);
    });
    if let Err(e) = spawned {
        return Err(PdfError(format!("cannot start the PDF reader: {e}")));
    }
    match rx.recv_timeout(PDF_TIME_LIMIT) {
        Ok(r) => r,
        Err(_) => Err(PdfError(format!(
            "reading took longer than {} s; the PDF is probably malformed",
            PDF_TIME_LIMIT.as_secs()
        ))),
    }
}

fn read(bytes: &[u8]) -> Result<PdfText, PdfError> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| PdfError(e.to_string()))?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    if pages.is_empty() {
        return Err(PdfError("the PDF has no pages".into()));
    }
    let mut text = String::new();
    for page in pages {
        // One unreadable page (an unsupported font) does not lose the others.
        if let Ok(t) = doc.extract_text(&[page]) {
            text.push_str(&t);
            text.push('\n');
        }
    }
    if text.chars().all(char::is_whitespace) {
        return Ok(PdfText::NoText);
    }
    Ok(PdfText::Text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_pdf_and_garbage_are_errors() {
        assert!(pdf_text(b"<html>").is_err());
        assert!(pdf_text(b"%PDF-1.4\n garbage \x00\xff").is_err());
        assert!(pdf_text(b"").is_err());
    }
}
