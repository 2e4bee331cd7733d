//! `metrics.csv` and `metrics.json`: one row per issue, sorted by period, a column per metric in
//! config order (empty when the issue lacks it).

use serde_json::{Map, Value, json};

use super::FeedModel;
use crate::error::{Error, Result};

const FIXED: [&str; 7] = [
    "series",
    "year",
    "issue",
    "period_start",
    "period_end",
    "published",
    "assessment",
];

/// Quotes a CSV field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    let s = super::xml_safe(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn rows(model: &FeedModel) -> Vec<Vec<(String, Value)>> {
    model
        .all
        .iter()
        .zip(&model.data)
        .map(|(e, d)| {
            let opt = |o: Option<String>| o.map(Value::String).unwrap_or(Value::Null);
            let mut row = vec![
                ("series".to_string(), json!(d.series)),
                ("year".to_string(), json!(d.year)),
                ("issue".to_string(), json!(d.issue)),
                ("period_start".to_string(), opt(d.period_start.map(|p| p.to_string()))),
                ("period_end".to_string(), opt(d.period_end.map(|p| p.to_string()))),
                ("published".to_string(), opt(e.report.published.map(|p| p.to_rfc3339()))),
                ("assessment".to_string(), opt(d.assessment.clone())),
            ];
            for m in &model.series.metrics {
                let v = match d.metrics.get(&m.key) {
                    Some(crate::report::MetricValue::Count(n)) => json!(n),
                    Some(crate::report::MetricValue::Level(l)) => json!(l),
                    None => Value::Null,
                };
                row.push((m.key.clone(), v));
            }
            row
        })
        .collect()
}

/// The CSV file, UTF-8 with a header.
pub fn csv(model: &FeedModel) -> String {
    let mut out = String::new();
    let header: Vec<&str> = FIXED
        .iter()
        .copied()
        .chain(model.series.metrics.iter().map(|m| m.key.as_str()))
        .collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for row in rows(model) {
        let cells: Vec<String> = row
            .iter()
            .map(|(_, v)| match v {
                Value::Null => String::new(),
                Value::String(s) => field(s),
                other => other.to_string(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The JSON file: an array of objects with the same fields as the CSV.
pub fn json(model: &FeedModel) -> Result<String> {
    let arr: Vec<Value> = rows(model)
        .into_iter()
        .map(|row| Value::Object(row.into_iter().collect::<Map<String, Value>>()))
        .collect();
    let mut s = serde_json::to_string_pretty(&arr).map_err(|e| Error::Serialize {
        what: "metrics.json".into(),
        message: e.to_string(),
    })?;
    s.push('\n');
    Ok(s)
}
