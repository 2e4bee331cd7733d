//! Retries of the crawler's fetches: 5xx and 429 answers retried honouring Retry-After (in place
//! of the backoff, never slept after the last attempt), a timeout retried, and the anti-crawler
//! check page served with HTTP 200 taken for a block that the next run retries.

mod common;

use cncert_feed::archive::Archive;
use common::crawl::{NEWEST, limit};
use common::server::FixtureServer;
use serde_json::json;

/// The fixture routes with the responses of 2025年第3期 replaced.
fn routes_with_newest(responses: serde_json::Value) -> Vec<serde_json::Value> {
    let mut routes: Vec<serde_json::Value> = common::site()["routes"].as_array().expect("routes").clone();
    for r in routes.iter_mut() {
        if r["query"]["mid"] == "2247499621" {
            r["responses"] = responses.clone();
        }
    }
    routes
}

fn one_issue(config: &cncert_feed::Config, data: &std::path::Path) -> cncert_feed::crawl::Summary {
    common::run_crawl(config, data, limit(1))
}

#[test]
fn transient_errors_are_retried_honouring_retry_after() {
    let page = json!({"status": 200, "file": "pages/2025-03.html", "headers": {"Content-Type": "text/html"}});
    let routes = routes_with_newest(json!([
        {"status": 503, "body": "busy"},
        {"status": 429, "body": "slow down", "headers": {"Retry-After": "1"}},
        page
    ]));
    let server = FixtureServer::start_with(&common::site_dir(), routes, 0);
    let config = common::server_config(&server.origin, &[NEWEST.to_string()]);
    let data = common::temp_dir("retry");
    let started = std::time::Instant::now();
    let s = one_issue(&config, &data);
    assert_eq!(s.new.len(), 1, "{s:?}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "Retry-After was not honoured"
    );
    let tries: Vec<u16> = server
        .article_requests()
        .iter()
        .filter(|r| r.query.contains("mid=2247499621"))
        .map(|r| r.status)
        .collect();
    assert_eq!(tries, vec![503, 429, 200]);
}

#[test]
fn a_timeout_is_retried() {
    let slow = json!({"status": 200, "file": "pages/2025-03.html", "delay_ms": 2500, "headers": {"Content-Type": "text/html"}});
    let fast = json!({"status": 200, "file": "pages/2025-03.html", "headers": {"Content-Type": "text/html"}});
    let server = FixtureServer::start_with(&common::site_dir(), routes_with_newest(json!([slow, fast])), 0);
    let mut config = common::server_config(&server.origin, &[NEWEST.to_string()]);
    config.fetch.timeout_secs = 1;
    let data = common::temp_dir("timeout");
    let s = one_issue(&config, &data);
    assert_eq!(s.new.len(), 1, "{s:?}");
}

#[test]
fn the_check_page_served_with_200_is_a_block_not_an_entry() {
    let captcha = json!({"status": 200, "file": "pages/captcha.html", "headers": {"Content-Type": "text/html"}});
    let server = FixtureServer::start_with(&common::site_dir(), routes_with_newest(json!([captcha])), 0);
    let config = common::server_config(&server.origin, &[NEWEST.to_string()]);
    let data = common::temp_dir("captcha200");
    let s = one_issue(&config, &data);
    assert!(s.new.is_empty());
    assert_eq!(s.blocked.len(), 1, "{s:?}");
    let state = Archive::new(&data).load_state("cncert-weekly").expect("state");
    let f = state.failed.get(NEWEST).expect("recorded");
    assert!(!f.permanent, "a block is retried on the next run");
    // The next run, unblocked, archives it.
    let open = FixtureServer::start(&common::site_dir());
    let config = common::server_config(&open.origin, &[]);
    let s = one_issue(&config, &data);
    assert_eq!(s.new.len(), 1, "{s:?}");
}

/// Fetches NEWEST once through a fetcher whose own backoff is `retry_wait` and which retries
/// `retries` times; returns what came back and how long it took.
fn fetch_newest(
    routes: Vec<serde_json::Value>,
    retry_wait_ms: u64,
    retries: u32,
) -> (cncert_feed::fetch::Fetched, std::time::Duration) {
    let server = FixtureServer::start_with(&common::site_dir(), routes, 0);
    let mut config = common::server_config(&server.origin, &[NEWEST.to_string()]);
    config.fetch.max_retries = retries;
    let mut fetcher = cncert_feed::fetch::Fetcher::new(&config.fetch, cncert_feed::sources::hosts()).expect("client");
    fetcher.retry_wait = std::time::Duration::from_millis(retry_wait_ms);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = url::Url::parse(NEWEST).expect("url");
    let started = std::time::Instant::now();
    let got = rt.block_on(fetcher.get(&url, None));
    (got, started.elapsed())
}

#[test]
fn retry_after_replaces_the_backoff_and_the_last_attempt_is_not_followed_by_a_wait() {
    let page = json!({"status": 200, "file": "pages/2025-03.html", "headers": {"Content-Type": "text/html"}});
    // The server asks for 1 s; our own backoff would be 3–4.5 s. The wait is the server's.
    let routes = routes_with_newest(json!([
        {"status": 429, "body": "slow down", "headers": {"Retry-After": "1"}},
        page
    ]));
    let (got, took) = fetch_newest(routes, 3000, 2);
    assert!(matches!(got, cncert_feed::fetch::Fetched::Page { .. }), "{got:?}");
    assert!(
        took >= std::time::Duration::from_millis(950),
        "Retry-After not honoured: {took:?}"
    );
    assert!(
        took < std::time::Duration::from_millis(2500),
        "backoff added on top: {took:?}"
    );

    // No retries left: the answer comes back at once, without sleeping the asked 2 s for nothing.
    let routes = routes_with_newest(json!([
        {"status": 429, "body": "slow down", "headers": {"Retry-After": "2"}}
    ]));
    let (got, took) = fetch_newest(routes, 3000, 0);
    assert!(matches!(got, cncert_feed::fetch::Fetched::Failed(_)), "{got:?}");
    assert!(
        took < std::time::Duration::from_millis(1500),
        "slept after the last attempt: {took:?}"
    );
}
