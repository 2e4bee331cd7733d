//! Every page of the fixture site extracts to the record in expected.json, field by field.

mod common;

use std::process::Command;

use cncert_feed::extract_page;

#[test]
fn every_fixture_page_matches_expected_field_by_field() {
    let config = common::repo_config();
    let expected = common::expected();
    let pages = expected["pages"].as_object().expect("pages object");
    assert!(pages.len() >= 28, "the fixture set shrank: {}", pages.len());
    let mut mismatches = Vec::new();
    for (file, want) in pages {
        let bytes = std::fs::read(common::site_dir().join(file)).expect("page readable");
        let source = common::url_serving(file);
        let got = extract_page(&bytes, source.as_deref(), &config);
        let got = serde_json::to_value(&got.report).expect("serializable");
        for (field, value) in want.as_object().expect("record object") {
            if field == "metrics" {
                mismatches.extend(common::figure_problems(file, value, &got));
                continue;
            }
            if got.get(field) != Some(value) {
                mismatches.push(format!("{file}: {field}: expected {value}, got {:?}", got.get(field)));
            }
        }
        if want["kind"] == "report" {
            assert!(
                common::only_left_out_warnings(&got),
                "{file}: a clean page should give no warnings: {}",
                got["warnings"]
            );
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn cli_prints_one_line_per_input_in_order_and_fails_on_unreadable_input() {
    let dir = common::site_dir().join("pages");
    let files = [
        "2025-03.html",
        "captcha.html",
        "2017-22.html",
        "missing.html",
        "2024-43.html",
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("extract")
        .args(files.iter().map(|f| dir.join(f)))
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["issue"], 3);
    assert_eq!(lines[1]["kind"], "captcha");
    assert_eq!(lines[2]["issue"], 22);
    assert_eq!(lines[3]["issue"], 43);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("missing.html") && stderr.contains("cannot read"),
        "{stderr}"
    );
}

#[test]
fn check_reports_the_line_of_a_bad_config() {
    let dir = std::env::temp_dir().join(format!("cncert-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let original = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml")).expect("config");
    let broken = original.replacen("共处理(?:了)?网络安全事件{N}起", "共处理(?:了网络安全事件{N}起", 1);
    assert_ne!(broken, original);
    let path = dir.join("config.yaml");
    std::fs::write(&path, &broken).expect("write");
    let line = broken
        .lines()
        .position(|l| l.contains("共处理(?:了网络安全事件"))
        .expect("line present")
        + 1;
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .args(["--config"])
        .arg(&path)
        .arg("check")
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("config.yaml:{line}:")), "{stderr}");
    let ok = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("check")
        .output()
        .expect("binary runs");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    // The shipped patterns never read one number for two figures.
    assert!(
        !String::from_utf8_lossy(&ok.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // A pattern loose enough to read another figure's sentence is pointed out.
    let loose = original.replacen(
        "'境内被篡改(?:的)?网站(?:数量|总数)为?{N}'",
        "'被篡改.*?(?:数量|总数)为?{N}'",
        1,
    );
    assert_ne!(loose, original);
    std::fs::write(&path, &loose).expect("write");
    let warned = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .args(["--config"])
        .arg(&path)
        .arg("check")
        .output()
        .expect("binary runs");
    assert!(warned.status.success());
    let stderr = String::from_utf8_lossy(&warned.stderr);
    assert!(
        stderr.contains("warning:")
            && stderr.contains("defaced_gov_sites's pattern")
            && stderr.contains("defaced_sites's pattern '被篡改.*?"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The pages whose monitoring figures are pictures: read without OCR, the text's figures (the
/// assessment and the incident figures) are all there, right, and nothing is read from elsewhere.
#[test]
fn picture_pages_give_their_text_figures_and_nothing_wrong() {
    let config = common::repo_config();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/image-site");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected.json")).expect("json");
    let pages = expected["pages"].as_object().expect("pages");
    assert_eq!(pages.len(), 3);
    let mut problems = Vec::new();
    for (file, want) in pages {
        let bytes = std::fs::read(dir.join(file)).expect("page");
        let got = serde_json::to_value(extract_page(&bytes, None, &config).report).expect("json");
        for field in ["kind", "year", "issue", "title", "url", "assessment"] {
            if got[field] != want[field] {
                problems.push(format!("{file}: {field}: {} ≠ {}", got[field], want[field]));
            }
        }
        let got_m = got["metrics"].as_object().cloned().unwrap_or_default();
        for (k, v) in &got_m {
            if want["metrics"].get(k) != Some(v) {
                problems.push(format!("{file}: {k} = {v}, expected {:?}", want["metrics"].get(k)));
            }
        }
        for k in [
            "incidents_handled",
            "incidents_cross_border",
            "phishing_complaints",
            "malicious_app_platforms",
            "malicious_urls",
        ] {
            if !got_m.contains_key(k) {
                problems.push(format!("{file}: the text's {k} missing"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn extract_names_each_input_and_refuses_what_is_no_web_page() {
    let dir = common::temp_dir("not-a-page");
    let yaml = dir.join("notes.yaml");
    // A comment with the captcha's words must not make a YAML file a captcha page.
    std::fs::write(&yaml, "# 当前环境异常，完成验证后即可继续访问\nkey: value\n").expect("write");
    let binary = dir.join("image.bin");
    std::fs::write(&binary, [0x89u8, b'P', b'N', b'G', 0, 0, 0, 13, 0, 1, 2]).expect("write");
    let page = common::site_dir().join("pages/2024-43.html");
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("extract")
        .arg(&yaml)
        .arg(&page)
        .arg(&binary)
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert_eq!(lines[0]["issue"], 43);
    assert_eq!(lines[0]["input"], page.display().to_string());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("notes.yaml: not a web page or PDF (text without HTML)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("image.bin: not a web page or PDF (binary data)"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1));
}
