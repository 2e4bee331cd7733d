//! Helpers of the OCR tests: the engine (or a skip), and the rendered picture sets of
//! tests/fixtures (each set one issue's pictures, its figures in the folder's manifest.json).

use std::path::PathBuf;

use cncert_feed::read::ocr::Engine;

/// The engine, or None (after one line saying why) when Tesseract is not installed here.
pub fn engine_or_skip() -> Option<Engine> {
    match Engine::detect() {
        Ok(e) => Some(e),
        Err(why) if std::env::var_os("CNCERT_REQUIRE_OCR").is_none() => {
            eprintln!("skipped: {why}");
            None
        }
        Err(why) => panic!("CNCERT_REQUIRE_OCR is set but {why}"),
    }
}

/// One set of rendered pictures: an issue's.
pub struct PictureSet {
    /// Its name in the manifest.
    pub name: String,
    /// Its pictures, each under a URL of the picture host, with its bytes.
    pub pictures: Vec<(String, Vec<u8>)>,
    /// The figures its pictures state.
    pub figures: serde_json::Map<String, serde_json::Value>,
    /// Figures stated inconsistently on purpose: never to be taken.
    pub left_out: Vec<String>,
}

impl PictureSet {
    /// The figures expected to be read: all but those left out on purpose.
    pub fn expected(&self) -> usize {
        self.figures.len() - self.left_out.len()
    }

    /// What is wrong among `taken` (key and value as JSON): a figure not stated so, or one
    /// stated inconsistently on purpose.
    pub fn wrong(&self, taken: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in taken {
            if self.left_out.contains(k) {
                out.push(format!("{}: {k} = {v} should have been left out", self.name));
            } else if self.figures.get(k) != Some(v) {
                out.push(format!(
                    "{}: {k} = {v} is wrong (expected {:?})",
                    self.name,
                    self.figures.get(k)
                ));
            }
        }
        out
    }
}

/// The sets of tests/fixtures/`folder` (ocr-rendered, ocr-hard).
pub fn picture_sets(folder: &str) -> Vec<PictureSet> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest")).expect("json");
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .expect("a list")
            .iter()
            .map(|s| s.as_str().expect("a string").to_string())
            .collect()
    };
    manifest
        .as_array()
        .expect("sets")
        .iter()
        .map(|set| PictureSet {
            name: set["set"].as_str().expect("name").to_string(),
            pictures: strings(&set["files"])
                .into_iter()
                .map(|f| {
                    let bytes = std::fs::read(dir.join(&f)).expect("picture");
                    (format!("https://mmbiz.qpic.cn/{folder}/{f}"), bytes)
                })
                .collect(),
            figures: set["figures"].as_object().expect("figures").clone(),
            left_out: strings(&set["left_out"]),
        })
        .collect()
}
