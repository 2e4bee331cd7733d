//! The maintainer's target (`maintainer: true`): the health report's alerts, once per condition
//! until it clears. An alert is known by its id (`source_failing:website`); the ids sent are kept
//! in the state (`announced["alerts:<target>"]`), and an id whose condition cleared is dropped
//! from there, so the condition is told again if it comes back. Readers' targets never get
//! alerts, and the maintainer's never gets issues.

use serde_json::json;

use super::post::post;
use super::run::{NotifyOptions, NotifySummary, Preview, not_set, read_destination};
use super::{Message, email, platform};
use crate::archive::Archive;
use crate::config::{Config, Series, TargetConfig, TargetKind};
use crate::error::Result;
use crate::health::{Alert, Health};

/// The state key of what a maintainer target was told.
fn state_key(target: &TargetConfig) -> String {
    format!("alerts:{}", target.key())
}

/// The message of `alerts` for one series.
fn message(config: &Config, series: &Series, health: &Health, alerts: &[&Alert]) -> Message {
    let link = config
        .site
        .base_url
        .as_ref()
        .and_then(|b| b.join(&format!("{}/health.md", series.id)).ok())
        .map(|u| u.to_string())
        .unwrap_or_default();
    Message {
        title: format!(
            "cncert-feed: {} {} for {}",
            alerts.len(),
            if alerts.len() == 1 { "alert" } else { "alerts" },
            series.title
        ),
        link,
        assessment: None,
        figures: alerts
            .iter()
            .map(|a| {
                (
                    a.id.split(':').next().unwrap_or("alert").to_string(),
                    a.message.clone(),
                    String::new(),
                )
            })
            .collect(),
        item: json!({
            "series": series.id,
            "at": health.at.to_rfc3339(),
            "alerts": alerts.iter().map(|a| json!({"id": a.id, "message": a.message, "since": a.since.to_rfc3339()})).collect::<Vec<_>>(),
        }),
        series_title: series.title.clone(),
        lang: crate::publish::Lang::Zh,
    }
}

/// Tells each maintainer target the alerts of each series' last health report it was not told
/// yet (or, with `dry_run`, previews them).
pub(super) async fn alert_maintainers(
    config: &Config,
    archive: &Archive,
    opts: &NotifyOptions,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    client: &reqwest::Client,
    summary: &mut NotifySummary,
) -> Result<()> {
    for series in &config.series {
        let targets: Vec<&TargetConfig> = config
            .notify
            .iter()
            .filter(|t| t.maintainer && (t.series.is_empty() || t.series.contains(&series.id)))
            .collect();
        if targets.is_empty() {
            continue;
        }
        let health = match crate::health::load(archive, &series.id) {
            Ok(Some(h)) => h,
            Ok(None) => {
                summary.idle.push(format!(
                    "{}: no health report yet (crawl or build writes one): no alert for the maintainer",
                    series.id
                ));
                continue;
            }
            Err(e) => {
                summary.failed.push((
                    "maintainer".to_string(),
                    series.id.clone(),
                    format!("{e}; the next crawl writes a new one"),
                ));
                continue;
            }
        };
        let mut state = archive.load_state(&series.id)?;
        if !opts.dry_run {
            archive.probe_state(&series.id)?;
        }
        for target in targets {
            let key = state_key(target);
            // Conditions that cleared are forgotten: told again if they come back.
            let told: Vec<String> = state
                .announced
                .get(&key)
                .map(|v| {
                    v.iter()
                        .filter(|id| health.alerts.iter().any(|a| &a.id == *id))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let new: Vec<&Alert> = health.alerts.iter().filter(|a| !told.contains(&a.id)).collect();
            if new.is_empty() {
                let why = if health.alerts.is_empty() {
                    "no alert in the last health report".to_string()
                } else {
                    format!("its {} alert(s) were told already", health.alerts.len())
                };
                summary
                    .idle
                    .push(format!("{} (maintainer): nothing to send: {why}", target.key()));
                if !opts.dry_run {
                    state.announced.insert(key, told);
                }
                continue;
            }
            let (dest, missing) = read_destination(target, env, opts.dry_run);
            if !missing.is_empty() && !opts.dry_run {
                summary
                    .skipped
                    .push(format!("{} (maintainer): {}; skipped", target.key(), not_set(&missing)));
                continue;
            }
            let msg = message(config, series, &health, &new);
            let platform = platform(target.kind);
            let now_ms = chrono::Utc::now().timestamp_millis();
            let payload = platform.payload(&msg, &dest, now_ms);
            if opts.dry_run {
                summary.dry.push(Preview {
                    target: format!("{} (maintainer)", target.key()),
                    series: series.id.clone(),
                    url: platform.masked(&dest),
                    notes: Vec::new(),
                    payloads: vec![(msg.title.clone(), payload)],
                });
                continue;
            }
            let result = if target.kind == TargetKind::Email {
                match email::Mailer::new(&dest) {
                    Ok(m) => m.send(&msg).await,
                    Err(why) => Err(why),
                }
            } else {
                post(client, platform.as_ref(), &dest, &payload, now_ms).await
            };
            match result {
                Ok(()) => {
                    let mut all = told;
                    all.extend(new.iter().map(|a| a.id.clone()));
                    state.announced.insert(key, all);
                    archive.save_state(&series.id, &state)?;
                    summary.sent.push((format!("{} (maintainer)", target.key()), msg.title));
                }
                Err(why) => summary
                    .failed
                    .push((format!("{} (maintainer)", target.key()), msg.title, why)),
            }
        }
        if !opts.dry_run {
            archive.save_state(&series.id, &state)?;
        }
    }
    Ok(())
}
