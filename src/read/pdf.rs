//! A PDF's text, in reading order, whatever its fonts (embedded subsets with ToUnicode,
//! non-embedded CJK fonts under predefined CMaps such as UniGB-UCS2-H) and owner-password
//! encryption; `NoText` for scans. Everything PDF-specific sits behind [`pdf_text`] so the
//! reader (lopdf today, chosen by measurement: see the README) can be swapped.
//!
//! A malformed PDF is an error, never a panic (the reader runs under `catch_unwind`) and never a
//! hang (it runs on its own thread with a time limit).

use std::time::Duration;

/// The longest a single PDF may take to read (the fixture reports take milliseconds; a file that
/// takes this long is malformed): one input costs at most this, within `extract`'s 10 s bound.
pub const PDF_TIME_LIMIT: Duration = Duration::from_secs(8);

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
/// Flate (with or without a PNG predictor), LZW, RunLength and ASCII streams of 8-bit gray, RGB,
/// CMYK or palette pixels as PNG. Pictures in other forms (JPEG 2000, CCITT, 1-bit masks) or
/// whose data is short of their size are skipped: `skipped` says how many.
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
        let id = doc.get_pages().get(&page).copied();
        let walked = id.and_then(|id| page_text(&doc, id));
        if let Some(t) = walked.filter(|t| !t.trim().is_empty()) {
            text.push_str(&t);
            text.push('\n');
        } else if let Ok(t) = doc.extract_text(&[page]) {
            text.push_str(&t);
            text.push('\n');
        }
    }
    if text.chars().all(char::is_whitespace) {
        return Ok(PdfText::NoText);
    }
    Ok(PdfText::Text(text))
}

/// The most a page's content or a font's ToUnicode map may inflate to.
const MAX_DECOMPRESSED: usize = 64 << 20;

/// A font dictionary as the text reader decodes it: when it has a ToUnicode map, that map alone
/// (PDF 32000-1 §9.10.2: it takes precedence over the font's `/Encoding`; browsers' Type 3 fonts
/// carry an `/Encoding` of made-up glyph names and a ToUnicode map that is the only truth).
fn unicode_first(doc: &lopdf::Document, font: &lopdf::Dictionary) -> lopdf::Dictionary {
    let mut d = font.clone();
    let has_map = d
        .get_deref(b"ToUnicode", doc)
        .and_then(lopdf::Object::as_stream)
        .is_ok();
    if has_map {
        d.remove(b"Encoding");
    }
    d
}

/// Where the text of a page stands: the font in use and the last baseline drawn on.
struct TextState {
    /// Form XObjects drawn so far.
    forms: usize,
    /// The text line matrix (a b c d e f).
    line: [f32; 6],
    last_y: Option<f32>,
    out: String,
}

impl TextState {
    /// Starts a new output line when the baseline moved (any matrix: flipped, scaled).
    fn moved_to(&mut self, m: [f32; 6]) {
        self.line = m;
        let y = m[5];
        if let Some(last) = self.last_y
            && (y - last).abs() > 0.5
        {
            self.newline();
        }
        self.last_y = Some(y);
    }

    fn newline(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    fn show(&mut self, font: Option<&lopdf::Encoding>, operands: &[lopdf::Object]) {
        let Some(enc) = font else {
            return;
        };
        // Tj's string, or TJ's array of strings and kerning numbers (one level: no recursion
        // into arrays a crafted file nests).
        let strings = operands.iter().flat_map(|o| match o {
            lopdf::Object::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        });
        for o in strings {
            if let lopdf::Object::String(bytes, _) = o
                && let Ok(s) = lopdf::Document::decode_text(enc, bytes)
            {
                self.out.push_str(&s);
            }
        }
    }
}

fn numbers<const N: usize>(operands: &[lopdf::Object]) -> Option<[f32; N]> {
    let mut out = [0.0; N];
    for (slot, o) in out.iter_mut().zip(operands) {
        *slot = o.as_float().ok()?;
    }
    (operands.len() >= N).then_some(out)
}

/// The resources a content stream draws text with: its fonts (ToUnicode first) and its
/// Form XObjects' dictionary.
struct Resources {
    fonts: Vec<(Vec<u8>, lopdf::Dictionary)>,
    xobjects: Option<lopdf::Dictionary>,
}

/// How deep Form XObjects may nest, and how many a page may draw, before the rest is skipped.
const MAX_FORM_DEPTH: usize = 4;
const MAX_FORMS: usize = 1000;

fn deref_dict<'a>(doc: &'a lopdf::Document, o: &'a lopdf::Object) -> Option<&'a lopdf::Dictionary> {
    resolve(doc, o)?.as_dict().ok()
}

/// A resource dictionary's fonts and Form XObjects; fonts inherited from `parent` when it has none.
fn resources_of(doc: &lopdf::Document, res: Option<&lopdf::Dictionary>, parent: &Resources) -> Resources {
    let fonts = res
        .and_then(|r| r.get(b"Font").ok())
        .and_then(|f| deref_dict(doc, f))
        .map(|f| {
            f.iter()
                .filter_map(|(name, font)| Some((name.clone(), unicode_first(doc, deref_dict(doc, font)?))))
                .collect()
        })
        .unwrap_or_else(|| parent.fonts.clone());
    let xobjects = res
        .and_then(|r| r.get(b"XObject").ok())
        .and_then(|x| deref_dict(doc, x))
        .cloned();
    Resources { fonts, xobjects }
}

/// A page's text in content order, a line a baseline: every font decoded through its ToUnicode
/// map when it has one (Type 3 included), fonts switched glyph by glyph joined without breaks,
/// lines told apart by the baseline of the text matrix whatever its flips and scales, and the
/// text of Form XObjects the page draws (a stamped or imposed page) where they are drawn.
fn page_text(doc: &lopdf::Document, page: lopdf::ObjectId) -> Option<String> {
    let fonts = doc
        .get_page_fonts(page)
        .ok()?
        .into_iter()
        .map(|(name, font)| (name, unicode_first(doc, font)))
        .collect();
    let (own, inherited) = doc.get_page_resources(page).ok()?;
    let mut xobjects = lopdf::Dictionary::new();
    let dicts = own
        .into_iter()
        .chain(inherited.iter().filter_map(|id| doc.get_dictionary(*id).ok()));
    for d in dicts {
        if let Some(x) = d.get(b"XObject").ok().and_then(|x| deref_dict(doc, x)) {
            for (k, v) in x.iter() {
                if !xobjects.has(k) {
                    xobjects.set(k.clone(), v.clone());
                }
            }
        }
    }
    let res = Resources {
        fonts,
        xobjects: Some(xobjects),
    };
    let data = doc.get_page_content_with_limit(page, MAX_DECOMPRESSED).ok()?;
    let mut st = TextState {
        line: IDENTITY,
        last_y: None,
        out: String::new(),
        forms: 0,
    };
    walk(doc, &data, &res, &mut st, 0)?;
    Some(st.out)
}

const IDENTITY: [f32; 6] = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// Reads one content stream (a page's or a form's) into `st`.
fn walk(doc: &lopdf::Document, data: &[u8], res: &Resources, st: &mut TextState, depth: usize) -> Option<()> {
    let encodings: std::collections::HashMap<&[u8], lopdf::Encoding> = res
        .fonts
        .iter()
        .filter_map(|(name, d)| {
            d.get_font_encoding_with_limit(doc, MAX_DECOMPRESSED)
                .ok()
                .map(|e| (name.as_slice(), e))
        })
        .collect();
    let content = lopdf::content::Content::decode(data).ok()?;
    let mut font: Option<&lopdf::Encoding> = None;
    for op in &content.operations {
        let args = &op.operands;
        match op.operator.as_str() {
            "BT" => st.line = IDENTITY,
            "Tf" => {
                font = args
                    .first()
                    .and_then(|n| n.as_name().ok())
                    .and_then(|n| encodings.get(n))
            }
            "Tm" => {
                if let Some(m) = numbers::<6>(args) {
                    st.moved_to(m);
                }
            }
            "Td" | "TD" => {
                if let Some([tx, ty]) = numbers::<2>(args) {
                    let [a, b, c, d, e, f] = st.line;
                    st.moved_to([a, b, c, d, tx * a + ty * c + e, tx * b + ty * d + f]);
                }
            }
            "T*" => st.newline(),
            "Tj" | "TJ" => st.show(font, args),
            "'" => {
                st.newline();
                st.show(font, args);
            }
            "\"" => {
                st.newline();
                st.show(font, args.get(2..).unwrap_or_default());
            }
            "Do" if depth < MAX_FORM_DEPTH && st.forms < MAX_FORMS => {
                st.forms += 1;
                let form = args
                    .first()
                    .and_then(|n| n.as_name().ok())
                    .and_then(|n| res.xobjects.as_ref()?.get(n).ok())
                    .and_then(|o| resolve(doc, o))
                    .and_then(|o| o.as_stream().ok())
                    .filter(|s| s.dict.get(b"Subtype").and_then(lopdf::Object::as_name).ok() == Some(b"Form"));
                if let Some(form) = form {
                    let inner = form.dict.get(b"Resources").ok().and_then(|r| deref_dict(doc, r));
                    let inner = resources_of(doc, inner, res);
                    if let Ok(bytes) = form.get_plain_content_with_limit(MAX_DECOMPRESSED) {
                        st.newline();
                        let _ = walk(doc, &bytes, &inner, st, depth + 1);
                        st.newline();
                        st.last_y = None;
                    }
                }
            }
            _ => {}
        }
    }
    Some(())
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
                    sha256: crate::picture::sha256_hex(img.content),
                    encoded,
                }),
                None => skipped += 1,
            }
        }
    }
    Ok((out, skipped))
}

/// How an image's samples become colours.
enum Colours {
    /// 1 (gray), 3 (RGB) or 4 (CMYK) components a pixel.
    Direct(u8),
    /// One byte a pixel indexing a palette of `base` components each.
    Indexed { base: u8, palette: Vec<u8> },
}

fn resolve<'a>(doc: &'a lopdf::Document, o: &'a lopdf::Object) -> Option<&'a lopdf::Object> {
    match o {
        lopdf::Object::Reference(r) => doc.get_object(*r).ok(),
        other => Some(other),
    }
}

/// The number of components of a colour space we can draw (gray, RGB, CMYK, ICC-based).
fn direct(doc: &lopdf::Document, cs: &lopdf::Object) -> Option<u8> {
    match resolve(doc, cs)? {
        lopdf::Object::Name(n) => match n.as_slice() {
            b"DeviceGray" | b"CalGray" | b"G" => Some(1),
            b"DeviceRGB" | b"CalRGB" | b"RGB" => Some(3),
            b"DeviceCMYK" | b"CMYK" => Some(4),
            _ => None,
        },
        lopdf::Object::Array(a) => match a.first().and_then(|o| o.as_name().ok())? {
            b"ICCBased" => {
                let stream = resolve(doc, a.get(1)?)?.as_stream().ok()?;
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

/// How an image dictionary's samples become colours, when it is a form we can draw.
fn colours(doc: &lopdf::Document, dict: &lopdf::Dictionary) -> Option<Colours> {
    let cs = dict.get(b"ColorSpace").ok()?;
    if let Some(n) = direct(doc, cs) {
        return Some(Colours::Direct(n));
    }
    // [/Indexed base hival lookup] (also /I): a palette, as a string or a stream.
    let a = resolve(doc, cs)?.as_array().ok()?;
    if !matches!(a.first().and_then(|o| o.as_name().ok())?, b"Indexed" | b"I") {
        return None;
    }
    let base = direct(doc, a.get(1)?)?;
    let palette = match resolve(doc, a.get(3)?)? {
        lopdf::Object::String(bytes, _) => bytes.clone(),
        lopdf::Object::Stream(st) => st.decompressed_content_with_limit(256 * 4).ok()?,
        _ => return None,
    };
    Some(Colours::Indexed { base, palette })
}

/// CMYK to RGB (enough for black text on white).
fn cmyk_to_rgb(p: &[u8]) -> [u8; 3] {
    let k = 255 - u16::from(p[3]);
    [0, 1, 2].map(|i| ((255 - u16::from(p[i])) * k / 255) as u8)
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
        // The JPEG's own header may state another size than the PDF's dictionary: checked
        // before it is decoded (to see that it can be), so a small stream never decodes huge.
        let (jw, jh) = image::ImageReader::with_format(std::io::Cursor::new(&jpeg), image::ImageFormat::Jpeg)
            .into_dimensions()
            .ok()?;
        if jw == 0 || jh == 0 || u64::from(jw) * u64::from(jh) > MAX_PICTURE_PIXELS {
            return None;
        }
        image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).ok()?;
        return Some(jpeg);
    }
    if img.bits_per_component != Some(8) {
        return None;
    }
    let colours = colours(doc, img.origin_dict)?;
    let n = match &colours {
        Colours::Direct(n) => *n as usize,
        Colours::Indexed { .. } => 1,
    };
    let need = w as usize * h as usize * n;
    let raw = lopdf::Stream::new(img.origin_dict.clone(), img.content.to_vec())
        // Room for a PNG predictor's filter byte a row, which the inflated layer still has.
        .decompressed_content_with_limit(need + h as usize + 1024)
        .ok()?;
    if raw.len() < need {
        return None;
    }
    let raw = &raw[..need];
    let picture: image::DynamicImage = match colours {
        Colours::Direct(1) => image::GrayImage::from_raw(w, h, raw.to_vec())?.into(),
        Colours::Direct(3) => image::RgbImage::from_raw(w, h, raw.to_vec())?.into(),
        Colours::Direct(_) => {
            let rgb: Vec<u8> = raw.chunks_exact(4).flat_map(cmyk_to_rgb).collect();
            image::RgbImage::from_raw(w, h, rgb)?.into()
        }
        Colours::Indexed { base, palette } => {
            let base = base as usize;
            let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
            for &i in raw {
                let at = i as usize * base;
                let entry = palette.get(at..at + base)?;
                rgb.extend(match base {
                    1 => [entry[0]; 3],
                    3 => [entry[0], entry[1], entry[2]],
                    _ => cmyk_to_rgb(entry),
                });
            }
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
#[path = "pdf_tests.rs"]
mod tests;
