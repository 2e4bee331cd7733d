//! A notify run: which issues each target has not had yet, sent (and recorded) or, with
//! `--dry-run`, previewed; and, where nothing goes, why.

use std::time::Duration;

use serde_json::Value;

use super::post::{RateLimit, post};
use super::{Destination, Message, email, platform, telegram};
use crate::archive::Archive;
use crate::config::{Config, TargetConfig, TargetKind};
use crate::error::Result;
use crate::publish::{FeedModel, Item, Lang};

/// What a dry run shows in place of a variable that is not set: `<SLACK_WEBHOOK_URL unset>`.
pub fn placeholder(name: &str) -> String {
    format!("<{name} unset>")
}

/// Whether a value is a [`placeholder`] (shown as it is: it holds no secret).
pub fn is_placeholder(s: &str) -> bool {
    s.starts_with('<') && s.ends_with(" unset>")
}

/// Reads a target's variables: the destination and the required variables that are not set.
/// With `fill`, each of those stands as its [`placeholder`] (a dry run's preview); an unset
/// optional variable (a signing secret, Telegram's API origin) is simply absent.
pub(super) fn read_destination(
    target: &TargetConfig,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    fill: bool,
) -> (Destination, Vec<String>) {
    let mut dest = Destination::default();
    let mut missing = Vec::new();
    for (field, name) in target.variables() {
        let value = env(&name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let required = !matches!(field, "secret_env" | "api_env");
        let value = match value {
            Some(v) => v,
            None if required => {
                let shown = placeholder(&name);
                missing.push(name);
                if !fill {
                    continue;
                }
                shown
            }
            None => continue,
        };
        match field {
            "url_env" | "api_env" => dest.url = value,
            "secret_env" => dest.secret = Some(value),
            "token_env" => dest.token = Some(value),
            "chat_env" => dest.chat = Some(value),
            "from_env" => dest.from = Some(value),
            "to_env" => dest.to = Some(value),
            _ => {}
        }
    }
    if target.kind == TargetKind::Telegram && dest.url.is_empty() {
        dest.url = telegram::DEFAULT_API.to_string();
    }
    (dest, missing)
}

/// `SLACK_WEBHOOK_URL is not set`, `TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID are not set`.
pub(super) fn not_set(missing: &[String]) -> String {
    match missing {
        [one] => format!("{one} is not set"),
        many => format!("{} are not set", many.join(", ")),
    }
}

/// Reads a target's variables. `Err` is the line saying which one is unset (the target is then
/// skipped); an unset optional variable is simply absent.
pub fn destination(
    target: &TargetConfig,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> std::result::Result<Destination, String> {
    let (dest, missing) = read_destination(target, env, false);
    if missing.is_empty() {
        Ok(dest)
    } else {
        Err(format!("{}: {}; skipped", target.key(), not_set(&missing)))
    }
}

/// Options of a notify run.
#[derive(Debug, Clone, Default)]
pub struct NotifyOptions {
    /// Preview every target's payloads (placeholders for unset variables), send nothing, record
    /// nothing.
    pub dry_run: bool,
    /// Send every issue not yet announced, not only the newest on first use.
    pub backfill: bool,
}

/// One target's part of a dry run, for one series (config order).
#[derive(Debug, Clone)]
pub struct Preview {
    /// The target's key (`slack:slack_webhook_url`).
    pub target: String,
    /// The series.
    pub series: String,
    /// Where it would go: masked (no secret), or the [`placeholder`] of a variable not set.
    pub url: String,
    /// What a real run would do otherwise or leave out: a variable not set (the target skipped),
    /// no signing secret (sent unsigned), a first use (the newest only), nothing to send and why.
    pub notes: Vec<String>,
    /// `(issue title, payload)` a real run would send now, oldest first.
    pub payloads: Vec<(String, Value)>,
}

/// What a notify run did.
#[derive(Debug, Default, Clone)]
pub struct NotifySummary {
    /// `(target, issue)` sent.
    pub sent: Vec<(String, String)>,
    /// `(target, issue, why)` that failed (retried next run).
    pub failed: Vec<(String, String, String)>,
    /// Targets skipped or sent to unsigned, with the reason (an unset variable …).
    pub skipped: Vec<String>,
    /// A dry run's previews, one per target and series.
    pub dry: Vec<Preview>,
    /// Where nothing was to be sent, why: no target configured, a series with no issue in the
    /// archive, (a real run) a target that has had every issue.
    pub idle: Vec<String>,
}

fn issue_key(it: &Item) -> String {
    format!("{}-{}", it.data.year, it.data.issue)
}

/// The line for a series with no issue to announce.
fn no_issue(series: &str, archive: &Archive) -> String {
    format!(
        "{series}: nothing to send: the archive in {} holds no issue of this series yet (run crawl, build or import first)",
        archive.root().display()
    )
}

/// Sends what each target has not had yet (or, with `dry_run`, previews it). `env` looks up
/// environment variables. Nothing is sent when what is sent cannot be recorded; each send is
/// recorded before the next.
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
    if config.notify.is_empty() {
        summary
            .idle
            .push("nothing to send: no target is configured (notify: in config.yaml)".to_string());
        return Ok(summary);
    }
    for series in &config.series {
        let targets: Vec<&TargetConfig> = config
            .notify
            .iter()
            .filter(|t| !t.maintainer && (t.series.is_empty() || t.series.contains(&series.id)))
            .collect();
        if targets.is_empty() {
            continue;
        }
        let entries = archive.load_series(&series.id)?;
        let mut site = config.site.clone();
        site.feed_limit = usize::MAX;
        let model = FeedModel::build(series, &site, &entries);
        // The English edition, for targets with `lang: en`: the same issues in the same order.
        let english = targets
            .iter()
            .any(|t| Lang::of_target(t.lang.as_deref()) == Lang::En)
            .then(|| FeedModel::build_in(series, &site, &entries, Lang::En));
        if model.items.is_empty() {
            // Nothing is recorded either: a target's first use is its first issue.
            summary.idle.push(no_issue(&series.id, archive));
            continue;
        }
        let mut state = archive.load_state(&series.id)?;
        // What is sent must be recorded, or it is sent again next run: check first.
        if !opts.dry_run {
            archive.probe_state(&series.id)?;
        }
        for target in targets {
            let key = target.key();
            let model = match (Lang::of_target(target.lang.as_deref()), &english) {
                (Lang::En, Some(en)) => en,
                _ => &model,
            };
            // Oldest first.
            let mut items: Vec<&Item> = model.items.iter().collect();
            items.reverse();
            let (dest, missing) = read_destination(target, env, opts.dry_run);
            let mut notes = Vec::new();
            if !missing.is_empty() {
                if !opts.dry_run {
                    summary.skipped.push(format!("{key}: {}; skipped", not_set(&missing)));
                    continue;
                }
                notes.push(format!(
                    "{}: shown with a placeholder; a real run skips this target",
                    not_set(&missing)
                ));
            }
            if let Some(name) = target.secret_env.as_deref()
                && dest.secret.is_none()
            {
                if opts.dry_run {
                    notes.push(format!("{name} is not set: sent unsigned"));
                } else {
                    summary
                        .skipped
                        .push(format!("{key}: {name} is not set; sending unsigned"));
                }
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
                if opts.dry_run {
                    notes.push(format!(
                        "first use: only the newest issue is sent, the {} older {} recorded as announced (--backfill sends them all)",
                        todo.len(),
                        if todo.len() == 1 { "one is" } else { "ones are" }
                    ));
                } else {
                    let list = state.announced.entry(key.clone()).or_default();
                    list.extend(todo.iter().map(|it| issue_key(it)));
                }
                todo = newest.into_iter().collect();
            }
            if todo.is_empty() {
                let why = format!(
                    "nothing to send: every issue of {} in the archive ({}) was already announced to this target",
                    series.id,
                    items.len()
                );
                if opts.dry_run {
                    notes.push(why);
                } else {
                    summary.idle.push(format!("{key}: {why}"));
                }
            }
            if opts.dry_run {
                let now_ms = chrono::Utc::now().timestamp_millis();
                let payloads = todo
                    .iter()
                    .map(|it| {
                        (
                            it.title.clone(),
                            platform.payload(&Message::of(model, it), &dest, now_ms),
                        )
                    })
                    .collect();
                summary.dry.push(Preview {
                    target: key,
                    series: series.id.clone(),
                    url: platform.masked(&dest),
                    notes,
                    payloads,
                });
                continue;
            }
            let mut limit = RateLimit::new(platform.per_minute());
            for it in todo {
                let msg = Message::of(model, it);
                let now_ms = chrono::Utc::now().timestamp_millis();
                let payload = platform.payload(&msg, &dest, now_ms);
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
            if first_use {
                state.announced.entry(key.clone()).or_default();
            }
        }
        if !opts.dry_run {
            archive.save_state(&series.id, &state)?;
        }
    }
    super::alerts::alert_maintainers(config, archive, opts, env, &client, &mut summary).await?;
    Ok(summary)
}
