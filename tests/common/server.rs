//! An in-process HTTP server that serves a fixture site the way `fixture_server.py` does
//! (routes from site.json: sequences of responses per URL, `{{origin}}` in headers, ETag → 304,
//! delays, padding), on 127.0.0.1 with port 0, logging every request.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// One logged request.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Path without the query.
    pub path: String,
    /// Raw query.
    pub query: String,
    /// Status answered.
    pub status: u16,
    /// Request headers, lower-case names.
    pub headers: HashMap<String, String>,
    /// Method.
    pub method: String,
    /// Request body.
    pub body: Vec<u8>,
}

/// A running server; stops when dropped.
pub struct FixtureServer {
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    log: Arc<Mutex<Vec<Logged>>>,
    stop: Arc<AtomicBool>,
}

struct Site {
    dir: PathBuf,
    routes: Vec<Value>,
    counters: Mutex<Vec<usize>>,
    latency_ms: u64,
}

fn percent_decode(s: &str) -> String {
    decode(s, true)
}

/// Decodes a path: `%XX` only (a `+` in a path is a plus).
fn path_decode(s: &str) -> String {
    decode(s, false)
}

fn decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FixtureServer {
    /// Serves `dir` with its own site.json.
    pub fn start(dir: &Path) -> FixtureServer {
        let site: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("site.json")).expect("site.json"))
            .expect("site.json is JSON");
        Self::start_with(dir, site["routes"].as_array().expect("routes").clone(), 0)
    }

    /// Serves `dir` with the given routes and a latency added to every response.
    pub fn start_with(dir: &Path, routes: Vec<Value>, latency_ms: u64) -> FixtureServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let n = routes.len();
        let site = Arc::new(Site {
            dir: dir.to_path_buf(),
            routes,
            counters: Mutex::new(vec![0; n]),
            latency_ms,
        });
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (log, stop, origin) = (log.clone(), stop.clone(), origin.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (site, log, origin) = (site.clone(), log.clone(), origin.clone());
                            std::thread::spawn(move || serve(stream, &site, &log, &origin));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            });
        }
        FixtureServer { origin, log, stop }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().expect("log").clone()
    }

    /// Requests for article pages (`/s` and `/s/…`).
    pub fn article_requests(&self) -> Vec<Logged> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == "/s" || r.path.starts_with("/s/"))
            .collect()
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream, site: &Site, log: &Mutex<Vec<Logged>>, origin: &str) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut stream = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let mut request_body = Vec::new();
        if let Some(len) = headers.get("content-length").and_then(|l| l.parse::<usize>().ok()) {
            request_body = vec![0; len];
            let _ = reader.read_exact(&mut request_body);
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("GET").to_string();
        let mut target = parts.next().unwrap_or("/").to_string();
        // Requests through a proxy name the whole URL (absolute form): serve them too.
        if let Some(rest) = target
            .strip_prefix("http://")
            .or_else(|| target.strip_prefix("https://"))
            .map(str::to_string)
        {
            target = rest
                .find('/')
                .map(|i| rest[i..].to_string())
                .unwrap_or_else(|| "/".to_string());
            headers.insert(
                "x-proxied-for".to_string(),
                rest.split('/').next().unwrap_or("").to_string(),
            );
        }
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let params: HashMap<String, String> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        let hit = site.routes.iter().position(|r| {
            r["path"].as_str().map(path_decode) == Some(path_decode(path))
                && r["query"]
                    .as_object()
                    .is_none_or(|q| q.iter().all(|(k, v)| params.get(k).map(String::as_str) == v.as_str()))
        });
        let mut resp = match hit {
            None => serde_json::json!({"status": 404, "body": "not found", "headers": {"Content-Type": "text/plain"}}),
            Some(n) => {
                let mut counters = site.counters.lock().expect("counters");
                let seq = site.routes[n]["responses"].as_array().expect("responses");
                let r = seq[counters[n].min(seq.len() - 1)].clone();
                counters[n] += 1;
                r
            }
        };
        let etag = resp["headers"]["ETag"].as_str().map(str::to_string);
        if let Some(tag) = &etag
            && headers.get("if-none-match") == Some(tag)
        {
            resp = serde_json::json!({"status": 304, "headers": {"ETag": tag}});
        }
        let delay = resp["delay_ms"].as_u64().unwrap_or(0) + site.latency_ms;
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        let mut body = match resp["file"].as_str() {
            Some(f) => std::fs::read(site.dir.join(f)).expect("fixture file"),
            None => resp["body"].as_str().unwrap_or("").as_bytes().to_vec(),
        };
        if let Some(pad) = resp["pad_bytes"].as_u64() {
            body.extend(std::iter::repeat_n(b' ', pad as usize));
        }
        let status = resp["status"].as_u64().unwrap_or(200) as u16;
        log.lock().expect("log").push(Logged {
            path: path.to_string(),
            query: query.to_string(),
            status,
            headers: headers.clone(),
            method: method.clone(),
            body: request_body.clone(),
        });
        let mut head = format!("HTTP/1.1 {status} X\r\n");
        if let Some(h) = resp["headers"].as_object() {
            for (k, v) in h {
                head.push_str(&format!(
                    "{k}: {}\r\n",
                    v.as_str().unwrap_or("").replace("{{origin}}", origin)
                ));
            }
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            body.len()
        ));
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        if method != "HEAD" && stream.write_all(&body).is_err() {
            return;
        }
        let _ = stream.flush();
    }
}
