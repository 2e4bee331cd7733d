//! The defaults of `config.yaml` as `pub const DEFAULT_*` (shared by serde, the runtime form and
//! the clap help), and the other fixed values the config speaks of: the WeChat host and the `{N}`
//! number placeholder of metric patterns.

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
/// Every comma between digits is taken (`4078,19`), so that the number parser, which allows a
/// comma only every three digits (`4,078`), can refuse a misplaced one rather than a pattern
/// taking `4078` for the whole; a comma not followed by a digit ends the number (`305,较上周`).
pub const NUMBER_REGEX: &str = r"(?P<value>[0-9]+(?:,[0-9]+)*(?:\.[0-9]+)?[万亿]?)";
