//! Every file of the website fixture (detail pages in UTF-8, GBK and GB2312; PDFs with embedded
//! and non-embedded CJK fonts, encrypted, scanned, truncated) extracts to the record in
//! `cert-site/expected.json` `files`, field by field, through the CLI as a user runs it.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn cert_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cert-site")
}

fn cert_expected() -> serde_json::Value {
    let text = std::fs::read_to_string(cert_dir().join("expected.json")).expect("expected.json readable");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Runs `extract` on one file; (exit ok, stdout lines, stderr).
fn extract(file: &PathBuf) -> (bool, Vec<serde_json::Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("extract")
        .arg(file)
        .output()
        .expect("binary runs");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    (
        out.status.success(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_website_file_matches_expected_field_by_field() {
    let expected = cert_expected();
    let files = expected["files"].as_object().expect("files object");
    assert!(files.len() >= 50, "the fixture set shrank: {}", files.len());
    let mut mismatches = Vec::new();
    for (file, want) in files {
        let path = cert_dir().join(file);
        let (ok, lines, stderr) = extract(&path);
        if want["unreadable"] == true {
            if ok || !lines.is_empty() {
                mismatches.push(format!(
                    "{file}: expected a clear error and a non-zero exit, got {lines:?}"
                ));
            }
            if !stderr.contains(file.rsplit('/').next().unwrap_or(file)) || !stderr.contains("PDF") {
                mismatches.push(format!(
                    "{file}: the error should name the file and say it is a PDF problem: {stderr}"
                ));
            }
            continue;
        }
        let Some(got) = lines.first() else {
            mismatches.push(format!("{file}: no record ({stderr})"));
            continue;
        };
        for (field, value) in want.as_object().expect("record") {
            match field.as_str() {
                // Detail pages give a date; the record carries it as a Beijing-time timestamp.
                "published" => {
                    let got_date = got["published"].as_str().map(|s| &s[..10]);
                    if got_date != value.as_str() {
                        mismatches.push(format!("{file}: published: expected {value}, got {}", got["published"]));
                    }
                }
                "title_contains" => {
                    let want = value.as_str().expect("string");
                    if !got["title"].as_str().is_some_and(|t| t.contains(want)) {
                        mismatches.push(format!("{file}: title should contain {want}: {}", got["title"]));
                    }
                }
                "metrics" => mismatches.extend(common::figure_problems(file, value, got)),
                _ => {
                    if got.get(field) != Some(value) {
                        mismatches.push(format!("{file}: {field}: expected {value}, got {:?}", got.get(field)));
                    }
                }
            }
        }
        // Nothing more than expected: a figure the ground truth does not list would be wrong.
        if let (Some(g), Some(w)) = (got["metrics"].as_object(), want["metrics"].as_object()) {
            for k in g.keys() {
                if !w.contains_key(k) {
                    mismatches.push(format!("{file}: unexpected figure {k} = {}", g[k]));
                }
            }
        }
        if want.get("metrics").is_none()
            && got["metrics"].as_object().is_some_and(|m| !m.is_empty())
            && want["kind"] == "report"
        {
            mismatches.push(format!(
                "{file}: figures where the page states none: {}",
                got["metrics"]
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn a_pdf_is_recognised_by_its_bytes_whatever_its_name() {
    let dir = common::temp_dir("pdf-name");
    let copy = dir.join("report.html");
    std::fs::copy(cert_dir().join("files/pdf/2024-43.pdf"), &copy).expect("copy");
    let (ok, lines, _) = extract(&copy);
    assert!(ok);
    assert_eq!(lines[0]["kind"], "report");
    assert_eq!(lines[0]["issue"], 43);
    assert_eq!(lines[0]["title"], "网络安全信息与动态周报2024年第43期");
}

#[test]
fn a_corrupt_pdf_fails_after_the_other_inputs_were_printed() {
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("extract")
        .arg(cert_dir().join("files/pdf/2024-44.pdf"))
        .arg(cert_dir().join("files/pdf/2024-43.pdf"))
        .output()
        .expect("binary runs");
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2024-44.pdf"));
}
