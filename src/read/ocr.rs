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

mod prepare;
mod session;

use prepare::prepare_pgm;
pub use prepare::{MIN_WIDTH, SECOND_MIN_WIDTH, ocr_size, prepare};
#[cfg(test)]
use prepare::{prepare_gray, stretch_contrast};
pub use session::Session;

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
    pass: Pass,
}

/// How pictures are prepared and laid out for Tesseract: the first reading of every picture, or
/// the second of those whose figures the first left unconfirmed ([`Engine::second_pass`]).
/// Measured on the rendered, hard, image-site and degraded picture sets
/// (`benches/ocr_accuracy.py`, issue 21): one uniform block (`--psm 6`) reads a dashboard's rows
/// as rows where `--psm 4` often read its columns one after the other; the second reading, larger
/// and laid out as a column of lines (`--psm 4`), reads much of what the first misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// At least [`MIN_WIDTH`] wide, `--psm 6`.
    First,
    /// At least [`SECOND_MIN_WIDTH`] wide, `--psm 4`.
    Second,
}

impl Pass {
    fn min_width(self) -> u32 {
        match self {
            Pass::First => MIN_WIDTH,
            Pass::Second => SECOND_MIN_WIDTH,
        }
    }

    fn psm(self) -> &'static str {
        match self {
            Pass::First => "6",
            Pass::Second => "4",
        }
    }
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
            pass: Pass::First,
        })
    }

    /// The same engine for a second reading: pictures scaled up to at least
    /// [`SECOND_MIN_WIDTH`] and laid out as a column of lines (`--psm 4`), where the first reading
    /// takes them at [`MIN_WIDTH`] as one block of text (`--psm 6`).
    pub fn second_pass(&self) -> Engine {
        Engine {
            pass: Pass::Second,
            ..self.clone()
        }
    }

    /// The Tesseract command. One thread: Tesseract's OpenMP threads wait for each other more
    /// than they help (a picture took 0.44 s with them, 0.24–0.30 s without, on two cores), and
    /// the pictures of a batch are read by processes side by side instead
    /// (`OMP_THREAD_LIMIT` set by the user is kept).
    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        if std::env::var_os("OMP_THREAD_LIMIT").is_none() {
            c.env("OMP_THREAD_LIMIT", "1");
        }
        c
    }

    /// Tesseract's arguments after its input and output: the model and the page segmentation.
    fn model_args(&self) -> [&'static str; 4] {
        ["-l", "chi_sim", "--psm", self.pass.psm()]
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

    /// Reads the texts of several pictures (an issue's), as [`Engine::read`] reads each, in one
    /// Tesseract process: its model is loaded once, not once a picture. The pictures are
    /// prepared side by side (each within the time limit); the batch has the time limit once per
    /// picture in it. When the batch fails (Tesseract exits with an error, or its output does not
    /// hold one page per picture) each picture is read on its own; when it takes too long, every
    /// picture in it is given up. Identical pictures are read once.
    pub fn read_many(&self, pictures: &[&[u8]]) -> Vec<Result<String, String>> {
        let mut out: Vec<Option<Result<String, String>>> = vec![None; pictures.len()];
        // The first of identical pictures is read; the others take its text.
        let first: Vec<usize> = (0..pictures.len())
            .map(|i| (0..i).find(|&j| pictures[j] == pictures[i]).unwrap_or(i))
            .collect();
        let unique: Vec<usize> = (0..pictures.len()).filter(|&i| first[i] == i).collect();
        let deadline = Instant::now() + self.time_limit;
        let prepared: Vec<Result<Vec<u8>, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = unique
                .iter()
                .map(|&i| scope.spawn(move || self.prepare_until(pictures[i], deadline)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("the picture's decoder failed; skipped".into()))
                })
                .collect()
        });
        let mut batch: Vec<(usize, Vec<u8>)> = Vec::new();
        for (&i, p) in unique.iter().zip(prepared) {
            match p {
                Ok(bytes) => batch.push((i, bytes)),
                Err(why) => out[i] = Some(Err(why)),
            }
        }
        for (i, text) in self.tesseract_batch(batch) {
            out[i] = Some(text);
        }
        (0..pictures.len())
            .map(|i| {
                out[first[i]]
                    .clone()
                    .unwrap_or_else(|| Err("not read (a bug: please report it)".into()))
            })
            .collect()
    }

    /// Runs Tesseract over prepared pictures: one process for all, or one for each part of them
    /// when there are cores for more (each part at least two pictures).
    fn tesseract_batch(&self, batch: Vec<(usize, Vec<u8>)>) -> Vec<(usize, Result<String, String>)> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let parts = cores.min(batch.len() / 2).max(1);
        if parts == 1 {
            return self.tesseract_part(batch);
        }
        let size = batch.len().div_ceil(parts);
        let mut rest = batch;
        let mut chunks = Vec::new();
        while !rest.is_empty() {
            let tail = rest.split_off(size.min(rest.len()));
            chunks.push(std::mem::replace(&mut rest, tail));
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|chunk| {
                    let places: Vec<usize> = chunk.iter().map(|(i, _)| *i).collect();
                    (places, scope.spawn(move || self.tesseract_part(chunk)))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|(places, h)| {
                    h.join().unwrap_or_else(|_| {
                        let why = "OCR stopped (a bug: please report it)".to_string();
                        places.into_iter().map(|i| (i, Err(why.clone()))).collect()
                    })
                })
                .collect()
        })
    }

    /// One Tesseract process over prepared pictures (see [`Engine::read_many`]).
    fn tesseract_part(&self, batch: Vec<(usize, Vec<u8>)>) -> Vec<(usize, Result<String, String>)> {
        if batch.len() < 2 {
            let deadline = Instant::now() + self.time_limit;
            return batch
                .into_iter()
                .map(|(i, p)| (i, self.tesseract_until(p, deadline)))
                .collect();
        }
        let n = batch.len();
        let limit = self.time_limit.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
        match self.tesseract_list(&batch, Instant::now() + limit) {
            Ok(texts) => batch.iter().map(|(i, _)| *i).zip(texts).collect(),
            Err(Batch::TooSlow) => {
                let why = format!(
                    "Tesseract took longer than {} s for the {n} pictures read together; given up",
                    limit.as_secs()
                );
                batch.into_iter().map(|(i, _)| (i, Err(why.clone()))).collect()
            }
            Err(Batch::Failed) => batch
                .into_iter()
                .map(|(i, p)| (i, self.tesseract_until(p, Instant::now() + self.time_limit)))
                .collect(),
        }
    }

    /// One Tesseract process over a list file of the prepared pictures (written to a directory
    /// of their own, removed after), its output split at the page separator: one text a picture.
    fn tesseract_list(
        &self,
        batch: &[(usize, Vec<u8>)],
        deadline: Instant,
    ) -> Result<Vec<Result<String, String>>, Batch> {
        let dir = TempDir::new().ok_or(Batch::Failed)?;
        let mut list = String::new();
        for (k, (_, prepared)) in batch.iter().enumerate() {
            let path = dir.0.join(format!("{k}.pgm"));
            std::fs::write(&path, prepared).map_err(|_| Batch::Failed)?;
            list.push_str(path.to_str().ok_or(Batch::Failed)?);
            list.push('\n');
        }
        let list_path = dir.0.join("pictures.txt");
        std::fs::write(&list_path, list).map_err(|_| Batch::Failed)?;
        let mut child = self
            .command()
            .arg(&list_path)
            .arg("stdout")
            .args(self.model_args())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|_| Batch::Failed)?;
        let Some(stdout) = child.stdout.take() else {
            stop(&mut child);
            return Err(Batch::Failed);
        };
        let cap = MAX_TEXT_BYTES.saturating_mul(batch.len());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read_text_upto(stdout, cap));
        });
        let status = wait_until(&mut child, deadline).map_err(|e| match e {
            Waited::TooSlow => Batch::TooSlow,
            Waited::Failed(_) => Batch::Failed,
        })?;
        let text = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => return Err(Batch::Failed),
            Err(_) => return Err(Batch::TooSlow),
        };
        if !status.success() {
            return Err(Batch::Failed);
        }
        // Tesseract puts its page separator (a form feed) between pages; OCR text holds none.
        let pages: Vec<&str> = text.split(PAGE_SEPARATOR).collect();
        if pages.len() != batch.len() {
            return Err(Batch::Failed);
        }
        Ok(pages.into_iter().map(kept).collect())
    }

    /// [`prepare`] (as PGM) on its own thread, given up at `deadline` (the thread then finishes on its
    /// own: its work is bounded by [`MAX_OCR_PIXELS`]; its result is dropped).
    fn prepare_until(&self, picture: &[u8], deadline: Instant) -> Result<Vec<u8>, String> {
        let picture = picture.to_vec();
        let min_width = self.pass.min_width();
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("ocr-prepare".into())
            .spawn(move || {
                let _ = tx.send(prepare_pgm(&picture, min_width));
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
        let mut child = self
            .command()
            .args(["stdin", "stdout"])
            .args(self.model_args())
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

/// One picture's text out of a batch's output: kept when at most [`MAX_TEXT_BYTES`].
fn kept(page: &str) -> Result<String, String> {
    if page.len() > MAX_TEXT_BYTES {
        Err(format!(
            "Tesseract wrote more than {} MiB of text; not kept",
            MAX_TEXT_BYTES / (1024 * 1024)
        ))
    } else {
        Ok(page.to_string())
    }
}

/// What Tesseract writes between the pages of a list.
const PAGE_SEPARATOR: char = '\u{c}';

/// Why a batch of pictures gave no texts.
enum Batch {
    /// Tesseract ran past the batch's time limit; it was killed.
    TooSlow,
    /// Tesseract could not be run, failed, or gave other than one page a picture.
    Failed,
}

/// A directory of its own under the system's temporary directory, removed with everything in it
/// when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Option<TempDir> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        for _ in 0..16 {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let dir = std::env::temp_dir().join(format!("cncert-feed-ocr-{}-{n}-{nanos}", std::process::id()));
            if std::fs::create_dir(&dir).is_ok() {
                return Some(TempDir(dir));
            }
        }
        None
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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
fn read_text(stdout: ChildStdout) -> Result<String, String> {
    read_text_upto(stdout, MAX_TEXT_BYTES)
}

/// [`read_text`] with another cap (a batch's: one a picture).
fn read_text_upto(mut stdout: ChildStdout, max: usize) -> Result<String, String> {
    let mut text = Vec::new();
    let cap = max as u64 + 1;
    (&mut stdout)
        .take(cap)
        .read_to_end(&mut text)
        .map_err(|e| format!("cannot read Tesseract's output: {e}"))?;
    if text.len() > max {
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        return Err(format!(
            "Tesseract wrote more than {} MiB of text; not kept",
            max / (1024 * 1024)
        ));
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

#[cfg(test)]
#[path = "ocr_tests.rs"]
mod tests;
