//! Table tests: every wording of DESIGN.md §3, number form and title form, written as the real text reads,
//! through the repository's config.yaml.

mod common;

use cncert_feed::extract::{ArticleMeta, extract_body, normalize_line, parse_number, parse_title};
use cncert_feed::{MetricValue, PageKind};

const TITLE: &str = "网络安全信息与动态周报2024年第43期（10月21日-10月27日）";

/// Extracts the figures of a body made of `paragraphs` (each in its own <p>, split over spans).
fn figures(paragraphs: &[&str]) -> cncert_feed::Report {
    let html: String = paragraphs
        .iter()
        .map(|p| format!("<p><span leaf=\"\">{p}</span></p>"))
        .collect();
    let meta = ArticleMeta {
        title: Some(TITLE.to_string()),
        ..ArticleMeta::default()
    };
    extract_body(
        &format!("<div id=\"js_content\">{html}</div>"),
        meta,
        &common::repo_config(),
    )
    .report
}

fn count(text: &str, key: &str) -> Option<i64> {
    figures(&[text]).metrics.get(key).and_then(MetricValue::as_count)
}

#[test]
fn every_wording_of_the_contract_is_matched() {
    let cases: &[(&str, &str, i64)] = &[
        ("共处理网络安全事件295起", "incidents_handled", 295),
        ("共处理了网络安全事件494起", "incidents_handled", 494),
        ("共处理网络安全事件 368起", "incidents_handled", 368),
        (
            "共处理网络安全事件 383起，含跨境网络安全事件164起",
            "incidents_handled",
            383,
        ),
        ("含跨境网络安全事件140起", "incidents_cross_border", 140),
        ("其中跨境网络安全事件202起", "incidents_cross_border", 202),
        ("重点处理253起仿冒投诉事件", "phishing_complaints", 253),
        ("重点处理了451起网页仿冒投诉事件", "phishing_complaints", 451),
        ("重点处理306起仿冒投诉事 件", "phishing_complaints", 306),
        (
            "协调16个提供恶意移动应用程序下载服务的平台",
            "malicious_app_platforms",
            16,
        ),
        ("共处理传播移动互联网恶意代码的恶意URL链接18个", "malicious_urls", 18),
        ("共处理传播移动互联网恶意 代码的恶意URL链16个", "malicious_urls", 16),
        ("本周境内感染网络病毒的主机数量约为18.4万个", "infected_hosts", 184_000),
        (
            "其中包括境内被木马或被僵尸程序控制的主机约11.3万",
            "trojan_botnet_hosts",
            113_000,
        ),
        ("境内感染飞客（conficker）蠕虫的主机约7.1万", "conficker_hosts", 71_000),
        ("境内被篡改网站数量为1865个", "defaced_sites", 1865),
        ("境内被篡改的网站数量为1793个", "defaced_sites", 1793),
        ("境内被篡改网站数量为5460 个", "defaced_sites", 5460),
        ("境内被植入后门的网站数量为717个", "backdoor_sites", 717),
        ("针对境内网站的仿冒页面数量为187个", "phishing_pages", 187),
        ("针对境内网站的仿冒页面数量为92。", "phishing_pages", 92),
        (
            "境内被篡改政府网站（GOV类）数量为28个（约占境内1.5%）",
            "defaced_gov_sites",
            28,
        ),
        (
            "境内被植入后门的政府网站（GOV类）数量为9个（约占境内1.3%）",
            "backdoor_gov_sites",
            9,
        ),
        (
            "国家信息安全漏洞共享平台（CNVD）新收录网络安全漏洞284个",
            "new_vulnerabilities",
            284,
        ),
        ("境内被篡改网站数量为1,234个", "defaced_sites", 1234),
    ];
    for (text, key, want) in cases {
        assert_eq!(count(text, key), Some(*want), "{key} in «{text}»");
    }
}

#[test]
fn ratings_are_strings() {
    for (text, want) in [
        ("本周，互联网网络安全态势整体评价为良。", "良"),
        ("本周，互联网网络安全态势整体评价为优。", "优"),
        ("本周，互联网网络安全态势整体评价为 中 。", "中"),
        ("本周，互联网网络安全态势整体评价为差。", "差"),
        ("本周，互联网网络安全态势整体评价为：良。", "良"),
        ("本周，互联网网络安全态势整体评价为“中”。", "中"),
    ] {
        assert_eq!(figures(&[text]).assessment.as_deref(), Some(want), "{text}");
    }
    let r = figures(&["信息安全漏洞威胁整体评价级别为中"]);
    assert_eq!(
        r.metrics.get("vulnerability_threat_level"),
        Some(&MetricValue::Level("中".into()))
    );
    assert_eq!(
        r.assessment, None,
        "the vulnerability rating is not the overall assessment"
    );
}

#[test]
fn split_elements_are_joined() {
    let html = "<div id=\"js_content\"><p><span leaf=\"\">共处理网络安全事件</span><span><strong>334</strong></span><span leaf=\"\">起，含跨境网络安全事件</span><strong>1</strong><strong>11</strong>起。</p></div>";
    let meta = ArticleMeta {
        title: Some(TITLE.to_string()),
        ..ArticleMeta::default()
    };
    let r = extract_body(html, meta, &common::repo_config()).report;
    assert_eq!(r.metrics.get("incidents_handled"), Some(&MetricValue::Count(334)));
    assert_eq!(r.metrics.get("incidents_cross_border"), Some(&MetricValue::Count(111)));
}

#[test]
fn percentages_captions_and_urls_are_not_figures() {
    let r = figures(&[
        "图1 境内被篡改网站数量为1865个",
        "CNVD漏洞周报发布地址：http://www.cnvd.org.cn/webinfo/list?type=4",
        "境内被篡改政府网站（GOV类）数量为28个（约占境内1.5%），环比下降了35.7%",
    ]);
    assert_eq!(r.metrics.get("defaced_sites"), None, "caption gave a figure");
    assert_eq!(r.metrics.get("defaced_gov_sites"), Some(&MetricValue::Count(28)));
    assert_eq!(r.metrics.len(), 1, "{:?}", r.metrics);
    // A number inside a URL in running text never becomes a figure either.
    let r = figures(&["共处理网络安全事件https://example.org/295起"]);
    assert_eq!(r.metrics.get("incidents_handled"), None);
}

#[test]
fn number_forms() {
    for (s, want) in [
        ("295", Some(295)),
        ("1,234", Some(1234)),
        ("18.4万", Some(184_000)),
        ("7.1万", Some(71_000)),
        ("21.65万", Some(216_500)),
        ("3万", Some(30_000)),
        ("1.2亿", Some(120_000_000)),
        ("12.3456789万", Some(123_457)),
        ("", None),
        ("万", None),
        ("1.2.3", None),
        ("99999999999999999999", None),
    ] {
        assert_eq!(parse_number(s), want, "{s}");
    }
}

#[test]
fn title_forms() {
    let config = common::repo_config();
    let series = &config.series[0];
    let cases: &[(&str, i32, u32, &str, &str)] = &[
        (
            "网络安全信息与动态周报2024年第43期（10月21日-10月27日）",
            2024,
            43,
            "2024-10-21",
            "2024-10-27",
        ),
        (
            "网络安全信息与动态周报2025年第1期（12月30日-1月5日）",
            2025,
            1,
            "2024-12-30",
            "2025-01-05",
        ),
        (
            "网络安全信息与动态周报2020年第53期（12月28日-1月3日）",
            2020,
            53,
            "2020-12-28",
            "2021-01-03",
        ),
        (
            "网络安全信息与动态周报2025年第2期(1月6日-1月12日)",
            2025,
            2,
            "2025-01-06",
            "2025-01-12",
        ),
        (
            "网络安全信息与动态周报2024年第47期（11月18日—11月24日）",
            2024,
            47,
            "2024-11-18",
            "2024-11-24",
        ),
        (
            "网络安全信息与动态周报2024年第47期（11月18日–11月24日）",
            2024,
            47,
            "2024-11-18",
            "2024-11-24",
        ),
        (
            "网络安全信息与动态周报2024年第47期（11月18日至11月24日）",
            2024,
            47,
            "2024-11-18",
            "2024-11-24",
        ),
        (
            "网络安全信息与动态周报2019年第5期（1月28日-2月3日）",
            2019,
            5,
            "2019-01-28",
            "2019-02-03",
        ),
        (
            "网络安全信息与动态周报 2023年 第9期（2月27日-3月5日）",
            2023,
            9,
            "2023-02-27",
            "2023-03-05",
        ),
        (
            "网络安全信息与动态周报２０２４年第４３期（１０月２１日－１０月２７日）",
            2024,
            43,
            "2024-10-21",
            "2024-10-27",
        ),
    ];
    for (title, year, issue, start, end) in cases {
        let t = parse_title(&normalize_line(title), series).unwrap_or_else(|| panic!("not parsed: {title}"));
        assert_eq!((t.year, t.issue), (*year, *issue), "{title}");
        let (s, e) = t.period.unwrap_or_else(|| panic!("no period: {title}"));
        assert_eq!(
            (s.to_string().as_str(), e.to_string().as_str()),
            (*start, *end),
            "{title}"
        );
    }
    for other in [
        "关于防范一种新型勒索软件的风险提示",
        "网络安全信息与动态周报合集",
        "网络安全信息与动态周报2024年第0期",
    ] {
        assert!(parse_title(&normalize_line(other), series).is_none(), "{other}");
    }
}

#[test]
fn a_page_of_another_account_is_not_an_issue() {
    let meta = ArticleMeta {
        title: Some(TITLE.to_string()),
        author: Some("某转载号".to_string()),
        ..ArticleMeta::default()
    };
    let r = extract_body(
        "<div id=\"js_content\"><p>共处理网络安全事件1起</p></div>",
        meta,
        &common::repo_config(),
    )
    .report;
    assert_eq!(r.kind, Some(PageKind::OtherArticle));
}

#[test]
fn recap_lists_only_series_links_on_the_article_host() {
    let html = r#"<div id="js_content"><p>近期回顾</p>
<p><a href="http://mp.weixin.qq.com/s?__biz=MzI=&amp;mid=1&amp;idx=1&amp;sn=aa&amp;chksm=1#wechat_redirect">网络安全信息与动态周报2024年第42期（10月14日-10月20日）</a></p>
<p><a href="https://evil.example/s?__biz=MzI=&amp;mid=2&amp;idx=1&amp;sn=bb">网络安全信息与动态周报2024年第41期（10月7日-10月13日）</a></p>
<p><a href="http://mp.weixin.qq.com/s?__biz=MzI=&amp;mid=3&amp;idx=1&amp;sn=cc">关于防范一种新型勒索软件的风险提示</a></p>
<p><a href="https://mp.weixin.qq.com/s/AbC-d_9" textvalue="网络安全信息与动态周报2024年第40期（9月30日-10月6日）"><img data-src="x"></a></p>
<p><a href="javascript:alert(1)">网络安全信息与动态周报2024年第39期（9月23日-9月29日）</a></p></div>"#;
    let meta = ArticleMeta {
        title: Some(TITLE.to_string()),
        ..ArticleMeta::default()
    };
    let r = extract_body(html, meta, &common::repo_config()).report;
    assert_eq!(
        r.previous,
        vec![
            "https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=aa".to_string(),
            "https://mp.weixin.qq.com/s/AbC-d_9".to_string()
        ]
    );
}
