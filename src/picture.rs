//! A picture of an issue and what was read from it: its identity ([`PictureKey`]: where it came
//! from) and the hash of its bytes, and its OCR text, kept in the archive so that it is never read
//! twice. Two readings are independent only when their pixels differ: the hash, not the URL,
//! tells one picture from another.

use serde::{Deserialize, Serialize};

/// Where a picture came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PictureKey<'a> {
    /// A picture of an article, at its URL.
    Article(&'a str),
    /// A PDF whose pictures were read: the record of that reading, not a picture itself.
    Pdf(&'a str),
    /// A picture inside a PDF: the PDF's URL and the picture's place among its distinct pictures,
    /// from 1.
    InPdf {
        /// The PDF's URL.
        pdf: &'a str,
        /// Its place in the PDF.
        number: usize,
    },
}

/// The stored form of a picture inside a PDF: the PDF's URL, `#picture=`, its number.
const IN_PDF: &str = "#picture=";

/// The text read from one picture, kept in the archive so that it is never read twice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureText {
    /// Where the picture is: its URL as the article gives it, or `PDF#picture=N` for the N-th
    /// picture inside a PDF, or the PDF's URL for the record that the PDF's pictures were read.
    /// Read it through [`PictureText::key`].
    pub url: String,
    /// This entry is the record that the PDF at `url` had its pictures read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pdf_record: bool,
    /// SHA-256 of the picture's bytes (hex), empty when it could not be fetched.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sha256: String,
    /// What OCR read.
    #[serde(default)]
    pub text: String,
    /// What a second reading (another page segmentation) read, when the first left a figure of
    /// the picture unconfirmed; empty when there was none. Its figures count only where the
    /// first reading has none ([`crate::extract::pictures`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub second_reading: String,
    /// Why there is no text (404, too large, not a picture), when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The picture could not be had for a passing reason (a timeout, a refused connection, a
    /// 5xx): it is fetched again next run, where a 404 or a picture too large is not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retry: bool,
}

impl PictureText {
    /// A picture of an article at `url`.
    pub fn article(url: &str) -> PictureText {
        PictureText {
            url: url.to_string(),
            ..PictureText::default()
        }
    }

    /// The `number`-th picture inside the PDF at `pdf`.
    pub fn in_pdf(pdf: &str, number: usize) -> PictureText {
        PictureText {
            url: format!("{pdf}{IN_PDF}{number}"),
            ..PictureText::default()
        }
    }

    /// The record that the pictures of the PDF at `pdf` were read.
    pub fn pdf(pdf: &str) -> PictureText {
        PictureText {
            url: pdf.to_string(),
            pdf_record: true,
            ..PictureText::default()
        }
    }

    /// Where the picture came from.
    pub fn key(&self) -> PictureKey<'_> {
        if self.pdf_record {
            return PictureKey::Pdf(&self.url);
        }
        match self.url.rsplit_once(IN_PDF) {
            Some((pdf, n)) if !pdf.is_empty() => match n.parse() {
                Ok(number) => PictureKey::InPdf { pdf, number },
                Err(_) => PictureKey::Article(&self.url),
            },
            _ => PictureKey::Article(&self.url),
        }
    }

    /// Whether the picture was had and read (even to no text), or given up for good: it is
    /// not fetched again.
    pub fn is_settled(&self) -> bool {
        !self.retry && (!self.sha256.is_empty() || self.note.is_some())
    }

    /// Whether this entry stands for a PDF whose pictures were read (not a picture itself).
    pub fn is_pdf_record(&self) -> bool {
        self.pdf_record
    }

    /// What distinguishes this picture's pixels from another's: the hash of its bytes, or its
    /// place when it could not be fetched (nothing was read from it then).
    pub fn identity(&self) -> &str {
        if self.sha256.is_empty() {
            &self.url
        } else {
            &self.sha256
        }
    }

    /// Reads what archives written before `pdf_record` and `retry` left implicit: an entry with no
    /// text whose URL has pictures under it or names a `.pdf` is a PDF record; a picture whose
    /// note says it failed for a passing reason is fetched again.
    pub fn mark_legacy_pdf_records(all: &mut [PictureText]) {
        let parents: Vec<String> = all
            .iter()
            .filter_map(|p| match p.key() {
                PictureKey::InPdf { pdf, .. } => Some(pdf.to_string()),
                _ => None,
            })
            .collect();
        // A note of a passing failure, from before failures were told apart: fetched again.
        const PASSING: &[&str] = &[
            "timed out",
            "could not connect",
            "request failed",
            "attempts)",
            "blocked",
            "HTTP 5",
            "HTTP 408",
            "HTTP 429",
        ];
        for p in all
            .iter_mut()
            .filter(|p| p.sha256.is_empty() && !p.pdf_record && !p.retry)
        {
            if p.note.as_deref().is_some_and(|n| PASSING.iter().any(|m| n.contains(m))) {
                p.retry = true;
            }
        }
        for p in all.iter_mut().filter(|p| !p.pdf_record && p.text.is_empty()) {
            let path = url::Url::parse(&p.url).map(|u| u.path().to_ascii_lowercase());
            if parents.contains(&p.url) || path.is_ok_and(|path| path.ends_with(".pdf")) {
                p.pdf_record = true;
            }
        }
    }
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_read_from_the_stored_form_and_back() {
        let a = PictureText::article("https://mmbiz.qpic.cn/a/640?wx_fmt=png");
        assert_eq!(a.key(), PictureKey::Article("https://mmbiz.qpic.cn/a/640?wx_fmt=png"));
        let p = PictureText::in_pdf("https://www.cert.org.cn/x.pdf", 3);
        assert_eq!(
            p.key(),
            PictureKey::InPdf {
                pdf: "https://www.cert.org.cn/x.pdf",
                number: 3
            }
        );
        let r = PictureText::pdf("https://www.cert.org.cn/x.pdf");
        assert_eq!(r.key(), PictureKey::Pdf("https://www.cert.org.cn/x.pdf"));
        assert!(r.is_pdf_record() && !p.is_pdf_record() && !a.is_pdf_record());
        // The record survives the archive's JSON; a picture does not grow the field.
        let json = serde_json::to_string(&r).unwrap_or_default();
        assert!(json.contains("\"pdf_record\":true"), "{json}");
        assert!(!serde_json::to_string(&a).unwrap_or_default().contains("pdf_record"));
    }

    #[test]
    fn legacy_pdf_records_are_recognised_once_at_load() {
        let pdf = "https://www.cert.org.cn/publish/main/upload/File/report";
        let mut all = vec![
            PictureText {
                pdf_record: false,
                ..PictureText::pdf(pdf)
            },
            PictureText {
                text: "本周".into(),
                ..PictureText::in_pdf(pdf, 1)
            },
            PictureText::article("https://mmbiz.qpic.cn/b/640"),
            PictureText {
                pdf_record: false,
                ..PictureText::pdf("https://www.cert.org.cn/empty.PDF")
            },
        ];
        PictureText::mark_legacy_pdf_records(&mut all);
        let records: Vec<bool> = all.iter().map(PictureText::is_pdf_record).collect();
        assert_eq!(records, vec![true, false, false, true]);
        // Notes of passing failures, from before `retry`, are fetched again; a 404 is not.
        let note = |n: &str| PictureText {
            note: Some(n.into()),
            ..PictureText::article("https://mmbiz.qpic.cn/c/640")
        };
        let mut old = vec![
            note("HTTP 503 (after 4 attempts); skipped"),
            note("timed out: operation timed out; skipped"),
            note("HTTP 404; skipped"),
            note("larger than 5 MiB; skipped"),
        ];
        PictureText::mark_legacy_pdf_records(&mut old);
        let settled: Vec<bool> = old.iter().map(PictureText::is_settled).collect();
        assert_eq!(settled, vec![false, false, true, true]);
    }
}
