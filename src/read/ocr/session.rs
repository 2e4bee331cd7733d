//! An issue's pictures read by one Tesseract process as they arrive: its model is loaded once, and
//! it reads a picture while the next one is fetched (the picture host's politeness delay).
//!
//! Tesseract is started with `-c stream_filelist=1`: it reads the names of the pictures from its
//! stdin as they are written, and writes their texts one after another, a form feed between two.
//! A picture is prepared ([`super::prepare`], as PGM) and written to a directory of the session's
//! own as it is added. When the process fails, or its output does not hold one page a picture,
//! each picture is read on its own instead; when it runs past the time limit once per picture
//! added, it is killed and every picture in it is given up.

use std::io::Write;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::{Engine, PAGE_SEPARATOR, TempDir, Waited, read_text_upto, stop, wait_until};

/// The most text kept from a session's Tesseract: [`super::MAX_TEXT_BYTES`] for each of the
/// pictures an issue can have (12 in the article, 12 in the PDF).
const MAX_SESSION_TEXT: usize = super::MAX_TEXT_BYTES * 24;

/// What became of one picture added to a session.
#[derive(Debug, Clone)]
enum Slot {
    /// Sent to Tesseract as its `n`-th picture.
    Sent(usize),
    /// Not read: why.
    Refused(String),
    /// The same bytes as the picture added as number `n`: its text.
    Same(usize),
}

/// The running Tesseract of a session.
struct Running {
    child: Child,
    stdin: ChildStdin,
    output: mpsc::Receiver<Result<String, String>>,
}

/// Pictures read by one Tesseract process as they are added (see the module's documentation).
pub struct Session {
    engine: Engine,
    started: Instant,
    dir: Option<TempDir>,
    running: Option<Running>,
    /// Writing to Tesseract failed: the pictures are read one by one at the end.
    broken: bool,
    slots: Vec<Slot>,
    digests: Vec<[u8; 32]>,
    /// The prepared pictures sent, in order (kept to read them one by one should the process fail).
    sent: Vec<Vec<u8>>,
}

impl Session {
    /// A session of `engine` (Tesseract starts with the first picture).
    pub fn new(engine: &Engine) -> Session {
        Session {
            engine: engine.clone(),
            started: Instant::now(),
            dir: None,
            running: None,
            broken: false,
            slots: Vec::new(),
            digests: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// Adds a picture (PNG, JPEG, GIF or WebP bytes): prepared now (within the time limit), then
    /// handed to Tesseract, which reads it while the caller goes on.
    pub fn add(&mut self, picture: &[u8]) {
        let digest: [u8; 32] = Sha256::digest(picture).into();
        if let Some(n) = self.digests.iter().position(|d| *d == digest) {
            self.digests.push(digest);
            self.slots.push(Slot::Same(n));
            return;
        }
        self.digests.push(digest);
        let deadline = Instant::now() + self.engine.time_limit;
        let prepared = match self.engine.prepare_until(picture, deadline) {
            Ok(p) => p,
            Err(why) => {
                self.slots.push(Slot::Refused(why));
                return;
            }
        };
        let n = self.sent.len();
        self.slots.push(Slot::Sent(n));
        if !self.broken && self.send(n, &prepared).is_none() {
            self.broken = true;
        }
        self.sent.push(prepared);
    }

    /// Writes the `n`-th prepared picture to the session's directory and its name to Tesseract
    /// (started on the first); `None` when something failed.
    fn send(&mut self, n: usize, prepared: &[u8]) -> Option<()> {
        if self.dir.is_none() {
            self.dir = Some(TempDir::new()?);
        }
        let path = self.dir.as_ref()?.0.join(format!("{n}.pgm"));
        std::fs::write(&path, prepared).ok()?;
        if self.running.is_none() {
            let mut child = self
                .engine
                .command()
                .args(["stdin", "stdout"])
                .args(self.engine.model_args())
                .args(["-c", "stream_filelist=1"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                stop(&mut child);
                return None;
            };
            let (tx, output) = mpsc::channel();
            // Read while Tesseract writes (past the cap, read and dropped): it never blocks on a full pipe.
            std::thread::spawn(move || {
                let _ = tx.send(read_text_upto(stdout, MAX_SESSION_TEXT));
            });
            self.running = Some(Running { child, stdin, output });
        }
        let running = self.running.as_mut()?;
        let line = format!("{}\n", path.to_str()?);
        running.stdin.write_all(line.as_bytes()).ok()?;
        running.stdin.flush().ok()
    }

    /// The text of every picture added (or why there is none), in the order they were added.
    pub fn finish(mut self) -> Vec<Result<String, String>> {
        let texts = self.texts();
        let read: Vec<Result<String, String>> = self
            .slots
            .iter()
            .map(|slot| match slot {
                Slot::Sent(n) => texts.get(*n).cloned().unwrap_or_else(|| Err("not read".into())),
                Slot::Refused(why) => Err(why.clone()),
                Slot::Same(_) => Ok(String::new()),
            })
            .collect();
        (0..read.len())
            .map(|i| match &self.slots[i] {
                Slot::Same(n) => read[*n].clone(),
                _ => read[i].clone(),
            })
            .collect()
    }

    /// The texts of the pictures sent: from the process, else each read on its own.
    fn texts(&mut self) -> Vec<Result<String, String>> {
        let count = self.sent.len();
        if count == 0 {
            if let Some(mut r) = self.running.take() {
                stop(&mut r.child);
            }
            return Vec::new();
        }
        let limit = self
            .engine
            .time_limit
            .saturating_mul(u32::try_from(count).unwrap_or(u32::MAX));
        let deadline = self.started + limit;
        match (self.running.take(), self.broken) {
            // Writing to it failed: it is stopped, and every picture is read on its own.
            (Some(mut r), true) => stop(&mut r.child),
            (Some(r), false) => match self.collect(r, deadline) {
                Ok(texts) => return texts,
                Err(Waited::TooSlow) => {
                    let why = format!(
                        "Tesseract took longer than {} s for the {count} pictures read together; given up",
                        limit.as_secs()
                    );
                    return vec![Err(why); count];
                }
                Err(Waited::Failed(_)) => {}
            },
            (None, _) => {}
        }
        let sent = std::mem::take(&mut self.sent);
        sent.into_iter()
            .map(|p| self.engine.tesseract_until(p, Instant::now() + self.engine.time_limit))
            .collect()
    }

    /// Closes Tesseract's list, waits for it (killed at `deadline`) and splits its output into
    /// pages, one a picture sent; `Failed` when they do not add up.
    fn collect(&self, r: Running, deadline: Instant) -> Result<Vec<Result<String, String>>, Waited> {
        let Running {
            mut child,
            stdin,
            output,
        } = r;
        drop(stdin);
        let failed = || Waited::Failed(std::io::Error::other("Tesseract's output does not add up"));
        let status = wait_until(&mut child, deadline)?;
        let text = match output.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => return Err(failed()),
            Err(_) => return Err(Waited::TooSlow),
        };
        let pages: Vec<&str> = text.split(PAGE_SEPARATOR).collect();
        if !status.success() || pages.len() != self.sent.len() {
            return Err(failed());
        }
        Ok(pages.into_iter().map(super::kept).collect())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(mut r) = self.running.take() {
            stop(&mut r.child);
        }
    }
}
