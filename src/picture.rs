//! A picture of an issue and what was read from it: its identity (where it came from and the
//! hash of its bytes) and its OCR text, kept in the archive so that it is never read twice.

use serde::{Deserialize, Serialize};

/// The text read from one picture, kept in the archive so that it is never read twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureText {
    /// The picture's URL (as the article gives it).
    pub url: String,
    /// SHA-256 of the picture's bytes (hex), empty when it could not be fetched.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sha256: String,
    /// What OCR read.
    #[serde(default)]
    pub text: String,
    /// Why there is no text (404, too large, not a picture), when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PictureText {
    /// Whether this entry stands for a PDF whose pictures were read (not a picture itself).
    pub fn is_pdf_record(&self, all: &[PictureText]) -> bool {
        let prefix = format!("{}#picture=", self.url);
        self.text.is_empty() && (all.iter().any(|p| p.url.starts_with(&prefix)) || self.url.contains(".pdf"))
    }
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
