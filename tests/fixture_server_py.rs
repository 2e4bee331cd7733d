//! `benches/fixture_server.py` (the benchmarks' server) routes like `tests/common/server.rs`:
//! paths compare percent-decoded, so the website's PDFs, named in Chinese, are served.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// The server, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The status line and body length of `GET path`.
fn get(addr: &str, path: &str) -> (String, usize) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read");
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(answer.len(), |p| p + 4);
    let head = String::from_utf8_lossy(&answer[..at]);
    (head.lines().next().unwrap_or_default().to_string(), answer.len() - at)
}

#[test]
fn the_bench_server_serves_pdfs_named_in_chinese() {
    let root = env!("CARGO_MANIFEST_DIR");
    let child = Command::new("python3")
        .arg(format!("{root}/benches/fixture_server.py"))
        .arg(format!("{root}/tests/fixtures/cert-site"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipped: no python3");
        return;
    };
    let stdout = child.stdout.take().expect("stdout piped");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server says where it listens");
    let addr = line.trim().trim_start_matches("listening on http://").to_string();
    let pdf = "/publish/main/upload/File/%E7%BD%91%E7%BB%9C%E5%AE%89%E5%85%A8%E4%BF%A1%E6%81%AF%E4%B8%8E%E5%8A%A8%E6%80%81%E5%91%A8%E6%8A%A52024%E5%B9%B4%E7%AC%AC43%E6%9C%9F.pdf";
    let (status, len) = get(&addr, pdf);
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(len, 152_752);
    let (status, _) = get(&addr, "/publish/main/upload/File/nothing.pdf");
    assert!(status.contains(" 404 "), "{status}");
    drop(server);
}
