//! Rendering the figures: warnings in the issue's row, changes between consecutive weeks only,
//! archive values inert everywhere, large counts as the reports write them, the charts' heading.

mod common;

use std::path::Path;

use cncert_feed::archive::{Archive, Entry};
use cncert_feed::assemble::{Observation, ReadVia, SourceKind};
use cncert_feed::publish::render;
use cncert_feed::{MetricValue, PageKind, Report};

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn figure_warnings_show_in_the_issue_row_of_the_page() {
    let (data, config) = common::imported_archive();
    let out = common::temp_dir("render-warnings");
    render(&config, &Archive::new(&data), &out).expect("render");
    let html = String::from_utf8(read(&out.join("cncert-weekly/index.html"))).expect("utf-8");
    // The fixture's 2017年第20期 states more phishing complaints than incidents handled.
    let row = html
        .lines()
        .find(|l| l.contains("<tr>") && l.contains("2017年第20期"))
        .expect("the issue's row");
    assert!(
        row.contains("数据提示") && row.contains("phishing_complaints (567)"),
        "{row}"
    );
    let clean = html
        .lines()
        .find(|l| l.contains("<tr>") && l.contains("2024年第43期"))
        .expect("the issue's row");
    assert!(!clean.contains("数据提示"), "{clean}");
}

/// Archives one issue of 2024 with its week, assessment and figures.
fn archive_week(data: &Path, issue: u32, start: (u32, u32), assessment: &str, metrics: &[(&str, MetricValue)]) {
    let s = chrono::NaiveDate::from_ymd_opt(2024, start.0, start.1).expect("date");
    archive_issue(data, (2024, issue), s, assessment, metrics);
}

/// Archives one issue (year, number) of the week starting `start` with its assessment and figures.
fn archive_issue(
    data: &Path,
    (year, issue): (i32, u32),
    start: chrono::NaiveDate,
    assessment: &str,
    metrics: &[(&str, MetricValue)],
) {
    let now = chrono::DateTime::parse_from_rfc3339("2024-12-01T10:00:00+08:00").expect("valid");
    let mut report = Report::of_kind(
        PageKind::Report,
        Some(format!(
            "https://mp.weixin.qq.com/s?__biz=MzI=&mid={year}{issue}&idx=1&sn=ab"
        )),
    );
    report.series = Some("cncert-weekly".into());
    report.title = Some(format!("网络安全信息与动态周报{year}年第{issue}期"));
    report.year = Some(year);
    report.issue = Some(issue);
    report.period_start = Some(start);
    report.period_end = Some(start + chrono::Duration::days(6));
    report.published = Some(now);
    report.assessment = Some(assessment.into());
    report.metrics = metrics.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let obs = Observation::new(report, ReadVia::Page, now);
    Archive::new(data)
        .save_entry(&Entry::new(SourceKind::Wechat, obs, now))
        .expect("save");
}

fn changes_of(out: &Path, issue: u32) -> serde_json::Value {
    let jf: serde_json::Value = serde_json::from_slice(&read(&out.join("cncert-weekly/feed.json"))).expect("json");
    jf["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["_report"]["issue"] == issue)
        .map(|i| i["_report"]["changes"].clone())
        .unwrap_or(serde_json::Value::Null)
}

#[test]
fn changes_are_only_between_consecutive_weeks() {
    let config = common::repo_config();
    let data = common::temp_dir("consecutive");
    let n = |v: i64| MetricValue::Count(v);
    archive_week(&data, 41, (10, 7), "良", &[("incidents_handled", n(280))]);
    // 第42期 (10月14日起) is missing: 第43期 has no change against 第41期.
    archive_week(&data, 43, (10, 21), "良", &[("incidents_handled", n(295))]);
    let out = common::temp_dir("consecutive-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let c43 = changes_of(&out, 43);
    assert!(
        c43.as_object().is_none_or(|m| m.is_empty()),
        "a change across a missing week: {c43}"
    );
    // With 第42期 archived, the change is against it.
    archive_week(&data, 42, (10, 14), "良", &[("incidents_handled", n(300))]);
    render(&config, &Archive::new(&data), &out).expect("render");
    assert_eq!(changes_of(&out, 43)["incidents_handled"], json_delta(-5));
    assert_eq!(changes_of(&out, 42)["incidents_handled"], json_delta(20));
}

fn json_delta(d: i64) -> serde_json::Value {
    serde_json::json!(d)
}

#[test]
fn archive_values_are_inert_in_every_output() {
    let config = common::repo_config();
    let data = common::temp_dir("inert");
    let level = |s: &str| MetricValue::Level(s.to_string());
    archive_week(
        &data,
        42,
        (10, 14),
        "良",
        &[("vulnerability_threat_level", level("中\u{1}\u{7}"))],
    );
    let evil = "良\" onmouseover=\"alert(1)\" x=\"";
    archive_week(
        &data,
        43,
        (10, 21),
        evil,
        &[("vulnerability_threat_level", level("高<script>alert(2)</script>"))],
    );
    let out = common::temp_dir("inert-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let html = String::from_utf8(read(&out.join("cncert-weekly/index.html"))).expect("utf-8");
    assert!(!html.contains("onmouseover=\"alert"), "attribute broken out of");
    assert!(!html.contains("<script>alert(2)"), "markup injected");
    assert!(
        html.contains("class=\"badge b-other\""),
        "the badge class comes from a fixed list"
    );
    for f in ["rss.xml", "atom.xml", "feed.json"] {
        let bytes = read(&out.join("cncert-weekly").join(f));
        feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| panic!("{f} invalid: {e}"));
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(!text.contains("=\"良\" onmouseover"), "{f}: attribute broken out of");
        assert!(!text.contains("value=\"高<script"), "{f}: markup in an attribute");
        assert!(
            !text.contains('\u{1}') && !text.contains('\u{7}'),
            "{f}: control characters of the previous rating"
        );
        assert!(!text.contains("<script>alert(2)"), "{f}: raw markup");
    }
    // The previous issue's rating in the change is stripped too.
    let c = changes_of(&out, 43);
    assert_eq!(c["vulnerability_threat_level"]["from"], "中", "{c}");
}

#[test]
fn large_counts_show_as_the_report_writes_them_with_the_exact_figure_kept() {
    let config = common::repo_config();
    let data = common::temp_dir("wan");
    let n = |v: i64| MetricValue::Count(v);
    archive_week(&data, 42, (10, 14), "良", &[("infected_hosts", n(184_321))]);
    archive_week(
        &data,
        43,
        (10, 21),
        "良",
        &[("infected_hosts", n(250_000)), ("defaced_sites", n(184_000))],
    );
    let out = common::temp_dir("wan-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let dir = out.join("cncert-weekly");
    let page = String::from_utf8(read(&dir.join("index.html"))).expect("utf-8");
    // The latest figures: as in the summary line, the exact figure on hover.
    assert!(
        page.contains("<td class=\"n\" title=\"250000个\">25万个</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td class=\"n\" title=\"184000个\">18.4万个</td>"),
        "{page}"
    );
    assert!(page.contains("感染病毒主机25万个"), "the summary agrees");
    // A figure that is not a whole thousand is never rounded: the report wrote its digits.
    assert!(page.contains("<title>2024年第42期：184321个</title>"), "{page}");
    assert!(!page.contains("18.4321万") && !page.contains("18.43万"), "{page}");
    assert!(page.contains("<title>2024年第43期：25万个（250000）</title>"), "{page}");
    assert!(
        page.contains("<span class=\"nw\">最新 25万个</span>｜<span class=\"nw\">最低 184321 最高 25万</span>"),
        "{page}"
    );
    // The feeds' figures table does the same; the data for machines stays exact.
    let rss = rss::Channel::read_from(read(&dir.join("rss.xml")).as_slice()).expect("rss");
    let item = rss
        .items
        .iter()
        .find(|i| i.title.as_deref().is_some_and(|t| t.contains("第43期")))
        .expect("43");
    let content = item.content.clone().unwrap_or_default();
    assert!(
        content.contains("<td style=\"text-align:right\" title=\"250000个\">25万个</td>"),
        "{content}"
    );
    let metric = item.extensions["cncert"]["report"][0].children["metric"]
        .iter()
        .find(|m| m.attrs.get("key").map(String::as_str) == Some("infected_hosts"))
        .expect("metric");
    assert_eq!(metric.attrs.get("value").map(String::as_str), Some("250000"));
    let jf: serde_json::Value = serde_json::from_slice(&read(&dir.join("feed.json"))).expect("json");
    assert!(
        jf["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["_report"]["metrics"]["infected_hosts"] == 250_000)
    );
    let csv = String::from_utf8(read(&dir.join("metrics.csv"))).expect("utf-8");
    assert!(
        csv.contains(",250000,") && csv.contains(",184321,") && !csv.contains('万'),
        "{csv}"
    );
    let json = String::from_utf8(read(&dir.join("metrics.json"))).expect("utf-8");
    assert!(
        json.contains("\"infected_hosts\": 250000") && !json.contains('万'),
        "{json}"
    );
}

#[test]
fn the_charts_heading_says_which_years_and_how_many_issues_they_show() {
    let config = common::repo_config();
    let data = common::temp_dir("chart-heading");
    let n = |v: i64| MetricValue::Count(v);
    let day = |y: i32, m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    archive_issue(
        &data,
        (2014, 7),
        day(2014, 2, 10),
        "良",
        &[("incidents_handled", n(300))],
    );
    archive_issue(
        &data,
        (2017, 22),
        day(2017, 5, 29),
        "中",
        &[("incidents_handled", n(608))],
    );
    archive_issue(
        &data,
        (2024, 43),
        day(2024, 10, 21),
        "良",
        &[("incidents_handled", n(295))],
    );
    archive_issue(&data, (2025, 4), day(2025, 1, 20), "良", &[("malicious_urls", n(18))]);
    let out = common::temp_dir("chart-heading-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let page = String::from_utf8(read(&out.join("cncert-weekly/index.html"))).expect("utf-8");
    assert!(page.contains("<h2>趋势（2014–2025 年，共 4 期）</h2>"), "{page}");
    assert!(!page.contains("最近"), "every archived week is drawn: {page}");
    // Each chart says which of them it draws.
    assert!(
        page.contains("2014年第7期 – 2024年第43期（3 期）</span>｜<span class=\"nw\">最新 295起"),
        "{page}"
    );
    assert!(page.contains("<text x="), "year ticks");

    // One year: the heading names it.
    let data = common::temp_dir("chart-heading-one");
    archive_week(&data, 42, (10, 14), "良", &[("incidents_handled", n(300))]);
    archive_week(&data, 43, (10, 21), "良", &[("incidents_handled", n(295))]);
    let out = common::temp_dir("chart-heading-one-out");
    render(&config, &Archive::new(&data), &out).expect("render");
    let page = String::from_utf8(read(&out.join("cncert-weekly/index.html"))).expect("utf-8");
    assert!(page.contains("<h2>趋势（2024 年，共 2 期）</h2>"), "{page}");
}
