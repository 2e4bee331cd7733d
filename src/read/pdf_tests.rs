//! Tests of `pdf.rs`.

use super::*;
use lopdf::dictionary;

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

/// A one-page PDF whose resources hold `images` (name, dictionary, bytes as stored).
fn pdf_with(images: Vec<(&str, lopdf::Dictionary, Vec<u8>)>) -> Vec<u8> {
    use lopdf::{Document, Object, Stream};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut xobjects = lopdf::Dictionary::new();
    for (name, dict, bytes) in images {
        let mut stream = Stream::new(dict, bytes);
        stream.allows_compression = false;
        xobjects.set(name, doc.add_object(stream));
    }
    let resources = doc.add_object(dictionary! { "XObject" => xobjects });
    let content = doc.add_object(Stream::new(dictionary! {}, b"q 100 0 0 60 0 0 cm /Im1 Do Q".to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content, "Resources" => resources,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap_or_else(|e| panic!("{e}"));
    out
}

fn image_dict(w: u32, h: u32, cs: lopdf::Object, filter: Option<&str>) -> lopdf::Dictionary {
    let mut d = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64,
        "ColorSpace" => cs, "BitsPerComponent" => 8,
    };
    if let Some(f) = filter {
        d.set("Filter", lopdf::Object::Name(f.as_bytes().to_vec()));
    }
    d
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut s = lopdf::Stream::new(lopdf::Dictionary::new(), bytes.to_vec());
    s.compress().unwrap_or_else(|e| panic!("{e}"));
    assert!(s.dict.get(b"Filter").is_ok(), "compressed");
    s.content
}

#[test]
fn every_picture_form_a_report_uses_is_drawn_and_the_others_are_counted() {
    use lopdf::Object;
    let (w, h) = (64u32, 40u32);
    let px = (w * h) as usize;
    // Left half dark, right half light: what each decoded picture must show.
    let dark = |i: usize| (i % w as usize) < (w as usize / 2);
    let gray: Vec<u8> = (0..px).map(|i| if dark(i) { 0 } else { 255 }).collect();
    let rgb: Vec<u8> = gray.iter().flat_map(|&g| [g, g, g]).collect();
    let cmyk: Vec<u8> = gray.iter().flat_map(|&g| [0, 0, 0, 255 - g]).collect();
    let indexed: Vec<u8> = gray.iter().map(|&g| u8::from(g == 255)).collect();
    let mut jpeg = Vec::new();
    image::GrayImage::from_raw(w, h, gray.clone())
        .map(image::DynamicImage::from)
        .unwrap_or_default()
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap_or_else(|e| panic!("{e}"));
    let palette = Object::Array(vec![
        Object::Name(b"Indexed".to_vec()),
        Object::Name(b"DeviceRGB".to_vec()),
        Object::Integer(1),
        Object::String(vec![0, 0, 0, 255, 255, 255], lopdf::StringFormat::Hexadecimal),
    ]);
    let name = |n: &str| Object::Name(n.as_bytes().to_vec());
    // PNG-predicted Flate (what some exporters write): each row led by its filter type, 0.
    let rows: Vec<u8> = rgb
        .chunks(w as usize * 3)
        .flat_map(|row| std::iter::once(0u8).chain(row.iter().copied()))
        .collect();
    let mut predicted = image_dict(w, h, name("DeviceRGB"), Some("FlateDecode"));
    predicted.set(
        "DecodeParms",
        dictionary! { "Predictor" => 15, "Colors" => 3, "BitsPerComponent" => 8, "Columns" => w as i64 },
    );
    let mut mask = image_dict(w, h, name("DeviceGray"), None);
    mask.set("ImageMask", true);
    mask.set("BitsPerComponent", 1);
    let bytes = pdf_with(vec![
        ("Im1", image_dict(w, h, name("DeviceGray"), Some("DCTDecode")), jpeg),
        (
            "Im2",
            image_dict(w, h, name("DeviceRGB"), Some("FlateDecode")),
            zlib(&rgb),
        ),
        ("Im3", image_dict(w, h, name("DeviceGray"), None), gray.clone()),
        (
            "Im4",
            image_dict(w, h, name("DeviceCMYK"), Some("FlateDecode")),
            zlib(&cmyk),
        ),
        ("Im5", image_dict(w, h, palette, None), indexed),
        ("Im6", mask, vec![0; px / 8]),
        (
            "Im7",
            image_dict(w, h, name("DeviceRGB"), Some("JPXDecode")),
            vec![0; 64],
        ),
        ("Im8", image_dict(10, 10, name("DeviceGray"), None), vec![0; 100]),
        (
            "Im9",
            image_dict(w, h, name("DeviceRGB"), Some("FlateDecode")),
            zlib(&rgb[..100]),
        ),
        ("Im10", predicted, zlib(&rows)),
    ]);
    let (pictures, skipped) = pdf_pictures(&bytes, 12).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pictures.len(),
        6,
        "JPEG, Flate RGB, raw gray, CMYK, indexed, PNG-predicted"
    );
    assert_eq!(
        skipped, 3,
        "a mask, JPEG 2000, a stream too short for its size (a tiny picture is ignored)"
    );
    for p in &pictures {
        let g = image::load_from_memory(&p.encoded)
            .map(|i| i.to_luma8())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((g.width(), g.height()), (w, h));
        let (left, right) = (g.get_pixel(5, 20).0[0], g.get_pixel(w - 5, 20).0[0]);
        assert!(left < 60 && right > 200, "picture {}: {left} {right}", p.number);
    }
}

#[test]
fn not_a_pdf_and_garbage_are_errors() {
    assert!(pdf_text(b"<html>").is_err());
    assert!(pdf_text(b"%PDF-1.4\n garbage \x00\xff").is_err());
    assert!(pdf_text(b"").is_err());
}
