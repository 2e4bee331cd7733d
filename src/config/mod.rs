//! `config.yaml`: the schema (plain serde data, `schema.rs`), its defaults (`defaults.rs`), and
//! `build()` into the runtime form with compiled patterns (`build.rs`). Every error names the file and
//! line and says what to write. This module holds the runtime form ([`Config`], [`Site`], [`Fetch`],
//! [`Series`], [`Metric`]) and re-exports the rest, so every item is reached as `crate::config::X`.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use crate::error::{Error, Result};
use crate::pattern::Pattern;

mod build;
mod defaults;
mod lines;
mod schema;

pub use build::{compile_pattern, expand_env, parse_hub, placeholders};
pub use defaults::{
    DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT_SECS, DEFAULT_DELAY_MS, DEFAULT_FEED_LIMIT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ISSUES, DEFAULT_MAX_PDF_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_RETRY_WAIT_MS, DEFAULT_TIMEOUT_SECS,
    DEFAULT_USER_AGENT, NUMBER_PLACEHOLDER, NUMBER_REGEX, WECHAT_HOST,
};
pub use lines::Lines;
pub use schema::{
    ConfigFile, FetchConfig, HealthConfig, HostConfig, MetricConfig, MetricKind, SeriesConfig, SiteConfig,
    SourceConfig, TargetConfig, TargetKind,
};

/// The configuration ready to use: defaults applied, patterns compiled.
#[derive(Debug, Clone)]
pub struct Config {
    /// Publication settings.
    pub site: Site,
    /// Fetch settings.
    pub fetch: Fetch,
    /// The series.
    pub series: Vec<Series>,
    /// Chat targets.
    pub notify: Vec<TargetConfig>,
    /// Whether crawls read figures from pictures.
    pub ocr: bool,
    /// When the health report raises a warning.
    pub health: Health,
    /// A digest of the config's text (sha256, hex), named in the health report.
    pub digest: String,
}

/// When the health report raises a warning, with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// A source failing this many runs in a row is reported.
    pub failing_runs: u32,
    /// A new issue's figures are compared with this many issues before it.
    pub previous_issues: usize,
}

/// Publication settings with defaults applied.
#[derive(Debug, Clone)]
pub struct Site {
    /// Absolute base URL ending in `/`, if configured.
    pub base_url: Option<url::Url>,
    /// Front page title.
    pub title: String,
    /// Image proxy template containing `{url}`.
    pub image_proxy: Option<String>,
    /// Entries per feed.
    pub feed_limit: usize,
    /// The WebSub hub, if any.
    pub websub_hub: Option<url::Url>,
}

/// Fetch settings with defaults applied.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// Origin that replaces `https://mp.weixin.qq.com`.
    pub base_url: Option<url::Url>,
    /// User-Agent header.
    pub user_agent: String,
    /// Minimum delay between two requests to one host.
    pub delay_ms: u64,
    /// Requests in flight per host.
    pub concurrency: usize,
    /// Connect timeout.
    pub connect_timeout_secs: u64,
    /// Total timeout.
    pub timeout_secs: u64,
    /// Retries of transient failures.
    pub max_retries: u32,
    /// Largest accepted body.
    pub max_body_bytes: u64,
    /// Wait before the first retry.
    pub retry_wait_ms: u64,
    /// Largest accepted PDF.
    pub max_pdf_bytes: u64,
    /// Origins that replace hosts (`mp.weixin.qq.com` from `base_url` included).
    pub base_urls: BTreeMap<String, url::Url>,
    /// Politeness per host.
    pub hosts: BTreeMap<String, HostConfig>,
}

impl Fetch {
    /// The origin that replaces `host`, if any.
    pub fn base_for(&self, host: &str) -> Option<&url::Url> {
        if host == WECHAT_HOST
            && let Some(b) = &self.base_url
        {
            return Some(b);
        }
        self.base_urls.get(host)
    }

    /// Minimum delay between two requests to `host`.
    pub fn delay_for(&self, host: &str) -> u64 {
        self.hosts.get(host).and_then(|h| h.delay_ms).unwrap_or(self.delay_ms)
    }

    /// Requests in flight to `host`.
    pub fn concurrency_for(&self, host: &str) -> usize {
        self.hosts
            .get(host)
            .and_then(|h| h.concurrency)
            .unwrap_or(self.concurrency)
            .max(1)
    }

    /// Retries of a transient failure from `host`.
    pub fn retries_for(&self, host: &str) -> u32 {
        self.hosts
            .get(host)
            .and_then(|h| h.max_retries)
            .unwrap_or(self.max_retries)
    }
}

impl Default for Fetch {
    fn default() -> Self {
        Fetch {
            base_url: None,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            delay_ms: DEFAULT_DELAY_MS,
            concurrency: DEFAULT_CONCURRENCY,
            connect_timeout_secs: DEFAULT_CONNECT_TIMEOUT_SECS,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            max_retries: DEFAULT_MAX_RETRIES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            retry_wait_ms: DEFAULT_RETRY_WAIT_MS,
            max_pdf_bytes: DEFAULT_MAX_PDF_BYTES,
            base_urls: BTreeMap::new(),
            hosts: BTreeMap::new(),
        }
    }
}

/// A series with compiled patterns.
#[derive(Debug, Clone)]
pub struct Series {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub title: String,
    /// Title regex with groups `year` and `issue`.
    pub title_re: Regex,
    /// Account name (with `biz`, for display only).
    pub author: Option<String>,
    /// Account id (`__biz`): identifies the account when a page gives one.
    pub biz: Option<String>,
    /// Start URLs.
    pub start: Vec<String>,
    /// Discovery feeds.
    pub feeds: Vec<String>,
    /// Album JSON URLs.
    pub albums: Vec<String>,
    /// Website listings (first pages).
    pub listings: Vec<String>,
    /// Crawl limit.
    pub max_issues: usize,
    /// Oldest week to keep.
    pub since: Option<chrono::NaiveDate>,
    /// Assessment patterns (group `value`).
    pub assessment: Vec<Pattern>,
    /// Summary template (see [`SeriesConfig::summary`]).
    pub summary: Option<String>,
    /// The English edition's name of the series.
    pub title_en: String,
    /// The English edition's one-line summary template, if configured.
    pub summary_en: Option<String>,
    /// Metrics in config order.
    pub metrics: Vec<Metric>,
    /// One automaton over the anchors of every pattern (the assessment's, then each metric's in
    /// order), built once: where in a text each pattern can match.
    pub finder: crate::pattern::Finder,
}

/// A metric with compiled patterns.
#[derive(Debug, Clone)]
pub struct Metric {
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// English label.
    pub label_en: String,
    /// Unit.
    pub unit: String,
    /// Count or level.
    pub kind: MetricKind,
    /// Patterns, each with a group `value`.
    pub patterns: Vec<Pattern>,
}

impl Series {
    /// Patterns of different figures (the assessment included) that can read the same number
    /// of one sentence: what `check` warns about.
    pub fn pattern_overlaps(&self) -> Vec<String> {
        let mut figures: Vec<(&str, &[Pattern])> = vec![("assessment", self.assessment.as_slice())];
        figures.extend(self.metrics.iter().map(|m| (m.key.as_str(), m.patterns.as_slice())));
        crate::pattern::overlaps(&figures)
    }
}

/// The shipped `config.yaml`, compiled into the binary: the config used when there is no
/// `--config` and no `./config.yaml`, and what `init` writes.
pub const BUILT_IN: &str = include_str!("../../config.yaml");

/// How the built-in config is named in messages.
pub const BUILT_IN_NAME: &str = "built-in config.yaml";

impl Config {
    /// Builds the shipped `config.yaml` compiled into the binary ([`BUILT_IN`]).
    pub fn built_in() -> Result<Config> {
        Config::parse(BUILT_IN, BUILT_IN_NAME)
    }

    /// Reads and builds the config file at `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|cause| Error::ConfigRead {
            path: path.to_path_buf(),
            cause,
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Parses YAML text; `origin` names it in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Config> {
        let file: ConfigFile = serde_yaml::from_str(text).map_err(|e| Error::Config {
            path: origin.to_string(),
            line: e.location().map(|l| l.line()).unwrap_or(0),
            message: format!("{e}; see the commented config.yaml in the repository for the expected shape"),
        })?;
        file.build(text, origin)
    }

    /// The series with this id.
    pub fn series(&self, id: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.id == id)
    }
}

/// A config of one series and one figure, for unit tests.
#[cfg(test)]
pub(crate) const MINIMAL_FOR_TESTS: &str = r#"
series:
  - id: demo
    title: Demo
    title_pattern: '周报(?P<year>\d{4})年第(?P<issue>\d+)期'
    assessment: ['评价为(?P<value>[优良中差])']
    metrics:
      - key: incidents_handled
        label: 事件
        patterns: ['共处理网络安全事件{N}起']
"#;
