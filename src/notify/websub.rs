//! WebSub: telling a hub that a published feed changed (`hub.mode=publish&hub.url=FEED`,
//! form-encoded), so subscribed readers fetch it within seconds instead of at their next poll.
//!
//! A feed is announced only when its file differs from the one last announced to the same hub
//! (its SHA-256 is kept in the series' state.json): rendering is deterministic, so an unchanged
//! archive gives identical files and no ping. A failed ping is not recorded and is retried next run.

use std::path::Path;
use std::time::Duration;

use crate::archive::{Archive, Pinged};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::publish::public_url;

/// The feed files of a series a hub is told about.
pub const FEED_FILES: [&str; 3] = ["rss.xml", "atom.xml", "feed.json"];

/// What a ping run did.
#[derive(Debug, Default, Clone)]
pub struct PingSummary {
    /// Feed URLs the hub took.
    pub pinged: Vec<String>,
    /// Feed URLs unchanged since the last ping.
    pub unchanged: Vec<String>,
    /// `(feed URL, why)` the hub did not take (retried next run).
    pub failed: Vec<(String, String)>,
    /// Things to fix that did not stop the run.
    pub warnings: Vec<String>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Tells `hub` about every feed in `out` that changed since it was last told. `config.site`
/// must have the site's URL (the feeds' public URLs are what the hub fetches). An `out` that
/// holds no feed at all is a usage error, found before any ping; a feed missing among rendered
/// ones is a failure of that feed (in [`PingSummary::failed`]), after which the others are
/// pinged and recorded.
pub async fn ping(config: &Config, archive: &Archive, out: &Path, hub: &url::Url) -> Result<PingSummary> {
    if config.site.base_url.is_none() {
        return Err(Error::usage(
            "--site-url",
            "ping needs the site's URL to name the feeds: set site.base_url in config.yaml or pass --site-url",
        ));
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!(
            "cncert-feed/",
            env!("CARGO_PKG_VERSION"),
            " (WebSub publisher)"
        ))
        .build()
        .map_err(|e| Error::HttpClient { message: e.to_string() })?;
    let feed_path = |series: &str, file: &str| out.join(series).join(file);
    let rendered = config
        .series
        .iter()
        .any(|s| FEED_FILES.iter().any(|f| feed_path(&s.id, f).is_file()));
    if !rendered && let Some(first) = config.series.first() {
        return Err(Error::usage(
            "--out",
            format!(
                "holds no feed ({} is missing); run `cncert-feed render` (or build) first, with the same --out",
                feed_path(&first.id, FEED_FILES[0]).display()
            ),
        ));
    }
    let mut summary = PingSummary::default();
    let hub_str = hub.as_str().to_string();
    for series in &config.series {
        let mut state = archive.load_state(&series.id)?;
        archive.probe_state(&series.id)?;
        for file in FEED_FILES {
            let path = feed_path(&series.id, file);
            let feed_url = public_url(&config.site, &format!("{}/{file}", series.id));
            // One feed missing among rendered ones fails the run (exit 1), not the others.
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    summary.failed.push((
                        feed_url,
                        format!(
                            "cannot read {} ({e}); run `cncert-feed render` (or build) first, with the same --out",
                            path.display()
                        ),
                    ));
                    continue;
                }
            };
            let sha = sha256_hex(&bytes);
            if state
                .pinged
                .get(&feed_url)
                .is_some_and(|p| p.hub == hub_str && p.sha256 == sha)
            {
                summary.unchanged.push(feed_url);
                continue;
            }
            if !String::from_utf8_lossy(&bytes).contains(&hub_str) {
                summary.warnings.push(format!(
                    "{} does not name the hub {hub_str}: readers will not subscribe to it there; render with the same site.websub_hub or --websub-hub",
                    path.display()
                ));
            }
            let form: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("hub.mode", "publish")
                .append_pair("hub.url", &feed_url)
                .finish();
            let result = client
                .post(hub.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await;
            match result {
                Ok(resp) if resp.status().is_success() => {
                    state.pinged.insert(
                        feed_url.clone(),
                        Pinged {
                            hub: hub_str.clone(),
                            sha256: sha,
                            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        },
                    );
                    archive.save_state(&series.id, &state)?;
                    summary.pinged.push(feed_url);
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body = super::read_limited(resp, super::MAX_ANSWER_BYTES).await;
                    summary.failed.push((
                        feed_url,
                        format!("the hub answered HTTP {status}: {}", super::shorten(body.trim(), 200)),
                    ));
                }
                Err(e) => summary.failed.push((
                    feed_url,
                    format!(
                        "cannot reach the hub {}: {}",
                        super::mask_url(&hub_str),
                        if e.is_timeout() {
                            "timed out"
                        } else {
                            "connection failed"
                        }
                    ),
                )),
            }
        }
    }
    Ok(summary)
}
