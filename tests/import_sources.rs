//! `import` takes whatever `extract` reads (issue 22.7): a WeChat article page, a detail page of
//! the website (UTF-8, GBK, GB2312) and a report PDF, each as the observation of its source; an
//! import never takes anything out of the archive; every refusal names the file once, with why.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cncert_feed::crawl::CrawlOptions;
use common::server::FixtureServer;
use serde_json::Value;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn text(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn cert(file: &str) -> PathBuf {
    common::cert_dir().join("files").join(file)
}

fn entry(data: &Path, year: i32, issue: u32) -> Value {
    let path = data.join(format!("cncert-weekly/{year}/{issue}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("archive entry is JSON")
}

/// The figures `cert-site/expected.json` gives for an issue (`2014-06` …).
fn expected_metrics(key: &str) -> Value {
    common::cert_expected()["issues"][key]["expected"]["metrics"].clone()
}

#[test]
fn a_gbk_page_a_gb2312_page_and_a_pdf_make_an_archive_that_renders() {
    let dir = common::temp_dir("import-sources");
    let data = dir.join("data");
    let gbk = cert("detail/2014-06.html");
    let gb2312 = cert("detail/2017-22.html");
    let pdf = cert("pdf/2024-43.pdf");
    let out = cli(&["import", "--data", text(&data), text(&gbk), text(&gb2312), text(&pdf)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains(&format!(
            "{}: new issue 2014年第6期, from the website's detail page",
            text(&gbk)
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!("{}: new issue 2017年第22期", text(&gb2312))),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "{}: new issue 2024年第43期, from the website's PDF",
            text(&pdf)
        )),
        "{said}"
    );
    assert!(
        stderr(&out).contains("import: 3 new, 0 updated, 0 unchanged, 0 refused"),
        "{}",
        stderr(&out)
    );

    // The GBK page: an issue of the website, its figures from the page's text.
    let e = entry(&data, 2014, 6);
    assert_eq!(e["metrics"], expected_metrics("2014-06"), "{e}");
    assert_eq!(e["sources"][0]["source"], "website");
    assert_eq!(e["observations"]["website"]["via"], "import");
    assert_eq!(e["figure_sources"]["incidents_handled"], "website");
    assert_eq!(e["title"], "网络安全信息与动态周报(2014.02.03至2014.02.09)");
    assert_eq!(e["published"], "2014-02-17T00:00:00+08:00");
    assert!(e["observations"]["website"]["content_html"].is_string());
    assert_eq!(entry(&data, 2017, 22)["metrics"], expected_metrics("2017-22"));

    // The PDF: no URL of its own, its text kept for --reextract, its figures the record's.
    let e = entry(&data, 2024, 43);
    assert_eq!(e["metrics"], expected_metrics("2024-43"), "{e}");
    assert!(e.get("url").is_none(), "{e}");
    let website = &e["observations"]["website"];
    assert_eq!(website["pdf_size"], 152_752);
    assert!(website["pdf_text"].as_str().is_some_and(|t| t.contains("2024年第43期")));
    assert_eq!(e["period_start"], "2024-10-21");

    let public = dir.join("public");
    let out = cli(&["render", "--data", text(&data), "--out", text(&public)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rss = std::fs::read_to_string(public.join("cncert-weekly/rss.xml")).expect("rss written");
    assert_eq!(rss.matches("<item>").count(), 3, "{rss}");
    assert!(
        rss.contains("网络安全信息与动态周报2024年第43期") && rss.contains("295起"),
        "{rss}"
    );
    let csv = std::fs::read_to_string(public.join("cncert-weekly/metrics.csv")).expect("metrics.csv written");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("cncert-weekly,2014,6,") && l.contains("388")),
        "{csv}"
    );

    // The same files again: nothing changes, and each says so.
    let before = std::fs::read(data.join("cncert-weekly/2024/43.json")).expect("entry");
    let out = cli(&["import", "--data", text(&data), text(&pdf), text(&gbk)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("{}: unchanged: 2024年第43期", text(&pdf))),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read(data.join("cncert-weekly/2024/43.json")).expect("entry"),
        before
    );
}

#[test]
fn a_pdf_takes_the_url_it_is_given_and_joins_the_page_and_the_article() {
    let dir = common::temp_dir("import-pdf-url");
    let data = dir.join("data");
    let pdf = cert("pdf/2024-43.pdf");
    let pdf_url = "https://www.cert.org.cn/publish/main/upload/File/2024-43.pdf";
    let out = cli(&["import", "--data", text(&data), "--url", pdf_url, text(&pdf)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let e = entry(&data, 2024, 43);
    assert_eq!(e["pdf"], pdf_url, "{e}");
    assert_eq!(e["sources"][0]["pdf"], pdf_url);

    // The detail page (UTF-8, figures only in its PDF) adds its date; the WeChat article becomes
    // the record's face; the website's figures take precedence, WeChat's agree.
    let page = cert("detail/2024-43.html");
    let article = common::site_dir().join("pages/2024-43.html");
    let out = cli(&["import", "--data", text(&data), text(&page), text(&article)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("updated 2024年第43期 with the WeChat article"),
        "{}",
        stdout(&out)
    );
    let e = entry(&data, 2024, 43);
    assert_eq!(e["metrics"], expected_metrics("2024-43"));
    assert_eq!(e["figure_sources"]["incidents_handled"], "website");
    assert!(
        e["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://mp.weixin.qq.com/s?")),
        "{e}"
    );
    assert_eq!(
        e["observations"]["website"]["report"]["published"],
        "2024-10-31T00:00:00+08:00"
    );
    assert_eq!(e["pdf"], pdf_url, "the PDF's address given first stays");
    assert!(e.get("conflicts").is_none(), "{e}");

    // --url is checked before anything is done.
    let other = cert("pdf/2024-42.pdf");
    for (args, says) in [
        (
            vec!["--url", pdf_url, text(&pdf), text(&other)],
            "give one FILE with it",
        ),
        (
            vec!["--url", "ftp://x/y.pdf", text(&other)],
            "must be an http or https URL",
        ),
    ] {
        let mut all = vec!["import", "--data", text(&data)];
        all.extend(args);
        let out = cli(&all);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    assert!(!data.join("cncert-weekly/2024/42.json").exists());
}

/// A minimal PDF whose one page says `line` in Helvetica.
fn pdf_saying(line: &str) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 72 712 Td ({line}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", n + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn refusals_name_the_file_once_and_say_why() {
    let dir = common::temp_dir("import-refusals");
    let data = dir.join("data");
    let readme = dir.join("notes.md");
    std::fs::write(
        &readme,
        "# Notes\n\nWeChat answers 环境异常 (当前环境异常，完成验证后即可继续访问) or 该内容已被发布者删除; \
         pages are `<div>` soup.\n\n```sh\ncncert-feed import page.html\n```\n",
    )
    .expect("write");
    let untitled = dir.join("untitled.pdf");
    std::fs::write(&untitled, pdf_saying("Quarterly notes, nothing else")).expect("write");
    let missing = dir.join("missing.html");
    let cases: Vec<(PathBuf, &str)> = vec![
        (readme, "not a web page or PDF (Markdown text)"),
        (
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")),
            "not a web page or PDF (text without HTML)",
        ),
        (cert("pdf/2024-37.pdf"), "a PDF without a text layer (a scan)"),
        (cert("pdf/2024-44.pdf"), "cannot read the PDF"),
        (untitled, "its year and issue cannot be told"),
        (
            cert("listing/index_1.html"),
            "a listing page of the website, not one issue",
        ),
        (
            common::site_dir().join("pages/captcha.html"),
            "WeChat's 环境异常 check was saved",
        ),
        (
            common::site_dir().join("pages/other-article.html"),
            "not an issue of a configured series (other_article)",
        ),
        (missing, "cannot read the file"),
    ];
    let mut args = vec!["import", "--data", text(&data)];
    args.extend(cases.iter().map(|(p, _)| text(p)));
    let out = cli(&args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (path, why) in &cases {
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("error: {}: ", text(path))))
            .unwrap_or_else(|| panic!("no error line for {}: {err}", path.display()));
        assert!(line.contains(why), "{line}");
        assert_eq!(
            err.matches(text(path)).count(),
            1,
            "{} named more than once: {err}",
            path.display()
        );
    }
    assert!(
        err.contains(&format!("0 new, 0 updated, 0 unchanged, {} refused", cases.len())),
        "{err}"
    );
    assert!(!data.join("cncert-weekly").exists() || common::archived_urls(&data).is_empty());
}

#[test]
fn extract_names_each_input_once_and_refuses_a_readme() {
    let dir = common::temp_dir("extract-once");
    let toml = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let missing = dir.join("missing.html");
    let corrupt = cert("pdf/2024-44.pdf");
    let inputs = [
        toml,
        readme,
        text(&missing),
        text(&corrupt),
        "https://example.com/x.html",
    ];
    let mut args = vec!["extract"];
    args.extend(inputs);
    let out = cli(&args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    for input in inputs {
        assert_eq!(err.matches(input).count(), 1, "{input} named more than once: {err}");
    }
    assert!(
        err.contains(&format!("error: {readme}: not a web page or PDF (Markdown text)")),
        "{err}"
    );
    assert!(!err.contains("captcha"), "{err}");
}

#[test]
fn an_import_over_a_crawled_archive_loses_nothing() {
    let wechat = FixtureServer::start(&common::site_dir());
    let website = FixtureServer::start(&common::cert_dir());
    let start = common::strings(&common::expected()["start_urls"]);
    let config = common::two_source_config(&wechat.origin, &website.origin, &start);
    let data = common::temp_dir("import-over-crawl");
    let opts = CrawlOptions {
        backfill: true,
        no_ocr: true,
        ..CrawlOptions::default()
    };
    let summary = common::run_crawl(&config, &data, opts);
    assert!(summary.blocked.is_empty(), "{:?}", summary.blocked);
    let path = data.join("cncert-weekly/2024/43.json");
    let before = std::fs::read(&path).expect("2024年第43期 crawled");
    let crawled: Value = serde_json::from_slice(&before).expect("json");
    assert_eq!(crawled["observations"]["website"]["via"], "page");

    // Worse copies: the article saved without its figures, the article stating another figure,
    // the detail page alone (its figures are in the PDF), and the PDF itself.
    let dir = common::temp_dir("import-over-crawl-files");
    let page = std::fs::read_to_string(common::site_dir().join("pages/2024-43.html")).expect("page");
    let sentence = "共处理网络安全事件295起，含跨境网络安全事件140起";
    assert!(page.contains(sentence));
    let stripped = dir.join("stripped.html");
    std::fs::write(&stripped, page.replace(sentence, "共处理网络安全事件若干起")).expect("write");
    let other = dir.join("other-figure.html");
    std::fs::write(
        &other,
        page.replace(sentence, "共处理网络安全事件299起，含跨境网络安全事件140起"),
    )
    .expect("write");
    let files = [stripped, other, cert("detail/2024-43.html"), cert("pdf/2024-43.pdf")];
    let mut args = vec!["import", "--data", text(&data)];
    args.extend(files.iter().map(|p| text(p)));
    let out = cli(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    for f in &files {
        assert!(
            said.contains(&format!("{}: unchanged: 2024年第43期", text(f))),
            "{said}"
        );
    }
    assert!(
        said.contains("incidents_handled: the archive's 295 is kept (this copy says 299)"),
        "{said}"
    );
    assert_eq!(
        std::fs::read(&path).expect("entry"),
        before,
        "the archive's copy stands as crawled"
    );
}

#[test]
fn the_real_notices_are_still_notices() {
    let kinds = common::site_dir().join("../wechat-kinds");
    let cases = [
        (common::site_dir().join("pages/captcha.html"), "captcha"),
        (kinds.join("captcha.html"), "captcha"),
        (common::site_dir().join("pages/2024-39-deleted.html"), "deleted"),
        (kinds.join("deleted.html"), "deleted"),
        (common::site_dir().join("pages/param-error.html"), "param_error"),
        (kinds.join("violation.html"), "unavailable"),
    ];
    let mut args = vec!["extract"];
    args.extend(cases.iter().map(|(p, _)| text(p)));
    let out = cli(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let kinds: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("a record")["kind"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let want: Vec<&str> = cases.iter().map(|(_, k)| *k).collect();
    assert_eq!(kinds, want);
}

#[test]
fn a_page_imported_without_its_pdf_gets_the_pdf_from_the_next_crawl() {
    let dir = common::temp_dir("import-page-then-crawl");
    let data = dir.join("data");
    let page = cert("detail/2024-43.html");
    let page_url = "https://www.cert.org.cn/publish/main/44/2024/20241031120119000104755/20241031120119000104755_.html";
    let out = cli(&["import", "--data", text(&data), "--url", page_url, text(&page)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let e = entry(&data, 2024, 43);
    assert!(e["observations"]["website"].get("pdf_text").is_none(), "{e}");
    assert!(e["metrics"].as_object().is_none_or(|m| m.is_empty()), "{e}");

    // The walk meets the issue: imported without its PDF, it is read again, PDF and all.
    let website = FixtureServer::start(&common::cert_dir());
    let mut config = common::two_source_config("http://127.0.0.1:9", &website.origin, &[]);
    config.series[0].start.clear();
    config.series[0].feeds.clear();
    let opts = CrawlOptions {
        backfill: true,
        no_ocr: true,
        sources: Some(vec![cncert_feed::assemble::SourceKind::Website]),
        ..CrawlOptions::default()
    };
    common::run_crawl(&config, &data, opts);
    let e = entry(&data, 2024, 43);
    assert!(e["observations"]["website"]["pdf_text"].is_string(), "{e}");
    assert_eq!(e["metrics"], expected_metrics("2024-43"));
}

#[test]
fn a_saved_copy_of_a_deleted_article_does_not_undelete_it() {
    let dir = common::temp_dir("import-deleted");
    let data = dir.join("data");
    // The website's PDF first; the article was deleted on WeChat meanwhile.
    let pdf = cert("pdf/2024-43.pdf");
    let out = cli(&["import", "--data", text(&data), text(&pdf)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = data.join("cncert-weekly/2024/43.json");
    let mut e = entry(&data, 2024, 43);
    e["deleted_at"] = serde_json::json!("2024-12-10T08:00:00+08:00");
    std::fs::write(&path, serde_json::to_vec_pretty(&e).expect("json")).expect("write");
    // A copy saved before the deletion adds the article, and the deletion stands.
    let article = common::site_dir().join("pages/2024-43.html");
    let out = cli(&["import", "--data", text(&data), text(&article)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let e = entry(&data, 2024, 43);
    assert!(e["observations"]["wechat"].is_object(), "{e}");
    assert_eq!(e["deleted_at"], "2024-12-10T08:00:00+08:00", "{e}");
}
