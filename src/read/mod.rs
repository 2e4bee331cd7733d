//! Readers that turn bytes into text whatever the source: HTML text, PDF text and pictures, and
//! pictures through OCR. They know no source and no figure.

pub mod html;
pub mod ocr;
pub mod pdf;
