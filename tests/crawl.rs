//! The crawler against the fixture site served on loopback: full crawl, anti-crawler detour,
//! deleted and missing pages, short links, other hosts, oversized bodies, incremental runs,
//! album and feed discovery, feed bodies for blocked pages, request economy. Retries of failed
//! fetches: tests/crawl_retries.rs.

mod common;

use std::collections::HashMap;

use cncert_feed::archive::Archive;
use cncert_feed::assemble::ReadVia;
use cncert_feed::crawl::CrawlOptions;
use common::crawl::{NEWEST, limit};
use common::server::FixtureServer;
use serde_json::json;

/// `(year, issue)` of every archived report, oldest first.
fn issues_in(data: &std::path::Path) -> Vec<(i32, u32)> {
    Archive::new(data)
        .load_series("cncert-weekly")
        .expect("archive")
        .iter()
        .map(|e| (e.report.year.unwrap_or(0), e.report.issue.unwrap_or(0)))
        .collect()
}

fn full_options() -> CrawlOptions {
    CrawlOptions {
        backfill: true,
        ..CrawlOptions::default()
    }
}

#[test]
fn full_crawl_archives_exactly_the_expected_reports_and_second_run_fetches_nothing() {
    let server = FixtureServer::start(&common::site_dir());
    let expected = common::expected();
    let mut start = common::strings(&expected["start_urls"]);
    // Plus an issue the site does not serve (HTTP 404).
    let missing = "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247400000&idx=1&sn=0123456789abcdef";
    start.push(missing.to_string());
    let config = common::server_config(&server.origin, &start);
    let data = common::temp_dir("full");
    let summary = common::run_crawl(&config, &data, full_options());

    let mut want = common::strings(&expected["crawl"]["reports"]);
    want.sort();
    assert_eq!(common::archived_urls(&data), want);
    assert_eq!(summary.new.len(), want.len());
    assert!(summary.blocked.is_empty(), "{:?}", summary.blocked);

    let archive = Archive::new(&data);
    let state = archive.load_state("cncert-weekly").expect("state");
    // 第39期 is recorded as deleted.
    for d in common::strings(&expected["crawl"]["deleted"]) {
        assert_eq!(state.failed.get(&d).map(|f| f.kind.as_str()), Some("deleted"), "{d}");
        assert!(state.failed[&d].permanent);
    }
    // A page the site does not serve answers 404 and is recorded as such, for good.
    assert_eq!(
        state.failed.get(missing).map(|f| f.kind.as_str()),
        Some("not_found"),
        "{:?}",
        state.failed
    );
    assert!(state.failed[missing].permanent);
    // The unrelated article linked from 第50期's recap is neither followed nor archived.
    let other =
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499543&idx=2&sn=52b71198ef978def3c53c1c0be9572e9";
    assert!(!common::archived_urls(&data).contains(&other.to_string()));
    assert!(
        !server
            .article_requests()
            .iter()
            .any(|r| r.query.contains("mid=2247499543"))
    );

    // 第41期 was sent to the anti-crawler check first and fetched on the retry.
    let reqs = server.requests();
    assert!(
        reqs.iter()
            .any(|r| r.path == "/mp/wappoc_appmsgcaptcha" || r.status == 302)
    );
    let e41 = archive
        .load_series("cncert-weekly")
        .expect("archive")
        .into_iter()
        .find(|e| e.report.year == Some(2024) && e.report.issue == Some(41))
        .expect("41 archived");
    assert_eq!(e41.report.metrics.len(), 5);

    // The short link and the long link of 第44期 are one issue.
    let entries = archive.load_series("cncert-weekly").expect("archive");
    let e44: Vec<_> = entries
        .iter()
        .filter(|e| e.report.year == Some(2024) && e.report.issue == Some(44))
        .collect();
    assert_eq!(e44.len(), 1);
    assert_eq!(
        state
            .aliases
            .get("https://mp.weixin.qq.com/s/Xy7Kq2mPa9LbN4cR3tUvWw")
            .map(String::as_str),
        e44[0].report.url.as_deref()
    );

    // Request economy: every request is for a different URL, except the one retry after the check.
    let mut counts: HashMap<(String, String), usize> = HashMap::new();
    for r in server.requests() {
        *counts.entry((r.path.clone(), r.query.clone())).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert_eq!(repeated.len(), 1, "{repeated:?}");
    assert!(
        repeated[0].0.1.contains("mid=2247499414"),
        "only 第41期 is asked twice: {repeated:?}"
    );
    // N new issues cost N article requests plus the short link, the retry, and the pages that are not issues.
    let article_requests = server.article_requests().len();
    let non_issue = state.failed.len();
    assert_eq!(article_requests, want.len() + 1 + 1 + non_issue);
    // The archive files are pretty JSON with sorted keys.
    let text = std::fs::read_to_string(data.join("cncert-weekly/2024/43.json")).expect("entry file");
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
        .map(|l| l.trim().split('"').nth(1).unwrap_or(""))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    // A second run over the unchanged site requests no article at all.
    let before = server.article_requests().len();
    let again = common::run_crawl(&config, &data, full_options());
    assert_eq!(server.article_requests().len(), before, "second run fetched articles");
    assert!(again.new.is_empty());
    assert_eq!(again.known, want.len());
}

#[test]
fn max_issues_limits_the_crawl_breadth_first() {
    let server = FixtureServer::start(&common::site_dir());
    let newest =
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219";
    let config = common::server_config(&server.origin, &[newest.to_string()]);
    let data = common::temp_dir("limit");
    let s = common::run_crawl(&config, &data, limit(4));
    assert_eq!(s.new.len(), 4, "{:?}", s.new);
    let issues: Vec<(i32, u32)> = issues_in(&data);
    assert_eq!(
        issues,
        vec![(2024, 51), (2024, 52), (2025, 1), (2025, 2), (2025, 3)][1..].to_vec()
    );
}

#[test]
fn a_link_to_another_host_is_never_requested() {
    let other = FixtureServer::start_with(&common::site_dir(), Vec::new(), 0);
    // A copy of the site whose newest issue also links an issue on another host.
    let dir = common::temp_dir("otherhost");
    common::copy_dir(&common::site_dir(), &dir);
    let page = dir.join("pages/2025-03.html");
    let html = std::fs::read_to_string(&page).expect("page");
    let evil = format!(
        "<p><a href=\"{}/s?__biz=MzIwNDk0MDgxMw==&amp;mid=1&amp;idx=1&amp;sn=ab\">网络安全信息与动态周报2025年第2期（1月6日-1月12日）</a></p><p><a href=\"https://evil.example/s?__biz=MzI=&amp;mid=2&amp;idx=1&amp;sn=cd\">网络安全信息与动态周报2024年第1期（1月1日-1月7日）</a></p></section>",
        other.origin
    );
    let html = html.replacen("</section>\n</section>", &format!("{evil}\n</section>"), 1);
    std::fs::write(&page, html).expect("write");
    let server = FixtureServer::start(&dir);
    let newest =
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219";
    let config = common::server_config(&server.origin, &[newest.to_string()]);
    let data = common::temp_dir("otherhost-data");
    common::run_crawl(&config, &data, full_options());
    assert!(common::archived_urls(&data).len() >= 19);
    assert!(
        other.requests().is_empty(),
        "the other host was requested: {:?}",
        other.requests()
    );
}

#[test]
fn an_oversized_body_is_refused_and_recorded() {
    let routes = vec![json!({
        "path": "/s",
        "query": {"__biz": "MzIwNDk0MDgxMw==", "mid": "2247499621", "idx": "1", "sn": "c2f01a610aa4c94e22f5246ea639f219"},
        "responses": [{"status": 200, "file": "pages/2025-03.html", "pad_bytes": 3_000_000, "headers": {"Content-Type": "text/html"}}]
    })];
    let server = FixtureServer::start_with(&common::site_dir(), routes, 0);
    let newest =
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219";
    let mut config = common::server_config(&server.origin, &[newest.to_string()]);
    config.fetch.max_body_bytes = 1_000_000;
    let data = common::temp_dir("large");
    let s = common::run_crawl(&config, &data, full_options());
    assert!(common::archived_urls(&data).is_empty());
    assert!(
        s.failed.iter().any(|(_, why)| why.contains("larger than")),
        "{:?}",
        s.failed
    );
    let state = Archive::new(&data).load_state("cncert-weekly").expect("state");
    assert_eq!(state.failed.get(newest).map(|f| f.kind.as_str()), Some("too_large"));
}

#[test]
fn album_discovery_reads_both_pages_including_the_single_object_one() {
    let server = FixtureServer::start(&common::site_dir());
    let mut config = common::server_config(&server.origin, &[]);
    let album = common::expected()["album"].as_str().expect("album url").to_string();
    config.series[0].albums = vec![album];
    let data = common::temp_dir("album");
    let s = common::run_crawl(&config, &data, limit(4));
    assert!(s.unreachable.is_empty(), "{:?}", s.unreachable);
    let issues: Vec<(i32, u32)> = issues_in(&data);
    // Page 1 lists 第3, 2, 1期 (and an unrelated article); page 2 holds 2024年第52期 alone.
    assert_eq!(issues, vec![(2024, 52), (2025, 1), (2025, 2), (2025, 3)]);
    let album_requests = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/mp/appmsgalbum")
        .count();
    assert_eq!(album_requests, 2);
    assert!(
        !server
            .article_requests()
            .iter()
            .any(|r| r.query.contains("mid=2247499543")),
        "the unrelated album item was fetched"
    );
}

fn feed_config(server: &FixtureServer) -> cncert_feed::Config {
    let mut config = common::server_config(&server.origin, &[]);
    let path = common::expected()["discovery_feed_path"]
        .as_str()
        .expect("feed path")
        .to_string();
    config.series[0].feeds = vec![format!("{}{path}", server.origin)];
    config
}

#[test]
fn feed_discovery_follows_series_items_and_revalidates_with_etag() {
    let server = FixtureServer::start(&common::site_dir());
    let config = feed_config(&server);
    let data = common::temp_dir("feed");
    let s = common::run_crawl(&config, &data, limit(2));
    assert_eq!(s.new.len(), 2, "{s:?}");
    assert!(
        !server
            .article_requests()
            .iter()
            .any(|r| r.query.contains("mid=2247499543")),
        "the unrelated feed item was fetched"
    );
    let before = server.article_requests().len();
    common::run_crawl(&config, &data, limit(2));
    let feed_reqs: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/feed/"))
        .collect();
    assert_eq!(feed_reqs.len(), 2);
    assert_eq!(
        feed_reqs[1].headers.get("if-none-match").map(String::as_str),
        Some("\"cncert-feed-1\"")
    );
    assert_eq!(feed_reqs[1].status, 304);
    assert_eq!(server.article_requests().len(), before, "a quiet run fetched articles");
}

#[test]
fn a_blocked_article_is_filled_from_the_feed_body_then_replaced_by_the_page() {
    let site = common::site();
    let mut routes: Vec<serde_json::Value> = site["routes"].as_array().expect("routes").clone();
    // 第3期 answers with the anti-crawler check, always.
    for r in routes.iter_mut() {
        if r["query"]["mid"] == "2247499621" {
            r["responses"] =
                json!([{"status": 302, "headers": {"Location": "{{origin}}/mp/wappoc_appmsgcaptcha?poc_token=x"}}]);
        }
    }
    let blocked = FixtureServer::start_with(&common::site_dir(), routes, 0);
    let config = feed_config(&blocked);
    let data = common::temp_dir("feedbody");
    let s = common::run_crawl(&config, &data, limit(2));
    assert!(!s.blocked.is_empty(), "{s:?}");
    let entries = Archive::new(&data).load_series("cncert-weekly").expect("archive");
    let e3 = entries
        .iter()
        .find(|e| e.report.issue == Some(3))
        .expect("第3期 archived from the feed");
    assert_eq!(e3.wechat_via(), Some(ReadVia::Feed));
    assert_eq!(e3.report.assessment.as_deref(), Some("良"));
    assert_eq!(e3.report.metrics.len(), 5);
    // The block persisted, so the host was not asked again for the rest of the run.
    let blocked_tries = blocked
        .article_requests()
        .iter()
        .filter(|r| r.query.contains("mid=2247499621"))
        .count();
    assert_eq!(blocked_tries, 4, "1 try + 3 retries");

    // Later the page can be fetched: it replaces the feed copy.
    let open = FixtureServer::start(&common::site_dir());
    let config = feed_config(&open);
    common::run_crawl(&config, &data, limit(2));
    let entries = Archive::new(&data).load_series("cncert-weekly").expect("archive");
    let e3 = entries.iter().find(|e| e.report.issue == Some(3)).expect("第3期");
    assert_eq!(e3.wechat_via(), Some(ReadVia::Page));
}

#[test]
fn a_failed_write_leaves_the_archive_as_it_was() {
    let server = FixtureServer::start(&common::site_dir());
    let newest =
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219";
    let config = common::server_config(&server.origin, &[newest.to_string()]);
    let data = common::temp_dir("failwrite");
    common::run_crawl(&config, &data, limit(3));
    let snapshot = snapshot(&data);
    assert!(snapshot.len() >= 3);
    // Issues of 2017 cannot be written: where their directory would go stands a file.
    std::fs::write(data.join("cncert-weekly/2017"), b"not a directory").expect("write");
    let start_2017 =
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247483656&idx=1&sn=b41171e4e4e07012055167ef019f320f";
    let config = common::server_config(&server.origin, &[newest.to_string(), start_2017.to_string()]);
    let s = common::run_crawl(&config, &data, full_options());
    assert!(
        s.write_failures.iter().any(|why| why.contains("cannot write")),
        "{:?}",
        s.write_failures
    );
    // Everything that was there is there unchanged.
    let after = snapshot_of(&data, &snapshot);
    assert_eq!(after, snapshot);
}

fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") && !p.ends_with("state.json") {
                out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

fn snapshot_of(_dir: &std::path::Path, like: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    like.iter()
        .map(|(p, _)| (p.clone(), std::fs::read(p).expect("still there")))
        .collect()
}

#[test]
fn since_stops_the_crawl_at_older_weeks() {
    let server = FixtureServer::start(&common::site_dir());
    let mut config = common::server_config(&server.origin, &[NEWEST.to_string()]);
    config.series[0].since = chrono::NaiveDate::from_ymd_opt(2024, 12, 1);
    let data = common::temp_dir("since");
    common::run_crawl(&config, &data, full_options());
    let issues: Vec<(i32, u32)> = issues_in(&data);
    // 第48期 ends 2024-12-01; 第47期 ends before and is neither archived nor followed.
    assert_eq!(issues.first(), Some(&(2024, 48)));
    assert_eq!(issues.last(), Some(&(2025, 3)));
    assert_eq!(issues.len(), 8);
    // The older issues 第48期 links were fetched once to learn their weeks, and are recorded:
    // a second run does not fetch them again.
    let state = Archive::new(&data).load_state("cncert-weekly").expect("state");
    let mids: Vec<String> = state
        .failed
        .iter()
        .filter(|(_, f)| f.kind == "before_since")
        .filter_map(|(u, _)| {
            u.split("mid=")
                .nth(1)
                .and_then(|m| m.split('&').next())
                .map(str::to_string)
        })
        .collect();
    assert!(!mids.is_empty() && mids.len() <= 5, "{:?}", state.failed);
    let fetches = |server: &FixtureServer| {
        server
            .article_requests()
            .iter()
            .filter(|r| mids.iter().any(|m| r.query.contains(m.as_str())))
            .count()
    };
    assert_eq!(fetches(&server), mids.len());
    common::run_crawl(&config, &data, full_options());
    assert_eq!(fetches(&server), mids.len(), "an issue before since was fetched again");
    // With an earlier since it is read again.
    config.series[0].since = chrono::NaiveDate::from_ymd_opt(2024, 11, 1);
    common::run_crawl(&config, &data, full_options());
    assert!(issues_in(&data).contains(&(2024, 47)));
}

#[test]
fn an_article_outside_the_series_is_recorded_and_never_fetched_again() {
    let server = FixtureServer::start(&common::site_dir());
    let other =
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499543&idx=2&sn=52b71198ef978def3c53c1c0be9572e9";
    let config = common::server_config(&server.origin, &[other.to_string()]);
    let data = common::temp_dir("other");
    common::run_crawl(&config, &data, full_options());
    common::run_crawl(&config, &data, full_options());
    assert!(common::archived_urls(&data).is_empty());
    let state = Archive::new(&data).load_state("cncert-weekly").expect("state");
    assert_eq!(state.failed.get(other).map(|f| f.kind.as_str()), Some("other_article"));
    assert_eq!(server.article_requests().len(), 1);
}

#[test]
fn a_crawl_killed_mid_run_leaves_a_readable_archive_that_the_next_run_completes() {
    let server = FixtureServer::start_with(
        &common::site_dir(),
        common::site()["routes"].as_array().expect("routes").clone(),
        120,
    );
    let dir = common::temp_dir("kill");
    let config_text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml"))
        .expect("config")
        .replace("retry_wait_ms: 2000", "retry_wait_ms: 10");
    let config_path = dir.join("config.yaml");
    std::fs::write(&config_path, config_text).expect("write");
    let data = dir.join("data");
    let expected = common::expected();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cncert-feed"));
    cmd.arg("--config")
        .arg(&config_path)
        .args([
            "-q",
            "crawl",
            "--backfill",
            "--delay-ms",
            "0",
            "--base-url",
            &server.origin,
            "--data",
        ])
        .arg(&data);
    for s in common::strings(&expected["start_urls"]) {
        cmd.args(["--start", &s]);
    }
    let mut child = cmd.spawn().expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(900));
    child.kill().expect("kill");
    let _ = child.wait();
    // Whatever was written is whole: every entry parses.
    let partial = Archive::new(&data)
        .load_series("cncert-weekly")
        .expect("every entry file parses");
    assert!(
        !partial.is_empty() && partial.len() < 24,
        "killed too late or too early: {}",
        partial.len()
    );
    // The next run completes the archive.
    let status = cmd.status().expect("rerun");
    assert!(status.success());
    let mut want = common::strings(&expected["crawl"]["reports"]);
    want.sort();
    assert_eq!(common::archived_urls(&data), want);
}

#[test]
fn redirects_are_mapped_to_the_base_url_and_never_leave_the_allowed_hosts() {
    let other = FixtureServer::start_with(&common::site_dir(), Vec::new(), 0);
    let mut routes: Vec<serde_json::Value> = common::site()["routes"].as_array().expect("routes").clone();
    // A link that redirects to the real host (mapped to the base URL), and one that leaves it.
    routes.insert(
        0,
        json!({"path": "/s/ToTheRealHost", "responses": [{"status": 302, "headers": {"Location": NEWEST}}]}),
    );
    routes.insert(
        0,
        json!({"path": "/s/ToAnotherHost", "responses": [{"status": 302, "headers": {"Location": format!("{}/s?__biz=MzI=&mid=1&idx=1&sn=ab", other.origin)}}]}),
    );
    // The allowed host on another port is another server: refused too.
    routes.insert(
        0,
        json!({"path": "/s/ToAnotherPort", "responses": [{"status": 302, "headers": {"Location": "https://mp.weixin.qq.com:8443/s?__biz=MzI=&mid=1&idx=1&sn=ab"}}]}),
    );
    let server = FixtureServer::start_with(&common::site_dir(), routes, 0);
    let config = common::server_config(
        &server.origin,
        &[
            "https://mp.weixin.qq.com/s/ToTheRealHost".to_string(),
            "https://mp.weixin.qq.com/s/ToAnotherHost".to_string(),
            "https://mp.weixin.qq.com/s/ToAnotherPort".to_string(),
        ],
    );
    let data = common::temp_dir("redirects");
    let s = common::run_crawl(&config, &data, limit(3));
    assert!(
        s.failed
            .iter()
            .any(|(u, why)| u.ends_with("ToAnotherPort") && why.contains("leaves the allowed hosts")),
        "{s:?}"
    );
    assert!(s.new.contains(&"2025年第3期".to_string()), "{s:?}");
    assert!(
        s.failed
            .iter()
            .any(|(u, why)| u.ends_with("ToAnotherHost") && why.contains("leaves the allowed hosts")),
        "{s:?}"
    );
    assert!(other.requests().is_empty());
    let state = Archive::new(&data).load_state("cncert-weekly").expect("state");
    assert_eq!(
        state
            .aliases
            .get("https://mp.weixin.qq.com/s/ToTheRealHost")
            .map(String::as_str),
        Some(NEWEST)
    );
}
