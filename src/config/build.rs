//! `ConfigFile` → `Config`: defaults applied, every value validated and every pattern compiled once.
//! An error names the file and the line of the very value that is wrong (see [`Lines`]) and says
//! what to write instead.

use regex::Regex;

use super::{
    Config, ConfigFile, DEFAULT_FEED_LIMIT, DEFAULT_MAX_ISSUES, Fetch, Health, Lines, Metric, MetricKind,
    NUMBER_PLACEHOLDER, NUMBER_REGEX, Series, Site, SourceConfig, TargetKind,
};
use crate::error::{Error, Result};
use crate::pattern::Pattern;

impl ConfigFile {
    /// Applies defaults, validates and compiles; `text` is the source for line numbers.
    pub fn build(self, text: &str, origin: &str) -> Result<Config> {
        // Errors point at the value's own line, from the YAML parser's positions (the text is
        // parsed for them only when there is an error).
        let lines = std::cell::OnceCell::new();
        let err = |path: &str, message: String| Error::Config {
            path: origin.to_string(),
            line: lines.get_or_init(|| Lines::of(text)).line(path),
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
                    label_en: m
                        .label_en
                        .clone()
                        .filter(|l| !l.trim().is_empty())
                        .unwrap_or_else(|| key_in_words(&m.key)),
                    unit: m.unit.clone().unwrap_or_default(),
                    kind: m.kind,
                    patterns,
                });
            }
            for (field, template) in [("summary", &s.summary), ("summary_en", &s.summary_en)] {
                let Some(t) = template else { continue };
                for name in placeholders(t) {
                    if name != "assessment" && !metrics.iter().any(|m| m.key == name) {
                        return Err(err(
                            &at(field),
                            format!(
                                "{field} of series '{}' names {{{name}}}, which is neither assessment nor a metric key of the series",
                                s.id
                            ),
                        ));
                    }
                }
            }
            let finder = crate::pattern::Finder::new(assessment.iter().chain(metrics.iter().flat_map(|m| &m.patterns)));
            series.push(Series {
                id: s.id.clone(),
                title: s.title.clone(),
                title_re,
                author: s.author.clone().filter(|a| !a.is_empty()),
                biz: s
                    .biz
                    .as_deref()
                    .map(str::trim)
                    .filter(|b| !b.is_empty())
                    .map(str::to_string),
                start,
                feeds,
                albums,
                listings,
                max_issues: s.max_issues.unwrap_or(DEFAULT_MAX_ISSUES),
                since: s.since,
                assessment,
                summary: s.summary.clone(),
                title_en: s
                    .title_en
                    .clone()
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_else(|| s.title.clone()),
                summary_en: s.summary_en.clone(),
                metrics,
                finder,
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
            if let Some(lang) = &t.lang
                && !matches!(lang.as_str(), "zh" | "en")
            {
                return Err(err(
                    &format!("notify.{ti}.lang"),
                    format!("notify target {}: lang must be zh or en, not '{lang}'", t.kind.name()),
                ));
            }
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
        let health = Health {
            failing_runs: self.health.failing_runs.unwrap_or(3),
            previous_issues: self.health.previous_issues.unwrap_or(5),
        };
        if health.failing_runs == 0 {
            return Err(err(
                "health.failing_runs",
                "health.failing_runs must be at least 1 (runs in a row)".to_string(),
            ));
        }
        if !(1..=50).contains(&health.previous_issues) {
            return Err(err(
                "health.previous_issues",
                "health.previous_issues must be between 1 and 50 (issues a new one is compared with)".to_string(),
            ));
        }
        let digest = {
            use sha2::Digest as _;
            let d = sha2::Sha256::digest(text.as_bytes());
            d.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        Ok(Config {
            site,
            fetch,
            series,
            notify: self.notify,
            ocr: self.ocr.unwrap_or(true),
            health,
            digest,
        })
    }
}

/// A metric key as English words: `incidents_cross_border` → `Incidents cross border`.
fn key_in_words(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => words,
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
    if !re.captures_value() {
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
#[path = "build_tests.rs"]
mod tests;
