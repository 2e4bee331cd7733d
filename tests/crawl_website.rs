//! Both sources crawled together, each from its own loopback server (WeChat and the website,
//! mapped with base URLs per host), checked against `cert-site/expected.json` `issues`.

mod common;

use cncert_feed::archive::Archive;
use cncert_feed::assemble::SourceKind;
use cncert_feed::crawl::CrawlOptions;
use common::server::FixtureServer;

fn both_sources() -> (FixtureServer, FixtureServer, cncert_feed::Config) {
    let wechat = FixtureServer::start(&common::site_dir());
    let website = FixtureServer::start(&common::cert_dir());
    let start = common::strings(&common::expected()["start_urls"]);
    let config = common::two_source_config(&wechat.origin, &website.origin, &start);
    (wechat, website, config)
}

/// What the pictures inside the fixture's 2025-02 and 2025-03 PDFs state (the monitoring
/// paragraphs drawn as pictures), read by eye from the pictures: a figure OCR takes from them
/// must be one of these, and each taken one is the OCR source's.
fn pdf_picture_figures(key: &str) -> serde_json::Value {
    match key {
        "2025-02" => serde_json::json!({
            "infected_hosts": 205000, "trojan_botnet_hosts": 137000, "conficker_hosts": 68000,
            "defaced_sites": 5441, "backdoor_sites": 1029, "phishing_pages": 1475,
            "defaced_gov_sites": 47, "backdoor_gov_sites": 12,
            "new_vulnerabilities": 333, "vulnerability_threat_level": "低"
        }),
        "2025-03" => serde_json::json!({
            "infected_hosts": 115000, "trojan_botnet_hosts": 67000, "conficker_hosts": 48000,
            "defaced_sites": 1555, "backdoor_sites": 1364, "phishing_pages": 78,
            "defaced_gov_sites": 11, "backdoor_gov_sites": 7,
            "new_vulnerabilities": 413, "vulnerability_threat_level": "中"
        }),
        _ => serde_json::json!({}),
    }
}

fn backfill() -> CrawlOptions {
    CrawlOptions {
        backfill: true,
        ..CrawlOptions::default()
    }
}

#[test]
fn both_sources_give_one_record_per_issue_with_figures_sources_and_pdf() {
    let (_wechat, website, config) = both_sources();
    let data = common::temp_dir("two-sources");
    let summary = common::run_crawl(&config, &data, backfill());
    assert!(summary.blocked.is_empty(), "{:?}", summary.blocked);
    let archive = Archive::new(&data);
    let entries = archive.load_series("cncert-weekly").expect("archive loads");
    let expected = common::cert_expected();
    let issues = expected["issues"].as_object().expect("issues");
    let mut problems = Vec::new();
    for (key, want) in issues {
        let (y, n) = key.split_once('-').expect("YYYY-NN");
        let (y, n): (i32, u32) = (y.parse().expect("year"), n.parse().expect("issue"));
        let Some(e) = entries
            .iter()
            .find(|e| e.report.year == Some(y) && e.report.issue == Some(n))
        else {
            problems.push(format!("{key}: not archived"));
            continue;
        };
        let got = serde_json::to_value(&e.report).expect("json");
        // Where the PDF failed, the record has WeChat's figures: fewer, none different.
        let complete = want["figures_from_pdf"] == true || want["figures_from_page"] == true;
        for (field, value) in want["expected"].as_object().expect("expected") {
            if field == "metrics" && !complete {
                let got_m = got["metrics"].as_object().expect("metrics");
                for (k, v) in got_m {
                    if value.get(k) != Some(v) {
                        problems.push(format!("{key}: {k} = {v} is not the issue's figure {:?}", value.get(k)));
                    }
                }
                if !got_m.contains_key("incidents_handled") {
                    problems.push(format!("{key}: WeChat's incident figures missing"));
                }
                continue;
            }
            if field == "metrics" {
                // Figures the PDF's pictures state may come too (when OCR confirms them); the
                // others of those must be left out with a warning, like any missing figure.
                let mut want_m = value.clone();
                let pictured = pdf_picture_figures(key);
                let mut got_only_text = got.clone();
                if let (Some(w), Some(p)) = (want_m.as_object_mut(), pictured.as_object()) {
                    for (k, v) in p {
                        if got["metrics"].get(k).is_some() {
                            w.insert(k.clone(), v.clone());
                        } else if let Some(m) = got_only_text["metrics"].as_object_mut() {
                            m.remove(k);
                        }
                    }
                }
                problems.extend(common::figure_problems(key, &want_m, &got_only_text));
                continue;
            }
            if got.get(field) != Some(value) {
                problems.push(format!("{key}: {field}: expected {value}, got {:?}", got.get(field)));
            }
        }
        let web = e.sources.iter().find(|s| s.source == SourceKind::Website);
        if web.and_then(|s| s.url.as_deref()) != want["website_url"].as_str() {
            problems.push(format!("{key}: website source {web:?}"));
        }
        if let Some(pdf) = want["pdf_url"].as_str()
            && e.report.pdf.as_deref() != Some(pdf)
        {
            problems.push(format!("{key}: pdf {:?}", e.report.pdf));
        }
        match want["wechat_url"].as_str() {
            Some(u) => {
                if e.report.url.as_deref() != Some(u) {
                    problems.push(format!(
                        "{key}: the record's url should stay WeChat's: {:?}",
                        e.report.url
                    ));
                }
            }
            None => {
                if e.report.url.as_deref() != want["website_url"].as_str() {
                    problems.push(format!("{key}: url {:?}", e.report.url));
                }
            }
        }
        // Figures from the PDF's text are the website's; from its pictures, OCR's.
        if want["figures_from_pdf"] == true {
            let pictured = pdf_picture_figures(key);
            for k in e.report.metrics.keys() {
                let from = if pictured.get(k).is_some() {
                    SourceKind::Ocr
                } else {
                    SourceKind::Website
                };
                if e.figure_sources.get(k) != Some(&from) {
                    problems.push(format!(
                        "{key}: {k} should come from {from:?}: {:?}",
                        e.figure_sources.get(k)
                    ));
                }
            }
            if e.sources
                .iter()
                .find(|s| s.source == SourceKind::Website)
                .and_then(|s| s.pdf_size)
                .is_none()
            {
                problems.push(format!("{key}: PDF size unknown"));
            }
        }
        if !e.conflicts.is_empty() {
            problems.push(format!("{key}: unexpected conflicts {:?}", e.conflicts));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The PDFs that draw the monitoring paragraphs as pictures gave figures through OCR (where
    // Tesseract is installed): the hosts, which add up exactly, and the vulnerability rating.
    if cncert_feed::read::ocr::Engine::detect().is_ok() {
        for (key, issue) in [("2025-02", 2), ("2025-03", 3)] {
            let e = entries
                .iter()
                .find(|e| e.report.year == Some(2025) && e.report.issue == Some(issue))
                .expect("archived");
            let got = serde_json::to_value(&e.report.metrics).expect("json");
            let truth = pdf_picture_figures(key);
            for k in ["infected_hosts", "vulnerability_threat_level"] {
                assert_eq!(got.get(k), truth.get(k), "{key}: {k} from the PDF's pictures");
            }
            let pictures = &e.observations[&SourceKind::Ocr].pictures;
            assert!(
                pictures
                    .iter()
                    .any(|p| p.url.ends_with(".pdf#picture=1") && !p.text.is_empty()),
                "{key}: {pictures:?}"
            );
        }
    } else if std::env::var_os("CNCERT_REQUIRE_OCR").is_some() {
        panic!("Tesseract with chi_sim is required (CNCERT_REQUIRE_OCR is set)");
    }

    // PDF failures: archived from WeChat, the failure recorded.
    let state = archive.load_state("cncert-weekly").expect("state");
    for (key, why) in expected["pdf_failures"].as_object().expect("pdf_failures") {
        let pdf = issues[key]["pdf_url"].as_str().expect("pdf url");
        let recorded = state.failed.get(pdf);
        assert!(recorded.is_some_and(|f| f.permanent), "{key} ({why}): {recorded:?}");
    }
    // The monthly report in the listing is never requested.
    let asked: Vec<String> = website.requests().iter().map(|r| r.path.clone()).collect();
    assert!(!asked.iter().any(|p| p.contains("/publish/main/17/")), "{asked:?}");
    // Each page and PDF once.
    let mut dedup = asked.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), asked.len(), "a website URL was asked twice: {asked:?}");

    // A second run asks the website for the listing's first page, conditionally, and nothing else.
    let before = website.requests().len();
    let again = common::run_crawl(&config, &data, CrawlOptions::default());
    let second: Vec<_> = website.requests().into_iter().skip(before).collect();
    assert_eq!(
        second.len(),
        1,
        "{:?}",
        second.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert_eq!(second[0].path, "/publish/main/44/index.html");
    assert!(second[0].headers.contains_key("if-none-match"));
    assert!(again.new.is_empty(), "{:?}", again.new);
    assert_eq!(again.pictures_read, 0, "no picture is read twice");

    // Re-applying the patterns offline gives the same figures, those of the PDFs' pictures too.
    drop(website);
    let figures = |entries: &[cncert_feed::archive::Entry]| -> Vec<String> {
        let mut v: Vec<String> = entries
            .iter()
            .map(|e| format!("{:?} {:?}", e.id(), e.report.metrics))
            .collect();
        v.sort();
        v
    };
    let s =
        cncert_feed::crawl::reextract(&config, &archive, &cncert_feed::sources::all(), None, false).expect("reextract");
    assert!(s.losses.is_empty(), "{:?}", s.losses);
    let after = archive.load_series("cncert-weekly").expect("archive loads");
    assert_eq!(figures(&after), figures(&entries));
}

#[test]
fn website_only_and_deleted_on_wechat_issues_reach_every_feed() {
    let (_wechat, _website, config) = both_sources();
    let data = common::temp_dir("two-sources-feeds");
    common::run_crawl(&config, &data, backfill());
    let out = common::temp_dir("two-sources-out");
    cncert_feed::publish::render(&config, &Archive::new(&data), &out).expect("render");
    let dir = out.join("cncert-weekly");
    for f in ["rss.xml", "atom.xml", "feed.json"] {
        let bytes = std::fs::read(dir.join(f)).expect("feed written");
        let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| panic!("{f} invalid: {e}"));
        let titles: Vec<String> = feed
            .entries
            .iter()
            .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
            .collect();
        assert!(titles.iter().any(|t| t.contains("2025年第4期")), "{f}: {titles:?}");
        assert!(titles.iter().any(|t| t.contains("2024年第39期")), "{f}: {titles:?}");
        // The PDF travels as an enclosure / attachment with its length.
        let text = String::from_utf8(bytes).expect("utf-8");
        let pdf43 = "%E7%BD%91%E7%BB%9C%E5%AE%89%E5%85%A8%E4%BF%A1%E6%81%AF%E4%B8%8E%E5%8A%A8%E6%80%81%E5%91%A8%E6%8A%A52024%E5%B9%B4%E7%AC%AC43%E6%9C%9F.pdf";
        let size = std::fs::metadata(common::cert_dir().join("files/pdf/2024-43.pdf"))
            .expect("pdf")
            .len();
        assert!(text.contains(pdf43), "{f}: no PDF link");
        assert!(text.contains(&size.to_string()), "{f}: no PDF length {size}");
    }
    // 2014 and 2024 in one chart: year ticks, and every point says what it is on hover.
    let page = std::fs::read_to_string(dir.join("index.html")).expect("series page");
    assert!(
        page.contains(">2015</text>") && page.contains(">2024</text>"),
        "no year ticks"
    );
    assert!(
        page.contains("<title>2014年第6期：388起</title>"),
        "no hover value for 2014年第6期"
    );
    assert!(page.contains("\">PDF</a>"), "the issue list links the PDF");
    let e39 = Archive::new(&data)
        .load_series("cncert-weekly")
        .expect("archive")
        .into_iter()
        .find(|e| e.report.year == Some(2024) && e.report.issue == Some(39))
        .expect("39 archived");
    assert!(e39.report.metrics.contains_key("infected_hosts"));
}

#[test]
fn sources_option_limits_a_run_to_one_source() {
    let (wechat, website, config) = both_sources();
    let data = common::temp_dir("only-website");
    let opts = CrawlOptions {
        backfill: true,
        sources: Some(vec![SourceKind::Website]),
        ..CrawlOptions::default()
    };
    common::run_crawl(&config, &data, opts);
    assert!(wechat.requests().is_empty());
    assert!(!website.requests().is_empty());
    let entries = Archive::new(&data).load_series("cncert-weekly").expect("archive");
    assert!(entries.len() >= 25, "{}", entries.len());
    assert!(
        entries
            .iter()
            .all(|e| e.sources.iter().all(|s| s.source == SourceKind::Website))
    );
}

#[test]
fn an_archive_of_the_first_release_loads_and_is_upgraded_without_losing_a_field() {
    let data = common::temp_dir("v1-archive");
    let dir = data.join("cncert-weekly/2024");
    std::fs::create_dir_all(&dir).expect("dir");
    let v1 = serde_json::json!({
        "kind": "report",
        "url": "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499441&idx=1&sn=650a8b278b5b970e0da3576fe4e820ed",
        "series": "cncert-weekly", "title": "网络安全信息与动态周报2024年第43期（10月21日-10月27日）",
        "year": 2024, "issue": 43, "period_start": "2024-10-21", "period_end": "2024-10-27",
        "published": "2024-10-31T17:30:00+08:00", "assessment": "良",
        "metrics": {"incidents_handled": 295}, "previous": [], "author": "国家互联网应急中心CNCERT",
        "source": "feed", "first_seen": "2024-11-01T00:00:00+08:00", "fetched_at": "2024-11-01T00:00:00+08:00",
        "updated": "2024-10-31T17:30:00+08:00", "content_html": "<p>正文</p>",
        "deleted_at": "2024-12-01T00:00:00+08:00", "aliases": ["https://mp.weixin.qq.com/s/abc"]
    });
    std::fs::write(dir.join("43.json"), serde_json::to_string_pretty(&v1).expect("json")).expect("write");
    let e = &Archive::new(&data).load_series("cncert-weekly").expect("loads")[0];
    assert_eq!(
        e.report.metrics["incidents_handled"],
        cncert_feed::MetricValue::Count(295)
    );
    assert_eq!(e.wechat_via(), Some(cncert_feed::assemble::ReadVia::Feed));
    assert_eq!(e.content_html.as_deref(), Some("<p>正文</p>"));
    assert_eq!(e.aliases, vec!["https://mp.weixin.qq.com/s/abc".to_string()]);
    assert!(e.deleted_at.is_some());
    // A crawl (here: one that cannot reach anything) rewrites it in the new form in place.
    let config = common::server_config("http://127.0.0.1:9", &[]);
    let mut config = config;
    config.fetch.max_retries = 0;
    common::run_crawl(&config, &data, CrawlOptions::default());
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("43.json")).expect("still there")).expect("json");
    assert_eq!(written["schema_version"], 2);
    assert_eq!(written["observations"]["wechat"]["via"], "feed");
    assert_eq!(written["observations"]["wechat"]["content_html"], "<p>正文</p>");
    assert_eq!(written["deleted_at"], "2024-12-01T00:00:00+08:00");
    assert_eq!(written["aliases"][0], "https://mp.weixin.qq.com/s/abc");
    assert_eq!(written["metrics"]["incidents_handled"], 295);
    assert_eq!(written["figure_sources"]["incidents_handled"], "wechat");
}

#[test]
fn pdf_pictures_skipped_once_are_read_on_a_later_run_fetching_each_pdf_once() {
    if cncert_feed::read::ocr::Engine::detect().is_err() {
        assert!(
            std::env::var_os("CNCERT_REQUIRE_OCR").is_none(),
            "Tesseract with chi_sim is required (CNCERT_REQUIRE_OCR is set)"
        );
        eprintln!("skipped: Tesseract with chi_sim is not installed");
        return;
    }
    let (_wechat, website, config) = both_sources();
    let data = common::temp_dir("pdf-pictures-later");
    let website_only = |no_ocr: bool| CrawlOptions {
        backfill: true,
        sources: Some(vec![SourceKind::Website]),
        no_ocr,
        ..CrawlOptions::default()
    };
    common::run_crawl(&config, &data, website_only(true));
    let archive = Archive::new(&data);
    let issue = |n: u32| {
        archive
            .load_series("cncert-weekly")
            .expect("archive")
            .into_iter()
            .find(|e| e.report.year == Some(2025) && e.report.issue == Some(n))
            .expect("archived")
    };
    assert!(!issue(2).report.metrics.contains_key("infected_hosts"));
    let pdf_requests = || {
        website
            .requests()
            .iter()
            .filter(|r| r.path.ends_with(".pdf") && r.path.contains("2025"))
            .count()
    };
    let first = pdf_requests();

    // OCR on: the pictures of the PDFs already archived are read, each PDF fetched once more.
    let s = common::run_crawl(&config, &data, website_only(false));
    assert!(s.pictures_read >= 10, "{}", s.pictures_read);
    let pdfs_lacking = 2; // 2025-02 and 2025-03 show the monitoring figures only as pictures
    assert_eq!(pdf_requests(), first + pdfs_lacking);
    for (n, total) in [(2, 205_000), (3, 115_000)] {
        let e = issue(n);
        assert_eq!(
            e.report
                .metrics
                .get("infected_hosts")
                .and_then(cncert_feed::MetricValue::as_count),
            Some(total)
        );
        assert_eq!(e.figure_sources.get("infected_hosts"), Some(&SourceKind::Ocr));
    }
    // And never again.
    let s = common::run_crawl(&config, &data, website_only(false));
    assert_eq!(s.pictures_read, 0);
    assert_eq!(pdf_requests(), first + pdfs_lacking);
}
