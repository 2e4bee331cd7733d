//! `config.yaml`: the schema (plain serde data), its defaults, and `build()` into the runtime
//! form with compiled patterns. Every error names the file and line and says what to write.

use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::pattern::Pattern;

mod lines;

pub use lines::Lines;

/// Default minimum delay between two requests to one host, in milliseconds.
pub const DEFAULT_DELAY_MS: u64 = 1000;
/// Default number of requests in flight per host.
pub const DEFAULT_CONCURRENCY: usize = 2;
/// Default connect timeout, in seconds.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
/// Default total timeout of one request, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Default wait before the first retry, in milliseconds (doubled each retry, plus jitter).
pub const DEFAULT_RETRY_WAIT_MS: u64 = 2000;
/// Default number of retries of a transient failure.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Default largest response body accepted, in bytes.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
/// Default largest PDF accepted, in bytes.
pub const DEFAULT_MAX_PDF_BYTES: u64 = 32 * 1024 * 1024;
/// Default number of issues a crawl archives per series (without `--backfill`).
pub const DEFAULT_MAX_ISSUES: usize = 60;
/// Default number of entries in each feed.
pub const DEFAULT_FEED_LIMIT: usize = 50;
/// Default User-Agent: a current desktop browser, as WeChat serves other clients differently.
pub const DEFAULT_USER_AGENT: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/// The host that serves WeChat articles.
pub const WECHAT_HOST: &str = "mp.weixin.qq.com";
/// The placeholder for a number in metric patterns.
pub const NUMBER_PLACEHOLDER: &str = "{N}";
/// What `{N}` expands to: digits with optional thousands commas and decimals, then 万 or 亿.
pub const NUMBER_REGEX: &str = r"(?P<value>[0-9][0-9,]*(?:\.[0-9]+)?[万亿]?)";

/// The whole file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Where and how the outputs are published.
    #[serde(default)]
    pub site: SiteConfig,
    /// How pages are fetched.
    #[serde(default)]
    pub fetch: FetchConfig,
    /// The report series to follow.
    pub series: Vec<SeriesConfig>,
    /// Chat targets that get new issues pushed.
    #[serde(default)]
    pub notify: Vec<TargetConfig>,
    /// Read the figures in the pictures of issues whose text lacks them (Tesseract); default true.
    #[serde(default)]
    pub ocr: Option<bool>,
}

/// Publication settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Absolute URL where `public/` is served, e.g. `https://you.github.io/cncert-feed/`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Title of the site's front page.
    #[serde(default)]
    pub title: Option<String>,
    /// Image proxy template with `{url}`, e.g. `https://images.weserv.nl/?url={url}`.
    #[serde(default)]
    pub image_proxy: Option<String>,
    /// Number of entries in each feed.
    #[serde(default)]
    pub feed_limit: Option<usize>,
    /// A WebSub hub the feeds name and `ping` tells about changes, e.g.
    /// `https://pubsubhubbub.appspot.com/`.
    #[serde(default)]
    pub websub_hub: Option<String>,
}

/// Fetch settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FetchConfig {
    /// Send every mp.weixin.qq.com request to this origin instead (mirror, proxy, tests).
    #[serde(default)]
    pub base_url: Option<String>,
    /// User-Agent header.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Minimum delay between two requests to one host, in ms.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Requests in flight per host.
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Connect timeout in seconds.
    #[serde(default)]
    pub connect_timeout_secs: Option<u64>,
    /// Total timeout of one request in seconds.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Retries of a transient failure.
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// Largest body accepted, in bytes.
    #[serde(default)]
    pub max_body_bytes: Option<u64>,
    /// Wait before the first retry, in ms (doubled each retry, plus jitter; Retry-After wins when longer).
    #[serde(default)]
    pub retry_wait_ms: Option<u64>,
    /// Largest PDF accepted, in bytes (PDFs are larger than pages).
    #[serde(default)]
    pub max_pdf_bytes: Option<u64>,
    /// Send every request for a host to another origin: `{www.cert.org.cn: http://127.0.0.1:8081/}`.
    #[serde(default)]
    pub base_urls: std::collections::BTreeMap<String, String>,
    /// Politeness per host, overriding `delay_ms`, `concurrency` and `max_retries` for that host.
    #[serde(default)]
    pub hosts: std::collections::BTreeMap<String, HostConfig>,
}

/// Politeness of one host.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// Minimum delay between two requests to the host, in ms.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Requests in flight to the host.
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Retries of a transient failure.
    #[serde(default)]
    pub max_retries: Option<u32>,
}

/// One place a series is read from (the `sources` list of a series).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum SourceConfig {
    /// WeChat: start articles, discovery feeds and albums.
    Wechat {
        /// Article URLs to start from.
        #[serde(default)]
        start: Vec<String>,
        /// Feeds (RSS, Atom, JSON Feed) that list the account's articles.
        #[serde(default)]
        feeds: Vec<String>,
        /// WeChat album JSON URLs.
        #[serde(default)]
        albums: Vec<String>,
    },
    /// CNCERT's website: the series' listing (first page).
    Website {
        /// The listing's first page, e.g. https://www.cert.org.cn/publish/main/44/index.html.
        listing: String,
    },
}

/// One series of reports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesConfig {
    /// Identifier used in paths and feeds: lowercase letters, digits and `-`.
    pub id: String,
    /// Display name.
    pub title: String,
    /// Regex over an article title with named groups `year` and `issue`.
    pub title_pattern: String,
    /// The publishing account's name; pages by another account are not issues.
    #[serde(default)]
    pub author: Option<String>,
    /// Article URLs to start from.
    #[serde(default)]
    pub start: Vec<String>,
    /// Feeds (RSS, Atom, JSON Feed) that list the account's articles.
    #[serde(default)]
    pub feeds: Vec<String>,
    /// WeChat album JSON URLs (`/mp/appmsgalbum?action=getalbum&__biz=…&album_id=…&f=json`).
    #[serde(default)]
    pub albums: Vec<String>,
    /// Where the series is read: `[{kind: wechat, start, feeds, albums}, {kind: website, listing}]`.
    /// `start`, `feeds` and `albums` directly under the series still mean a WeChat source.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// How many issues a crawl archives at most (without `--backfill`).
    #[serde(default)]
    pub max_issues: Option<usize>,
    /// Ignore issues whose week ends before this date (YYYY-MM-DD).
    #[serde(default)]
    pub since: Option<chrono::NaiveDate>,
    /// Patterns for the overall assessment (优/良/中/差/危), group `value`.
    pub assessment: Vec<String>,
    /// The one-line summary of an issue in feeds and chats: `｜`-separated parts with
    /// `{assessment}` and `{metric_key}` placeholders. A part whose figure is missing is left out,
    /// and so is a `（…）` group inside a part. Without it, every figure is listed with its label.
    #[serde(default)]
    pub summary: Option<String>,
    /// The figures to extract.
    pub metrics: Vec<MetricConfig>,
}

/// Whether a metric is a count or a rating.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// An integer (`18.4万` becomes 184000).
    #[default]
    Count,
    /// A word such as 高 / 中 / 低.
    Level,
}

/// One figure of a report as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricConfig {
    /// Key in the report's `metrics` (lowercase, digits, `_`).
    pub key: String,
    /// Chinese label for feeds and charts.
    pub label: String,
    /// Unit shown after the number (起, 个, 台 …).
    #[serde(default)]
    pub unit: Option<String>,
    /// `count` (default) or `level`.
    #[serde(default)]
    pub kind: MetricKind,
    /// Regexes over the normalized body text; `{N}` stands for the number, or a group `value`.
    pub patterns: Vec<String>,
}

/// The chat platforms `notify` can send to.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// Slack incoming webhook.
    Slack,
    /// Feishu / Lark custom bot.
    Feishu,
    /// DingTalk custom robot.
    Dingtalk,
    /// WeCom (企业微信) group robot.
    Wecom,
    /// Any endpoint that takes the JSON Feed item.
    Webhook,
    /// Telegram Bot API `sendMessage` to a channel or chat.
    Telegram,
    /// Discord webhook.
    Discord,
    /// Microsoft Teams Workflows webhook (Adaptive Card).
    Teams,
    /// E-mail over SMTP.
    Email,
}

impl TargetKind {
    /// The name used in config.yaml.
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Slack => "slack",
            TargetKind::Feishu => "feishu",
            TargetKind::Dingtalk => "dingtalk",
            TargetKind::Wecom => "wecom",
            TargetKind::Webhook => "webhook",
            TargetKind::Telegram => "telegram",
            TargetKind::Discord => "discord",
            TargetKind::Teams => "teams",
            TargetKind::Email => "email",
        }
    }

    /// The fields naming environment variables this kind needs (`true`) or may have (`false`).
    fn env_fields(self) -> &'static [(&'static str, bool)] {
        match self {
            TargetKind::Feishu | TargetKind::Dingtalk => &[("url_env", true), ("secret_env", false)],
            TargetKind::Telegram => &[("token_env", true), ("chat_env", true), ("api_env", false)],
            TargetKind::Email => &[("url_env", true), ("from_env", true), ("to_env", true)],
            _ => &[("url_env", true)],
        }
    }
}

/// One chat target. Every `*_env` field names an environment variable (never holds the secret).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// The platform.
    pub kind: TargetKind,
    /// The variable holding the webhook URL (e-mail: the SMTP URL).
    #[serde(default)]
    pub url_env: Option<String>,
    /// The variable holding the signing secret (Feishu, DingTalk).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Telegram: the variable holding the bot token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Telegram: the variable holding the chat (`@channel` or a numeric id).
    #[serde(default)]
    pub chat_env: Option<String>,
    /// Telegram: the variable that may hold another Bot API server (default `TELEGRAM_API_URL`).
    #[serde(default)]
    pub api_env: Option<String>,
    /// E-mail: the variable holding the sender (`Name <addr@host>`).
    #[serde(default)]
    pub from_env: Option<String>,
    /// E-mail: the variable holding the recipients, comma-separated.
    #[serde(default)]
    pub to_env: Option<String>,
    /// Only these series (all when empty).
    #[serde(default)]
    pub series: Vec<String>,
}

impl TargetConfig {
    /// The value of an `*_env` field by its name.
    pub fn env_field(&self, field: &str) -> Option<&str> {
        match field {
            "url_env" => self.url_env.as_deref(),
            "secret_env" => self.secret_env.as_deref(),
            "token_env" => self.token_env.as_deref(),
            "chat_env" => self.chat_env.as_deref(),
            "api_env" => self.api_env.as_deref(),
            "from_env" => self.from_env.as_deref(),
            "to_env" => self.to_env.as_deref(),
            _ => None,
        }
    }

    /// The variables this target reads, in its kind's order (`api_env` defaulted for Telegram).
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        self.kind
            .env_fields()
            .iter()
            .filter_map(|(f, _)| {
                let name = self.env_field(f).map(str::to_string).or_else(|| {
                    (*f == "api_env" && self.kind == TargetKind::Telegram).then(|| "TELEGRAM_API_URL".to_string())
                })?;
                Some((*f, name))
            })
            .collect()
    }

    /// The key under which what was announced is recorded: kind and variable names, never
    /// values (`slack:slack_webhook_url`, `telegram:telegram_bot_token+telegram_chat_id`).
    pub fn key(&self) -> String {
        let names: Vec<String> = self
            .variables()
            .into_iter()
            .filter(|(f, _)| matches!(*f, "url_env" | "token_env" | "chat_env" | "to_env"))
            .map(|(_, n)| n)
            .collect();
        format!("{}:{}", self.kind.name(), names.join("+")).to_lowercase()
    }

    /// How the target is named in messages: its key.
    pub fn name(&self) -> String {
        self.key()
    }
}

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
    pub base_urls: std::collections::BTreeMap<String, url::Url>,
    /// Politeness per host.
    pub hosts: std::collections::BTreeMap<String, HostConfig>,
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
            base_urls: std::collections::BTreeMap::new(),
            hosts: std::collections::BTreeMap::new(),
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
    /// Account name.
    pub author: Option<String>,
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
    /// Metrics in config order.
    pub metrics: Vec<Metric>,
}

/// A metric with compiled patterns.
#[derive(Debug, Clone)]
pub struct Metric {
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
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

impl Config {
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

impl ConfigFile {
    /// Applies defaults, validates and compiles; `text` is the source for line numbers.
    pub fn build(self, text: &str, origin: &str) -> Result<Config> {
        // Errors point at the value's own line, from the YAML parser's positions.
        let lines = Lines::of(text);
        let err = |path: &str, message: String| Error::Config {
            path: origin.to_string(),
            line: lines.line(path),
            message,
        };
        let base_url = match &self.site.base_url {
            Some(u) => Some(parse_base(u).map_err(|m| err("site.base_url", format!("site.base_url: {m}")))?),
            None => None,
        };
        if let Some(p) = &self.site.image_proxy
            && !p.contains("{url}")
        {
            return Err(err(
                "site.image_proxy",
                "site.image_proxy must contain {url}, e.g. https://images.weserv.nl/?url={url}".into(),
            ));
        }
        let site = Site {
            base_url,
            title: self
                .site
                .title
                .clone()
                .unwrap_or_else(|| "CNCERT 网络安全信息与动态周报 feeds".to_string()),
            image_proxy: self.site.image_proxy.clone(),
            websub_hub: match &self.site.websub_hub {
                Some(h) => Some(parse_hub(h).map_err(|m| err("site.websub_hub", format!("site.websub_hub: {m}")))?),
                None => None,
            },
            feed_limit: self.site.feed_limit.unwrap_or(DEFAULT_FEED_LIMIT).max(1),
        };
        let d = Fetch::default();
        let f = &self.fetch;
        let fetch = Fetch {
            base_url: match &f.base_url {
                Some(u) => Some(parse_base(u).map_err(|m| err("fetch.base_url", format!("fetch.base_url: {m}")))?),
                None => None,
            },
            user_agent: f.user_agent.clone().unwrap_or(d.user_agent),
            delay_ms: f.delay_ms.unwrap_or(d.delay_ms),
            concurrency: f.concurrency.unwrap_or(d.concurrency).max(1),
            connect_timeout_secs: f.connect_timeout_secs.unwrap_or(d.connect_timeout_secs).max(1),
            timeout_secs: f.timeout_secs.unwrap_or(d.timeout_secs).max(1),
            max_retries: f.max_retries.unwrap_or(d.max_retries),
            max_body_bytes: f.max_body_bytes.unwrap_or(d.max_body_bytes),
            retry_wait_ms: f.retry_wait_ms.unwrap_or(d.retry_wait_ms),
            max_pdf_bytes: f.max_pdf_bytes.unwrap_or(d.max_pdf_bytes),
            base_urls: f
                .base_urls
                .iter()
                .map(|(h, u)| {
                    Ok((
                        h.to_ascii_lowercase(),
                        parse_base(u)
                            .map_err(|m| err(&format!("fetch.base_urls.{h}"), format!("fetch.base_urls.{h}: {m}")))?,
                    ))
                })
                .collect::<Result<_>>()?,
            hosts: f.hosts.iter().map(|(h, c)| (h.to_ascii_lowercase(), *c)).collect(),
        };
        if self.series.is_empty() {
            return Err(err("series", "series: list at least one series".into()));
        }
        let mut series = Vec::new();
        for (si, s) in self.series.iter().enumerate() {
            let at = |rest: &str| format!("series.{si}.{rest}");
            if s.id.is_empty()
                || !s
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(err(
                    &at("id"),
                    format!(
                        "series id '{}' may hold only a-z, 0-9 and '-' (it names directories and feed ids), e.g. cncert-weekly",
                        s.id
                    ),
                ));
            }
            if series.iter().any(|o: &Series| o.id == s.id) {
                return Err(err(
                    &at("id"),
                    format!("series id '{}' is used twice; give each series its own id", s.id),
                ));
            }
            let title_re = Regex::new(&s.title_pattern).map_err(|e| {
                err(
                    &at("title_pattern"),
                    format!("title_pattern of series '{}' is not a valid regex: {e}", s.id),
                )
            })?;
            let names: Vec<&str> = title_re.capture_names().flatten().collect();
            if !names.contains(&"year") || !names.contains(&"issue") {
                return Err(err(
                    &at("title_pattern"),
                    format!(
                        "title_pattern of series '{}' needs the named groups (?P<year>…) and (?P<issue>…)",
                        s.id
                    ),
                ));
            }
            let (mut start, mut feeds, mut albums, mut listings) =
                (s.start.clone(), s.feeds.clone(), s.albums.clone(), Vec::new());
            // Every URL with the path of its value, for the checks below.
            let mut urls: Vec<(String, String, bool)> = Vec::new();
            let listed = |name: &str, list: &[String], prefix: &str, urls: &mut Vec<(String, String, bool)>| {
                for (k, u) in list.iter().enumerate() {
                    urls.push((u.clone(), format!("{prefix}{name}.{k}"), name != "start"));
                }
            };
            listed("start", &s.start, &at(""), &mut urls);
            listed("feeds", &s.feeds, &at(""), &mut urls);
            listed("albums", &s.albums, &at(""), &mut urls);
            for (j, src) in s.sources.iter().enumerate() {
                let prefix = at(&format!("sources.{j}."));
                match src {
                    SourceConfig::Wechat {
                        start: st,
                        feeds: fe,
                        albums: al,
                    } => {
                        start.extend(st.iter().cloned());
                        feeds.extend(fe.iter().cloned());
                        albums.extend(al.iter().cloned());
                        listed("start", st, &prefix, &mut urls);
                        listed("feeds", fe, &prefix, &mut urls);
                        listed("albums", al, &prefix, &mut urls);
                    }
                    SourceConfig::Website { listing } => {
                        listings.push(listing.clone());
                        urls.push((listing.clone(), format!("{prefix}listing"), true));
                    }
                }
            }
            for (u, path, may_use_env) in &urls {
                // `${NAME}` is filled from the environment when the crawl runs.
                if *may_use_env && u.contains("${") {
                    continue;
                }
                let parsed = url::Url::parse(u).map_err(|e| {
                    err(
                        path,
                        format!("'{u}' is not an absolute URL ({e}); write it as https://…"),
                    )
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(err(path, format!("'{u}' must be an http or https URL")));
                }
            }
            let assessment = s
                .assessment
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    compile_pattern(p, MetricKind::Level)
                        .map_err(|m| err(&at(&format!("assessment.{k}")), format!("assessment pattern: {m}")))
                })
                .collect::<Result<Vec<_>>>()?;
            let mut metrics: Vec<Metric> = Vec::new();
            for (mi, m) in s.metrics.iter().enumerate() {
                let key_path = at(&format!("metrics.{mi}.key"));
                if m.key.is_empty()
                    || !m
                        .key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    return Err(err(
                        &key_path,
                        format!(
                            "metric key '{}' may hold only a-z, 0-9 and '_', e.g. incidents_handled",
                            m.key
                        ),
                    ));
                }
                if metrics.iter().any(|o| o.key == m.key) {
                    return Err(err(
                        &key_path,
                        format!(
                            "metric key '{}' is listed twice in series '{}'; add patterns to one entry instead",
                            m.key, s.id
                        ),
                    ));
                }
                if m.patterns.is_empty() {
                    return Err(err(
                        &key_path,
                        format!(
                            "metric '{}' has no patterns; add at least one, e.g. '共处理网络安全事件{{N}}起'",
                            m.key
                        ),
                    ));
                }
                let patterns = m
                    .patterns
                    .iter()
                    .enumerate()
                    .map(|(k, p)| {
                        compile_pattern(p, m.kind).map_err(|e| {
                            err(
                                &at(&format!("metrics.{mi}.patterns.{k}")),
                                format!("metric '{}': {e}", m.key),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                metrics.push(Metric {
                    key: m.key.clone(),
                    label: m.label.clone(),
                    unit: m.unit.clone().unwrap_or_default(),
                    kind: m.kind,
                    patterns,
                });
            }
            if let Some(t) = &s.summary {
                for name in placeholders(t) {
                    if name != "assessment" && !metrics.iter().any(|m| m.key == name) {
                        return Err(err(
                            &at("summary"),
                            format!(
                                "summary of series '{}' names {{{name}}}, which is neither assessment nor a metric key of the series",
                                s.id
                            ),
                        ));
                    }
                }
            }
            series.push(Series {
                id: s.id.clone(),
                title: s.title.clone(),
                title_re,
                author: s.author.clone().filter(|a| !a.is_empty()),
                start,
                feeds,
                albums,
                listings,
                max_issues: s.max_issues.unwrap_or(DEFAULT_MAX_ISSUES),
                since: s.since,
                assessment,
                summary: s.summary.clone(),
                metrics,
            });
        }
        const ALL_ENV_FIELDS: [&str; 7] = [
            "url_env",
            "secret_env",
            "token_env",
            "chat_env",
            "api_env",
            "from_env",
            "to_env",
        ];
        for (ti, t) in self.notify.iter().enumerate() {
            let fields = t.kind.env_fields();
            // What is there but should not be, or holds a value, first; then what is missing.
            for f in ALL_ENV_FIELDS {
                let wanted = fields.iter().any(|(name, _)| *name == f);
                match t.env_field(f) {
                    Some(_) if !wanted => {
                        let allowed: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                        return Err(err(
                            &format!("notify.{ti}.{f}"),
                            format!(
                                "notify target {}: {f} is not used by {} (it takes {}); remove it",
                                t.kind.name(),
                                t.kind.name(),
                                allowed.join(", ")
                            ),
                        ));
                    }
                    Some(v) if !is_env_name(v) => {
                        return Err(err(
                            &format!("notify.{ti}.{f}"),
                            format!(
                                "notify target {}: {f} must name an environment variable (letters, digits, _), not hold a value: write e.g. {f}: {}",
                                t.kind.name(),
                                suggested_env(t.kind, f)
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            for (f, required) in fields {
                if *required && t.env_field(f).is_none() {
                    return Err(err(
                        &format!("notify.{ti}"),
                        format!(
                            "notify target {} needs {f}: add `{f}: {}`",
                            t.kind.name(),
                            suggested_env(t.kind, f)
                        ),
                    ));
                }
            }
        }
        for (ti, t) in self.notify.iter().enumerate() {
            for (k, name) in t.series.iter().enumerate() {
                if !series.iter().any(|s| &s.id == name) {
                    return Err(err(
                        &format!("notify.{ti}.series.{k}"),
                        format!(
                            "notify target {} names series '{name}', which is not configured (known: {})",
                            t.key(),
                            series.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(Config {
            site,
            fetch,
            series,
            notify: self.notify,
            ocr: self.ocr.unwrap_or(true),
        })
    }
}

/// The `{name}` placeholders of a summary template, in order.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// Parses an absolute http(s) base URL and makes sure its path ends in `/`.
fn parse_base(u: &str) -> std::result::Result<url::Url, String> {
    let mut url = url::Url::parse(u)
        .map_err(|e| format!("'{u}' is not an absolute URL ({e}); write it as https://host/path/"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("'{u}' must start with http:// or https://"));
    }
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

/// A WebSub hub URL: absolute http(s), taken as written (a hub's URL is its identity).
pub fn parse_hub(u: &str) -> std::result::Result<url::Url, String> {
    let url = url::Url::parse(u.trim())
        .map_err(|e| format!("'{u}' is not an absolute URL ({e}); write e.g. https://pubsubhubbub.appspot.com/"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("'{u}' must be an http:// or https:// URL with a host"));
    }
    Ok(url)
}

/// Expands `${NAME}` in a discovery URL from the environment (so a URL with a secret, such as an
/// RSSHub `?key=`, can live in a repository secret instead of config.yaml). Err names a variable
/// that is not set.
pub fn expand_env(s: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let Some(end) = rest[i + 2..].find('}') else {
            out.push_str(&rest[i..]);
            return Ok(out);
        };
        let name = &rest[i + 2..i + 2 + end];
        match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => out.push_str(v.trim()),
            _ => return Err(name.to_string()),
        }
        rest = &rest[i + 2 + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Compiles one metric pattern: `{N}` becomes the number group; a pattern must capture `value`.
/// Each of its fixed phrases also matches with one character missing or doubled (see [`crate::pattern`]).
pub fn compile_pattern(p: &str, kind: MetricKind) -> std::result::Result<Pattern, String> {
    let expanded = p.replace(NUMBER_PLACEHOLDER, NUMBER_REGEX);
    let re = crate::pattern::compile(p, &expanded).map_err(|e| {
        format!("'{p}' is not a valid regex: {e}; escape ( ) . + ? with a backslash where you mean the character")
    })?;
    if !re.exact.capture_names().flatten().any(|n| n == "value") {
        let hint = match kind {
            MetricKind::Count => "put {N} where the number stands",
            MetricKind::Level => "capture the word as (?P<value>[高中低])",
        };
        return Err(format!("'{p}' captures no value: {hint}"));
    }
    Ok(re)
}

/// Whether `s` looks like an environment variable's name (`SLACK_WEBHOOK_URL`), not a value.
fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The variable name config.yaml uses for a target kind's field, for error messages.
fn suggested_env(kind: TargetKind, field: &str) -> String {
    match (kind, field) {
        (TargetKind::Telegram, "token_env") => "TELEGRAM_BOT_TOKEN".into(),
        (TargetKind::Telegram, "chat_env") => "TELEGRAM_CHAT_ID".into(),
        (TargetKind::Telegram, "api_env") => "TELEGRAM_API_URL".into(),
        (TargetKind::Email, "url_env") => "SMTP_URL".into(),
        (TargetKind::Email, "from_env") => "EMAIL_FROM".into(),
        (TargetKind::Email, "to_env") => "EMAIL_TO".into(),
        (TargetKind::Webhook, "url_env") => "NOTIFY_WEBHOOK_URL".into(),
        (k, "secret_env") => format!("{}_SECRET", k.name().to_uppercase()),
        (k, _) => format!("{}_WEBHOOK_URL", k.name().to_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
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

    #[test]
    fn errors_point_at_the_line_of_the_value_itself() {
        // A duplicate key points at the duplicate, not at the first entry (or a comment).
        let text = format!(
            "# the key incidents_handled is defined below\n{}      - key: incidents_handled\n        label: 又一个\n        patterns: ['x{{N}}']\n",
            MINIMAL
        );
        let dup_line = text.lines().position(|l| l.contains("label: 又一个")).expect("line");
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("t.yaml:{dup_line}:")) && e.contains("listed twice"),
            "{e}"
        );
        // A bad pattern that also appears, fine, earlier in a comment.
        let text = MINIMAL
            .replace(
                "    metrics:\n",
                "    # '共处理(?:了网络安全事件{N}起' was the old pattern\n    metrics:\n",
            )
            .replace(
                "patterns: ['共处理网络安全事件{N}起']",
                "patterns: ['ok{N}', '共处理(?:了网络安全事件{N}起']",
            );
        let line = text.lines().position(|l| l.contains("patterns: ['ok")).expect("line") + 1;
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(e.starts_with(&format!("t.yaml:{line}:")), "{e}");
    }

    #[test]
    fn each_target_kind_takes_its_own_variables() {
        let ok = format!(
            "{MINIMAL}notify:\n  - kind: telegram\n    token_env: TELEGRAM_BOT_TOKEN\n    chat_env: TELEGRAM_CHAT_ID\n  - kind: email\n    url_env: SMTP_URL\n    from_env: EMAIL_FROM\n    to_env: EMAIL_TO\n  - kind: discord\n    url_env: DISCORD_WEBHOOK_URL\n"
        );
        let c = Config::parse(&ok, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.notify[0].key(), "telegram:telegram_bot_token+telegram_chat_id");
        assert!(
            c.notify[0]
                .variables()
                .contains(&("api_env", "TELEGRAM_API_URL".to_string())),
            "the API URL variable has a default"
        );
        assert_eq!(c.notify[1].key(), "email:smtp_url+email_to");
        assert_eq!(c.notify[2].key(), "discord:discord_webhook_url");
        for (target, expect) in [
            (
                "  - kind: telegram\n    token_env: TELEGRAM_BOT_TOKEN\n",
                "needs chat_env: add `chat_env: TELEGRAM_CHAT_ID`",
            ),
            (
                "  - kind: email\n    url_env: SMTP_URL\n    to_env: EMAIL_TO\n",
                "needs from_env",
            ),
            (
                "  - kind: discord\n    url_env: DISCORD_WEBHOOK_URL\n    secret_env: X\n",
                "secret_env is not used by discord",
            ),
            (
                "  - kind: teams\n    url_env: https://prod.westeurope.logic.azure.com/workflows/1?sig=abc\n",
                "must name an environment variable",
            ),
            (
                "  - kind: slack\n    token_env: SLACK_TOKEN\n",
                "token_env is not used by slack",
            ),
            ("  - kind: teams\n", "needs url_env: add `url_env: TEAMS_WEBHOOK_URL`"),
        ] {
            let text = format!("{MINIMAL}notify:\n{target}");
            let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
            assert!(e.contains(expect), "{target}: {e}");
            assert!(
                !e.contains("sig=abc"),
                "a value put where a name goes is not repeated: {e}"
            );
        }
    }

    #[test]
    fn a_websub_hub_must_be_an_http_url() {
        let good = format!("site:\n  websub_hub: https://pubsubhubbub.appspot.com/\n{MINIMAL}");
        let c = Config::parse(&good, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.site.websub_hub.map(|u| u.to_string()).as_deref(),
            Some("https://pubsubhubbub.appspot.com/")
        );
        for hub in ["pubsubhubbub.appspot.com", "ftp://hub.example.org/"] {
            let bad = format!("site:\n  websub_hub: {hub}\n{MINIMAL}");
            let e = Config::parse(&bad, "t.yaml").unwrap_err().to_string();
            assert!(e.starts_with("t.yaml:2:") && e.contains("site.websub_hub"), "{e}");
        }
    }

    #[test]
    fn a_notify_target_naming_an_unknown_series_is_refused() {
        let text =
            format!("{MINIMAL}notify:\n  - kind: slack\n    url_env: SLACK_WEBHOOK_URL\n    series: [demo, nope]\n");
        let line = text
            .lines()
            .position(|l| l.contains("series: [demo, nope]"))
            .expect("line")
            + 1;
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("t.yaml:{line}:")) && e.contains("'nope'") && e.contains("known: demo"),
            "{e}"
        );
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = Config::parse(MINIMAL, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.fetch.delay_ms, DEFAULT_DELAY_MS);
        assert_eq!(c.series[0].max_issues, DEFAULT_MAX_ISSUES);
        assert_eq!(c.site.feed_limit, DEFAULT_FEED_LIMIT);
    }

    #[test]
    fn unknown_field_names_line_and_field() {
        let text = MINIMAL.replace("    title: Demo\n", "    title: Demo\n    colour: red\n");
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(e.starts_with("t.yaml:5:"), "{e}");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn bad_regex_names_line() {
        let text = MINIMAL.replace("共处理网络安全事件{N}起", "共处理(网络安全事件{N}起");
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(e.starts_with("t.yaml:10:"), "{e}");
        assert!(e.contains("not a valid regex"), "{e}");
    }

    #[test]
    fn pattern_without_value_is_refused() {
        let text = MINIMAL.replace("共处理网络安全事件{N}起", "共处理网络安全事件起");
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(e.contains("captures no value"), "{e}");
    }

    #[test]
    fn wrong_type_is_reported() {
        let text = format!("fetch:\n  delay_ms: slow\n{MINIMAL}");
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(e.starts_with("t.yaml:2:"), "{e}");
    }

    #[test]
    fn missing_value_is_reported() {
        let text = MINIMAL.replace("    title: Demo\n", "");
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(e.contains("title"), "{e}");
    }

    #[test]
    fn summary_placeholders_must_name_metrics() {
        let text = MINIMAL.replace(
            "    metrics:\n",
            "    summary: '态势：{assessment}｜处理{incidents_handld}起'\n    metrics:\n",
        );
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(e.contains("{incidents_handld}") && e.starts_with("t.yaml:7:"), "{e}");
    }

    #[test]
    fn hostile_series_id_is_refused() {
        let text = MINIMAL.replace("id: demo", "id: ../etc");
        let e = Config::parse(&text, "t.yaml").unwrap_err().to_string();
        assert!(e.contains("a-z, 0-9"), "{e}");
    }
}
