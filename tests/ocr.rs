//! Figures from pictures: `extract --ocr` over the image-site fixture, its pictures served from a
//! loopback server in place of mmbiz.qpic.cn. Every figure read must be right; at least 80% of the
//! figures each page states must be read. Where Tesseract is missing the tests say so in one line
//! and pass (CI installs it and sets CNCERT_REQUIRE_OCR, so there they never skip). Which figures
//! read from pictures are taken, without Tesseract: tests/ocr_figures.rs.

mod common;

use std::path::PathBuf;
use std::process::Command;

use cncert_feed::MetricValue;
use cncert_feed::extract::pictures::figures_from_pictures;
use cncert_feed::sources::pictures::read_twice_now;
use common::ocr::engine_or_skip;
use common::server::FixtureServer;

fn image_site() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/image-site")
}

/// The repository's config.yaml with no delay between two requests to a host: the pictures come
/// from a server on this machine, not from a host to be polite to (with the delay of 1 s, the
/// test waited 19 s for its 19 pictures).
fn config_without_delay(name: &str) -> PathBuf {
    let text =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.yaml")).expect("config.yaml");
    let text: String = text
        .lines()
        .map(|l| match l.split_once("delay_ms:") {
            Some((indent, _)) if indent.trim().is_empty() => format!("{indent}delay_ms: 0\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    let path = common::temp_dir(name).join("config.yaml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn extract_ocr_reads_most_figures_of_every_picture_page_and_none_wrong() {
    if engine_or_skip().is_none() {
        return;
    }
    let server = FixtureServer::start(&image_site());
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(image_site().join("expected.json")).expect("expected")).expect("json");
    let pages = expected["pages"].as_object().expect("pages");
    let files: Vec<PathBuf> = pages.keys().map(|f| image_site().join(f)).collect();
    let config = config_without_delay("extract-ocr");
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--config")
        .arg(&config)
        .args([
            "extract",
            "--ocr",
            "--base-url",
            &format!("mmbiz.qpic.cn={}/", server.origin),
        ])
        .args(&files)
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), pages.len());
    let mut problems = Vec::new();
    for (got, (file, want)) in lines.iter().zip(pages) {
        let want = want["metrics"].as_object().expect("metrics");
        let got_m = got["metrics"].as_object().cloned().unwrap_or_default();
        for (k, v) in &got_m {
            if want.get(k) != Some(v) {
                problems.push(format!("{file}: {k} = {v} is wrong (expected {:?})", want.get(k)));
            }
        }
        let share = got_m.len() as f64 / want.len() as f64;
        if share < 0.8 {
            problems.push(format!("{file}: only {} of {} figures read", got_m.len(), want.len()));
        }
        // Picture figures are marked as such; the text's figures stay the text's.
        let sources = &got["figure_sources"];
        if got_m.contains_key("infected_hosts") && sources["infected_hosts"] != "ocr" {
            problems.push(format!("{file}: infected_hosts not marked ocr: {sources}"));
        }
        if sources["incidents_handled"] != "wechat" {
            problems.push(format!(
                "{file}: incidents_handled should come from the text: {sources}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // 2025年第12期: the missing picture and the oversized one are skipped with a note.
    assert!(
        stderr.contains("85ee81faad7e31eb1a177097a743c7834ea5bed5") && stderr.contains("HTTP 404; skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ac61649389fc782a3db03eebe52f19b99472611b") && stderr.contains("larger than 5 MiB; skipped"),
        "{stderr}"
    );
    // Only the image host was asked for pictures, each at most once.
    let reqs = server.requests();
    let mut paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
    let n = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), n, "a picture was fetched twice");
}

#[test]
fn extract_ocr_reads_the_pictures_inside_a_pdf() {
    if engine_or_skip().is_none() {
        return;
    }
    let pdf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cert-site/files/pdf/2025-02.pdf");
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["extract", "--ocr"])
        .arg(&pdf)
        .output()
        .expect("binary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    // What the PDF's pictures state, read by eye (its text states the incident figures).
    let truth = serde_json::json!({
        "infected_hosts": 205000, "trojan_botnet_hosts": 137000, "conficker_hosts": 68000,
        "defaced_sites": 5441, "backdoor_sites": 1029, "phishing_pages": 1475,
        "defaced_gov_sites": 47, "backdoor_gov_sites": 12,
        "new_vulnerabilities": 333, "vulnerability_threat_level": "低"
    });
    let sources = &got["figure_sources"];
    let mut from_pictures = 0;
    for (k, v) in got["metrics"].as_object().expect("metrics") {
        if sources[k] == "ocr" {
            assert_eq!(truth.get(k), Some(v), "{k}");
            from_pictures += 1;
        } else {
            assert_eq!(sources[k], "website", "{k}");
        }
    }
    // The hosts add up exactly (20.5万 = 13.7万 + 6.8万) and the rating is a rating: taken.
    assert!(from_pictures >= 4, "{got}");
    assert_eq!(got["metrics"]["incidents_handled"], 328);
}

/// Routes serving the image-site pages as WeChat articles and its pictures, from one server.
fn wechat_and_image_routes() -> (Vec<serde_json::Value>, Vec<String>) {
    let site: serde_json::Value =
        serde_json::from_slice(&std::fs::read(image_site().join("site.json")).expect("site.json")).expect("json");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(image_site().join("expected.json")).expect("expected")).expect("json");
    let mut routes: Vec<serde_json::Value> = site["routes"].as_array().expect("routes").clone();
    let mut urls = Vec::new();
    for (file, want) in expected["pages"].as_object().expect("pages") {
        let url = want["url"].as_str().expect("url").to_string();
        let parsed = url::Url::parse(&url).expect("url");
        let query: serde_json::Map<String, serde_json::Value> = parsed
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
        routes.push(serde_json::json!({"path": "/s", "query": query, "responses": [
            {"status": 200, "file": file, "headers": {"Content-Type": "text/html; charset=utf-8"}}]}));
        urls.push(url);
    }
    (routes, urls)
}

#[test]
fn crawl_reads_pictures_once_keeps_their_text_and_reextract_needs_no_network() {
    if engine_or_skip().is_none() {
        return;
    }
    let (routes, urls) = wechat_and_image_routes();
    let server = FixtureServer::start_with(&image_site(), routes, 0);
    let mut config = common::server_config(&server.origin, &urls);
    config.fetch.base_urls.insert(
        "mmbiz.qpic.cn".into(),
        url::Url::parse(&format!("{}/", server.origin)).expect("url"),
    );
    let data = common::temp_dir("ocr-crawl");
    let s = common::run_crawl(&config, &data, cncert_feed::crawl::CrawlOptions::default());
    assert_eq!(s.new.len(), 3, "{s:?}");
    assert!(s.pictures_read >= 10, "{s:?}");
    let picture_requests = |server: &FixtureServer| {
        server
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/sz_mmbiz"))
            .count()
    };
    let first = picture_requests(&server);
    let archive = cncert_feed::archive::Archive::new(&data);
    let entries = archive.load_series("cncert-weekly").expect("archive");
    let e10 = entries.iter().find(|e| e.report.issue == Some(10)).expect("第10期");
    assert_eq!(
        e10.report.metrics.get("infected_hosts"),
        Some(&MetricValue::Count(232_000))
    );
    assert_eq!(
        e10.figure_sources.get("infected_hosts"),
        Some(&cncert_feed::assemble::SourceKind::Ocr)
    );
    let ocr = &e10.observations[&cncert_feed::assemble::SourceKind::Ocr];
    assert!(
        ocr.pictures
            .iter()
            .any(|p| p.sha256.len() == 64 && p.text.contains("主机")),
        "{:?}",
        ocr.pictures
    );

    // explain shows where a picture figure came from, and finds the archive current.
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["explain", "2025/10", "--data"])
        .arg(&data)
        .output()
        .expect("binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("infected_hosts (境内感染网络病毒的主机) = 232000 个  from ocr"),
        "{text}"
    );
    assert!(text.contains("read from ocr:") && text.contains("pictures"), "{text}");
    assert!(!text.contains("--reextract"), "{text}");

    // A second run reads no picture again.
    let s = common::run_crawl(&config, &data, cncert_feed::crawl::CrawlOptions::default());
    assert_eq!(s.pictures_read, 0);
    assert_eq!(picture_requests(&server), first, "a picture was fetched twice");

    // Re-extraction re-applies the patterns to the stored picture texts, offline.
    drop(server);
    let s =
        cncert_feed::crawl::reextract(&config, &archive, &cncert_feed::sources::all(), None, false).expect("reextract");
    assert!(s.losses.is_empty(), "{:?}", s.losses);
    let entries = archive.load_series("cncert-weekly").expect("archive");
    let e10 = entries.iter().find(|e| e.report.issue == Some(10)).expect("第10期");
    assert_eq!(
        e10.report.metrics.get("infected_hosts"),
        Some(&MetricValue::Count(232_000))
    );
}

/// The pictures of one fixture page, as bytes, in the page's order.
fn page_pictures(file: &str) -> Vec<(String, Vec<u8>)> {
    let site: serde_json::Value =
        serde_json::from_slice(&std::fs::read(image_site().join("site.json")).expect("site.json")).expect("json");
    let html = std::fs::read_to_string(image_site().join(file)).expect("page");
    let body = &html[html.find("js_content").expect("body")..];
    cncert_feed::sources::wechat::pictures::section_pictures(body)
        .into_iter()
        .filter_map(|u| {
            let path = url::Url::parse(&u).ok()?.path().to_string();
            let route = site["routes"].as_array()?.iter().find(|r| r["path"] == path.as_str())?;
            let f = route["responses"][0]["file"].as_str()?;
            Some((u, std::fs::read(image_site().join(f)).ok()?))
        })
        .collect()
}

/// Worse pictures than the fixture's (smaller, heavily compressed, blurred): fewer figures may be
/// read, never a wrong one.
#[test]
fn degraded_pictures_give_fewer_figures_never_wrong_ones() {
    let Some(engine) = engine_or_skip() else { return };
    let config = common::repo_config();
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(image_site().join("expected.json")).expect("expected")).expect("json");
    let want = expected["pages"]["pages/2025-10.html"]["metrics"]
        .as_object()
        .expect("metrics")
        .clone();
    let pictures = page_pictures("pages/2025-10.html");
    assert!(pictures.len() >= 5);
    type Degrade = fn(image::DynamicImage) -> image::DynamicImage;
    let degradations: [(&str, Degrade); 3] = [
        ("half size", |i| {
            i.resize(i.width() / 2, i.height() / 2, image::imageops::FilterType::Triangle)
        }),
        ("blurred", |i| i.blur(1.2)),
        ("JPEG quality 25", |i| {
            let mut buf = std::io::Cursor::new(Vec::new());
            let rgb = image::DynamicImage::ImageRgb8(i.to_rgb8());
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 25)
                .encode_image(&rgb)
                .expect("jpeg");
            image::load_from_memory(&buf.into_inner()).expect("decodes")
        }),
    ];
    for (name, degrade) in degradations {
        let degraded: Vec<(&String, Vec<u8>)> = pictures
            .iter()
            .filter_map(|(u, bytes)| {
                let img = image::load_from_memory(bytes).ok()?;
                let mut out = std::io::Cursor::new(Vec::new());
                degrade(img).write_to(&mut out, image::ImageFormat::Png).ok()?;
                Some((u, out.into_inner()))
            })
            .collect();
        // The set's pictures read as a crawl reads an issue's (one Tesseract process, then a
        // second reading of those whose figures that left unconfirmed).
        let pictures = degraded.into_iter().map(|(u, b)| (u.clone(), b)).collect();
        let texts = read_twice_now(pictures, &engine, &config.series[0]);
        let f = figures_from_pictures(&texts, &config.series[0]);
        for (k, v) in &f.metrics {
            let v = serde_json::to_value(v).expect("json");
            assert_eq!(want.get(k), Some(&v), "{name}: {k} read wrong");
        }
        eprintln!("{name}: {} figures read, none wrong", f.metrics.len());
    }
}

/// Pictures rendered for this test (tests/tools/render_pictures.py): four fonts, several sizes,
/// JPEG quality 40, blur; two sets inconsistent on purpose. A set gives at least 60% of its
/// figures (62–100% with the second reading, issue 21; 50% was asked before it), never a wrong
/// one; an inconsistent figure is left out.
#[test]
fn rendered_pictures_in_other_fonts_sizes_and_qualities() {
    let Some(engine) = engine_or_skip() else { return };
    let config = common::repo_config();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ocr-rendered");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest")).expect("json");
    let mut problems = Vec::new();
    for set in manifest.as_array().expect("sets") {
        let name = set["set"].as_str().expect("name");
        let files: Vec<(&str, Vec<u8>)> = set["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| {
                let f = f.as_str().expect("file");
                (f, std::fs::read(dir.join(f)).expect("picture"))
            })
            .collect();
        // The set's pictures read as a crawl reads an issue's (one Tesseract process, then a
        // second reading of those whose figures that left unconfirmed).
        let pictures = files
            .into_iter()
            .map(|(f, b)| (format!("https://mmbiz.qpic.cn/{f}"), b))
            .collect();
        let texts = read_twice_now(pictures, &engine, &config.series[0]);
        let f = figures_from_pictures(&texts, &config.series[0]);
        let want = set["figures"].as_object().expect("figures");
        let left_out: Vec<&str> = set["left_out"]
            .as_array()
            .expect("left_out")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for (k, v) in &f.metrics {
            let v = serde_json::to_value(v).expect("json");
            if left_out.contains(&k.as_str()) {
                problems.push(format!("{name}: {k} = {v} should have been left out"));
            } else if want.get(k) != Some(&v) {
                problems.push(format!("{name}: {k} = {v} is wrong (expected {:?})", want.get(k)));
            }
        }
        let expected_read = want.len() - left_out.len();
        eprintln!(
            "{name}: {} of {expected_read} figures read; {:?}",
            f.metrics.len(),
            f.warnings
        );
        if (f.metrics.len() as f64) < 0.6 * expected_read as f64 {
            problems.push(format!(
                "{name}: only {} of {expected_read} figures read",
                f.metrics.len()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A picture that could not be fetched for a passing reason (5xx, timeout, refused) is not
/// "read": the next run fetches it again and its figures arrive; the run that failed says so.
#[test]
fn a_picture_that_failed_for_a_passing_reason_is_fetched_again_next_run() {
    if engine_or_skip().is_none() {
        return;
    }
    let (mut routes, urls) = wechat_and_image_routes();
    for r in routes
        .iter_mut()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/sz_mmbiz")))
    {
        let ok = r["responses"][0].clone();
        let busy = serde_json::json!({"status": 503, "body": "busy", "headers": {"Content-Type": "text/plain"}});
        // Every attempt of the first run answers 503 (1 + max_retries of them).
        r["responses"] = serde_json::json!([busy, busy, busy, busy, ok]);
    }
    let server = FixtureServer::start_with(&image_site(), routes, 0);
    let mut config = common::server_config(&server.origin, &urls);
    config.fetch.base_urls.insert(
        "mmbiz.qpic.cn".into(),
        url::Url::parse(&format!("{}/", server.origin)).expect("url"),
    );
    let data = common::temp_dir("ocr-retry");
    let s = common::run_crawl(&config, &data, cncert_feed::crawl::CrawlOptions::default());
    assert_eq!(s.pictures_read, 0, "{s:?}");
    assert!(s.pictures_failed >= 10, "{s:?}");
    assert!(
        s.failed
            .iter()
            .any(|(u, why)| u.contains("mmbiz.qpic.cn") && why.contains("HTTP 503")),
        "{:?}",
        s.failed
    );
    let archive = cncert_feed::archive::Archive::new(&data);
    let e10 = |archive: &cncert_feed::archive::Archive| {
        archive
            .load_series("cncert-weekly")
            .expect("archive")
            .into_iter()
            .find(|e| e.report.issue == Some(10))
            .expect("第10期")
    };
    assert_eq!(e10(&archive).report.metrics.get("infected_hosts"), None);

    let s = common::run_crawl(&config, &data, cncert_feed::crawl::CrawlOptions::default());
    assert!(s.pictures_read >= 10, "{s:?}");
    assert_eq!(s.pictures_failed, 0, "{s:?}");
    assert_eq!(
        e10(&archive).report.metrics.get("infected_hosts"),
        Some(&MetricValue::Count(232_000))
    );
}
