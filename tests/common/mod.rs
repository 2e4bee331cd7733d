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
