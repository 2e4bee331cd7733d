//! Numbers as PDF text and pages write them: a table's next column is never glued onto a figure
//! (issue 18.2), and a comma is a thousands separator only every three digits (issue 18.6c).
//! A figure that cannot be read for sure is left out with a warning naming the text.

mod common;

use cncert_feed::MetricValue;
use cncert_feed::extract::{paragraphs_of, report_from_text};

const TITLE: &str = "网络安全信息与动态周报2024年第43期";

/// The record of a PDF-like text: lines as the PDF's text runs give them.
fn read(text: &str) -> cncert_feed::Report {
    let paragraphs = paragraphs_of(text);
    report_from_text(Some(TITLE), &paragraphs, &common::repo_config()).expect("an issue of the series")
}

fn count(r: &cncert_feed::Report, key: &str) -> Option<i64> {
    r.metrics.get(key).and_then(MetricValue::as_count)
}

/// Whether a warning names `key`'s text (`needle`) and says the figure was left out.
fn warned(r: &cncert_feed::Report, needle: &str) -> bool {
    r.warnings.iter().any(|w| w.contains(needle) && w.contains("left out"))
}

#[test]
fn a_tables_change_column_is_not_glued_onto_the_figure() {
    let cases: &[(&str, &str, i64)] = &[
        ("新增信息安全漏洞数 305 15.0%", "new_vulnerabilities", 305),
        ("新增信息安全漏洞数\n305\n15.0%", "new_vulnerabilities", 305),
        ("本周新增信息安全漏洞305\n15.0%。", "new_vulnerabilities", 305),
        ("新增信息安全漏洞数 305 15%", "new_vulnerabilities", 305),
        ("境内被篡改网站总数 2219 25.5%", "defaced_sites", 2219),
        ("境内被篡改网站总数\n2219\n25.5%", "defaced_sites", 2219),
    ];
    for (text, key, want) in cases {
        let r = read(text);
        // Never the two columns glued (30515, 221925): the figure, read up to the space.
        assert_eq!(count(&r, key), Some(*want), "{text:?}: {:?}", r.warnings);
    }
}

#[test]
fn a_number_split_across_text_runs_is_still_joined() {
    let cases: &[(&str, &str, i64)] = &[
        // 2024-43.pdf: `共处理网络安全事件\n29 5\n起`.
        (
            "共处理网络安全事件\n29 5\n起，含跨境网络安全事件\n1\n40起。",
            "incidents_handled",
            295,
        ),
        (
            "共处理网络安全事件\n29 5\n起，含跨境网络安全事件\n1\n40起。",
            "incidents_cross_border",
            140,
        ),
        // 2017-21.pdf: `共涉及域名3\n17个`: the unit stays with the second run.
        ("境内被篡改网站数量为3\n17个。", "defaced_sites", 317),
        ("境内感染网络病毒的主机数量约为23.\n8万个。", "infected_hosts", 238_000),
        ("境内感染网络病毒的主机数量约为23\n.8万个。", "infected_hosts", 238_000),
    ];
    for (text, key, want) in cases {
        let r = read(text);
        assert_eq!(count(&r, key), Some(*want), "{text:?}: {:?}", r.warnings);
    }
}

#[test]
fn a_split_that_may_be_two_numbers_is_left_out_with_a_warning() {
    // `2` then `3.8万`: 23.8万 split in two runs, or a figure of 2 and another of 3.8万? Unsure.
    let text = "境内感染网络病毒的主机数量约为2\n3.8万个。";
    let r = read(text);
    assert_eq!(count(&r, "infected_hosts"), None, "{:?}", r.metrics);
    assert!(warned(&r, "infected_hosts"), "{:?}", r.warnings);
    assert!(warned(&r, "3.8万"), "the warning names the text: {:?}", r.warnings);
}

#[test]
fn thousands_separators_come_every_three_digits() {
    let r = read("本周共处理网络安全事件4,078起。");
    assert_eq!(count(&r, "incidents_handled"), Some(4078), "{:?}", r.warnings);
    let r = read("本周共处理网络安全事件1,234,567起。");
    assert_eq!(count(&r, "incidents_handled"), Some(1_234_567), "{:?}", r.warnings);
    let r = read("本周共处理网络安全事件1,234.5万起。");
    assert_eq!(count(&r, "incidents_handled"), Some(12_345_000), "{:?}", r.warnings);
    // A comma that ends the number (a full-width comma, NFKC-folded) is punctuation.
    let r = read("新增信息安全漏洞数量为305，较上周增加15个。");
    assert_eq!(count(&r, "new_vulnerabilities"), Some(305), "{:?}", r.warnings);
}

#[test]
fn a_misplaced_comma_leaves_the_figure_out_with_a_warning() {
    for (text, written) in [
        ("本周共处理网络安全事件4078,19起。", "4078,19"),
        ("本周共处理网络安全事件40,78起。", "40,78"),
        ("本周共处理网络安全事件4,0781起。", "4,0781"),
        ("本周共处理网络安全事件4,078,1起。", "4,078,1"),
        ("新增信息安全漏洞数量为4078,19个。", "4078,19"),
        ("新增信息安全漏洞数量为4078, 19个。", "4078», 19个"),
    ] {
        let r = read(text);
        assert!(r.metrics.is_empty(), "{text:?}: {:?}", r.metrics);
        assert!(
            r.warnings.iter().any(|w| w.contains("left out") && w.contains(written)),
            "{text:?}: the warning names the text: {:?}",
            r.warnings
        );
    }
}
