//! Exit codes that mean one thing each (DESIGN.md §4): 2 for usage and config errors, found
//! before any request; 3 only when the source could not be reached or blocked the run; 1 for
//! anything else, including every failed write of the archive, the state or the output.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::server::FixtureServer;
use serde_json::json;

const NEWEST: &str =
    "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219";

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(common::quick_config(dir))
        .args(args)
        .output()
        .expect("binary runs")
}

/// A crawl of the fixture site through `server`, with `extra` arguments.
fn crawl_args<'a>(cmd: &'a str, server: &'a str, data: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        cmd,
        "--sources",
        "wechat",
        "--base-url",
        server,
        "--start",
        NEWEST,
        "--data",
        data,
    ];
    if !extra.contains(&"--max-issues") {
        v.extend_from_slice(&["--max-issues", "1"]);
    }
    v.extend_from_slice(extra);
    v
}

fn text(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn usage_errors_exit_2_before_any_request() {
    let server = FixtureServer::start(&common::site_dir());
    let dir = common::temp_dir("exit-usage");
    let data = dir.join("data");
    let a_file = dir.join("a-file");
    std::fs::write(&a_file, b"not a directory").expect("write");
    let under_a_file = a_file.join("data");
    let o = dir.join("o");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "crawl",
                "--start",
                "https://evil.example/s?x=1",
                "--base-url",
                &server.origin,
                "--data",
                text(&data),
            ],
            "is not an article URL of mp.weixin.qq.com",
        ),
        (
            vec![
                "crawl",
                "--start",
                "not a url",
                "--base-url",
                &server.origin,
                "--data",
                text(&data),
            ],
            "is not an absolute URL",
        ),
        (
            crawl_args("crawl", &server.origin, text(&data), &["--series", "nope"]),
            "no such series",
        ),
        (
            crawl_args("crawl", &server.origin, text(&data), &["--sources", "telegram"]),
            "unknown source",
        ),
        (
            vec![
                "crawl",
                "--base-url",
                "mp.weixin.qq.com=ftp://mirror/",
                "--data",
                text(&data),
            ],
            "must be an http or https URL",
        ),
        (
            crawl_args("crawl", &server.origin, text(&a_file), &[]),
            "is a file, not a directory",
        ),
        (
            crawl_args("crawl", &server.origin, text(&under_a_file), &[]),
            "cannot be created",
        ),
        (
            crawl_args("build", &server.origin, text(&data), &["--out", text(&a_file)]),
            "is a file, not a directory",
        ),
        (
            crawl_args(
                "build",
                &server.origin,
                text(&data),
                &["--site-url", "ftp://example.org/"],
            ),
            "must be an http or https URL",
        ),
        (
            vec!["render", "--data", text(&data), "--out", text(&a_file)],
            "is a file, not a directory",
        ),
        (
            vec!["render", "--data", text(&a_file), "--out", text(&o)],
            "is a file, not a directory",
        ),
        (vec!["notify", "--data", text(&under_a_file)], "cannot be created"),
        (
            vec!["import", "--data", text(&a_file), "x.html"],
            "is a file, not a directory",
        ),
        (vec!["explain", "2024/43", "--series", "nope"], "no such series"),
    ];
    for (args, message) in &cases {
        let out = run(&dir, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "one error line: {stderr}");
    }
    assert!(
        server.requests().is_empty(),
        "a request was made before the checks: {:?}",
        server.requests()
    );
    assert!(!data.join("cncert-weekly").exists(), "work started before the checks");

    // A bad config is a usage error too.
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "site: [").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(&bad)
        .arg("check")
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_failed_write_of_an_issue_exits_1_after_the_rest_is_saved() {
    let server = FixtureServer::start(&common::site_dir());
    let dir = common::temp_dir("exit-write");
    let data = dir.join("data");
    // Issues of 2025 cannot be written: where their directory goes stands a file.
    std::fs::create_dir_all(data.join("cncert-weekly")).expect("dir");
    std::fs::write(data.join("cncert-weekly/2025"), b"x").expect("write");
    let out = run(
        &dir,
        &crawl_args("crawl", &server.origin, text(&data), &["--max-issues", "6"]),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write") && stderr.contains("2025"), "{stderr}");
    // The issues of 2024 reached in the same run were saved, and the state too.
    assert!(data.join("cncert-weekly/2024").is_dir(), "{stderr}");
    assert!(data.join("cncert-weekly/state.json").is_file());
}

#[test]
fn a_corrupt_state_is_a_local_failure_not_a_source_problem() {
    let server = FixtureServer::start(&common::site_dir());
    let dir = common::temp_dir("exit-state");
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("cncert-weekly")).expect("dir");
    std::fs::write(data.join("cncert-weekly/state.json"), b"{ not json").expect("write");
    let out_dir = dir.join("public");
    let out = run(
        &dir,
        &crawl_args("build", &server.origin, text(&data), &["--out", text(&out_dir)]),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("state.json is not valid JSON"), "{stderr}");
    // build still renders what the archive holds, and the broken file is left for a person.
    assert!(out_dir.join("feeds.opml").exists());
    assert_eq!(
        std::fs::read(data.join("cncert-weekly/state.json")).expect("kept"),
        b"{ not json"
    );
}

#[test]
fn articles_timing_out_exit_3_even_when_discovery_answers() {
    // The discovery feed answers at once; every article page takes longer than the timeout.
    let mut routes: Vec<serde_json::Value> = common::site()["routes"].as_array().expect("routes").clone();
    for r in routes.iter_mut() {
        if r["path"] == "/s"
            && let Some(resps) = r["responses"].as_array_mut()
        {
            for resp in resps {
                resp["delay_ms"] = json!(2500);
            }
        }
    }
    routes.push(json!({"path": "/feed.xml", "responses": [{"status": 200, "headers": {"Content-Type": "application/rss+xml"},
        "body": format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>网络安全信息与动态周报2025年第3期</title><link>{}</link></item></channel></rss>", NEWEST.replace('&', "&amp;"))}]}));
    let server = FixtureServer::start_with(&common::site_dir(), routes, 0);
    let dir = common::temp_dir("exit-timeouts");
    let text_cfg = std::fs::read_to_string(common::quick_config(&dir)).expect("config");
    let feed = format!("{}/feed.xml", server.origin);
    let text_cfg = text_cfg.replace("timeout_secs: 30", "timeout_secs: 1").replace(
        "https://wechat2rss.xlab.app/feed/c6662e88d278561b8293a607dcdcbe26aea98e04.xml",
        &feed,
    );
    std::fs::write(dir.join("config.yaml"), text_cfg).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(dir.join("config.yaml"))
        .args([
            "crawl",
            "--sources",
            "wechat",
            "--base-url",
            &server.origin,
            "--max-issues",
            "1",
            "--data",
            text(&dir.join("data")),
        ])
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        server.requests().iter().any(|r| r.path == "/feed.xml"),
        "discovery was read"
    );
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("exit 3: could not reach mp.weixin.qq.com") && last.contains("`render`"),
        "the last line says what could not be reached and that nothing was rendered: {stderr}"
    );
}

/// The last line of a `build` that exits 3.
fn last_line_of_build(dir: &Path, origin: &str) -> (Option<i32>, String, String) {
    let data = dir.join("data");
    let out_dir = dir.join("public");
    let out = run(
        dir,
        &crawl_args("build", origin, text(&data), &["--out", text(&out_dir), "--no-ocr"]),
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let last = stderr.lines().last().unwrap_or_default().to_string();
    (out.status.code(), last, stderr)
}

#[test]
fn a_build_that_exits_3_ends_with_what_could_not_be_reached_and_what_was_rendered() {
    let dir = common::temp_dir("exit-3-line");
    // Nothing listens on port 1: the feeds are rendered from an empty archive.
    let (code, last, stderr) = last_line_of_build(&dir, "http://127.0.0.1:1");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(last.starts_with("exit 3: could not reach mp.weixin.qq.com"), "{stderr}");
    assert!(last.contains("the archive is empty, so the feeds in"), "{stderr}");
    assert!(dir.join("public/feeds.opml").exists());

    // With one (other) issue archived, the line says the feeds were rendered from it.
    let page = common::site_dir().join("pages/2017-20.html");
    let imported = run(&dir, &["import", text(&page), "--data", text(&dir.join("data"))]);
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let (code, last, stderr) = last_line_of_build(&dir, "http://127.0.0.1:1");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        last.starts_with("exit 3: could not reach mp.weixin.qq.com")
            && last.ends_with("were rendered from the archive (1 issue)"),
        "{stderr}"
    );
}

#[test]
fn a_usage_error_creates_no_directory() {
    // Issue 19.5.1: every argument is checked before any directory is created, so a bad
    // `--out` (or a bad `--data` of ping) leaves a new `--data` (or `--out`) uncreated.
    let server = FixtureServer::start(&common::site_dir());
    let dir = common::temp_dir("exit-nothing-created");
    let new = dir.join("new");
    let a_file = dir.join("a-file");
    std::fs::write(&a_file, b"not a directory").expect("write");
    let under_a_file = a_file.join("out");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            crawl_args("build", &server.origin, text(&new), &["--out", "/dev/null"]),
            "is a file, not a directory",
        ),
        (
            crawl_args("build", &server.origin, text(&new), &["--out", text(&a_file)]),
            "is a file, not a directory",
        ),
        (
            crawl_args("build", &server.origin, text(&new), &["--out", text(&under_a_file)]),
            "cannot be created",
        ),
        (
            vec!["render", "--data", text(&a_file), "--out", text(&new)],
            "is a file, not a directory",
        ),
        (
            vec![
                "ping",
                "--site-url",
                "https://reader.example.io/",
                "--websub-hub",
                "https://hub.example.net/",
                "--out",
                text(&new),
                "--data",
                text(&under_a_file),
            ],
            "cannot be created",
        ),
    ];
    for (args, message) in &cases {
        let out = run(&dir, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!new.exists(), "{args:?} created {} before failing", new.display());
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}
