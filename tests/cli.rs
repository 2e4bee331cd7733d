//! The command line end to end: import, crawl --reextract, build with its exit codes.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::server::FixtureServer;
use serde_json::json;

fn cli(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("binary runs")
}

fn write_config(dir: &Path, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml")).expect("config");
    let path = dir.join("config.yaml");
    std::fs::write(&path, edit(text)).expect("write config");
    path
}

#[test]
fn import_then_reextract_applies_a_new_pattern_offline() {
    let dir = common::temp_dir("cli-import");
    // A config that does not know the truncated wording 恶意URL链 (no 接).
    let narrow = write_config(&dir, |t| {
        t.replace("恶意代码的恶意URL链(?:接)?{N}个?", "恶意代码的恶意URL链接{N}个")
    });
    let data = dir.join("data");
    let page = common::site_dir().join("pages/2024-48.html");
    let out = cli(
        &narrow,
        &[
            "import",
            "--data",
            data.to_str().expect("utf-8"),
            page.to_str().expect("utf-8"),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let entry_path = data.join("cncert-weekly/2024/48.json");
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&entry_path).expect("archived")).expect("json");
    assert_eq!(entry["observations"]["wechat"]["via"], "import");
    assert_eq!(entry["sources"][0]["source"], "wechat");
    assert_eq!(entry["schema_version"], 2);
    assert!(entry["metrics"].get("malicious_urls").is_none());
    assert!(
        entry["observations"]["wechat"]["content_html"]
            .as_str()
            .is_some_and(|h| !h.contains("<script"))
    );

    // The full config reads 恶意URL链44个; --reextract applies it to the stored body, offline.
    let full = write_config(&dir, |t| t);
    let out = cli(
        &full,
        &["crawl", "--reextract", "--data", data.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&entry_path).expect("archived")).expect("json");
    assert_eq!(entry["metrics"]["malicious_urls"], 44);
    assert_eq!(entry["metrics"]["incidents_handled"], 383);

    // Importing something that is not an issue is refused with a reason and a non-zero exit.
    let other = common::site_dir().join("pages/other-article.html");
    let out = cli(
        &full,
        &[
            "import",
            "--data",
            data.to_str().expect("utf-8"),
            other.to_str().expect("utf-8"),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("other_article"));
}

#[test]
fn build_renders_even_when_the_source_blocks_and_exits_3() {
    let dir = common::temp_dir("cli-blocked");
    let config = write_config(&dir, |t| t.replace("retry_wait_ms: 2000", "retry_wait_ms: 1"));
    let data = dir.join("data");
    let out_dir = dir.join("public");
    // First an archive with one issue, from a saved page.
    let page = common::site_dir().join("pages/2024-43.html");
    assert!(
        cli(
            &config,
            &[
                "import",
                "--data",
                data.to_str().expect("utf-8"),
                page.to_str().expect("utf-8")
            ]
        )
        .status
        .success()
    );
    // Then a source that answers every article with the anti-crawler check.
    let routes = vec![
        json!({"path": "/s", "responses": [{"status": 302, "headers": {"Location": "{{origin}}/mp/wappoc_appmsgcaptcha?poc_token=x"}}]}),
    ];
    let server = FixtureServer::start_with(&common::site_dir(), routes, 0);
    let out = cli(
        &config,
        &[
            "build",
            "--sources",
            "wechat",
            "--base-url",
            &server.origin,
            "--delay-ms",
            "0",
            "--start",
            "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219",
            "--data",
            data.to_str().expect("utf-8"),
            "--out",
            out_dir.to_str().expect("utf-8"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("blocked"), "{stderr}");
    let rss = std::fs::read_to_string(out_dir.join("cncert-weekly/rss.xml")).expect("rendered anyway");
    assert!(rss.contains("2024年第43期"));
    // The archived issue is untouched by the failure.
    assert!(data.join("cncert-weekly/2024/43.json").exists());
}

#[test]
fn a_bad_start_url_is_a_clear_error_not_a_crash() {
    let dir = common::temp_dir("cli-badurl");
    let config = write_config(&dir, |t| t);
    let out = cli(
        &config,
        &[
            "crawl",
            "--sources",
            "wechat",
            "--start",
            "https://evil.example/x",
            "--data",
            dir.join("d").to_str().expect("utf-8"),
            "--delay-ms",
            "0",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--start https://evil.example/x")
            && stderr.contains("is not an article URL of mp.weixin.qq.com"),
        "{stderr}"
    );
    // A usage error, found before any work: nothing created.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!dir.join("d/cncert-weekly").exists());
}

#[test]
fn extract_reads_urls_through_the_base_url_in_input_order() {
    let server = FixtureServer::start(&common::site_dir());
    let dir = common::temp_dir("cli-extract-url");
    let config = write_config(&dir, |t| {
        t.replace("retry_wait_ms: 2000", "retry_wait_ms: 1")
            .replace("delay_ms: 1000", "delay_ms: 0")
    });
    let file = common::site_dir().join("pages/2017-22.html");
    let out = cli(
        &config,
        &[
            "extract",
            "--base-url",
            &server.origin,
            "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499441&idx=1&sn=650a8b278b5b970e0da3576fe4e820ed",
            "https://mp.weixin.qq.com/s/Xy7Kq2mPa9LbN4cR3tUvWw",
            file.to_str().expect("utf-8"),
            "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499384&idx=1&sn=a6147bec24a7c347f26fafda8c96c2c4",
            "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=1&idx=1&sn=404",
            "https://example.org/not-wechat",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(records.len(), 4, "{stdout}");
    assert_eq!(records[0]["issue"], 43);
    assert_eq!(records[1]["issue"], 44);
    assert_eq!(
        records[1]["url"],
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499456&idx=1&sn=1c2bea037bec756e8fd9b61b49dc88aa",
        "a short link is identified by the page's own metadata"
    );
    assert_eq!(records[2]["issue"], 22);
    assert_eq!(records[3]["kind"], "deleted");
    assert_eq!(
        records[3]["url"],
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499384&idx=1&sn=a6147bec24a7c347f26fafda8c96c2c4"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sn=404") && stderr.contains("HTTP 404"), "{stderr}");
    assert!(
        stderr.contains("example.org") && stderr.contains("other hosts are never fetched"),
        "{stderr}"
    );
}

#[test]
fn build_with_an_unreachable_source_still_renders_and_exits_3() {
    let dir = common::temp_dir("cli-unreachable");
    let config = write_config(&dir, |t| t.replace("max_retries: 3", "max_retries: 0"));
    // Nothing listens on a port we just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out_dir = dir.join("public");
    let out = cli(
        &config,
        &[
            "build",
            "--sources",
            "wechat",
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--delay-ms",
            "0",
            "--start",
            "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219",
            "--data",
            dir.join("data").to_str().expect("utf-8"),
            "--out",
            out_dir.to_str().expect("utf-8"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("could not connect"), "{stderr}");
    assert!(out_dir.join("cncert-weekly/rss.xml").exists(), "rendered anyway");
    assert!(out_dir.join("feeds.opml").exists());
}

#[test]
fn http_proxy_from_the_environment_is_honoured() {
    // The fixture server plays the proxy; the origin's name does not even resolve.
    let proxy = FixtureServer::start(&common::site_dir());
    let dir = common::temp_dir("cli-proxy");
    let config = write_config(&dir, |t| t.replace("max_retries: 3", "max_retries: 0"));
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(&config)
        .args([
            "extract",
            "--base-url",
            "http://mirror.cncert-feed.invalid/",
            "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499441&idx=1&sn=650a8b278b5b970e0da3576fe4e820ed",
        ])
        .env("HTTP_PROXY", &proxy.origin)
        .env("http_proxy", &proxy.origin)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("binary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"issue\":43"));
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].headers.get("x-proxied-for").map(String::as_str),
        Some("mirror.cncert-feed.invalid")
    );
}

#[test]
fn reextract_that_would_lose_figures_changes_nothing_unless_told() {
    let dir = common::temp_dir("cli-losses");
    let full = write_config(&dir, |t| t);
    let data = dir.join("data");
    let page = common::site_dir().join("pages/2024-48.html");
    let d = data.to_str().expect("utf-8");
    let out = cli(&full, &["import", "--data", d, page.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let entry_path = data.join("cncert-weekly/2024/48.json");
    // The entry was deleted upstream meanwhile: reextract must keep that too.
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&entry_path).expect("archived")).expect("json");
    entry["deleted_at"] = json!("2024-12-10T08:00:00+08:00");
    std::fs::write(&entry_path, serde_json::to_vec_pretty(&entry).expect("json")).expect("write");
    let before = std::fs::read(&entry_path).expect("archived");

    // A config whose incident pattern matches nothing any more.
    let broken = write_config(&dir, |t| {
        t.replace("'共处理(?:了)?网络安全事件{N}起'", "'共处理网络安全事故{N}起'")
    });
    let out = cli(&broken, &["crawl", "--reextract", "--data", d]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("would lose: 2024年第48期: incidents_handled = 383"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--accept-losses") && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&entry_path).expect("kept"),
        before,
        "the archive was changed"
    );

    // Told to, it writes, and keeps what it does not recompute.
    let out = cli(&broken, &["crawl", "--reextract", "--accept-losses", "--data", d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&entry_path).expect("archived")).expect("json");
    assert!(after["metrics"].get("incidents_handled").is_none());
    assert_eq!(after["metrics"]["incidents_cross_border"], 164);
    assert_eq!(after["deleted_at"], "2024-12-10T08:00:00+08:00");
    assert_eq!(after["first_seen"], entry["first_seen"]);
}

#[test]
fn a_discovery_url_from_the_environment_keeps_its_secret_out_of_state_and_logs() {
    const SECRET: &str = "rsshub-k3y-0123456789";
    let newest = "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&amp;mid=2247499621&amp;idx=1&amp;sn=c2f01a610aa4c94e22f5246ea639f219";
    let mut routes: Vec<serde_json::Value> = common::site()["routes"].as_array().expect("routes").clone();
    routes.push(json!({"path": "/feed.xml", "responses": [
        {"status": 200, "headers": {"Content-Type": "application/rss+xml", "ETag": "\"v1\""},
         "body": format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>网络安全信息与动态周报2025年第3期</title><link>{newest}</link></item></channel></rss>")},
        {"status": 500, "body": "down"}
    ]}));
    let server = FixtureServer::start_with(&common::site_dir(), routes, 0);
    let dir = common::temp_dir("cli-secret");
    let config = write_config(&dir, |t| {
        t.replace("retry_wait_ms: 2000", "retry_wait_ms: 1")
            .replace("max_retries: 3", "max_retries: 0")
            .replace("delay_ms: 1000", "delay_ms: 0")
            .replace(
                "https://wechat2rss.xlab.app/feed/c6662e88d278561b8293a607dcdcbe26aea98e04.xml",
                "${CNCERT_TEST_FEED}",
            )
    });
    let data = dir.join("data");
    let crawl = || {
        Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
            .arg("--config")
            .arg(&config)
            .args([
                "crawl",
                "--sources",
                "wechat",
                "--max-issues",
                "1",
                "--base-url",
                &server.origin,
                "--data",
            ])
            .arg(&data)
            .env(
                "CNCERT_TEST_FEED",
                format!("{}/feed.xml?key={SECRET}&format=rss", server.origin),
            )
            .output()
            .expect("binary runs")
    };
    let first = crawl();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path == "/feed.xml" && r.query.contains(SECRET)),
        "the feed is read with its key"
    );
    // The second run finds the feed down: the message names it masked.
    let second = crawl();
    let stderr2 = String::from_utf8_lossy(&second.stderr);
    assert!(stderr2.contains("feed.xml?key=***"), "{stderr2}");
    for (what, text) in [("first run", stderr.to_string()), ("second run", stderr2.to_string())] {
        assert!(!text.contains(SECRET), "{what} printed the secret: {text}");
    }
    let state = std::fs::read_to_string(data.join("cncert-weekly/state.json")).expect("state");
    assert!(!state.contains(SECRET), "{state}");
    assert!(
        state.contains("key=***"),
        "validators kept under the masked URL: {state}"
    );
    // Unset, the feed is skipped with one line, not an error.
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(&config)
        .args([
            "crawl",
            "--sources",
            "wechat",
            "--max-issues",
            "1",
            "--base-url",
            &server.origin,
            "--data",
        ])
        .arg(&data)
        .env_remove("CNCERT_TEST_FEED")
        .output()
        .expect("binary runs");
    assert!(String::from_utf8_lossy(&out.stderr).contains("CNCERT_TEST_FEED is not set"));
}
