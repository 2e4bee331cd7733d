//! What the website source must never do (issue 18, items 3 and 5; issue 19, item 2): lose a
//! figure it read because a later fetch failed, fetch an issue again because its listing title is
//! off by one, stop a backfill at an unchanged first page, forget where a cut-short walk stopped,
//! or ask one failing page twice in a run.

mod common;

use cncert_feed::archive::Archive;
use cncert_feed::assemble::SourceKind;
use cncert_feed::crawl::CrawlOptions;
use common::server::FixtureServer;
use serde_json::{Value, json};

const DETAIL_43: &str = "/publish/main/44/2024/20241031120119000104755/20241031120119000104755_.html";
const PDF_43: &str = "/publish/main/upload/File/网络安全信息与动态周报2024年第43期.pdf";
const LISTING: &str = "/publish/main/44/index.html";

fn site_routes() -> Vec<Value> {
    let site: Value =
        serde_json::from_str(&std::fs::read_to_string(common::cert_dir().join("site.json")).expect("site.json"))
            .expect("site.json is JSON");
    site["routes"].as_array().expect("routes").clone()
}

/// The fixture's routes with `path` answered by `responses` instead.
fn with_route(mut routes: Vec<Value>, path: &str, responses: Value) -> Vec<Value> {
    routes.retain(|r| r["path"].as_str() != Some(path));
    routes.insert(0, json!({"path": path, "responses": responses}));
    routes
}

fn website_only(limit: Option<usize>, backfill: bool) -> CrawlOptions {
    CrawlOptions {
        sources: Some(vec![SourceKind::Website]),
        no_ocr: true,
        max_issues: limit,
        backfill,
        ..CrawlOptions::default()
    }
}

fn config_for(server: &FixtureServer) -> cncert_feed::Config {
    common::two_source_config(&server.origin, &server.origin, &[])
}

/// Requests for `path` (compared percent-encoded, as the server logs it).
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

fn issues(data: &std::path::Path) -> Vec<cncert_feed::archive::Entry> {
    Archive::new(data).load_series("cncert-weekly").expect("archive loads")
}

#[test]
fn a_listing_off_by_one_and_a_pdf_that_later_404s_lose_nothing() {
    let listing = format!(
        r#"<html><body><ul class="waring_con"><li><span>[2024-10-31]</span><a href="javascript:void(0)" onclick='window.open("{DETAIL_43}")' title="网络安全信息与动态周报-2024年第42期">网络安全信息与动态周报-2024年第42期</a></li></ul></body></html>"#
    );
    let routes = with_route(
        site_routes(),
        LISTING,
        json!([{"status": 200, "body": listing, "headers": {"Content-Type": "text/html; charset=utf-8"}}]),
    );
    let routes = with_route(
        routes,
        PDF_43,
        json!([
            {"status": 200, "file": "files/pdf/2024-43.pdf", "headers": {"Content-Type": "application/pdf"}},
            {"status": 404, "body": "gone", "headers": {"Content-Type": "text/html"}}
        ]),
    );
    let server = FixtureServer::start_with(&common::cert_dir(), routes, 0);
    let config = config_for(&server);
    let data = common::temp_dir("off-by-one");
    common::run_crawl(&config, &data, website_only(None, false));
    let first = issues(&data);
    let e = first.iter().find(|e| e.report.issue == Some(43)).expect("43 archived");
    let figures = e.report.metrics.clone();
    assert!(figures.contains_key("incidents_handled"), "{figures:?}");
    assert!(e.observations[&SourceKind::Website].pdf_text.is_some());

    // The listing still says 第42期; the page is known by its URL and not fetched again.
    common::run_crawl(&config, &data, website_only(None, false));
    common::run_crawl(&config, &data, website_only(None, true));
    assert_eq!(requests_to(&server, DETAIL_43), 1, "{:?}", server.requests());
    let after = issues(&data);
    let e = after
        .iter()
        .find(|e| e.report.issue == Some(43))
        .expect("43 still archived");
    assert_eq!(e.report.metrics, figures);
}

#[test]
fn a_pdf_failure_never_replaces_the_text_read_before() {
    // The same page read again (a transient failure of the issue was recorded, so it is retried)
    // when its PDF now answers 404: the archived PDF text and its figures stay.
    let routes = with_route(
        site_routes(),
        PDF_43,
        json!([
            {"status": 200, "file": "files/pdf/2024-43.pdf", "headers": {"Content-Type": "application/pdf"}},
            {"status": 404, "body": "gone", "headers": {"Content-Type": "text/html"}}
        ]),
    );
    let server = FixtureServer::start_with(&common::cert_dir(), routes, 0);
    let config = config_for(&server);
    let data = common::temp_dir("pdf-later-404");
    common::run_crawl(&config, &data, website_only(None, true));
    let figures = issues(&data)
        .into_iter()
        .find(|e| e.report.issue == Some(43))
        .expect("43 archived")
        .report
        .metrics;
    assert!(figures.contains_key("incidents_handled"));
    // Ask for the page again as a failed page would be.
    let archive = Archive::new(&data);
    let mut state = archive.load_state("cncert-weekly").expect("state");
    let detail = format!("https://www.cert.org.cn{DETAIL_43}");
    state.failed.insert(
        detail,
        cncert_feed::archive::Failure {
            kind: "website_transient".into(),
            reason: "HTTP 503".into(),
            at: cncert_feed::crawl::now(),
            permanent: false,
            since: None,
            issue: None,
        },
    );
    archive.save_state("cncert-weekly", &state).expect("state saved");
    common::run_crawl(&config, &data, website_only(None, false));
    assert_eq!(
        requests_to(&server, PDF_43),
        2,
        "the PDF was asked again and answered 404"
    );
    let e = issues(&data)
        .into_iter()
        .find(|e| e.report.issue == Some(43))
        .expect("43");
    assert_eq!(e.report.metrics, figures);
    assert!(e.observations[&SourceKind::Website].pdf_text.is_some());
}

#[test]
fn a_backfill_walks_past_an_unchanged_first_page() {
    let server = FixtureServer::start(&common::cert_dir());
    let config = config_for(&server);
    let data = common::temp_dir("backfill-304");
    common::run_crawl(&config, &data, website_only(Some(2), false));
    let few = issues(&data).len();
    assert_eq!(few, 2);
    // The first page answers 304 to a conditional request: a backfill must not send one.
    common::run_crawl(&config, &data, website_only(None, true));
    let all = issues(&data).len();
    assert!(all > few + 10, "backfill reached {all} issues");
}

#[test]
fn a_deeper_limit_walks_past_pages_it_knows() {
    let server = FixtureServer::start(&common::cert_dir());
    let config = config_for(&server);
    let data = common::temp_dir("deeper-limit");
    common::run_crawl(&config, &data, website_only(Some(3), false));
    assert_eq!(issues(&data).len(), 3);
    common::run_crawl(&config, &data, website_only(Some(15), false));
    assert!(issues(&data).len() >= 14, "{}", issues(&data).len());
}

#[test]
fn a_walk_cut_short_resumes_where_it_stopped() {
    let routes = with_route(
        site_routes(),
        "/publish/main/44/index_2.html",
        json!([
            {"status": 503, "body": "busy", "headers": {"Content-Type": "text/html"}},
            {"status": 503, "body": "busy", "headers": {"Content-Type": "text/html"}},
            {"status": 200, "file": "files/listing/index_2.html", "headers": {"Content-Type": "text/html"}}
        ]),
    );
    let server = FixtureServer::start_with(&common::cert_dir(), routes, 0);
    let config = config_for(&server);
    let data = common::temp_dir("resume");
    let s = common::run_crawl(&config, &data, website_only(None, false));
    assert!(!s.unreachable.is_empty(), "page 2 failed: {:?}", s.unreachable);
    let first = issues(&data).len();
    // Page 1 is all archived now, and unchanged: the walk goes on at page 2 all the same.
    common::run_crawl(&config, &data, website_only(None, false));
    let second = issues(&data);
    assert!(
        second
            .iter()
            .any(|e| e.report.year == Some(2024) && e.report.issue == Some(43)),
        "page 2's issues were not reached ({first} then {})",
        second.len()
    );
}

#[test]
fn a_failing_page_is_asked_once_a_run() {
    let routes = with_route(
        site_routes(),
        DETAIL_43,
        json!([{"status": 503, "body": "busy", "headers": {"Content-Type": "text/html"}}]),
    );
    let server = FixtureServer::start_with(&common::cert_dir(), routes, 0);
    let config = config_for(&server);
    let data = common::temp_dir("once-a-run");
    common::run_crawl(&config, &data, website_only(None, true));
    let attempts = 1 + config.fetch.max_retries as usize;
    assert_eq!(requests_to(&server, DETAIL_43), attempts);
    // The next run asks it again (it is transient), once.
    let s = common::run_crawl(&config, &data, website_only(None, false));
    assert_eq!(requests_to(&server, DETAIL_43), 2 * attempts);
    let lines = s
        .failed
        .iter()
        .filter(|(u, _)| u.contains("20241031120119000104755"))
        .count();
    assert_eq!(lines, 1, "{:?}", s.failed);
}

/// The history check gives the same record whatever order the issues were archived in: a crawl
/// (newest first, each issue checked against those archived before it) and a re-extraction of
/// the same archive (every issue against all the others) agree.
#[test]
fn a_crawl_and_a_reextract_of_its_archive_agree() {
    // The newest issue states a figure far outside the ones before it (a typo of 379 as 37900):
    // the crawl reaches it first, before any issue it could be compared with is archived.
    let site = common::temp_dir("order-site");
    common::copy_dir(&common::site_dir(), &site);
    let page = site.join("pages/2025-03.html");
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(html.contains("共处理网络安全事件379起"));
    std::fs::write(
        &page,
        html.replacen("共处理网络安全事件379起", "共处理网络安全事件37900起", 1),
    )
    .expect("write");
    let wechat = FixtureServer::start(&site);
    let start = common::strings(&common::expected()["start_urls"]);
    let config = common::server_config(&wechat.origin, &start);
    let data = common::temp_dir("order");
    let opts = CrawlOptions {
        backfill: true,
        no_ocr: true,
        ..CrawlOptions::default()
    };
    common::run_crawl(&config, &data, opts);
    let before: Vec<Value> = issues(&data)
        .iter()
        .map(|e| json!({"report": e.report, "figure_sources": e.figure_sources}))
        .collect();
    let archive = Archive::new(&data);
    let s =
        cncert_feed::crawl::reextract(&config, &archive, &cncert_feed::sources::all(), None, false).expect("reextract");
    assert!(s.losses.is_empty(), "{:?}", s.losses);
    let after: Vec<Value> = issues(&data)
        .iter()
        .map(|e| json!({"report": e.report, "figure_sources": e.figure_sources}))
        .collect();
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "re-extraction changed a record the crawl made");
    }
    let newest = issues(&data)
        .into_iter()
        .find(|e| e.report.year == Some(2025) && e.report.issue == Some(3))
        .expect("2025-03");
    assert!(
        newest.report.warnings.iter().any(|w| w.contains("far outside")),
        "{:?}",
        newest.report.warnings
    );
    assert!(s.updated.is_empty(), "{:?}", s.updated);
}

/// One answer the website may give to a request for a detail page or its PDF.
fn answer(kind: u8, file: &str, content_type: &str) -> Value {
    match kind {
        0 => json!({"status": 200, "file": file, "headers": {"Content-Type": content_type}}),
        1 => json!({"status": 404, "body": "gone", "headers": {"Content-Type": "text/html"}}),
        2 => json!({"status": 503, "body": "busy", "headers": {"Content-Type": "text/html"}}),
        _ => {
            json!({"status": 200, "body": "<html><body>维护中</body></html>", "headers": {"Content-Type": "text/html"}})
        }
    }
}

/// Whatever a detail page and its PDF answer over three runs (the page, a 404, a 503, a
/// maintenance page instead of the PDF; every sequence of two answers each, the listing naming
/// the issue right or one off), a figure once archived is never removed or changed by a later
/// failure, and the PDF's text once stored stays. Every combination is run, not a sample.
#[test]
fn no_sequence_of_failures_removes_an_archived_figure() {
    let mut problems = Vec::new();
    for listed_as in [43u32, 42] {
        for page in [[0u8, 0], [2, 0], [0, 2]] {
            for first in 0u8..4 {
                for second in 0u8..4 {
                    if let Err(why) = runs_keep_figures(listed_as, &page, &[first, second]) {
                        problems.push(format!(
                            "listed as {listed_as}, page {page:?}, pdf {:?}: {why}",
                            [first, second]
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Three runs over one issue whose page and PDF answer as given (each answer for every attempt of
/// one request); Err says what was lost.
fn runs_keep_figures(listed_as: u32, page: &[u8], pdf: &[u8]) -> Result<(), String> {
    let listing = format!(
        r#"<html><body><ul class="waring_con"><li><span>[2024-10-31]</span><a href="javascript:void(0)" onclick='window.open("{DETAIL_43}")' title="网络安全信息与动态周报-2024年第{listed_as}期">网络安全信息与动态周报-2024年第{listed_as}期</a></li></ul></body></html>"#
    );
    let repeat = |seq: &[u8], file: &str, ct: &str| -> Value {
        Value::Array(
            seq.iter()
                .flat_map(|k| std::iter::repeat_n(answer(*k, file, ct), 2))
                .collect(),
        )
    };
    let routes = with_route(
        site_routes(),
        LISTING,
        json!([{"status": 200, "body": listing, "headers": {"Content-Type": "text/html; charset=utf-8"}}]),
    );
    let routes = with_route(
        routes,
        DETAIL_43,
        repeat(page, "files/detail/2024-43.html", "text/html; charset=utf-8"),
    );
    let routes = with_route(routes, PDF_43, repeat(pdf, "files/pdf/2024-43.pdf", "application/pdf"));
    let server = FixtureServer::start_with(&common::cert_dir(), routes, 0);
    let config = config_for(&server);
    let data = common::temp_dir("failure-sequences");
    let mut seen: std::collections::BTreeMap<String, cncert_feed::MetricValue> = Default::default();
    let mut had_text = false;
    for run in 0..3 {
        common::run_crawl(&config, &data, website_only(None, false));
        let Some(e) = issues(&data).into_iter().find(|e| e.report.issue == Some(43)) else {
            if !seen.is_empty() {
                return Err(format!("run {run}: the issue left the archive"));
            }
            continue;
        };
        for (k, v) in &seen {
            if e.report.metrics.get(k) != Some(v) {
                return Err(format!("run {run}: {k} = {v} became {:?}", e.report.metrics.get(k)));
            }
        }
        let has_text = e
            .observations
            .get(&SourceKind::Website)
            .is_some_and(|o| o.pdf_text.is_some());
        if had_text && !has_text {
            return Err(format!("run {run}: the PDF's text was lost"));
        }
        had_text = has_text;
        seen.extend(e.report.metrics.clone());
    }
    Ok(())
}
