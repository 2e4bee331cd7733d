//! The schema of `config.yaml`: plain serde data, one `///` line per field, unknown fields refused.
//! [`ConfigFile::build`](super::ConfigFile::build) turns it into the runtime [`Config`](super::Config).

use std::collections::BTreeMap;

use serde::Deserialize;

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
    /// When a run's health report raises a warning.
    #[serde(default)]
    pub health: HealthConfig,
}

/// When the health report of a run raises a warning (README: "Health report").
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    /// A source that failed this many runs in a row is reported (default 3).
    #[serde(default)]
    pub failing_runs: Option<u32>,
    /// A new issue's figures are compared with this many issues before it (default 5).
    #[serde(default)]
    pub previous_issues: Option<usize>,
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
    pub base_urls: BTreeMap<String, String>,
    /// Politeness per host, overriding `delay_ms`, `concurrency` and `max_retries` for that host.
    #[serde(default)]
    pub hosts: BTreeMap<String, HostConfig>,
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
        /// The listing's first page, e.g. <https://www.cert.org.cn/publish/main/44/index.html>.
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
    /// The publishing account's name; pages by another account are not issues. With `biz`, the
    /// name is for display only and a page of the right `biz` showing another name gets a warning.
    #[serde(default)]
    pub author: Option<String>,
    /// The publishing account's WeChat id (`__biz`, e.g. `MzIwNDk0MDgxMw==`): when set, a page whose
    /// URL gives a `__biz` is an issue only if it is this one, whatever name the page shows.
    #[serde(default)]
    pub biz: Option<String>,
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
    /// The English edition's name of the series (default: the title).
    #[serde(default)]
    pub title_en: Option<String>,
    /// The English edition's one-line summary: like `summary`, placeholders filled with numbers
    /// written in full (default: every figure with its English label).
    #[serde(default)]
    pub summary_en: Option<String>,
    /// The figures to extract.
    pub metrics: Vec<MetricConfig>,
}

/// Whether a metric is a count or a rating.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash, Default)]
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
    /// English label for the English edition (default: the key in words).
    #[serde(default)]
    pub label_en: Option<String>,
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
    pub(super) fn env_fields(self) -> &'static [(&'static str, bool)] {
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
    /// The language of its messages: `zh` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
    /// The maintainer's target: it gets the health report's alerts (once per condition until it
    /// clears) and never the issues; readers' targets never get alerts.
    #[serde(default)]
    pub maintainer: bool,
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
