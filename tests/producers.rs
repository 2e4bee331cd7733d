//! The same report text (2024年第43期's monitoring paragraphs) as printed by every PDF producer
//! in tests/fixtures/producers/ (made by tests/tools/make_producer_pdfs.py): no figure may ever
//! come out wrong, and every figure the text states must come out.
//!
//! The `#[ignore]`d `figures_of_text_files` reads text files (poppler's `pdftotext` output) through
//! the same extraction, for benches/producers_matrix.py.

mod common;

use std::path::{Path, PathBuf};

use cncert_feed::extract::{paragraphs_of, report_from_text};
use cncert_feed::sources::website::read::read_pdf;

fn producers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/producers")
}

/// Expected figures: the assessment and every metric of issue 2024-43, as JSON values by key.
fn expected() -> Vec<(String, serde_json::Value)> {
    let all = common::cert_expected();
    let e = &all["issues"]["2024-43"]["expected"];
    let mut out = vec![("assessment".to_string(), e["assessment"].clone())];
    if let Some(m) = e["metrics"].as_object() {
        out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    out
}

/// A record's figures as JSON by key (the assessment beside the metrics).
fn figures(report: &cncert_feed::report::Report) -> serde_json::Value {
    let mut v = serde_json::to_value(&report.metrics).unwrap_or_default();
    if let (Some(m), Some(a)) = (v.as_object_mut(), &report.assessment) {
        m.insert("assessment".into(), serde_json::Value::String(a.clone()));
    }
    v
}

/// (right, wrong keys, missing keys) of `got` against the expected figures.
fn score(got: &serde_json::Value) -> (usize, Vec<String>, Vec<String>) {
    let (mut right, mut wrong, mut missing) = (0, Vec::new(), Vec::new());
    for (k, want) in expected() {
        match got.get(&k) {
            None => missing.push(k),
            Some(g) if *g == want => right += 1,
            Some(g) => wrong.push(format!("{k}={g} (want {want})")),
        }
    }
    (right, wrong, missing)
}

fn pdfs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(producers_dir())
        .expect("tests/fixtures/producers exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Files whose text layer itself lacks figures (poppler's `pdftotext` misses the same ones):
/// their figures are left out, never guessed.
const UNREADABLE: [(&str, &str); 2] = [
    (
        "gs-pdfwrite",
        "Ghostscript maps LibreOffice's fi ligature to two CJK ideographs in its ToUnicode map (con昀椀cker)",
    ),
    (
        "gs-pdfwrite-chromium",
        "Ghostscript rewrites Chromium's Type 3 fonts with ToUnicode maps that give wrong characters",
    ),
];

#[test]
fn every_producer_gives_every_figure_and_none_wrong() {
    let config = common::repo_config();
    let files = pdfs();
    assert!(files.len() >= 15, "the producer set is there: {}", files.len());
    let mut incomplete = Vec::new();
    for p in &files {
        let bytes = std::fs::read(p).expect("fixture readable");
        let got = match read_pdf(&bytes, &name(p), &config) {
            Ok(x) => figures(&x.report),
            Err(e) => panic!("{}: {e}", name(p)),
        };
        let (right, wrong, missing) = score(&got);
        println!(
            "{:<24} right {right:>2} wrong {} missing {}",
            name(p),
            wrong.len(),
            missing.len()
        );
        assert!(wrong.is_empty(), "{}: WRONG figures {wrong:?}", name(p));
        if !missing.is_empty() && !UNREADABLE.iter().any(|(n, _)| *n == name(p)) {
            incomplete.push(format!("{}: {missing:?}", name(p)));
        }
    }
    assert!(incomplete.is_empty(), "figures missing:\n{}", incomplete.join("\n"));
}

/// Prints one JSON line `{"file", "figures"}` for every `*.txt` in `$PRODUCERS_TEXT_DIR`, read
/// by the same extraction as a PDF's text (`paragraphs_of` then `report_from_text`).
#[test]
#[ignore = "a helper for benches/producers_matrix.py"]
fn figures_of_text_files() {
    let Ok(dir) = std::env::var("PRODUCERS_TEXT_DIR") else {
        return;
    };
    let config = common::repo_config();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("PRODUCERS_TEXT_DIR readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let got = report_from_text(None, &paragraphs_of(&text), &config)
            .map(|r| figures(&r))
            .unwrap_or_default();
        println!("MATRIX {}", serde_json::json!({"file": name(&p), "figures": got}));
    }
}

/// The same line for every producer PDF as our reader reads it.
#[test]
#[ignore = "a helper for benches/producers_matrix.py"]
fn figures_of_producer_pdfs() {
    let config = common::repo_config();
    for p in pdfs() {
        let bytes = std::fs::read(&p).expect("fixture readable");
        let got = read_pdf(&bytes, &name(&p), &config)
            .map(|x| figures(&x.report))
            .unwrap_or_default();
        println!("MATRIX {}", serde_json::json!({"file": name(&p), "figures": got}));
    }
}

/// Browser and Qt prints read as clean text: Chromium's Type 3 glyphs come out as the characters
/// their ToUnicode maps give, wkhtmltopdf's radical forms (⻢ ⻔ ⻚ ⻜) folded to 马 门 页 飞,
/// cairo's ﬁ ligature rejoined.
#[test]
fn browser_qt_and_cairo_prints_read_as_clean_text() {
    let config = common::repo_config();
    for file in ["chromium", "wkhtmltopdf", "pango-cairo", "weasyprint"] {
        let bytes = std::fs::read(producers_dir().join(format!("{file}.pdf"))).expect("fixture readable");
        let text = read_pdf(&bytes, file, &config)
            .map(|x| x.text.unwrap_or_default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for want in [
            "网络安全信息与动态周报2024年第43期",
            "木马",
            "后门",
            "仿冒页面",
            "飞客(conficker)",
        ] {
            assert!(flat.contains(want), "{file}: no {want} in {text}");
        }
        assert!(
            !text.chars().any(|c| ('\u{2E80}'..='\u{2FDF}').contains(&c)),
            "{file}: radical forms left in {text}"
        );
    }
}
