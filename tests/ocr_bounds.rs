//! Bounds on one picture's OCR (issue 19, item 4): a picture is refused from its header's size
//! before it is decoded when it, or what it is scaled up to for Tesseract, has more than
//! `MAX_OCR_PIXELS` pixels; Tesseract's output is read while it runs (a fake Tesseract that
//! writes more than the pipe holds comes back complete); a Tesseract that hangs is killed at the
//! time limit. The fake Tesseracts are shell scripts given to `Engine::at` (no process-global
//! environment is changed).

use std::path::{Path, PathBuf};
use std::time::Duration;

use cncert_feed::read::ocr::{Engine, MAX_OCR_PIXELS, MIN_WIDTH, prepare};

/// CRC-32 (IEEE) of a PNG chunk's type and data.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG that is only a header: IHDR (8-bit gray, `w`×`h`), an IDAT of no pixels (an empty zlib
/// stream) and IEND. Decoding it fails; only a reader that refuses it from its header names its
/// size.
fn header_only_png(w: u32, h: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        png.extend(&body);
        png.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    png
}

/// A real gray PNG of `w`×`h` (white, a black line every 40 rows), as small as PNG makes it.
fn gray_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |_, y| image::Luma([if y % 40 == 0 { 0 } else { 255 }]));
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode test PNG");
    png
}

#[test]
fn a_narrow_picture_scaled_up_past_the_cap_is_refused_from_its_header() {
    // 150 × 266,000 = 39.9 M pixels decoded, under the cap; 600 × 1,064,000 once scaled up.
    const { assert!(150 * 266_000 <= MAX_OCR_PIXELS) };
    let why = prepare(&header_only_png(150, 266_000)).expect_err("refused");
    assert!(why.contains("150×266000"), "{why}");
    assert!(why.contains("600×1064000"), "{why}");
    assert!(why.contains(&MAX_OCR_PIXELS.to_string()), "{why}");
}

#[test]
fn a_small_file_that_decodes_huge_is_refused_from_its_header() {
    let png = header_only_png(100_000, 100_000);
    assert!(png.len() < 100);
    let why = prepare(&png).expect_err("refused");
    assert!(why.contains("100000×100000"), "{why}");
    assert!(why.contains("skipped"), "{why}");
}

#[test]
fn the_issue_picture_a_real_150_by_266000_png_is_refused() {
    let png = gray_png(150, 266_000);
    let why = prepare(&png).expect_err("refused");
    assert!(why.contains("150×266000"), "{why}");
}

#[test]
fn pictures_within_the_cap_are_still_prepared_and_scaled_up() {
    let prepared = prepare(&gray_png(200, 100)).expect("prepared");
    let img = image::load_from_memory(&prepared).expect("a PNG");
    assert_eq!((img.width(), img.height()), (MIN_WIDTH, 300));
    let prepared = prepare(&gray_png(800, 100)).expect("prepared");
    let img = image::load_from_memory(&prepared).expect("a PNG");
    assert_eq!((img.width(), img.height()), (800, 100));
    // A narrow picture just under the cap once scaled up: 150 × 60,000 → 600 × 240,000 is over.
    assert!(prepare(&header_only_png(150, 60_000)).is_err());
    assert!(
        prepare(b"not a picture")
            .expect_err("refused")
            .contains("not a picture")
    );
}

/// A fresh directory for this test's fake Tesseract.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cncert-ocr-bounds-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fake `tesseract`: a shell script that knows chi_sim and runs `body` for a picture.
fn fake_tesseract(dir: &Path, body: &str) -> Engine {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("tesseract");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --list-langs ]; then printf 'List of available languages (1):\\nchi_sim\\n'; exit 0; fi\n{body}\n"
    );
    std::fs::write(&path, script).expect("write fake");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod fake");
    // Another test thread forking while the script was open for writing makes it "busy" a moment.
    let mut last = String::new();
    for _ in 0..50 {
        match Engine::at(&path) {
            Ok(engine) => return engine,
            Err(why) => last = why,
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("fake Tesseract does not run: {last}");
}

#[test]
fn tesseract_output_larger_than_the_pipe_comes_back_complete() {
    let dir = temp_dir("big-output");
    // 2 MiB of text, then a last line: far more than a pipe holds (64 KiB).
    let engine = fake_tesseract(
        &dir,
        "cat > /dev/null\nhead -c 2097152 /dev/zero | tr '\\000' 'a'\necho END",
    );
    let text = engine.read(&gray_png(700, 50)).expect("read to the end");
    assert_eq!(text.len(), 2_097_152 + 4, "{}", &text[text.len().saturating_sub(80)..]);
    assert!(text.ends_with("aEND\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tesseract_that_hangs_is_given_up_at_the_time_limit() {
    let dir = temp_dir("hang");
    // `sleep` runs as the script's child and keeps stdout open after the script is killed.
    let engine = fake_tesseract(&dir, "cat > /dev/null\necho partial\nsleep 5").with_time_limit(Duration::from_secs(1));
    let why = engine.read(&gray_png(700, 50)).expect_err("given up");
    assert!(why.contains("longer than 1 s"), "{why}");
    // With no time left, nothing is run at all.
    let engine = engine.with_time_limit(Duration::ZERO);
    let why = engine.read(&gray_png(700, 50)).expect_err("given up");
    assert!(why.contains("given up"), "{why}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refused_picture_is_a_note_and_tesseract_is_not_run() {
    let dir = temp_dir("refused");
    let ran = dir.join("ran");
    let engine = fake_tesseract(&dir, &format!("touch '{}'\ncat > /dev/null", ran.display()));
    let why = engine.read(&header_only_png(150, 266_000)).expect_err("refused");
    assert!(why.contains("150×266000"), "{why}");
    assert!(!ran.exists(), "Tesseract ran on a refused picture");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fake Tesseract that answers a list of pictures (a batch, or a session's stream) with `list`
/// and one picture on stdin with `single`.
fn fake_batch_tesseract(name: &str, list: &str, single: &str) -> (PathBuf, Engine) {
    let dir = temp_dir(name);
    let body = format!(
        "case \"$*\" in\n  *stream_filelist*|*pictures.txt*) {list} ;;\n  *) cat > /dev/null; {single} ;;\nesac"
    );
    let engine = fake_tesseract(&dir, &body);
    (dir, engine)
}

#[test]
fn pictures_read_together_that_hang_are_given_up_at_the_limit_once_a_picture() {
    let (dir, engine) = fake_batch_tesseract("batch-hang", "cat > /dev/null; sleep 30", "echo one");
    let engine = engine.with_time_limit(Duration::from_secs(1));
    let (a, b) = (gray_png(700, 50), gray_png(701, 50));
    let start = std::time::Instant::now();
    let read = engine.read_many(&[&a, &b]);
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
    for r in &read {
        let why = r.as_ref().expect_err("given up");
        assert!(why.contains("longer than 2 s") && why.contains("2 pictures"), "{why}");
    }
    let mut session = cncert_feed::read::ocr::Session::new(&engine);
    session.add(&a);
    session.add(&b);
    let read = session.finish();
    assert!(
        read.iter()
            .all(|r| r.as_ref().is_err_and(|w| w.contains("longer than 2 s"))),
        "{read:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pictures_read_together_are_read_one_by_one_when_tesseract_fails_or_the_pages_do_not_add_up() {
    for (name, list) in [
        ("batch-fails", "exit 1"),
        ("batch-one-page", "cat > /dev/null; echo 'one page only'"),
    ] {
        let (dir, engine) = fake_batch_tesseract(name, list, "echo alone");
        let (a, b) = (gray_png(700, 50), gray_png(701, 50));
        let read = engine.read_many(&[&a, &b, &a]);
        assert_eq!(read, vec![Ok("alone\n".to_string()); 3], "{name}");
        let mut session = cncert_feed::read::ocr::Session::new(&engine);
        for p in [&a, &b, &a] {
            session.add(p);
        }
        assert_eq!(session.finish(), vec![Ok("alone\n".to_string()); 3], "{name}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn pictures_read_together_come_back_each_with_its_own_page() {
    // Tesseract writes a form feed between two pages.
    let (dir, engine) = fake_batch_tesseract(
        "batch-pages",
        "cat > /dev/null; printf 'first\\n\\fsecond\\n'",
        "echo alone",
    );
    let (a, b) = (gray_png(700, 50), gray_png(701, 50));
    let refused = b"not a picture".to_vec();
    let read = engine.read_many(&[&a, &refused, &b, &a]);
    assert_eq!(read[0], Ok("first\n".to_string()));
    assert!(
        read[1].as_ref().is_err_and(|w| w.contains("not a picture")),
        "{:?}",
        read[1]
    );
    assert_eq!(read[2], Ok("second\n".to_string()));
    assert_eq!(
        read[3],
        Ok("first\n".to_string()),
        "the same picture twice is read once"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
