//! Figures from pictures: `extract --ocr` over the image-site fixture, its pictures served from a
//! loopback server in place of mmbiz.qpic.cn. Every figure read must be right; at least 80% of the
//! figures each page states must be read. Where Tesseract is missing the tests say so in one line
//! and pass (CI installs it and sets CNCERT_REQUIRE_OCR, so there they never skip).

mod common;

use std::path::PathBuf;
use std::process::Command;

use cncert_feed::MetricValue;
use cncert_feed::extract::pictures::figures_from_pictures;
use cncert_feed::picture::PictureText;
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

fn picture(url: &str, text: &str) -> PictureText {
    PictureText {
        text: text.into(),
        ..PictureText::article(url)
    }
}

/// WeChat serves one picture under several URLs (with and without `&tp=webp`, `wx_fmt`
/// variants, `from=appmsg`): the same pixels read twice are one reading, so a misread (33 read as
/// 3) is not confirmed by itself. A PDF picture embedded twice is one picture too.
#[test]
fn the_same_picture_under_two_urls_is_one_reading() {
    let config = common::repo_config();
    let series = &config.series[0];
    let misread = "本周境内被篡改政府网站 (GOV类) 数量为3个(约占\n境内1.5%)\n";
    let same = |url: &str| PictureText {
        sha256: "5f0c".repeat(16),
        ..picture(url, misread)
    };
    let all = [
        same("https://mmbiz.qpic.cn/d/640?wx_fmt=png"),
        same("https://mmbiz.qpic.cn/d/640?wx_fmt=png&tp=webp&from=appmsg"),
        PictureText {
            sha256: "5f0c".repeat(16),
            ..PictureText {
                text: misread.into(),
                ..PictureText::in_pdf("https://www.cert.org.cn/r.pdf", 2)
            }
        },
    ];
    let f = figures_from_pictures(&all, series);
    assert!(!f.metrics.contains_key("defaced_gov_sites"), "{:?}", f.metrics);
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("defaced_gov_sites = 3 was read once")),
        "{:?}",
        f.warnings
    );
    // Two different pictures stating the same value still confirm it.
    let other = PictureText {
        sha256: "a1b2".repeat(16),
        ..picture("https://mmbiz.qpic.cn/e/640", misread)
    };
    let f = figures_from_pictures(&[all[0].clone(), other], series);
    assert_eq!(f.metrics.get("defaced_gov_sites"), Some(&MetricValue::Count(3)));
}

/// The acceptance rules, over OCR texts as Tesseract gives them (line breaks anywhere, look-alike
/// characters, stray quotes). Pure: no Tesseract needed.
#[test]
fn a_picture_figure_is_taken_only_when_confirmed() {
    let config = common::repo_config();
    let series = &config.series[0];
    let dashboard = picture(
        "https://mmbiz.qpic.cn/a/640",
        "本周网络安全态势: 良\n指标 本周数量 较上周\n境内感染网络病毒的主机数 ”23.2万 个35.0%\n境内被自改网站总数 2219 上25.5%\n其中政府网站数 33 上35.5%\n境内被植入后门网站总数 1383 个27.2%\n其中政府网站数 15 25.4%\n针对境内网站的仿冒页面数 60 个12.8%\n新增信息安全漏洞数 325 了23.3%\n",
    );
    let hosts = picture(
        "https://mmbiz.qpic.cn/b/640",
        "本周境内感染网络病毒的主机数量约为23.2万个，其中\n包括境内被木马或被僵尸程序控制的主机约16.2万以及\n境内感染飞客 〈conficker) 蠕虫的主机约7万。\n",
    );
    let sites = picture(
        "https://mmbiz.qpic.cn/c/640",
        "本周CNCERT监测发现境内被算改网站数量为2219\n个; 境内被植入后门的网站数量为1383个; 针对境内网\n站的仿冒页面数量为60个。\n",
    );
    // OCR dropped a digit here: 33 read as 3.
    let gov = picture(
        "https://mmbiz.qpic.cn/d/640",
        "本周境内被自改政府网站 (GOV类) 数量为3个“(约占\n境内1.5%) ; 境内被植入后门的政府网站 (GOV类)\n数量为15个 (约占境内1.3%)\n",
    );
    let vulns = picture(
        "https://mmbiz.qpic.cn/e/640",
        "本周，国家信息安全漏洞共享平台 (CNVD) 新收录网络\n安全漏洞325个，信息安全漏洞威胁整体评价级别为中。\n",
    );
    let all = [
        dashboard.clone(),
        hosts.clone(),
        sites.clone(),
        gov.clone(),
        vulns.clone(),
    ];
    let f = figures_from_pictures(&all, series);
    let n = |k: &str| f.metrics.get(k).and_then(MetricValue::as_count);
    // Read twice alike: taken.
    assert_eq!(n("infected_hosts"), Some(232_000));
    assert_eq!(n("defaced_sites"), Some(2219));
    assert_eq!(n("backdoor_sites"), Some(1383));
    assert_eq!(n("backdoor_gov_sites"), Some(15));
    assert_eq!(n("phishing_pages"), Some(60));
    assert_eq!(n("new_vulnerabilities"), Some(325));
    // Read once, but they add up to the confirmed total: taken.
    assert_eq!(n("trojan_botnet_hosts"), Some(162_000));
    assert_eq!(n("conficker_hosts"), Some(70_000));
    assert_eq!(
        f.metrics.get("vulnerability_threat_level"),
        Some(&MetricValue::Level("中".into()))
    );
    // Read as 33 and as 3: left out, the pictures named.
    assert!(!f.metrics.contains_key("defaced_gov_sites"));
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("defaced_gov_sites") && w.contains("https://mmbiz.qpic.cn/d/640")),
        "{:?}",
        f.warnings
    );

    // Without the dashboard, figures stated once are left out, and hosts that do not add up too.
    let f = figures_from_pictures(&[sites.clone(), vulns.clone()], series);
    assert!(!f.metrics.contains_key("defaced_sites") && !f.metrics.contains_key("new_vulnerabilities"));
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("read once") && w.contains("https://mmbiz.qpic.cn/c/640"))
    );
    let wrong_hosts = picture("https://mmbiz.qpic.cn/f/640", &hosts.text.replace("约7万", "约9万"));
    let f = figures_from_pictures(&[dashboard.clone(), wrong_hosts], series);
    assert!(!f.metrics.contains_key("conficker_hosts") && !f.metrics.contains_key("trojan_botnet_hosts"));
    assert_eq!(
        f.metrics.get("infected_hosts").and_then(MetricValue::as_count),
        Some(232_000)
    );
    // A misread last digit (7万 read as 7.1万) is within the report's rounding but is not taken:
    // only an exact sum confirms.
    let last_digit = picture("https://mmbiz.qpic.cn/g/640", &hosts.text.replace("约7万", "约7.1万"));
    let f = figures_from_pictures(&[dashboard.clone(), last_digit.clone()], series);
    assert!(!f.metrics.contains_key("conficker_hosts") && !f.metrics.contains_key("trojan_botnet_hosts"));

    // The hosts paragraph alone (a PDF's picture, no dashboard): total and parts read once each
    // confirm one another when they add up exactly, and are all left out when they do not.
    let f = figures_from_pictures(std::slice::from_ref(&hosts), series);
    assert_eq!(n_of(&f, "infected_hosts"), Some(232_000));
    assert_eq!(n_of(&f, "trojan_botnet_hosts"), Some(162_000));
    assert_eq!(n_of(&f, "conficker_hosts"), Some(70_000));
    let f = figures_from_pictures(&[last_digit], series);
    for k in ["infected_hosts", "trojan_botnet_hosts", "conficker_hosts"] {
        assert!(!f.metrics.contains_key(k), "{k} taken from a sum that does not add up");
    }
    // The same paragraph in the article's picture and the PDF's: read twice, taken.
    let pdf_sites = picture(
        "https://www.cert.org.cn/publish/main/upload/File/x.pdf#picture=3",
        &sites.text,
    );
    let f = figures_from_pictures(&[sites.clone(), pdf_sites], series);
    assert_eq!(n_of(&f, "defaced_sites"), Some(2219));
    assert_eq!(n_of(&f, "phishing_pages"), Some(60));
}

fn n_of(f: &cncert_feed::extract::pictures::PictureFigures, k: &str) -> Option<i64> {
    f.metrics.get(k).and_then(MetricValue::as_count)
}

#[test]
fn text_beats_a_picture_and_a_picture_breaking_a_rule_is_left_out() {
    use cncert_feed::assemble::{Observation, ReadVia, SourceKind, assemble};
    let config = common::repo_config();
    let series = &config.series[0];
    let now = chrono::DateTime::parse_from_rfc3339("2025-03-14T10:00:00+08:00").expect("valid");
    let mut text = cncert_feed::Report::of_kind(
        cncert_feed::PageKind::Report,
        Some("https://mp.weixin.qq.com/s?x".into()),
    );
    text.series = Some(series.id.clone());
    text.year = Some(2025);
    text.issue = Some(10);
    text.metrics.insert("incidents_handled".into(), MetricValue::Count(342));
    text.metrics.insert("defaced_sites".into(), MetricValue::Count(2219));
    let mut pictures = text.clone();
    pictures.metrics.clear();
    pictures
        .metrics
        .insert("defaced_sites".into(), MetricValue::Count(2218));
    pictures
        .metrics
        .insert("defaced_gov_sites".into(), MetricValue::Count(22190));
    pictures.metrics.insert("phishing_pages".into(), MetricValue::Count(60));
    let obs = |report: cncert_feed::Report| Observation::new(report, ReadVia::Page, now);
    let mut o = std::collections::BTreeMap::new();
    o.insert(SourceKind::Wechat, obs(text));
    o.insert(SourceKind::Ocr, obs(pictures));
    let a = assemble(&o);
    assert_eq!(
        a.report.metrics["defaced_sites"],
        MetricValue::Count(2219),
        "the text wins"
    );
    assert_eq!(a.figure_sources["defaced_sites"], SourceKind::Wechat);
    assert_eq!(a.conflicts["defaced_sites"][&SourceKind::Ocr], MetricValue::Count(2218));
    assert!(
        !a.report.metrics.contains_key("defaced_gov_sites"),
        "a GOV count over its total"
    );
    assert_eq!(a.figure_sources["phishing_pages"], SourceKind::Ocr);
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

#[test]
fn the_page_marks_picture_figures_with_their_picture() {
    use cncert_feed::archive::{Archive, observe};
    use cncert_feed::assemble::{Observation, ReadVia, SourceKind};
    let config = common::repo_config();
    let now = chrono::DateTime::parse_from_rfc3339("2025-03-14T10:00:00+08:00").expect("valid");
    let mut text = cncert_feed::Report::of_kind(
        cncert_feed::PageKind::Report,
        Some("https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=a".into()),
    );
    text.series = Some("cncert-weekly".into());
    text.title = Some("网络安全信息与动态周报2025年第10期".into());
    text.year = Some(2025);
    text.issue = Some(10);
    text.metrics.insert("incidents_handled".into(), MetricValue::Count(342));
    let obs = |report: cncert_feed::Report, pictures: Vec<PictureText>| Observation {
        pictures,
        ..Observation::new(report, ReadVia::Page, now)
    };
    let mut from_pictures = text.clone();
    from_pictures.metrics.clear();
    from_pictures
        .metrics
        .insert("infected_hosts".into(), MetricValue::Count(232_000));
    let pictures = vec![
        picture("https://mmbiz.qpic.cn/chart/640", ""),
        picture(
            "https://mmbiz.qpic.cn/hosts/640",
            "本周境内感染网络病毒的主机数量约为23.2万个",
        ),
    ];
    let entry = observe(None, SourceKind::Wechat, obs(text, Vec::new()), now, None).expect("entry");
    let entry = observe(Some(&entry), SourceKind::Ocr, obs(from_pictures, pictures), now, None).expect("entry");
    let data = common::temp_dir("ocr-render");
    Archive::new(&data).save_entry(&entry).expect("save");
    let out = common::temp_dir("ocr-render-out");
    cncert_feed::publish::render(&config, &Archive::new(&data), &out).expect("render");
    let html = std::fs::read_to_string(out.join("cncert-weekly/index.html")).expect("page");
    let row = html
        .lines()
        .find(|l| l.contains("境内感染网络病毒的主机"))
        .expect("the figure's row");
    assert!(
        row.contains("识别自图片") && row.contains("href=\"https://mmbiz.qpic.cn/hosts/640\""),
        "{row}"
    );
    let text_row = html
        .lines()
        .find(|l| l.contains("<td>处理网络安全事件</td>"))
        .expect("row");
    assert!(!text_row.contains("识别自图片"), "{text_row}");
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
