//! WebSub: telling a hub that a published feed changed (`hub.mode=publish&hub.url=FEED`,
//! form-encoded), so subscribed readers fetch it within seconds instead of at their next poll.
//!
//! A feed is announced only when its file differs from the one last announced to the same hub
//! (its SHA-256 is kept in the series' state.json): rendering is deterministic, so an unchanged
//! archive gives identical files and no ping. A failed ping is not recorded and is retried next run.
//!
//! The URL told is the one the feed names as its own (its `rel="self"` link, JSON Feed's
//! `feed_url`), so `ping` needs no site URL of its own and cannot name another than `render` did;
//! `--site-url` overrides it. The shipped config's example site is refused: a hub told about it
//! fetches nobody's feed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::archive::{Archive, Pinged};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::fetch::redact;

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

/// The host of the shipped config.yaml's example `site.base_url`
/// (`https://example.github.io/cncert-feed/`): feeds named there are nobody's.
pub const EXAMPLE_SITE_HOST: &str = "example.github.io";

/// Whether `u` is on the example site of the shipped config ([`EXAMPLE_SITE_HOST`]).
pub fn is_example_site(u: &str) -> bool {
    Url::parse(u).is_ok_and(|u| u.host_str() == Some(EXAMPLE_SITE_HOST))
}

/// The absolute http(s) URL a rendered feed names as its own: the `rel="self"` link of RSS
/// (`atom:link`) and Atom, JSON Feed's `feed_url`. `None` when it names none (or a relative one,
/// rendered without a site URL) or cannot be read.
pub fn self_link(file: &str, bytes: &[u8]) -> Option<String> {
    let link = match file {
        "rss.xml" => rss::Channel::read_from(bytes)
            .ok()?
            .atom_ext()?
            .links()
            .iter()
            .find(|l| l.rel() == "self")
            .map(|l| l.href().to_string()),
        "atom.xml" => atom_syndication::Feed::read_from(bytes)
            .ok()?
            .links()
            .iter()
            .find(|l| l.rel() == "self")
            .map(|l| l.href().to_string()),
        _ => serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()?
            .get("feed_url")?
            .as_str()
            .map(str::to_string),
    }?;
    let u = Url::parse(link.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// A hub (or any URL that is no secret itself) as printed: only what is secret in it masked
/// (a password, `?token=` …), unlike a webhook URL, which is a secret as a whole.
pub fn shown(u: &str) -> String {
    redact(u, u)
}

/// One feed file and the URL it is announced under.
struct Feed {
    series: usize,
    file: &'static str,
    path: PathBuf,
    /// The file, or why it cannot be read.
    bytes: std::result::Result<Vec<u8>, String>,
    /// What the feed names as its own URL.
    named: Option<String>,
    /// The URL told to the hub.
    url: String,
}

/// Where the feeds' URLs came from, for what to say when they are the example site's.
#[derive(Clone, Copy)]
enum Origin {
    Flag,
    Rendered,
    Config,
}

/// The feeds of every series in `out` and the URL each is announced under: `--site-url` when
/// given; else the URL the feed names as its own; else (a feed missing or naming none) the site
/// another feed was rendered for, or `site.base_url`. A usage error when there is none or it is
/// the example site.
fn feeds(config: &Config, out: &Path, site_url: Option<&Url>) -> Result<Vec<Feed>> {
    let mut feeds = Vec::new();
    for (series, s) in config.series.iter().enumerate() {
        for file in FEED_FILES {
            let path = out.join(&s.id).join(file);
            let bytes = std::fs::read(&path).map_err(|e| {
                format!(
                    "cannot read {} ({e}); run `cncert-feed render` (or build) first, with the same --out",
                    path.display()
                )
            });
            let named = bytes.as_deref().ok().and_then(|b| self_link(file, b));
            feeds.push(Feed {
                series,
                file,
                path,
                bytes,
                named,
                url: String::new(),
            });
        }
    }
    // The site the feeds were rendered for: a named URL less its `<series>/<file>`.
    let rendered = feeds.iter().find_map(|f| {
        let named = f.named.as_deref()?;
        let base = named.strip_suffix(&format!("{}/{}", config.series[f.series].id, f.file))?;
        Url::parse(base).ok()
    });
    for f in &mut feeds {
        let rel = format!("{}/{}", config.series[f.series].id, f.file);
        let joined = |base: &Url| base.join(&rel).map(|u| u.to_string()).ok();
        // (the URL told, where it came from, the site it is on)
        let (url, from, site) = match (site_url, &f.named, &rendered, &config.site.base_url) {
            (Some(site), _, _, _) => (joined(site), Origin::Flag, site.to_string()),
            (None, Some(named), base, _) => (
                Some(named.clone()),
                Origin::Rendered,
                base.as_ref().map_or_else(|| named.clone(), Url::to_string),
            ),
            (None, None, Some(base), _) => (joined(base), Origin::Rendered, base.to_string()),
            (None, None, None, Some(base)) => (joined(base), Origin::Config, base.to_string()),
            (None, None, None, None) => (None, Origin::Config, String::new()),
        };
        let Some(url) = url else {
            return Err(Error::usage(
                "--site-url",
                format!(
                    "the feeds in {} name no URL of their own (rendered without a site URL) and none is configured: set site.base_url in config.yaml or pass --site-url (to render too)",
                    out.display()
                ),
            ));
        };
        if is_example_site(&url) {
            return Err(example_site(&site, from, out));
        }
        f.url = url;
    }
    Ok(feeds)
}

/// The usage error for feeds on the example site (`site`), said where the URL came from.
fn example_site(site: &str, origin: Origin, out: &Path) -> Error {
    let serve = "where the feeds are served (your GitHub Pages URL, e.g. https://you.github.io/cncert-feed/)";
    match origin {
        Origin::Flag => Error::usage(
            format!("--site-url {site}"),
            format!("is the example site of the shipped config.yaml ({EXAMPLE_SITE_HOST}); give the URL {serve}"),
        ),
        Origin::Rendered => Error::usage(
            "site.base_url",
            format!(
                "the feeds in {} were rendered for {site}, the example site of the shipped config.yaml: nothing to ping; set site.base_url in config.yaml to {serve} or pass it as --site-url, and render again before ping",
                out.display()
            ),
        ),
        Origin::Config => Error::usage(
            "site.base_url",
            format!(
                "{site} is the example site of the shipped config.yaml: nothing to ping; set site.base_url in config.yaml to {serve} or pass --site-url"
            ),
        ),
    }
}

/// Tells `hub` about every feed in `out` that changed since it was last told, under the URL the
/// feed names as its own ([`self_link`]), or under `site_url` (`--site-url`) when given; a feed
/// missing or naming none goes under the site the others were rendered for, else
/// `site.base_url`. An `out` that holds no feed at all, feeds of no known URL and the example
/// site are usage errors, found before any ping; a feed missing among rendered ones is a failure
/// of that feed (in [`PingSummary::failed`]), after which the others are pinged and recorded.
pub async fn ping(
    config: &Config,
    archive: &Archive,
    out: &Path,
    hub: &Url,
    site_url: Option<&Url>,
) -> Result<PingSummary> {
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
    let rendered = config
        .series
        .iter()
        .any(|s| FEED_FILES.iter().any(|f| out.join(&s.id).join(f).is_file()));
    if !rendered && let Some(first) = config.series.first() {
        return Err(Error::usage(
            "--out",
            format!(
                "holds no feed ({} is missing); run `cncert-feed render` (or build) first, with the same --out",
                out.join(&first.id).join(FEED_FILES[0]).display()
            ),
        ));
    }
    let feeds = feeds(config, out, site_url)?;
    let mut summary = PingSummary::default();
    let hub_str = hub.as_str().to_string();
    let hub_shown = shown(&hub_str);
    for (i, series) in config.series.iter().enumerate() {
        let mut state = archive.load_state(&series.id)?;
        archive.probe_state(&series.id)?;
        for f in feeds.iter().filter(|f| f.series == i) {
            let feed_url = f.url.clone();
            // One feed missing among rendered ones fails the run (exit 1), not the others.
            let bytes = match &f.bytes {
                Ok(b) => b,
                Err(why) => {
                    summary.failed.push((feed_url, why.clone()));
                    continue;
                }
            };
            if let Some(named) = f.named.as_deref().filter(|n| *n != feed_url) {
                summary.warnings.push(format!(
                    "{} names itself {named}, not {feed_url}: readers subscribed there are not told; render with the same --site-url",
                    f.path.display()
                ));
            }
            let sha = sha256_hex(bytes);
            if state
                .pinged
                .get(&feed_url)
                .is_some_and(|p| p.hub == hub_str && p.sha256 == sha)
            {
                summary.unchanged.push(feed_url);
                continue;
            }
            if !String::from_utf8_lossy(bytes).contains(&hub_str) {
                summary.warnings.push(format!(
                    "{} does not name the hub {hub_shown}: readers will not subscribe to it there; render with the same site.websub_hub or --websub-hub",
                    f.path.display()
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
                        format!(
                            "the hub {hub_shown} answered HTTP {status}: {}",
                            redact(&super::shorten(body.trim(), 200), &hub_str)
                        ),
                    ));
                }
                Err(e) => summary.failed.push((
                    feed_url,
                    format!(
                        "cannot reach the hub {hub_shown}: {}",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_names_its_own_url_only_when_absolute() {
        let json =
            br#"{"version": "https://jsonfeed.org/version/1.1", "feed_url": "https://me.github.io/f/s/feed.json"}"#;
        assert_eq!(
            self_link("feed.json", json).as_deref(),
            Some("https://me.github.io/f/s/feed.json")
        );
        assert_eq!(self_link("feed.json", br#"{"feed_url": "s/feed.json"}"#), None);
        assert_eq!(self_link("feed.json", b"not json"), None);
        let atom = br#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id><updated>2024-01-01T00:00:00Z</updated><link href="https://me.github.io/f/s/atom.xml" rel="self"/><link href="https://me.github.io/f/s/" rel="alternate"/></feed>"#;
        assert_eq!(
            self_link("atom.xml", atom).as_deref(),
            Some("https://me.github.io/f/s/atom.xml")
        );
        let rss = br#"<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title><link>https://me.github.io/f/s/</link><description>d</description><atom:link href="https://hub.example.net/" rel="hub"/><atom:link href="https://me.github.io/f/s/rss.xml" rel="self" type="application/rss+xml"/></channel></rss>"#;
        assert_eq!(
            self_link("rss.xml", rss).as_deref(),
            Some("https://me.github.io/f/s/rss.xml")
        );
    }

    #[test]
    fn the_example_site_and_hubs_as_shown() {
        assert!(is_example_site("https://example.github.io/cncert-feed/s/rss.xml"));
        assert!(!is_example_site("https://me.github.io/cncert-feed/"));
        assert!(!is_example_site("https://example.github.io.evil.net/"));
        assert_eq!(
            shown("https://pubsubhubbub.appspot.com/"),
            "https://pubsubhubbub.appspot.com/"
        );
        assert_eq!(
            shown("https://u:pw-s3cret@hub.example.net/p?token=t0k&x=1"),
            "https://u:***@hub.example.net/p?token=***&x=1"
        );
    }
}
