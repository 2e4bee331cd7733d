//! The health report as people read it: Markdown (`health.md`, the GitHub job summary), GitHub
//! Actions annotations (`::warning …`), and the one "data status" line of the series page.

use std::fmt::Write as _;

use super::Health;

/// The report in Markdown: alerts first, then the sources, then the issues.
pub fn markdown(h: &Health) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## cncert-feed health: {} ({})\n",
        h.series,
        h.at.format("%Y-%m-%d %H:%M %:z")
    );
    let _ = writeln!(
        out,
        "{} · config sha256 `{}`\n",
        h.tool,
        h.config_sha256.get(..12).unwrap_or(&h.config_sha256)
    );
    if h.alerts.is_empty() {
        let _ = writeln!(out, "No alerts.\n");
    } else {
        let _ = writeln!(out, "### Alerts\n");
        for a in &h.alerts {
            let _ = writeln!(out, "- ⚠️ {} (since {})", cell(&a.message), a.since.format("%Y-%m-%d"));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "### Sources\n");
    let _ = writeln!(
        out,
        "| source | status | requests (answered) | new | updated | known | failing runs | last ok |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for s in &h.sources {
        let status = match &s.why {
            Some(why) => format!("{}: {}", s.status, cell(why)),
            None => s.status.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {status} | {} ({}) | {} | {} | {} | {} | {} |",
            s.source,
            s.requests,
            s.answered,
            list(&s.new),
            list(&s.updated),
            s.known,
            s.failing_runs,
            s.last_ok
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "never".into())
        );
    }
    let failed: Vec<String> = h
        .sources
        .iter()
        .flat_map(|s| {
            s.failed
                .iter()
                .map(move |(u, why)| format!("- {}: {} ({})", s.source, cell(u), cell(why)))
        })
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nFailed this run:\n\n{}", failed.join("\n"));
    }
    if !h.issues.is_empty() {
        let _ = writeln!(out, "\n### Issues\n");
        let _ = writeln!(out, "| issue | state | figures | usual | by source | missing |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for i in &h.issues {
            let by: Vec<String> = i.by_source.iter().map(|(s, n)| format!("{s} {n}")).collect();
            let missing: Vec<String> = i.missing.iter().map(|m| format!("{} ({})", m.key, m.why)).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                i.issue,
                i.state,
                i.figures,
                i.usual.map(|u| u.to_string()).unwrap_or_else(|| "–".into()),
                list(&by),
                cell(&list(&missing))
            );
        }
        if h.issues_not_listed > 0 {
            let _ = writeln!(
                out,
                "\n… and {} older issues archived or changed this run.",
                h.issues_not_listed
            );
        }
        for i in h.issues.iter().filter(|i| !i.left_out.is_empty()) {
            let _ = writeln!(out, "\n{} left out:\n", i.issue);
            for w in &i.left_out {
                let _ = writeln!(out, "- {}", cell(w));
            }
        }
    }
    out
}

/// The GitHub Actions workflow commands for the alerts: one `::warning` line each.
pub fn annotations(h: &Health) -> Vec<String> {
    h.alerts
        .iter()
        .map(|a| {
            format!(
                "::warning title=cncert-feed {} ({})::{}",
                h.series,
                a.id.split(':').next().unwrap_or("alert"),
                command_data(&a.message)
            )
        })
        .collect()
}

/// The words of a data status line in one language.
struct StatusWords {
    /// Before the parts, and between two.
    head: &'static str,
    sep: &'static str,
    /// A source never read.
    never: &'static str,
    /// (source, last good day) → its part.
    source: fn(&str, &str) -> String,
    /// (source, last good day, this run's status) → its part, when this run failed.
    failed: fn(&str, &str, &str) -> String,
    /// (issue, figures, usual count when fewer) → the newest issue's part.
    issue: fn(&str, usize, Option<usize>) -> String,
    /// How an issue key's year and number are joined, and what follows (see [`issue_name`]).
    issue_name: (&'static str, &'static str),
}

const ZH: StatusWords = StatusWords {
    head: "数据状态：",
    sep: "；",
    never: "从未成功",
    source: |s, last| format!("{s} 最近成功 {last}"),
    failed: |s, last, status| format!("{s} 最近成功 {last}（本次失败：{status}）"),
    issue: |i, n, usual| match usual {
        Some(u) => format!("最新一期 {i} 有 {n} 项数据（往期通常 {u} 项）"),
        None => format!("最新一期 {i} 有 {n} 项数据"),
    },
    issue_name: ("年第", "期"),
};

const EN: StatusWords = StatusWords {
    head: "Data status: ",
    sep: "; ",
    never: "never",
    source: |s, last| format!("{s} last read {last}"),
    failed: |s, last, status| format!("{s} last read {last} (this run: {status})"),
    issue: |i, n, usual| match usual {
        Some(u) => format!("newest issue {i} has {n} figures (usually {u})"),
        None => format!("newest issue {i} has {n} figures"),
    },
    issue_name: (" No. ", ""),
};

/// The series page's data status line (Chinese, like the page): the last good run per source
/// and the newest issue's figures against the usual count.
pub fn status_line(h: &Health) -> String {
    status_line_in(h, &ZH)
}

/// [`status_line`] in English, for the English edition's page.
pub fn status_line_en(h: &Health) -> String {
    status_line_in(h, &EN)
}

fn status_line_in(h: &Health, w: &StatusWords) -> String {
    let mut parts: Vec<String> = h
        .sources
        .iter()
        .map(|s| {
            let last = s
                .last_ok
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| w.never.into());
            if s.failed_now() {
                (w.failed)(&s.source.to_string(), &last, &s.status.to_string())
            } else {
                (w.source)(&s.source.to_string(), &last)
            }
        })
        .collect();
    if let Some(i) = h.issues.first() {
        let name = issue_name(&i.issue, w.issue_name.0, w.issue_name.1);
        let usual = i.usual.filter(|&u| i.figures < u);
        parts.push((w.issue)(&name, i.figures, usual));
    }
    format!("{}{}", w.head, parts.join(w.sep))
}

/// An issue's archive key (`2025/4`) as readers name it: `2025年第4期`, `2025 No. 4` (a key of
/// another form stays as it is).
fn issue_name(key: &str, between: &str, after: &str) -> String {
    match key.split_once('/') {
        Some((y, n)) if !y.is_empty() && !n.is_empty() => format!("{y}{between}{n}{after}"),
        _ => key.to_string(),
    }
}

/// Items listed in a table cell at most.
const MAX_IN_CELL: usize = 8;

/// A comma-separated list (the first [`MAX_IN_CELL`], then how many more), or `–`.
fn list(v: &[String]) -> String {
    match v.len() {
        0 => "–".into(),
        n if n > MAX_IN_CELL => format!("{} and {} more", v[..MAX_IN_CELL].join(", "), n - MAX_IN_CELL),
        _ => v.join(", "),
    }
}

/// Text for one Markdown table cell or list item: no line breaks, no column bars.
fn cell(s: &str) -> String {
    s.replace(['\n', '\r'], " ").replace('|', "\\|")
}

/// A message as a workflow command's data: `%`, CR and LF escaped as GitHub asks.
fn command_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_data_cannot_start_another_command() {
        assert_eq!(command_data("a%\n::error::x"), "a%25%0A::error::x");
    }

    #[test]
    fn cells_stay_in_their_column() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
