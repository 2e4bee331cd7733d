//! Sending one message over HTTP: the JSON post, what an answer is read of, the one wait a
//! rate limit (HTTP 429) may ask for, and the per-platform messages-a-minute window.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Destination, Platform};

/// Sliding-window rate limiter: at most `n` sends per minute.
pub(super) struct RateLimit {
    n: usize,
    sent: VecDeque<Instant>,
}

impl RateLimit {
    /// At most `n` a minute (0: no limit).
    pub(super) fn new(n: usize) -> RateLimit {
        RateLimit {
            n,
            sent: VecDeque::new(),
        }
    }

    /// Waits until one more may go, and counts it.
    pub(super) async fn wait(&mut self) {
        if self.n == 0 {
            return;
        }
        let minute = Duration::from_secs(60);
        while let Some(front) = self.sent.front() {
            if front.elapsed() >= minute {
                self.sent.pop_front();
            } else {
                break;
            }
        }
        if self.sent.len() >= self.n
            && let Some(front) = self.sent.front()
        {
            tokio::time::sleep(minute.saturating_sub(front.elapsed())).await;
            self.sent.pop_front();
        }
        self.sent.push_back(Instant::now());
    }
}

/// The most of a webhook's answer that is read (answers are a few hundred bytes).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Reads at most `max` bytes of an answer (lossy UTF-8): a hostile endpoint cannot make us buffer
/// an endless body.
pub(super) async fn read_limited(mut resp: reqwest::Response, max: usize) -> String {
    let mut body: Vec<u8> = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = max.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= max {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The longest wait for a platform's `retry_after` before the one retry; a longer one is a
/// failure, retried on the next run.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// How long a rate-limited answer (HTTP 429) asks to wait: Discord's `retry_after` (seconds,
/// fractional), Telegram's `parameters.retry_after`, or a `Retry-After` header (seconds or an
/// HTTP date, read as the fetcher reads it).
pub fn rate_limit_wait(header: Option<&str>, body: &str) -> Option<Duration> {
    let from_body = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.get("retry_after")
            .or_else(|| v.get("parameters").and_then(|p| p.get("retry_after")))
            .and_then(Value::as_f64)
    });
    match from_body {
        Some(secs) => (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0))),
        None => crate::fetch::retry_after(header?, chrono::Utc::now()),
    }
}

/// Posts one JSON payload and says whether the platform took it. A 429 whose `retry_after` is
/// at most [`MAX_RETRY_WAIT`] is waited out and tried once more.
pub(super) async fn post(
    client: &reqwest::Client,
    platform: &(dyn Platform + Send + Sync),
    dest: &Destination,
    payload: &Value,
    now_ms: i64,
) -> std::result::Result<(), String> {
    let body = serde_json::to_vec(payload).map_err(|e| format!("cannot encode the message: {e}"))?;
    let mut retried = false;
    loop {
        let request = client
            .post(platform.url(dest, now_ms))
            .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(body.clone());
        let resp = request.send().await.map_err(|e| {
            format!(
                "cannot reach {}: {}",
                platform.masked(dest),
                if e.is_timeout() {
                    "timed out"
                } else {
                    "connection failed"
                }
            )
        })?;
        let status = resp.status().as_u16();
        let header = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string);
        let answer = read_limited(resp, MAX_ANSWER_BYTES).await;
        if status != 429 {
            return platform.accepted(status, &answer);
        }
        let wait = rate_limit_wait(header.as_deref(), &answer);
        match wait {
            Some(w) if !retried && w <= MAX_RETRY_WAIT => {
                tokio::time::sleep(w).await;
                retried = true;
            }
            _ => {
                return Err(format!(
                    "rate limited (HTTP 429{}){}",
                    wait.map(|w| format!(", retry after {:.1} s", w.as_secs_f64()))
                        .unwrap_or_default(),
                    if retried { " again after waiting" } else { "" }
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn twenty_a_minute_then_the_next_waits_for_the_window() {
        let mut limit = RateLimit {
            n: 20,
            sent: VecDeque::new(),
        };
        let start = tokio::time::Instant::now();
        for _ in 0..20 {
            limit.wait().await;
        }
        assert!(start.elapsed() < Duration::from_secs(1), "the first 20 go at once");
        limit.wait().await;
        assert!(start.elapsed() >= Duration::from_secs(60), "the 21st waits a minute");
    }

    #[test]
    fn rate_limit_waits_come_from_the_body_or_the_header() {
        let d = |s: f64| Some(Duration::from_secs_f64(s));
        assert_eq!(
            rate_limit_wait(None, r#"{"message":"limited","retry_after":0.25}"#),
            d(0.25)
        );
        assert_eq!(
            rate_limit_wait(None, r#"{"ok":false,"error_code":429,"parameters":{"retry_after":7}}"#),
            d(7.0)
        );
        assert_eq!(rate_limit_wait(Some("3"), "Too many requests"), d(3.0));
        assert_eq!(rate_limit_wait(None, "Too many requests"), None);
        assert_eq!(rate_limit_wait(None, r#"{"retry_after":-1}"#), None);
    }
}
