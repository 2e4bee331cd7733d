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
    guarded(bytes, "pdf-text", read)
}

/// A picture inside a PDF, ready for OCR.
#[derive(Debug, Clone)]
pub struct PdfPicture {
    /// Its place among the PDF's distinct pictures, from 1 (pages in order; a picture that
    /// several pages share, as their common resources, counts once).
    pub number: usize,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// SHA-256 of the picture's stream as stored in the PDF (stable across runs), hex.
    pub sha256: String,
    /// The picture as a PNG (or the JPEG it was stored as).
    pub encoded: Vec<u8>,
}

/// Pictures smaller than this on either side (logos, rules, bullets) are not text worth reading.
pub const MIN_PICTURE_SIDE: u32 = 32;
/// The most pixels a picture may have (a 40-megapixel page scan is the most a report holds).
pub const MAX_PICTURE_PIXELS: u64 = 40_000_000;

/// The pictures of a PDF (at most `max`, in page order), decoded: JPEG (DCTDecode) as stored;
/// Flate, LZW, RunLength and ASCII streams of 8-bit gray, RGB or CMYK pixels as PNG. Pictures in
/// other forms (JPEG 2000, CCITT, 1-bit masks, palettes) are skipped: `skipped` says how many.
pub fn pdf_pictures(bytes: &[u8], max: usize) -> Result<(Vec<PdfPicture>, usize), PdfError> {
    guarded(bytes, "pdf-pictures", move |b| read_pictures(b, max))
}

/// Runs `f` over a copy of the bytes on its own thread, under `catch_unwind` and [`PDF_TIME_LIMIT`].
fn guarded<T: Send + 'static>(
    bytes: &[u8],
    name: &str,
    f: impl FnOnce(&[u8]) -> Result<T, PdfError> + Send + std::panic::UnwindSafe + 'static,
) -> Result<T, PdfError> {
    if memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_none() {
        return Err(PdfError("not a PDF (no %PDF- header)".into()));
    }
    let owned = bytes.to_vec();
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name(name.into()).spawn(move || {
        let r = std::panic::catch_unwind(move || f(&owned))
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

fn read_pictures(bytes: &[u8], max: usize) -> Result<(Vec<PdfPicture>, usize), PdfError> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| PdfError(e.to_string()))?;
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut seen = std::collections::HashSet::new();
    for id in doc.get_pages().into_values() {
        let Ok(images) = doc.get_page_images(id) else {
            continue;
        };
        for img in images {
            if !seen.insert(img.id) {
                continue;
            }
            if out.len() >= max {
                return Ok((out, skipped));
            }
            let (Ok(w), Ok(h)) = (u32::try_from(img.width), u32::try_from(img.height)) else {
                skipped += 1;
                continue;
            };
            if w < MIN_PICTURE_SIDE || h < MIN_PICTURE_SIDE {
                continue;
            }
            if u64::from(w) * u64::from(h) > MAX_PICTURE_PIXELS {
                skipped += 1;
                continue;
            }
            match decode_picture(&doc, &img, w, h) {
                Some(encoded) => out.push(PdfPicture {
                    number: out.len() + 1,
                    size: (w, h),
                    sha256: crate::ocr::sha256_hex(img.content),
                    encoded,
                }),
                None => skipped += 1,
            }
        }
    }
    Ok((out, skipped))
}

/// The number of colour components of an image's colour space, when it is one we can draw.
fn components(doc: &lopdf::Document, dict: &lopdf::Dictionary) -> Option<u8> {
    let cs = dict.get(b"ColorSpace").ok()?;
    let cs = match cs {
        lopdf::Object::Reference(r) => doc.get_object(*r).ok()?,
        other => other,
    };
    match cs {
        lopdf::Object::Name(n) => match n.as_slice() {
            b"DeviceGray" | b"CalGray" | b"G" => Some(1),
            b"DeviceRGB" | b"CalRGB" | b"RGB" => Some(3),
            b"DeviceCMYK" | b"CMYK" => Some(4),
            _ => None,
        },
        lopdf::Object::Array(a) => match a.first().and_then(|o| o.as_name().ok())? {
            b"ICCBased" => {
                let stream = doc.get_object(a.get(1)?.as_reference().ok()?).ok()?.as_stream().ok()?;
                let n = stream.dict.get(b"N").ok()?.as_i64().ok()?;
                matches!(n, 1 | 3 | 4).then_some(n as u8)
            }
            b"CalRGB" => Some(3),
            b"CalGray" => Some(1),
            _ => None,
        },
        _ => None,
    }
}

/// One picture as PNG or JPEG bytes, or `None` when it is in a form we do not draw.
fn decode_picture(doc: &lopdf::Document, img: &lopdf::xobject::PdfImage, w: u32, h: u32) -> Option<Vec<u8>> {
    let filters = img.filters.clone().unwrap_or_default();
    if img
        .origin_dict
        .get(b"ImageMask")
        .and_then(|o| o.as_bool())
        .unwrap_or(false)
    {
        return None;
    }
    if filters.last().map(String::as_str) == Some("DCTDecode") {
        // JPEG as stored (any filters before it are undone first).
        let jpeg = if filters.len() == 1 {
            img.content.to_vec()
        } else {
            let mut dict = img.origin_dict.clone();
            let rest: Vec<lopdf::Object> = filters[..filters.len() - 1]
                .iter()
                .map(|f| lopdf::Object::Name(f.as_bytes().to_vec()))
                .collect();
            dict.set("Filter", lopdf::Object::Array(rest));
            lopdf::Stream::new(dict, img.content.to_vec())
                .decompressed_content_with_limit(MAX_PICTURE_PIXELS as usize * 4)
                .ok()?
        };
        image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).ok()?;
        return Some(jpeg);
    }
    if img.bits_per_component != Some(8) {
        return None;
    }
    let n = components(doc, img.origin_dict)?;
    let raw = lopdf::Stream::new(img.origin_dict.clone(), img.content.to_vec())
        .decompressed_content_with_limit(w as usize * h as usize * n as usize + 16)
        .ok()?;
    let need = w as usize * h as usize * n as usize;
    if raw.len() < need {
        return None;
    }
    let picture: image::DynamicImage = match n {
        1 => image::GrayImage::from_raw(w, h, raw[..need].to_vec())?.into(),
        3 => image::RgbImage::from_raw(w, h, raw[..need].to_vec())?.into(),
        _ => {
            // CMYK drawn as RGB (enough for black text on white).
            let rgb: Vec<u8> = raw[..need]
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u16::from(p[3]);
                    [0, 1, 2].map(|i| ((255 - u16::from(p[i])) * k / 255) as u8)
                })
                .collect();
            image::RgbImage::from_raw(w, h, rgb)?.into()
        }
    };
    let mut png = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .ok()?;
    Some(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cert-site/files/pdf")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn pictures_come_out_in_page_order_as_images() {
        let (pictures, skipped) = pdf_pictures(&fixture("2025-02.pdf"), 12).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(skipped, 0);
        let numbers: Vec<usize> = pictures.iter().map(|p| p.number).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 5], "each distinct picture once");
        for p in &pictures {
            let img = image::load_from_memory(&p.encoded).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((img.width(), img.height()), p.size);
            assert_eq!(p.size.0, 992);
            assert_eq!(p.sha256.len(), 64);
        }
        // Pictures that look blank were not decoded as noise: ink covers a small share.
        let gray = image::load_from_memory(&pictures[0].encoded)
            .map(|i| i.to_luma8())
            .unwrap_or_else(|e| panic!("{e}"));
        let dark = gray.pixels().filter(|p| p.0[0] < 128).count();
        assert!(dark > 100 && dark < gray.pixels().count() / 4, "{dark}");
        let (two, _) = pdf_pictures(&fixture("2025-02.pdf"), 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(two.len(), 2, "at most max");
        let (none, _) = pdf_pictures(&fixture("2024-43.pdf"), 12).unwrap_or_else(|e| panic!("{e}"));
        assert!(none.is_empty());
        assert!(pdf_pictures(b"<html>", 12).is_err());
    }

    #[test]
    fn not_a_pdf_and_garbage_are_errors() {
        assert!(pdf_text(b"<html>").is_err());
        assert!(pdf_text(b"%PDF-1.4\n garbage \x00\xff").is_err());
        assert!(pdf_text(b"").is_err());
    }
}
