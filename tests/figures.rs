//! Figures held against each other and against the series' history, end to end through the CLI.

mod common;

use std::process::Command;

use cncert_feed::archive::{Archive, Entry};
use cncert_feed::assemble::{Observation, ReadVia, SourceKind};
use cncert_feed::{PageKind, Report};

/// Archives issue `issue` of 2024 as a WeChat page whose body states `handled` incidents.
fn archive_issue(archive: &Archive, issue: u32, handled: i64) {
    let now = chrono::DateTime::parse_from_rfc3339("2024-12-01T10:00:00+08:00").expect("valid");
    let mut report = Report::of_kind(
        PageKind::Report,
        Some(format!("https://mp.weixin.qq.com/s?__biz=MzI=&mid={issue}&idx=1&sn=ab")),
    );
    report.series = Some("cncert-weekly".into());
    report.title = Some(format!("网络安全信息与动态周报2024年第{issue}期"));
    report.year = Some(2024);
    report.issue = Some(issue);
    let body = format!(
        "<p>本周，互联网网络安全态势整体评价为良。</p><p>本周，CNCERT协调云服务商、域名注册服务机构、应用商店、各省分中心以及国际合作组织共处理网络安全事件{handled}起，含跨境网络安全事件10起。</p>"
    );
    let obs = Observation {
        report,
        via: ReadVia::Page,
        fetched_at: now,
        content_html: Some(body),
        pdf_text: None,
        pdf_size: None,
        pdf_failure: None,
    };
    archive
        .save_entry(&Entry::new(SourceKind::Wechat, obs, now))
        .expect("save");
}

#[test]
fn a_figure_far_outside_the_history_is_kept_with_a_warning_in_the_record_and_the_summary() {
    let data = common::temp_dir("history");
    let archive = Archive::new(&data);
    for (n, handled) in (30..42).zip([280, 295, 310, 341, 368, 494, 305, 290, 333, 360, 301, 299]) {
        archive_issue(&archive, n, handled);
    }
    // 2024年第43期 states 29500: a hundred times the weeks around it.
    archive_issue(&archive, 43, 29500);
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["crawl", "--reextract", "--data"])
        .arg(&data)
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("figure warning: 2024年第43期: incidents_handled (29500) is far outside"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("figure warning").count(), 1, "{stderr}");
    let entries = archive.load_series("cncert-weekly").expect("load");
    let e43 = entries.iter().find(|e| e.report.issue == Some(43)).expect("43");
    // The text states it unambiguously: kept, with the warning in the record.
    assert_eq!(e43.report.metrics["incidents_handled"].as_count(), Some(29500));
    assert!(
        e43.report.warnings.iter().any(|w| w.contains("far outside")),
        "{:?}",
        e43.report.warnings
    );
    // A second run finds nothing new to say.
    let again = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["crawl", "--reextract", "--data"])
        .arg(&data)
        .output()
        .expect("binary runs");
    assert!(!String::from_utf8_lossy(&again.stderr).contains("figure warning"));
    let _ = std::fs::remove_dir_all(&data);
}
