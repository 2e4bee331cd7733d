//! A notify run: which issues each target has not had yet, sent (and recorded) or, with
//! `--dry-run`, printed.

use std::time::Duration;

use super::post::{RateLimit, post};
use super::{Destination, Message, email, platform, telegram};
use crate::archive::Archive;
use crate::config::{Config, TargetConfig, TargetKind};
use crate::error::Result;
use crate::publish::{FeedModel, Item};
use serde_json::Value;

/// Reads a target's variables. `Err` is the line saying which one is unset (the target is then
/// skipped); an unset optional variable is simply absent.
pub fn destination(
    target: &TargetConfig,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> std::result::Result<Destination, String> {
    let mut dest = Destination::default();
    let mut missing = Vec::new();
    for (field, name) in target.variables() {
        let value = env(&name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let required = !matches!(field, "secret_env" | "api_env");
        match (value, field) {
            (None, _) if required => missing.push(name),
            (None, _) => {}
            (Some(v), "url_env" | "api_env") => dest.url = v,
            (Some(v), "secret_env") => dest.secret = Some(v),
            (Some(v), "token_env") => dest.token = Some(v),
            (Some(v), "chat_env") => dest.chat = Some(v),
            (Some(v), "from_env") => dest.from = Some(v),
            (Some(v), "to_env") => dest.to = Some(v),
            (Some(_), _) => {}
        }
    }
    if target.kind == TargetKind::Telegram && dest.url.is_empty() {
        dest.url = telegram::DEFAULT_API.to_string();
    }
    match missing.len() {
        0 => Ok(dest),
        1 => Err(format!("{}: {} is not set; skipped", target.key(), missing[0])),
        _ => Err(format!("{}: {} are not set; skipped", target.key(), missing.join(", "))),
    }
}

/// Options of a notify run.
#[derive(Debug, Clone, Default)]
pub struct NotifyOptions {
    /// Print payloads, send nothing, record nothing.
    pub dry_run: bool,
    /// Send every issue not yet announced, not only the newest on first use.
    pub backfill: bool,
}

/// What a notify run did.
#[derive(Debug, Default, Clone)]
pub struct NotifySummary {
    /// `(target, issue)` sent.
    pub sent: Vec<(String, String)>,
    /// `(target, issue, why)` that failed (retried next run).
    pub failed: Vec<(String, String, String)>,
    /// Targets skipped, with the reason (unset variable …).
    pub skipped: Vec<String>,
    /// Dry-run output: `(target, masked url, payload)`.
    pub dry: Vec<(String, String, Value)>,
}

fn issue_key(it: &Item) -> String {
    format!("{}-{}", it.data.year, it.data.issue)
}

/// Sends what each target has not had yet. `env` looks up environment variables. Nothing is
/// sent when what is sent cannot be recorded; each send is recorded before the next.
pub async fn notify(
    config: &Config,
    archive: &Archive,
    opts: &NotifyOptions,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<NotifySummary> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| crate::Error::HttpClient { message: e.to_string() })?;
    let mut summary = NotifySummary::default();
    for series in &config.series {
        let entries = archive.load_series(&series.id)?;
        let mut site = config.site.clone();
        site.feed_limit = usize::MAX;
        let model = FeedModel::build(series, &site, &entries);
        let mut state = archive.load_state(&series.id)?;
        // What is sent must be recorded, or it is sent again next run: check first.
        if !opts.dry_run {
            archive.probe_state(&series.id)?;
        }
        // Oldest first.
        let mut items: Vec<&Item> = model.items.iter().collect();
        items.reverse();
        for target in &config.notify {
            if !target.series.is_empty() && !target.series.contains(&series.id) {
                continue;
            }
            let key = target.key();
            let dest = match destination(target, env) {
                Ok(d) => d,
                Err(line) => {
                    summary.skipped.push(line);
                    continue;
                }
            };
            if let Some(name) = target.secret_env.as_deref()
                && dest.secret.is_none()
            {
                summary
                    .skipped
                    .push(format!("{key}: {name} is not set; sending unsigned"));
            }
            let platform = platform(target.kind);
            let mailer = if target.kind == TargetKind::Email && !opts.dry_run {
                match email::Mailer::new(&dest) {
                    Ok(m) => Some(m),
                    Err(why) => {
                        summary.failed.push((key.clone(), String::new(), why));
                        continue;
                    }
                }
            } else {
                None
            };
            let first_use = !state.announced.contains_key(&key);
            let announced = state.announced.get(&key).cloned().unwrap_or_default();
            let mut todo: Vec<&Item> = items
                .iter()
                .copied()
                .filter(|it| !announced.contains(&issue_key(it)))
                .collect();
            if first_use && !opts.backfill && todo.len() > 1 {
                // No flood of old issues on a target's first use: older ones count as announced.
                let newest = todo.pop();
                if !opts.dry_run {
                    let list = state.announced.entry(key.clone()).or_default();
                    list.extend(todo.iter().map(|it| issue_key(it)));
                }
                todo = newest.into_iter().collect();
            }
            let mut limit = RateLimit::new(platform.per_minute());
            for it in todo {
                let msg = Message::of(&model, it);
                let now_ms = chrono::Utc::now().timestamp_millis();
                let payload = platform.payload(&msg, &dest, now_ms);
                if opts.dry_run {
                    summary.dry.push((key.clone(), platform.masked(&dest), payload));
                    continue;
                }
                limit.wait().await;
                let result = match &mailer {
                    Some(m) => m.send(&msg).await,
                    None => post(&client, platform.as_ref(), &dest, &payload, now_ms).await,
                };
                match result {
                    Ok(()) => {
                        state.announced.entry(key.clone()).or_default().push(issue_key(it));
                        archive.save_state(&series.id, &state)?;
                        summary.sent.push((key.clone(), it.title.clone()));
                    }
                    Err(why) => summary.failed.push((key.clone(), it.title.clone(), why)),
                }
            }
            if first_use && !opts.dry_run {
                state.announced.entry(key.clone()).or_default();
            }
        }
        if !opts.dry_run {
            archive.save_state(&series.id, &state)?;
        }
    }
    Ok(summary)
}
