//! Rules every record's figures must keep, whatever their source (DESIGN.md §7): a part never
//! exceeds its whole, the hosts add up, and a figure far outside the series' history is flagged.
//! A figure that breaks a rule is left out with a warning: a missing figure is better than a
//! wrong one. Used by extraction (one text) and by assembly (figures from several sources).

use std::collections::BTreeMap;

use crate::report::{MetricValue, Report};

/// A part that can never exceed its whole: (part, whole, what the part is).
const PARTS: &[(&str, &str)] = &[
    ("incidents_cross_border", "incidents_handled"),
    ("phishing_complaints", "incidents_handled"),
    ("defaced_gov_sites", "defaced_sites"),
    ("backdoor_gov_sites", "backdoor_sites"),
    ("trojan_botnet_hosts", "infected_hosts"),
    ("conficker_hosts", "infected_hosts"),
];

/// The infected hosts are the trojan/botnet hosts plus the conficker hosts.
const HOSTS_SUM: (&str, &str, &str) = ("infected_hosts", "trojan_botnet_hosts", "conficker_hosts");

/// A broken rule: the figures involved and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The figures the rule relates.
    pub keys: Vec<String>,
    /// What is wrong, for people.
    pub message: String,
}

fn count(metrics: &BTreeMap<String, MetricValue>, key: &str) -> Option<i64> {
    match metrics.get(key) {
        Some(MetricValue::Count(n)) => Some(*n),
        _ => None,
    }
}

/// How far a count may be from the exact number because it was written rounded (18.4万 stands
/// for anything from 183,500 to 184,499).
pub fn rounding(n: i64) -> i64 {
    [10_000, 1_000, 100]
        .into_iter()
        .find(|unit| n >= *unit && n % unit == 0)
        .map(|unit| unit / 2)
        .unwrap_or(0)
}

/// The rules a set of figures breaks.
pub fn violations(metrics: &BTreeMap<String, MetricValue>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (part, whole) in PARTS {
        if let (Some(p), Some(w)) = (count(metrics, part), count(metrics, whole))
            && p > w + rounding(p) + rounding(w)
        {
            out.push(Violation {
                keys: vec![part.to_string(), whole.to_string()],
                message: format!("{part} ({p}) is more than {whole} ({w}), of which it is a part"),
            });
        }
    }
    let (total, a, b) = HOSTS_SUM;
    if let (Some(t), Some(x), Some(y)) = (count(metrics, total), count(metrics, a), count(metrics, b)) {
        let slack = rounding(t) + rounding(x) + rounding(y);
        if (x + y - t).abs() > slack {
            out.push(Violation {
                keys: vec![total.to_string(), a.to_string(), b.to_string()],
                message: format!("{a} ({x}) + {b} ({y}) = {} is not {total} ({t})", x + y),
            });
        }
    }
    out
}

/// Leaves out the figures that break a rule. `trust` ranks each figure's source (0 is the most
/// trusted): when the figures of a broken rule come from sources of different trust, only the
/// least trusted are left out; otherwise all of them are. Returns what was left out and why.
pub fn enforce(metrics: &mut BTreeMap<String, MetricValue>, trust: impl Fn(&str) -> u8) -> Vec<(Vec<String>, String)> {
    let mut removed = Vec::new();
    loop {
        let Some(v) = violations(metrics).into_iter().next() else {
            return removed;
        };
        let worst = v.keys.iter().map(|k| trust(k)).max().unwrap_or(0);
        let best = v.keys.iter().map(|k| trust(k)).min().unwrap_or(0);
        let drop: Vec<String> = v
            .keys
            .iter()
            .filter(|k| best == worst || trust(k) == worst)
            .cloned()
            .collect();
        for k in &drop {
            metrics.remove(k);
        }
        removed.push((drop.clone(), format!("{}; {} left out", v.message, drop.join(", "))));
    }
}

/// How many times larger (or smaller) than every neighbouring issue a figure must be to be flagged.
pub const HISTORY_FACTOR: i64 = 10;
/// A difference smaller than this is never flagged (small counts move a lot).
pub const HISTORY_MIN_DIFFERENCE: i64 = 100;
/// Fewer neighbouring values than this say nothing about a figure.
pub const HISTORY_MIN_VALUES: usize = 4;

/// Whether `value` lies far outside the values of neighbouring issues (more than ten times their
/// largest, or less than a tenth of their smallest): a message when it does.
pub fn outlier(key: &str, value: i64, neighbours: &[i64]) -> Option<String> {
    if neighbours.len() < HISTORY_MIN_VALUES {
        return None;
    }
    let lo = *neighbours.iter().min()?;
    let hi = *neighbours.iter().max()?;
    let high = value > hi.saturating_mul(HISTORY_FACTOR) && value - hi >= HISTORY_MIN_DIFFERENCE;
    let low = value.saturating_mul(HISTORY_FACTOR) < lo && lo - value >= HISTORY_MIN_DIFFERENCE;
    (high || low).then(|| {
        format!("{key} ({value}) is far outside the neighbouring issues ({lo}–{hi}): check it against the report")
    })
}

/// Whether a record's warning is about its figures (left out, far outside the history, sources
/// disagreeing): what a run's summary and the HTML page show.
pub fn is_figure_warning(w: &str) -> bool {
    w.contains("left out") || w.contains("far outside") || w.contains("sources disagree")
}

/// How many neighbouring issues a figure is compared with.
pub const HISTORY_NEIGHBOURS: usize = 12;

/// Compares each count of `report` with the same figure of the nearest issues in `others` (the
/// rest of the series). A figure far outside them gets a warning; where `strict` says its source
/// is no text (a picture), it is left out instead. Returns the figures left out.
pub fn check_history(report: &mut Report, others: &[&Report], strict: impl Fn(&str) -> bool) -> Vec<String> {
    let Some(at) = ordinal(report) else {
        return Vec::new();
    };
    let mut near: Vec<(i64, &Report)> = others
        .iter()
        .filter_map(|o| ordinal(o).filter(|n| *n != at).map(|n| ((n - at).abs(), *o)))
        .collect();
    near.sort_by_key(|(d, _)| *d);
    let mut removed = Vec::new();
    let keys: Vec<(String, i64)> = report
        .metrics
        .iter()
        .filter_map(|(k, v)| v.as_count().map(|n| (k.clone(), n)))
        .collect();
    for (key, value) in keys {
        let neighbours: Vec<i64> = near
            .iter()
            .filter_map(|(_, o)| o.metrics.get(&key).and_then(MetricValue::as_count))
            .take(HISTORY_NEIGHBOURS)
            .collect();
        let Some(message) = outlier(&key, value, &neighbours) else {
            continue;
        };
        if strict(&key) {
            report.metrics.remove(&key);
            report
                .warnings
                .push(format!("{message}; read from a picture, so left out"));
            removed.push(key);
        } else {
            report.warnings.push(format!("{message}; kept, as the text states it"));
        }
    }
    removed
}

/// Where an issue stands in the series (year and issue as one number), for nearness.
fn ordinal(r: &Report) -> Option<i64> {
    Some(i64::from(r.year?) * 60 + i64::from(r.issue?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, i64)]) -> BTreeMap<String, MetricValue> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), MetricValue::Count(*v)))
            .collect()
    }

    /// 2024年第43期 as printed, with the monitoring figures of 2020年第51期.
    fn consistent() -> BTreeMap<String, MetricValue> {
        m(&[
            ("incidents_handled", 295),
            ("incidents_cross_border", 140),
            ("phishing_complaints", 253),
            ("infected_hosts", 609_000),
            ("trojan_botnet_hosts", 546_000),
            ("conficker_hosts", 63_000),
            ("defaced_sites", 4078),
            ("defaced_gov_sites", 19),
            ("backdoor_sites", 580),
            ("backdoor_gov_sites", 2),
        ])
    }

    #[test]
    fn a_consistent_record_passes() {
        assert_eq!(violations(&consistent()), vec![]);
        // 18.4万 = 11.3万 + 7.1万 within rounding, and also 18.4万 vs 11.3万 + 7.2万 (rounded parts).
        assert_eq!(
            violations(&m(&[
                ("infected_hosts", 184_000),
                ("trojan_botnet_hosts", 113_000),
                ("conficker_hosts", 72_000)
            ])),
            vec![]
        );
    }

    #[test]
    fn each_inconsistency_is_caught() {
        for (key, value, expect) in [
            (
                "incidents_cross_border",
                296,
                vec!["incidents_cross_border", "incidents_handled"],
            ),
            (
                "phishing_complaints",
                2530,
                vec!["phishing_complaints", "incidents_handled"],
            ),
            ("defaced_gov_sites", 4079, vec!["defaced_gov_sites", "defaced_sites"]),
            ("backdoor_gov_sites", 717, vec!["backdoor_gov_sites", "backdoor_sites"]),
            (
                "trojan_botnet_hosts",
                446_000,
                vec!["infected_hosts", "trojan_botnet_hosts", "conficker_hosts"],
            ),
            (
                "conficker_hosts",
                73_000,
                vec!["infected_hosts", "trojan_botnet_hosts", "conficker_hosts"],
            ),
        ] {
            let mut metrics = consistent();
            metrics.insert(key.to_string(), MetricValue::Count(value));
            let v = violations(&metrics);
            assert_eq!(v.len(), 1, "{key}={value}: {v:?}");
            assert_eq!(v[0].keys, expect, "{key}");
            let removed = enforce(&mut metrics, |_| 0);
            for k in &expect {
                assert!(!metrics.contains_key(*k), "{k} kept after {key}={value}");
            }
            assert!(removed[0].1.contains("left out"), "{removed:?}");
            assert!(violations(&metrics).is_empty());
        }
    }

    #[test]
    fn the_less_trusted_figure_is_the_one_left_out() {
        let mut metrics = consistent();
        metrics.insert("defaced_gov_sites".into(), MetricValue::Count(40780));
        let removed = enforce(&mut metrics, |k| if k == "defaced_gov_sites" { 2 } else { 0 });
        assert_eq!(removed[0].0, vec!["defaced_gov_sites".to_string()]);
        assert_eq!(metrics.get("defaced_sites"), Some(&MetricValue::Count(4078)));
    }

    #[test]
    fn history_keeps_a_text_figure_with_a_warning_and_leaves_a_picture_figure_out() {
        let issue = |n: u32, handled: i64, infected: i64| Report {
            year: Some(2024),
            issue: Some(n),
            metrics: m(&[("incidents_handled", handled), ("infected_hosts", infected)]),
            ..Report::default()
        };
        let others: Vec<Report> = (30..42).map(|n| issue(n, 280 + i64::from(n), 184_000)).collect();
        let refs: Vec<&Report> = others.iter().collect();
        let mut r = issue(43, 2950, 18_400_000);
        let removed = check_history(&mut r, &refs, |k| k == "infected_hosts");
        assert_eq!(removed, vec!["infected_hosts".to_string()]);
        assert_eq!(r.metrics.get("incidents_handled"), Some(&MetricValue::Count(2950)));
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("infected_hosts") && w.contains("left out"))
        );
        assert!(
            !r.warnings.iter().any(|w| w.contains("incidents_handled")),
            "2950 is within ten times"
        );
        let mut r = issue(43, 29500, 190_000);
        assert!(check_history(&mut r, &refs, |_| false).is_empty());
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("incidents_handled (29500)") && w.contains("kept"))
        );
        // The issue itself is not its own history.
        let mut r = others[0].clone();
        assert!(check_history(&mut r, &refs, |_| true).is_empty());
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn far_outside_the_history_is_flagged_and_small_moves_are_not() {
        let history = [280, 295, 310, 341, 368, 494];
        assert!(outlier("incidents_handled", 2950, &history).is_none());
        assert!(outlier("incidents_handled", 4950, &history).is_some());
        assert!(outlier("incidents_handled", 20, &history).is_some());
        assert!(outlier("backdoor_gov_sites", 2, &[19, 30, 25, 40]).is_none());
        assert!(outlier("incidents_handled", 49500, &history[..3]).is_none());
    }
}
