//! `--retry-failed` (issue 22, item 4): a URL recorded as failed for good (a 404 from a
//! misconfigured mirror) is not asked again by later runs, but is when the run selects it (all,
//! by URL, by YEAR/ISSUE), and what it then serves is archived; a selection that picks nothing is
//! a usage error. And `crawl --help` lists no flag of `build` alone (item 9c).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use cncert_feed::archive::{Archive, Entry};
use cncert_feed::assemble::SourceKind;
use cncert_feed::crawl::{CrawlOptions, RetrySelector};
use common::server::FixtureServer;
use serde_json::{Value, json};

const LISTING: &str = "/publish/main/44/index.html";
const DETAIL_43: &str = "/publish/main/44/2024/20241031120119000104755/20241031120119000104755_.html";
const PDF_43: &str = "/publish/main/upload/File/网络安全信息与动态周报2024年第43期.pdf";
/// 2025年第3期 on WeChat.
const ARTICLE: &str =
    "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219";
/// 2024年第39期 on WeChat, deleted by its publisher.
const DELETED: &str =
    "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499384&idx=1&sn=a6147bec24a7c347f26fafda8c96c2c4";

fn routes_of(dir: &Path) -> Vec<Value> {
    let site: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("site.json")).expect("site.json"))
        .expect("site.json is JSON");
    site["routes"].as_array().expect("routes").clone()
}

/// The website fixture whose listing names only 2024年第43期, with its detail page and PDF
/// answering 404 first when `page_404` / `pdf_404`, and as usual after that.
fn website(page_404: bool, pdf_404: bool) -> FixtureServer {
    let listing = format!(
        r#"<html><body><ul class="waring_con"><li><span>[2024-10-31]</span><a href="javascript:void(0)" onclick='window.open("{DETAIL_43}")' title="网络安全信息与动态周报-2024年第43期">网络安全信息与动态周报-2024年第43期</a></li></ul></body></html>"#
    );
    let not_found = json!({"status": 404, "body": "not here", "headers": {"Content-Type": "text/html"}});
    let mut routes = routes_of(&common::cert_dir());
    for r in &mut routes {
        let path = r["path"].as_str().unwrap_or_default().to_string();
        let fails = (path == DETAIL_43 && page_404) || (path == PDF_43 && pdf_404);
        if fails && let Some(seq) = r["responses"].as_array_mut() {
            seq.insert(0, not_found.clone());
        }
    }
    routes.retain(|r| r["path"].as_str() != Some(LISTING));
    routes.insert(
        0,
        json!({"path": LISTING, "responses": [{"status": 200, "body": listing, "headers": {"Content-Type": "text/html; charset=utf-8"}}]}),
    );
    FixtureServer::start_with(&common::cert_dir(), routes, 0)
}

fn website_run(retry: Vec<RetrySelector>) -> CrawlOptions {
    CrawlOptions {
        sources: Some(vec![SourceKind::Website]),
        no_ocr: true,
        retry_failed: retry,
        ..CrawlOptions::default()
    }
}

/// Requests for `path` (the server logs it percent-encoded).
fn requests_to(server: &FixtureServer, path: &str) -> usize {
    let encoded = url::Url::parse("http://x/")
        .and_then(|u| u.join(path))
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    server
        .requests()
        .iter()
        .filter(|r| r.path == path || r.path == encoded)
        .count()
}

fn issue(data: &Path, year: i32, no: u32) -> Option<Entry> {
    Archive::new(data)
        .load_series("cncert-weekly")
        .expect("archive loads")
        .into_iter()
        .find(|e| e.report.year == Some(year) && e.report.issue == Some(no))
}

fn state(data: &Path) -> cncert_feed::archive::State {
    Archive::new(data).load_state("cncert-weekly").expect("state")
}

/// The PDF's URL as the crawler records it (percent-encoded).
fn pdf_url() -> String {
    url::Url::parse(&format!("https://www.cert.org.cn{PDF_43}"))
        .expect("url")
        .to_string()
}

/// A first run where the PDF answers 404 (recorded for good) and a second without the flag that
/// does not ask it again; returns the server, the config and the archive.
fn pdf_failed_for_good(name: &str) -> (FixtureServer, cncert_feed::Config, std::path::PathBuf) {
    let server = website(false, true);
    let config = common::two_source_config(&server.origin, &server.origin, &[]);
    let data = common::temp_dir(name);
    common::run_crawl(&config, &data, website_run(vec![]));
    let f = state(&data)
        .failed
        .get(&pdf_url())
        .cloned()
        .expect("the PDF's 404 is recorded");
    assert!(f.permanent && f.kind == "not_found", "{f:?}");
    assert_eq!(f.issue.as_deref(), Some("2024/43"));
    let e = issue(&data, 2024, 43).expect("43 archived from its page");
    assert!(e.observations[&SourceKind::Website].pdf_text.is_none());
    assert!(
        !e.report.metrics.contains_key("incidents_handled"),
        "{:?}",
        e.report.metrics
    );
    // Without the flag the PDF is not asked again (the page is archived: not asked either).
    let s = common::run_crawl(&config, &data, website_run(vec![]));
    assert_eq!(requests_to(&server, PDF_43), 1, "{:?}", s.failed);
    (server, config, data)
}

/// After a retry the PDF was asked again, its figures are archived and its failure is gone.
fn pdf_arrived(server: &FixtureServer, data: &Path) {
    assert_eq!(requests_to(server, PDF_43), 2);
    let e = issue(data, 2024, 43).expect("43 archived");
    assert!(e.observations[&SourceKind::Website].pdf_text.is_some());
    assert!(
        e.report.metrics.contains_key("incidents_handled"),
        "{:?}",
        e.report.metrics
    );
    assert!(!state(data).failed.contains_key(&pdf_url()), "{:?}", state(data).failed);
}

#[test]
fn a_pdf_404_is_asked_again_with_retry_failed_and_its_figures_arrive() {
    let (server, config, data) = pdf_failed_for_good("retry-all");
    common::run_crawl(&config, &data, website_run(vec![RetrySelector::All]));
    pdf_arrived(&server, &data);
    // Once read, a later run asks nothing again.
    common::run_crawl(&config, &data, website_run(vec![RetrySelector::All]));
    assert_eq!(requests_to(&server, PDF_43), 2);
}

#[test]
fn a_pdf_is_selected_by_its_url_percent_decoded() {
    let (server, config, data) = pdf_failed_for_good("retry-url");
    let decoded = format!("https://www.cert.org.cn{PDF_43}");
    assert_ne!(decoded, pdf_url());
    common::run_crawl(&config, &data, website_run(vec![RetrySelector::Url(decoded)]));
    pdf_arrived(&server, &data);
}

#[test]
fn a_pdf_is_selected_by_its_issue() {
    let (server, config, data) = pdf_failed_for_good("retry-issue");
    // Another issue picks nothing of 43.
    let s = common::run_crawl(
        &config,
        &data,
        website_run(vec![RetrySelector::Issue { year: 2024, issue: 42 }]),
    );
    assert_eq!(requests_to(&server, PDF_43), 1, "{:?}", s.failed);
    common::run_crawl(
        &config,
        &data,
        website_run(vec![RetrySelector::Issue { year: 2024, issue: 43 }]),
    );
    pdf_arrived(&server, &data);
}

#[test]
fn a_detail_page_404_is_selected_by_the_issue_its_listing_named() {
    let server = website(true, false);
    let config = common::two_source_config(&server.origin, &server.origin, &[]);
    let data = common::temp_dir("retry-page");
    common::run_crawl(&config, &data, website_run(vec![]));
    let page = format!("https://www.cert.org.cn{DETAIL_43}");
    let f = state(&data)
        .failed
        .get(&page)
        .cloned()
        .expect("the page's 404 is recorded");
    assert!(f.permanent, "{f:?}");
    assert_eq!(f.issue.as_deref(), Some("2024/43"));
    assert!(issue(&data, 2024, 43).is_none());
    common::run_crawl(&config, &data, website_run(vec![]));
    assert_eq!(requests_to(&server, DETAIL_43), 1);
    common::run_crawl(
        &config,
        &data,
        website_run(vec![RetrySelector::Issue { year: 2024, issue: 43 }]),
    );
    assert_eq!(requests_to(&server, DETAIL_43), 2);
    let e = issue(&data, 2024, 43).expect("43 archived now");
    assert!(
        e.report.metrics.contains_key("incidents_handled"),
        "{:?}",
        e.report.metrics
    );
    assert!(state(&data).failed.is_empty(), "{:?}", state(&data).failed);
}

/// The WeChat fixture with the article of `mid` answering `first` before its usual answers.
fn wechat_with_first(mid: &str, first: Value) -> FixtureServer {
    let mut routes = routes_of(&common::site_dir());
    for r in &mut routes {
        if r["query"]["mid"].as_str() == Some(mid)
            && let Some(seq) = r["responses"].as_array_mut()
        {
            seq.insert(0, first.clone());
        }
    }
    FixtureServer::start_with(&common::site_dir(), routes, 0)
}

fn wechat_run(retry: Vec<RetrySelector>) -> CrawlOptions {
    CrawlOptions {
        sources: Some(vec![SourceKind::Wechat]),
        no_ocr: true,
        max_issues: Some(1),
        retry_failed: retry,
        ..CrawlOptions::default()
    }
}

fn asked(server: &FixtureServer, mid: &str) -> usize {
    server
        .article_requests()
        .iter()
        .filter(|r| r.query.contains(&format!("mid={mid}")))
        .count()
}

#[test]
fn a_wechat_404_is_asked_again_by_its_url() {
    let server = wechat_with_first(
        "2247499621",
        json!({"status": 404, "body": "not here", "headers": {"Content-Type": "text/html"}}),
    );
    let config = common::server_config(&server.origin, &[ARTICLE.to_string()]);
    let data = common::temp_dir("retry-wechat");
    common::run_crawl(&config, &data, wechat_run(vec![]));
    assert!(state(&data).failed[ARTICLE].permanent);
    common::run_crawl(&config, &data, wechat_run(vec![]));
    assert_eq!(asked(&server, "2247499621"), 1);
    let s = common::run_crawl(&config, &data, wechat_run(vec![RetrySelector::Url(ARTICLE.into())]));
    assert_eq!(asked(&server, "2247499621"), 2, "{:?}", s.failed);
    assert!(issue(&data, 2025, 3).is_some(), "{:?}", s.failed);
    assert!(!state(&data).failed.contains_key(ARTICLE));
}

#[test]
fn a_deleted_article_is_asked_again_only_when_named() {
    let server = FixtureServer::start(&common::site_dir());
    let config = common::server_config(&server.origin, &[DELETED.to_string()]);
    let data = common::temp_dir("retry-deleted");
    common::run_crawl(&config, &data, wechat_run(vec![]));
    assert_eq!(state(&data).failed[DELETED].kind, "deleted");
    // Every failure but deleted articles: not asked.
    common::run_crawl(&config, &data, wechat_run(vec![RetrySelector::All]));
    assert_eq!(asked(&server, "2247499384"), 1);
    // Named: asked, still deleted, recorded as before.
    let s = common::run_crawl(&config, &data, wechat_run(vec![RetrySelector::Url(DELETED.into())]));
    assert_eq!(asked(&server, "2247499384"), 2);
    assert_eq!(s.deleted, vec![DELETED.to_string()]);
    let f = &state(&data).failed[DELETED];
    assert!(f.permanent && f.kind == "deleted", "{f:?}");
}

fn cli(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("binary runs")
}

/// The repository's config with the website's politeness for tests.
fn quick_config(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml")).expect("config");
    let text = text.replace(
        "      delay_ms: 1000\n      concurrency: 1",
        "      delay_ms: 0\n      concurrency: 1",
    );
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn the_command_line_names_what_it_retries_decoded_and_refuses_a_selection_of_nothing() {
    let server = website(false, true);
    let dir = common::temp_dir("retry-cli");
    let config = quick_config(&dir);
    let data = dir.join("data");
    let base = format!("www.cert.org.cn={}", server.origin);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "crawl",
            "--sources",
            "website",
            "--no-ocr",
            "--delay-ms",
            "0",
            "--base-url",
            &base,
            "--data",
            data.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        cli(&config, &args)
    };
    let decoded = format!("https://www.cert.org.cn{PDF_43}");
    let o = run(&[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("failed: {decoded}: HTTP 404")), "{err}");

    // Nothing recorded for 2023/5, nor for an unknown URL: exit 2 before any request.
    let before = server.requests().len();
    for (sel, says) in [
        ("2023/5", "2023/5"),
        ("https://www.cert.org.cn/nothing.pdf", "nothing.pdf"),
    ] {
        let o = run(&["--retry-failed", sel]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("--retry-failed {}", sel)) && err.contains(says),
            "{err}"
        );
        assert!(err.contains("state.json") && err.contains(&decoded), "{err}");
    }
    // An archived issue's page is not a failure: said so.
    let page = format!("https://www.cert.org.cn{DETAIL_43}");
    let o = run(&["--retry-failed", &page]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("archived"), "{err}");
    assert!(!err.contains("retry:"), "{err}");
    let o = run(&["--retry-failed", "43"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(server.requests().len(), before, "a usage error sends no request");

    // Selected (with another value that picks it too): named, decoded, and read.
    let o = run(&["--retry-failed", "2024/43,all"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("retry: {decoded} (not_found: HTTP 404")), "{err}");
    assert_eq!(requests_to(&server, PDF_43), 2);
    let e = issue(&data, 2024, 43).expect("43");
    assert!(e.report.metrics.contains_key("incidents_handled"));

    // The bare flag with nothing recorded is no error: it says so and crawls.
    let o = run(&["--retry-failed"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("no recorded failure"), "{err}");
}

#[test]
fn crawl_help_lists_no_flag_of_build_alone() {
    let help = |cmd: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
            .args([cmd, "--help"])
            .output()
            .expect("binary runs");
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let crawl = help("crawl");
    let build = help("build");
    for flag in ["--out", "--site-url", "--websub-hub"] {
        assert!(!crawl.contains(flag), "crawl --help lists {flag}:\n{crawl}");
        assert!(build.contains(flag), "build --help lacks {flag}:\n{build}");
    }
    for shared in ["--retry-failed", "--data", "--start", "--backfill"] {
        assert!(crawl.contains(shared) && build.contains(shared), "{shared}");
    }
    // And the flags themselves are refused by crawl (exit 2).
    let o = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .args(["crawl", "--out", "x"])
        .output()
        .expect("binary runs");
    assert_eq!(o.status.code(), Some(2));
}
