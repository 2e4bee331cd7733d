//! A minimal SMTP server on 127.0.0.1 (port 0) for the e-mail tests: EHLO with AUTH PLAIN/LOGIN
//! (never STARTTLS), MAIL/RCPT/DATA, answers to DATA taken from a queue (a 5xx can be queued),
//! every session's login, envelope and message kept.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;

/// One message the server took (or refused: `answer`).
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// `(user, password)` given with AUTH.
    pub login: Option<(String, String)>,
    /// MAIL FROM.
    pub from: String,
    /// RCPT TO, in order.
    pub to: Vec<String>,
    /// The message (headers and body, CRLF, dot-unstuffed).
    pub data: String,
    /// What the server answered to the end of DATA.
    pub answer: String,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// AUTH attempts, whatever happened next.
    logins: Vec<(String, String)>,
    data_answers: VecDeque<String>,
}

/// A running SMTP server; stops when dropped.
pub struct SmtpServer {
    /// `127.0.0.1`.
    pub host: String,
    /// The port.
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
}

impl SmtpServer {
    /// Starts a server that wants `login` (any login when `None`).
    pub fn start(login: Option<(&str, &str)>) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let want = login.map(|(u, p)| (u.to_string(), p.to_string()));
        {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (shared, want) = (shared.clone(), want.clone());
                            std::thread::spawn(move || {
                                let _ = session(stream, &shared, want.as_ref());
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            });
        }
        SmtpServer {
            host: "127.0.0.1".into(),
            port,
            shared,
            stop,
        }
    }

    /// Queues the answer to the next DATA (e.g. `554 5.7.1 Message rejected`).
    pub fn answer_next_data(&self, line: &str) {
        self.shared
            .lock()
            .expect("lock")
            .data_answers
            .push_back(line.to_string());
    }

    /// Every message so far, refused ones included.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("lock").received.clone()
    }

    /// Messages the server accepted.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.answer.starts_with('2'))
            .collect()
    }

    /// Every AUTH attempt.
    pub fn logins(&self) -> Vec<(String, String)> {
        self.shared.lock().expect("lock").logins.clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn b64(s: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn session(stream: TcpStream, shared: &Mutex<Shared>, want: Option<&(String, String)>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let read = |reader: &mut BufReader<TcpStream>, line: &mut String| -> std::io::Result<bool> {
        line.clear();
        Ok(reader.read_line(line)? > 0)
    };
    out.write_all(b"220 mock.local ESMTP ready\r\n")?;
    let mut cur = Received::default();
    let mut authed = want.is_none();
    while read(&mut reader, &mut line)? {
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            out.write_all(b"250-mock.local\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\r\n")?;
        } else if upper.starts_with("AUTH PLAIN") {
            let arg = cmd.get(10..).unwrap_or_default().trim().to_string();
            let arg = if arg.is_empty() {
                out.write_all(b"334 \r\n")?;
                read(&mut reader, &mut line)?;
                line.trim().to_string()
            } else {
                arg
            };
            let decoded = b64(&arg);
            let parts: Vec<&str> = decoded.split('\0').collect();
            let login = (
                parts.get(1).copied().unwrap_or_default().to_string(),
                parts.get(2).copied().unwrap_or_default().to_string(),
            );
            authed = check(shared, want, &login, &mut out)?;
            cur.login = Some(login);
        } else if upper.starts_with("AUTH LOGIN") {
            out.write_all(b"334 VXNlcm5hbWU6\r\n")?;
            read(&mut reader, &mut line)?;
            let user = b64(&line);
            out.write_all(b"334 UGFzc3dvcmQ6\r\n")?;
            read(&mut reader, &mut line)?;
            let login = (user, b64(&line));
            authed = check(shared, want, &login, &mut out)?;
            cur.login = Some(login);
        } else if upper.starts_with("MAIL FROM:") {
            if authed {
                cur.from = cmd[10..].trim().to_string();
                out.write_all(b"250 2.1.0 OK\r\n")?;
            } else {
                out.write_all(b"530 5.7.0 Authentication required\r\n")?;
            }
        } else if upper.starts_with("RCPT TO:") {
            cur.to.push(cmd[8..].trim().to_string());
            out.write_all(b"250 2.1.5 OK\r\n")?;
        } else if upper == "DATA" {
            out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = String::new();
            while read(&mut reader, &mut line)? {
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let l = line
                    .strip_prefix('.')
                    .filter(|_| line.starts_with(".."))
                    .unwrap_or(&line);
                data.push_str(l);
            }
            let answer = shared
                .lock()
                .expect("lock")
                .data_answers
                .pop_front()
                .unwrap_or_else(|| "250 2.0.0 Queued".to_string());
            out.write_all(format!("{answer}\r\n").as_bytes())?;
            cur.data = data;
            cur.answer = answer;
            let done = std::mem::take(&mut cur);
            cur.login = done.login.clone();
            shared.lock().expect("lock").received.push(done);
        } else if upper == "RSET" || upper == "NOOP" {
            out.write_all(b"250 2.0.0 OK\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 2.0.0 Bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 5.5.2 Command not recognized\r\n")?;
        }
    }
    Ok(())
}

fn check(
    shared: &Mutex<Shared>,
    want: Option<&(String, String)>,
    login: &(String, String),
    out: &mut TcpStream,
) -> std::io::Result<bool> {
    shared.lock().expect("lock").logins.push(login.clone());
    let ok = want.is_none_or(|w| w == login);
    if ok {
        out.write_all(b"235 2.7.0 Authentication successful\r\n")?;
    } else {
        out.write_all(b"535 5.7.8 Authentication credentials invalid\r\n")?;
    }
    Ok(ok)
}

/// A MIME message's parts, decoded: `(content type, text)`, and its decoded Subject.
pub fn parts(data: &str) -> (String, Vec<(String, String)>) {
    let unfolded = data.replace("\r\n ", " ").replace("\r\n\t", " ");
    let (head, _) = unfolded.split_once("\r\n\r\n").unwrap_or((&unfolded, ""));
    let subject = head
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .map(decode_words)
        .unwrap_or_default();
    let boundary = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("content-type: multipart/alternative"))
        .and_then(|l| l.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_string())
        .unwrap_or_default();
    let mut out = Vec::new();
    if boundary.is_empty() {
        return (subject, out);
    }
    for part in data.split(&format!("--{boundary}")).skip(1) {
        if part.starts_with("--") {
            break; // the closing delimiter
        }
        let Some((h, body)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let lower = h.to_lowercase();
        let ctype = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-type: "))
            .map(|c| c.split(';').next().unwrap_or_default().to_string())
            .unwrap_or_default();
        let body = body.trim_end_matches("--\r\n").trim_end();
        let text = if lower.contains("content-transfer-encoding: base64") {
            b64(&body.replace("\r\n", ""))
        } else if lower.contains("content-transfer-encoding: quoted-printable") {
            quoted_printable(body)
        } else {
            body.to_string()
        };
        out.push((ctype, text));
    }
    (subject, out)
}

fn quoted_printable(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && let Some(v) = std::str::from_utf8(&b[i + 1..(i + 3).min(b.len())])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`).
fn decode_words(s: &str) -> String {
    let mut out = String::new();
    for w in s.split(' ') {
        let lower = w.to_lowercase();
        if let Some(rest) = lower.strip_prefix("=?utf-8?b?").and_then(|r| r.strip_suffix("?=")) {
            let _ = rest;
            out.push_str(&b64(&w[10..w.len() - 2]));
        } else if lower.starts_with("=?utf-8?q?") && lower.ends_with("?=") {
            out.push_str(&quoted_printable(&w[10..w.len() - 2].replace('_', " ")));
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
    }
    out
}
