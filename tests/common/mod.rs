//! Helpers shared by the integration tests: fixture paths and the repository's own config.
#![allow(dead_code)]

use std::path::PathBuf;

use cncert_feed::Config;

/// The fixture site copied from the shared fixtures.
pub fn site_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wechat-site")
}

/// The repository's config.yaml, as a user gets it.
pub fn repo_config() -> Config {
    Config::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.yaml")).expect("config.yaml is valid")
}

/// expected.json of the fixture site.
pub fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(site_dir().join("expected.json")).expect("expected.json readable");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// site.json of the fixture site.
pub fn site() -> serde_json::Value {
    let text = std::fs::read_to_string(site_dir().join("site.json")).expect("site.json readable");
    serde_json::from_str(&text).expect("site.json is JSON")
}

/// The mp.weixin.qq.com URL that serves a page file, according to site.json's routes.
pub fn url_serving(file: &str) -> Option<String> {
    let site = site();
    for route in site["routes"].as_array()? {
        let serves = route["responses"]
            .as_array()?
            .iter()
            .any(|r| r["file"].as_str() == Some(file) && r["status"] == 200);
        if !serves {
            continue;
        }
        let q = route["query"].as_object()?;
        let query: Vec<String> = ["__biz", "mid", "idx", "sn"]
            .iter()
            .filter_map(|k| q.get(*k).and_then(|v| v.as_str()).map(|v| format!("{k}={v}")))
            .collect();
        let path = route["path"].as_str()?;
        return Some(if query.is_empty() {
            format!("https://mp.weixin.qq.com{path}")
        } else {
            format!("https://mp.weixin.qq.com{path}?{}", query.join("&"))
        });
    }
    None
}
pub mod crawl;
pub mod notify;
pub mod ocr;
pub mod server;
pub mod smtp;

/// The repository's config pointed at a fixture server: no delay, quick retries, discovery
/// replaced by `start` (made absolute mp.weixin.qq.com URLs), no feeds or albums.
pub fn server_config(origin: &str, start: &[String]) -> Config {
    let mut c = repo_config();
    c.fetch.base_url = Some(url::Url::parse(&format!("{origin}/")).expect("origin"));
    c.fetch.delay_ms = 0;
    c.fetch.max_retries = 3;
    c.fetch.timeout_secs = 10;
    c.series[0].start = start.to_vec();
    c.series[0].feeds.clear();
    c.series[0].albums.clear();
    c.series[0].listings.clear();
    c
}

/// The website fixture site copied from the shared fixtures.
pub fn cert_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cert-site")
}

/// expected.json of the website fixture.
pub fn cert_expected() -> serde_json::Value {
    let text = std::fs::read_to_string(cert_dir().join("expected.json")).expect("expected.json readable");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// The repository's config with both sources pointed at fixture servers: WeChat discovery from
/// `start`, the website listing mapped to `website_origin`.
pub fn two_source_config(wechat_origin: &str, website_origin: &str, start: &[String]) -> Config {
    let mut c = server_config(wechat_origin, start);
    c.series[0].listings = vec!["https://www.cert.org.cn/publish/main/44/index.html".to_string()];
    c.fetch.base_urls.insert(
        "www.cert.org.cn".to_string(),
        url::Url::parse(&format!("{website_origin}/")).expect("origin"),
    );
    c.fetch.hosts.clear();
    c.fetch.max_retries = 1;
    c
}

/// A fresh temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cncert-test-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs a crawl through the library with quick retries.
pub fn run_crawl(
    config: &Config,
    data: &std::path::Path,
    opts: cncert_feed::crawl::CrawlOptions,
) -> cncert_feed::crawl::Summary {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut fetcher = cncert_feed::fetch::Fetcher::new(&config.fetch, cncert_feed::sources::hosts()).expect("client");
    fetcher.retry_wait = std::time::Duration::from_millis(10);
    let archive = cncert_feed::archive::Archive::new(data);
    let sources = cncert_feed::sources::all();
    let cx = cncert_feed::crawl::CrawlContext {
        config,
        archive: &archive,
        fetcher: std::sync::Arc::new(fetcher),
        sources: &sources,
        progress: &cncert_feed::crawl::Silent,
    };
    rt.block_on(cncert_feed::crawl::crawl(&cx, &opts)).expect("crawl runs")
}

/// The canonical URLs of every archived report of the default series.
pub fn archived_urls(data: &std::path::Path) -> Vec<String> {
    let archive = cncert_feed::archive::Archive::new(data);
    let mut v: Vec<String> = archive
        .load_series("cncert-weekly")
        .expect("archive loads")
        .into_iter()
        .filter_map(|e| e.report.url)
        .collect();
    v.sort();
    v
}

/// expected.json's list of URLs as strings.
pub fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

/// Compares a record's figures (`got` is the whole record as JSON) with the ground truth's
/// `metrics` object: every figure the record has must be the expected value (a wrong figure is
/// never acceptable), and an expected figure may be missing only when the record's warnings say
/// why it was left out. The synthetic figures of the fixtures' 2017年第20/21期 give more phishing
/// complaints than incidents handled, which a real report never does (the complaints are among
/// the incidents handled): both are left out with a warning, on purpose.
#[allow(dead_code)]
pub fn figure_problems(label: &str, want: &serde_json::Value, got: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    let empty = serde_json::Map::new();
    let want = want.as_object().unwrap_or(&empty);
    let got_m = got["metrics"].as_object().unwrap_or(&empty);
    let warnings = warnings_of(got);
    for (k, v) in got_m {
        if want.get(k) != Some(v) {
            problems.push(format!("{label}: {k} = {v}, expected {:?}", want.get(k)));
        }
    }
    for (k, v) in want {
        if !got_m.contains_key(k)
            && !warnings
                .iter()
                .any(|w| w.contains(k.as_str()) && w.contains("left out"))
        {
            problems.push(format!(
                "{label}: {k} ({v}) missing without a warning saying why: {warnings:?}"
            ));
        }
    }
    problems
}

/// Whether every warning of a record explains a figure left out.
#[allow(dead_code)]
pub fn only_left_out_warnings(got: &serde_json::Value) -> bool {
    warnings_of(got).iter().all(|w| w.contains("left out"))
}

/// A record's warnings (none when the field is absent).
#[allow(dead_code)]
pub fn warnings_of(got: &serde_json::Value) -> Vec<String> {
    got["warnings"]
        .as_array()
        .map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Copies a fixture directory (to change a page of it for one test).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("dir").flatten() {
        let p = e.path();
        let dst = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dst);
        } else {
            std::fs::copy(&p, &dst).expect("copy");
        }
    }
}

/// The repository's config.yaml without politeness delays and retry waits (the servers are
/// local), written into `dir`; its path.
pub fn quick_config(dir: &std::path::Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml")).expect("config");
    let text = text
        .replace("retry_wait_ms: 2000", "retry_wait_ms: 1")
        .replace("max_retries: 3", "max_retries: 0")
        .replace("delay_ms: 1000", "delay_ms: 0");
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// An archive built offline by importing every fixture report page.
pub fn imported_archive() -> (PathBuf, cncert_feed::Config) {
    let config = repo_config();
    let data = temp_dir("render-data");
    let pages: Vec<PathBuf> = std::fs::read_dir(site_dir().join("pages"))
        .expect("pages")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.starts_with("20") && !n.contains("deleted")
        })
        .collect();
    let s = cncert_feed::crawl::import(
        &config,
        &cncert_feed::archive::Archive::new(&data),
        &cncert_feed::sources::all(),
        &pages,
    )
    .expect("import");
    assert_eq!(s.new.len(), 24, "{:?}", s.failed);
    (data, config)
}

/// Imports the fixture pages named (`2024-43.html` …) into the archive at `data` with the
/// repository's config; how many issues were new.
pub fn import_pages(data: &std::path::Path, names: &[&str]) -> usize {
    let pages: Vec<PathBuf> = names.iter().map(|n| site_dir().join("pages").join(n)).collect();
    cncert_feed::crawl::import(
        &repo_config(),
        &cncert_feed::archive::Archive::new(data),
        &cncert_feed::sources::all(),
        &pages,
    )
    .expect("import")
    .new
    .len()
}
