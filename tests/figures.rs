//! Figures held against each other and against the series' history, end to end through the CLI.

mod common;

use std::process::Command;

use cncert_feed::archive::{Archive, Entry};
use cncert_feed::assemble::{Observation, ReadVia, SourceKind};
use cncert_feed::{MetricValue, PageKind, Report};

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
    report.assessment = Some("良".into());
    report
        .metrics
        .insert("incidents_handled".into(), MetricValue::Count(handled));
    report
        .metrics
        .insert("incidents_cross_border".into(), MetricValue::Count(10));
    let body = format!(
        "<p>本周，互联网网络安全态势整体评价为良。</p><p>本周，CNCERT协调云服务商、域名注册服务机构、应用商店、各省分中心以及国际合作组织共处理网络安全事件{handled}起，含跨境网络安全事件10起。</p>"
    );
    let obs = Observation {
        content_html: Some(body),
        ..Observation::new(report, ReadVia::Page, now)
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

fn explain(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("explain")
        .args(args)
        .output()
        .expect("binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn explain_shows_value_source_sentence_and_pattern_of_each_figure() {
    let page = common::site_dir().join("pages/2024-43.html");
    let (code, out, err) = explain(&[page.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("incidents_handled (处理网络安全事件) = 295 起  from wechat"),
        "{out}"
    );
    assert!(
        out.contains("pattern '共处理(?:了)?网络安全事件{N}起' matched as written"),
        "{out}"
    );
    assert!(
        out.contains("«共处理网络安全事件295起»,含跨境网络安全事件140起。"),
        "{out}"
    );
    assert!(
        out.contains("not stated in any text (no pattern matched): infected_hosts"),
        "{out}"
    );
    assert!(out.contains("warnings: none"), "{out}");

    // A PDF whose figures break a rule: both left out, the sentence and the reason shown,
    // and the numbers no pattern took listed for the maintainer.
    let pdf = common::cert_dir().join("files/pdf/2017-20.pdf");
    let (code, out, err) = explain(&[pdf.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("incidents_handled (处理网络安全事件): left out"), "{out}");
    assert!(out.contains("«重点处理了567起网页仿冒投诉»"), "{out}");
    assert!(
        out.contains("new_vulnerabilities (CNVD新收录漏洞) = 305 个  from website"),
        "{out}"
    );
    assert!(out.contains("numbers in the text that no pattern took:"), "{out}");
    assert!(out.contains("涉及域名«649个»"), "{out}");
}

#[test]
fn explain_reads_an_archived_issue_again_and_says_when_the_archive_is_stale() {
    let data = common::temp_dir("explain");
    let archive = Archive::new(&data);
    archive_issue(&archive, 30, 280);
    // A typo the archive did not read (as if archived before the tolerant patterns).
    archive_issue(&archive, 31, 295);
    let path = data.join("cncert-weekly/2024/31.json");
    let text = std::fs::read_to_string(&path).expect("archived");
    std::fs::write(
        &path,
        text.replace("网络安全事件295起", "网络安全事295起")
            .replace("\"incidents_handled\": 295", "\"incidents_handled\": 2950"),
    )
    .expect("write");
    let (code, out, err) = explain(&["2024/31", "--data", data.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("matched with one character missing or doubled"), "{out}");
    assert!(out.contains("«共处理网络安全事295起»"), "{out}");
    assert!(
        out.contains("incidents_handled (处理网络安全事件) = 2950 起  from wechat"),
        "{out}"
    );
    assert!(out.contains("run `cncert-feed crawl --reextract`"), "{out}");
    let (code, _, err) = explain(&["2024/44", "--data", data.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(1));
    assert!(err.contains("2024/44") && err.contains("not in the archive"), "{err}");
    let _ = std::fs::remove_dir_all(&data);
}
