//! Text from a picture: the picture is prepared in Rust (decoded, grayscale, scaled up when
//! small) and read by Tesseract's Simplified Chinese model (the `tesseract` command).
//!
//! Bounded per picture: its size is read from its header and checked before it is decoded (the
//! pixels decoded and the pixels handed to Tesseract after scaling up, both at most
//! [`MAX_OCR_PIXELS`]); preparing and reading together take at most [`OCR_TIME_LIMIT`]; at most
//! [`MAX_TEXT_BYTES`] of text is kept. Whatever is refused comes back as an `Err` (a note on the
//! picture), never a panic.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One picture's OCR (preparing the picture and Tesseract's run together) may take this long
/// before it is given up.
pub const OCR_TIME_LIMIT: Duration = Duration::from_secs(60);

/// The most pixels a picture may have, decoded and as handed to Tesseract after scaling up (a
/// 40-megapixel page scan is the most a report holds; the same cap as the PDF reader's).
pub const MAX_OCR_PIXELS: u64 = 40_000_000;

/// The most bytes a decoder may allocate for one picture (a 40-megapixel RGBA picture is 160 MB).
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// The most text kept from one picture (a full page is tens of KB); more is read to the end, so
/// Tesseract is never blocked on a full pipe, and refused.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// The OCR engine: the `tesseract` command with the chi_sim model.
#[derive(Debug, Clone)]
pub struct Engine {
    program: PathBuf,
    time_limit: Duration,
}

impl Engine {
    /// Finds Tesseract (`TESSERACT` names the program, else `tesseract` on PATH) with the
    /// Simplified Chinese model; Err says what is missing and how to install it.
    pub fn detect() -> Result<Engine, String> {
        let program = std::env::var_os("TESSERACT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("tesseract"));
        Engine::at(program)
    }

    /// The Tesseract at `program` (a path, or a name looked up on PATH), when it has the
    /// Simplified Chinese model; Err says what is missing and how to install it.
    pub fn at(program: impl Into<PathBuf>) -> Result<Engine, String> {
        let program = program.into();
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
        Ok(Engine {
            program,
            time_limit: OCR_TIME_LIMIT,
        })
    }

    /// The same engine with another time limit per picture (default [`OCR_TIME_LIMIT`]).
    pub fn with_time_limit(self, time_limit: Duration) -> Engine {
        Engine { time_limit, ..self }
    }

    /// Reads the text of a picture (PNG, JPEG, GIF or WebP bytes): [`prepare`]d on a worker
    /// thread, then read by Tesseract, both within the time limit. Err is the note for the
    /// picture: too large, unreadable, too slow, or Tesseract failed.
    pub fn read(&self, picture: &[u8]) -> Result<String, String> {
        let deadline = Instant::now() + self.time_limit;
        let prepared = self.prepare_until(picture, deadline)?;
        self.tesseract_until(prepared, deadline)
    }

    /// [`prepare`] on its own thread, given up at `deadline` (the thread then finishes on its
    /// own: its work is bounded by [`MAX_OCR_PIXELS`]; its result is dropped).
    fn prepare_until(&self, picture: &[u8], deadline: Instant) -> Result<Vec<u8>, String> {
        let picture = picture.to_vec();
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("ocr-prepare".into())
            .spawn(move || {
                let _ = tx.send(prepare(&picture));
            })
            .map_err(|e| format!("cannot start preparing the picture: {e}"))?;
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(prepared) => prepared,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
                "preparing the picture took longer than {} s; given up",
                self.time_limit.as_secs()
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err("the picture's decoder failed; skipped".into()),
        }
    }

    /// Runs Tesseract over a prepared picture: its input written and its output read on their own
    /// threads while it runs; killed at `deadline`.
    fn tesseract_until(&self, prepared: Vec<u8>, deadline: Instant) -> Result<String, String> {
        let too_slow = || format!("Tesseract took longer than {} s; given up", self.time_limit.as_secs());
        if Instant::now() >= deadline {
            return Err(too_slow());
        }
        // One column of text of varying sizes: what the dashboard and the paragraph pictures are.
        let mut child = Command::new(&self.program)
            .args(["stdin", "stdout", "-l", "chi_sim", "--psm", "4"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run Tesseract: {e}"))?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            stop(&mut child);
            return Err("cannot talk to Tesseract (no pipes)".into());
        };
        // Neither thread is joined when Tesseract is killed: a pipe may outlive it (held by a
        // process it started); each thread ends when its pipe closes.
        std::thread::spawn(move || stdin.write_all(&prepared));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read_text(stdout));
        });
        let status = wait_until(&mut child, deadline).map_err(|e| match e {
            Waited::TooSlow => too_slow(),
            Waited::Failed(e) => format!("Tesseract: {e}"),
        })?;
        let text = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(text) => text?,
            Err(_) => return Err(too_slow()),
        };
        if !status.success() {
            return Err(format!("Tesseract failed ({status})"));
        }
        Ok(text)
    }
}

/// Why waiting for Tesseract stopped before it exited.
enum Waited {
    /// The deadline passed; it was killed.
    TooSlow,
    /// Its state could not be read; it was killed.
    Failed(std::io::Error),
}

/// Waits for `child` to exit, killing it at `deadline`.
fn wait_until(child: &mut Child, deadline: Instant) -> Result<ExitStatus, Waited> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                stop(child);
                return Err(Waited::TooSlow);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                stop(child);
                return Err(Waited::Failed(e));
            }
        }
    }
}

/// Kills and reaps a child process (errors ignored: it may have exited already).
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Tesseract's output to its end: the text when at most [`MAX_TEXT_BYTES`], else Err (what is
/// beyond is read and dropped, so Tesseract is never blocked writing).
fn read_text(mut stdout: ChildStdout) -> Result<String, String> {
    let mut text = Vec::new();
    let cap = MAX_TEXT_BYTES as u64 + 1;
    (&mut stdout)
        .take(cap)
        .read_to_end(&mut text)
        .map_err(|e| format!("cannot read Tesseract's output: {e}"))?;
    if text.len() > MAX_TEXT_BYTES {
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        return Err(format!(
            "Tesseract wrote more than {} MiB of text; not kept",
            MAX_TEXT_BYTES / (1024 * 1024)
        ));
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// Pictures narrower than this are scaled up (Tesseract reads Chinese best at about 30 pixels a
/// character; WeChat's pictures are 640–1080 wide, small text would be 10 pixels).
pub const MIN_WIDTH: u32 = 600;

/// The size a `w`×`h` picture is handed to Tesseract at: scaled up (at most 4×) to
/// [`MIN_WIDTH`] when narrower, else as it is.
pub fn ocr_size(w: u32, h: u32) -> (u32, u32) {
    if w == 0 || w >= MIN_WIDTH {
        return (w, h);
    }
    let scale = (f64::from(MIN_WIDTH) / f64::from(w)).min(4.0);
    // `as` saturates: a height beyond u32 stays beyond every cap.
    ((f64::from(w) * scale) as u32, (f64::from(h) * scale) as u32)
}

/// Why a picture of `w`×`h` pixels (from its header) is not read, if it is not: empty, or more
/// than [`MAX_OCR_PIXELS`] decoded or once scaled up for OCR.
fn refuse_size(w: u32, h: u32) -> Option<String> {
    let pixels = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
    let (nw, nh) = ocr_size(w, h);
    if w == 0 || h == 0 {
        return Some(format!("picture is {w}×{h} pixels, empty; skipped"));
    }
    if pixels((w, h)) > MAX_OCR_PIXELS {
        return Some(format!(
            "picture is {w}×{h} pixels, more than {MAX_OCR_PIXELS}; skipped"
        ));
    }
    if pixels((nw, nh)) > MAX_OCR_PIXELS {
        return Some(format!(
            "picture is {w}×{h} pixels ({nw}×{nh} once scaled up for OCR), more than {MAX_OCR_PIXELS}; skipped"
        ));
    }
    None
}

/// Prepares a picture for OCR: its size read from its header and refused when too large (see
/// [`MAX_OCR_PIXELS`]) before anything is decoded; then decoded (PNG, JPEG, GIF, WebP) under
/// limits, grayscale (colour, alpha and JPEG chroma noise gone), scaled up when narrower than
/// [`MIN_WIDTH`]; PNG bytes for Tesseract.
/// Binarizing (Otsu) and scaling every picture to 1,600 pixels were measured on the fixture's
/// pictures and read fewer figures (33 and 18 of 45, against 43 of 45 with this and `--psm 4`),
/// so neither is done.
pub fn prepare(picture: &[u8]) -> Result<Vec<u8>, String> {
    let unreadable = |e: &dyn std::fmt::Display| format!("not a picture that can be read: {e}");
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(picture))
            .with_guessed_format()
            .map_err(|e| unreadable(&e))
    };
    let (w, h) = reader()?.into_dimensions().map_err(|e| unreadable(&e))?;
    if let Some(why) = refuse_size(w, h) {
        return Err(why);
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut decoder = reader()?;
    decoder.limits(limits);
    let img = decoder.decode().map_err(|e| unreadable(&e))?;
    let gray = img.to_luma8();
    drop(img);
    let (nw, nh) = ocr_size(w, h);
    let gray = if (nw, nh) != (w, h) {
        image::imageops::resize(&gray, nw, nh, image::imageops::FilterType::CatmullRom)
    } else {
        gray
    };
    let mut out = std::io::Cursor::new(Vec::new());
    gray.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| format!("cannot encode the prepared picture: {e}"))?;
    Ok(out.into_inner())
}
