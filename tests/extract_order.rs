//! `extract` over many inputs on any number of threads: one line per readable input, in input
//! order, each error in its place on stderr, the same output whatever `--jobs` says, and a slow
//! URL (fetched by the main thread) holding up nothing but its own line.

mod common;

use std::process::Command;

use common::server::FixtureServer;

#[test]
fn many_inputs_come_out_in_input_order_on_any_number_of_threads() {
    let site = common::site_dir();
    let routes = common::site()["routes"].as_array().expect("routes").clone();
    // Every response 300 ms late: the workers run far ahead of the main thread meanwhile.
    let server = FixtureServer::start_with(&site, routes, 300);
    let dir = common::temp_dir("extract-order");
    let config = common::quick_config(&dir);
    let pages: Vec<String> = ["2025-03.html", "2017-22.html", "captcha.html", "2024-43.html"]
        .iter()
        .map(|f| site.join("pages").join(f).display().to_string())
        .collect();
    let url =
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499441&idx=1&sn=650a8b278b5b970e0da3576fe4e820ed";
    // More inputs than a worker may run ahead of the output (256), a URL early and late, and
    // unreadable files here and there.
    let mut inputs = Vec::new();
    let mut missing = Vec::new();
    for i in 0..560 {
        let input = match i {
            3 | 450 => url.to_string(),
            _ if i % 97 == 5 => {
                let m = dir.join(format!("missing-{i}.html")).display().to_string();
                missing.push(m.clone());
                m
            }
            _ => pages[i % pages.len()].clone(),
        };
        inputs.push(input);
    }
    let readable: Vec<&String> = inputs.iter().filter(|i| !missing.contains(i)).collect();
    let mut outputs = Vec::new();
    for jobs in ["1", "2", "5"] {
        let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
            .arg("--config")
            .arg(&config)
            .args(["extract", "--jobs", jobs, "--base-url", &server.origin])
            .args(&inputs)
            .output()
            .expect("binary runs");
        assert_eq!(out.status.code(), Some(1), "unreadable inputs fail the run");
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        let lines: Vec<serde_json::Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        let got: Vec<&str> = lines.iter().map(|l| l["input"].as_str().expect("input")).collect();
        assert_eq!(got, readable, "--jobs {jobs}: lines in input order");
        assert_eq!(lines[3]["issue"], 43, "the URL's record is in its place");
        assert_eq!(lines[0]["issue"], 3);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), missing.len(), "--jobs {jobs}: {stderr}");
        for (e, m) in errors.iter().zip(&missing) {
            assert!(
                e.contains(m.as_str()),
                "--jobs {jobs}: errors in input order: {e} for {m}"
            );
        }
        outputs.push(stdout);
    }
    assert!(
        outputs.windows(2).all(|w| w[0] == w[1]),
        "the same output whatever --jobs says"
    );
}

/// A reader that goes away (`extract … | head`) ends the run, even while a worker waits for the
/// output to catch up with it (here: behind a URL that answers in 2.5 s).
#[test]
fn a_closed_output_ends_the_run_while_workers_wait() {
    let site = common::site_dir();
    let routes = common::site()["routes"].as_array().expect("routes").clone();
    let server = FixtureServer::start_with(&site, routes, 2500);
    let dir = common::temp_dir("extract-closed");
    let config = common::quick_config(&dir);
    let page = site.join("pages/2024-43.html").display().to_string();
    let mut inputs = vec![
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499441&idx=1&sn=650a8b278b5b970e0da3576fe4e820ed"
            .to_string(),
    ];
    inputs.extend(std::iter::repeat_n(page, 600));
    let mut child = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(&config)
        .args(["extract", "--jobs", "2", "--base-url", &server.origin])
        .args(&inputs)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("binary runs");
    // Nobody reads: the output is closed at once.
    drop(child.stdout.take());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert_eq!(status.code(), Some(1), "a failed write is a failed run");
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("extract did not end after its output was closed");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
