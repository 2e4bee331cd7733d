//! Text from a picture: the picture is prepared in Rust (decoded, grayscale, scaled up when
//! small) and read by Tesseract's Simplified Chinese model (the `tesseract` command).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One picture's OCR may take this long before it is given up.
pub const OCR_TIME_LIMIT: Duration = Duration::from_secs(60);

/// The OCR engine: the `tesseract` command with the chi_sim model.
#[derive(Debug, Clone)]
pub struct Engine {
    program: PathBuf,
}

impl Engine {
    /// Finds Tesseract (`TESSERACT` names the program, else `tesseract` on PATH) with the
    /// Simplified Chinese model; Err says what is missing and how to install it.
    pub fn detect() -> Result<Engine, String> {
        let program = std::env::var_os("TESSERACT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("tesseract"));
        let out = Command::new(&program).arg("--list-langs").output().map_err(|e| {
            format!(
                "Tesseract is not installed ({e}); install it (Debian/Ubuntu: apt-get install tesseract-ocr tesseract-ocr-chi-sim) to read the figures in pictures"
            )
        })?;
        let langs = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        if !langs.lines().any(|l| l.trim() == "chi_sim") {
            return Err(
                "Tesseract has no Simplified Chinese model; install tesseract-ocr-chi-sim to read the figures in pictures"
                    .into(),
            );
        }
        Ok(Engine { program })
    }

    /// Reads the text of a picture (PNG, JPEG, GIF or WebP bytes).
    pub fn read(&self, picture: &[u8]) -> Result<String, String> {
        let prepared = prepare(picture)?;
        // One column of text of varying sizes: what the dashboard and the paragraph pictures are.
        let mut child = Command::new(&self.program)
            .args(["stdin", "stdout", "-l", "chi_sim", "--psm", "4"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run Tesseract: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("cannot write to Tesseract")?;
        let writer = std::thread::spawn(move || stdin.write_all(&prepared));
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if started.elapsed() > OCR_TIME_LIMIT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "Tesseract took longer than {} s; given up",
                        OCR_TIME_LIMIT.as_secs()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("Tesseract: {e}")),
            }
        }
        let _ = writer.join();
        let out = child.wait_with_output().map_err(|e| format!("Tesseract: {e}"))?;
        if !out.status.success() {
            return Err(format!("Tesseract failed ({})", out.status));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Pictures narrower than this are scaled up (Tesseract reads Chinese best at about 30 pixels a
/// character; WeChat's pictures are 640–1080 wide, small text would be 10 pixels).
pub const MIN_WIDTH: u32 = 600;

/// Prepares a picture for OCR: decoded (PNG, JPEG, GIF, WebP), grayscale (colour, alpha and
/// JPEG chroma noise gone), scaled up when narrower than [`MIN_WIDTH`]; PNG bytes for Tesseract.
/// Binarizing (Otsu) and scaling every picture to 1,600 pixels were measured on the fixture's
/// pictures and read fewer figures (33 and 18 of 45, against 43 of 45 with this and `--psm 4`),
/// so neither is done.
pub fn prepare(picture: &[u8]) -> Result<Vec<u8>, String> {
    let img = image::load_from_memory(picture).map_err(|e| format!("not a picture that can be read: {e}"))?;
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > 40_000_000 {
        return Err(format!("a {w}×{h} picture is not read"));
    }
    let gray = img.to_luma8();
    let gray = if w < MIN_WIDTH {
        let scale = (f64::from(MIN_WIDTH) / f64::from(w)).min(4.0);
        let (nw, nh) = ((f64::from(w) * scale) as u32, (f64::from(h) * scale) as u32);
        image::imageops::resize(&gray, nw, nh, image::imageops::FilterType::CatmullRom)
    } else {
        gray
    };
    let mut out = std::io::Cursor::new(Vec::new());
    gray.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| format!("cannot encode the prepared picture: {e}"))?;
    Ok(out.into_inner())
}
