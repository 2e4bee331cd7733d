//! Table tests: every wording of DESIGN.md §3, number form and title form, written as the real text reads,
//! through the repository's config.yaml.

mod common;

use cncert_feed::extract::{normalize_line, parse_number, parse_title};
use cncert_feed::sources::wechat::read::{ArticleMeta, extract_body};
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

/// A report's warnings joined, for messages.
fn warned(r: &cncert_feed::Report) -> String {
    r.warnings.join("\n")
}

#[test]
fn a_character_missing_or_doubled_in_a_fixed_phrase_still_reads() {
    let cases: &[(&str, &str, i64)] = &[
        // 2024: 事件 written 事, 处理 written 处.
        (
            "本周，CNCERT协调云服务商、域名注册服务机构、应用商店、各省分中心以及国际合作组织共处理网络安全事295起，含跨境网络安全事件140起。",
            "incidents_handled",
            295,
        ),
        (
            "本周，CNCERT协调云服务商、域名注册服务机构、应用商店、各省分中心以及国际合作组织共处网络安全事件295起，含跨境网络安全事件140起。",
            "incidents_handled",
            295,
        ),
        (
            "共处理网络安全事件295起，含跨境网络安全事140起。",
            "incidents_cross_border",
            140,
        ),
        (
            "其中，协调境内外域名注册机构、境外CERT等机构重点处253起仿冒投诉事件",
            "phishing_complaints",
            253,
        ),
        // A character doubled.
        ("共处理网络安全事事件295起", "incidents_handled", 295),
        ("境内被篡篡改网站数量为1865个", "defaced_sites", 1865),
        // 被 dropped before 僵尸 (a real copy of 2020年第51期).
        (
            "其中包括境内被木马或僵尸程序控制的主机约54.6万以及境内感染飞客（conficker）蠕虫的主机约6.3万",
            "trojan_botnet_hosts",
            546_000,
        ),
        // Spaces anywhere (PDF and OCR text).
        ("境内被植入后门的 网站数 量为 717 个", "backdoor_sites", 717),
    ];
    for (text, key, want) in cases {
        assert_eq!(count(text, key), Some(*want), "{key} in {text}");
    }
}

#[test]
fn a_phrase_broken_across_lines_or_elements_still_reads() {
    let r = figures(&[
        "本周，CNCERT协调基础电信企业共处理网络安全",
        "事件295起，含跨境网络安全事件140起。",
    ]);
    assert_eq!(
        r.metrics.get("incidents_handled").and_then(MetricValue::as_count),
        Some(295)
    );
    // A number is never joined with the next block's digits.
    let r = figures(&["境内被篡改网站数量为1865", "2024年10月"]);
    assert_eq!(
        r.metrics.get("defaced_sites").and_then(MetricValue::as_count),
        Some(1865)
    );
}

#[test]
fn two_characters_missing_is_not_a_typo_the_reader_takes() {
    assert_eq!(
        count("共处网络安全事295起", "incidents_handled"),
        Some(295),
        "one per phrase"
    );
    assert_eq!(count("处网络安全事件295起", "incidents_handled"), None);
    assert_eq!(count("共处理网络事件295起", "incidents_handled"), None);
}

#[test]
fn the_2011_to_2015_wordings_are_read() {
    // As the issue of 2013年12月30日至2014年1月5日 reads.
    let r = figures(&[
        "在12月30日至1月5日期间，我国互联网网络安全指数整体评价为良。其中，境内感染网络病毒的主机数约为66.4万个，较上周下降7.8%；境内被篡改政府网站数量为373个，较上周环比下降0.8%；境内被植入后门的政府网站数量为61个，较上周上升15.1%；针对境内网站的仿冒页面数量为354个，较上周环比上升16.8%；新增信息安全漏洞81个，其中高危漏洞16个。",
        "一、网络病毒活动情况",
        "（1）境内感染网络病毒的主机数量约为 66.4 万个，其中包括境内被木马或被僵尸程序控制的主机约 32.6 万以及境内感染飞客（Conficker）蠕虫的主机约为33.8万个。",
    ]);
    assert_eq!(r.assessment.as_deref(), Some("良"), "{}", warned(&r));
    for (key, want) in [
        ("infected_hosts", 664_000),
        ("trojan_botnet_hosts", 326_000),
        ("conficker_hosts", 338_000),
        ("defaced_gov_sites", 373),
        ("backdoor_gov_sites", 61),
        ("phishing_pages", 354),
        ("new_vulnerabilities", 81),
    ] {
        assert_eq!(
            r.metrics.get(key).and_then(MetricValue::as_count),
            Some(want),
            "{key}: {}",
            warned(&r)
        );
    }
    // 政府网站数量 without 为, after the total it belongs to.
    let r = figures(&[
        "本周境内被篡改网站数量为1,253个，其中政府网站数量47个；境内被植入后门的网站数量为806个，其中政府网站数量为29个。",
    ]);
    for (key, want) in [
        ("defaced_sites", 1253),
        ("defaced_gov_sites", 47),
        ("backdoor_sites", 806),
        ("backdoor_gov_sites", 29),
    ] {
        assert_eq!(
            r.metrics.get(key).and_then(MetricValue::as_count),
            Some(want),
            "{key}: {}",
            warned(&r)
        );
    }
    // The assessment given by 态势 or 指数 alone.
    assert_eq!(figures(&["本周网络安全态势为良。"]).assessment.as_deref(), Some("良"));
    assert_eq!(figures(&["网络安全指数：中"]).assessment.as_deref(), Some("中"));
    assert_eq!(figures(&["本周网络安全基本态势"]).assessment, None);
}

#[test]
fn a_label_on_the_wrong_figure_leaves_the_figure_out_with_both_sentences() {
    // The phishing-pages sentence printed with the backdoor label: two values for backdoor_sites.
    let r = figures(&[
        "本周境内被篡改网站数量为1865个；境内被植入后门的网站数量为717个。",
        "本周境内被植入后门的网站数量为187个。",
    ]);
    assert_eq!(
        r.metrics.get("defaced_sites").and_then(MetricValue::as_count),
        Some(1865)
    );
    assert!(!r.metrics.contains_key("backdoor_sites"), "{:?}", r.metrics);
    let w = warned(&r);
    assert!(
        w.contains("backdoor_sites") && w.contains("717") && w.contains("187") && w.contains("left out"),
        "{w}"
    );
    assert!(
        w.contains("«境内被植入后门的网站数量为717»") && w.contains("«境内被植入后门的网站数量为187»"),
        "{w}"
    );
    // The same value stated twice (summary and body) is one figure.
    let r = figures(&[
        "境内被植入后门的网站数量为717个。",
        "（2）境内被植入后门的网站数量为717个，较上周下降1.2%。",
    ]);
    assert_eq!(
        r.metrics.get("backdoor_sites").and_then(MetricValue::as_count),
        Some(717)
    );
    assert!(
        r.warnings.iter().all(|w| !w.contains("backdoor_sites")),
        "{}",
        warned(&r)
    );
}

#[test]
fn figures_that_break_a_rule_are_left_out_with_a_warning() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["共处理网络安全事件140起，含跨境网络安全事件295起。"],
            &["incidents_handled", "incidents_cross_border"],
        ),
        (
            &["共处理网络安全事件140起。重点处理253起仿冒投诉事件。"],
            &["incidents_handled", "phishing_complaints"],
        ),
        (
            &[
                "境内感染网络病毒的主机数量约为18.4万个，其中包括境内被木马或被僵尸程序控制的主机约11.3万以及境内感染飞客（conficker）蠕虫的主机约9.1万。",
            ],
            &["infected_hosts", "trojan_botnet_hosts", "conficker_hosts"],
        ),
        (
            &["境内被篡改网站数量为186个。境内被篡改政府网站（GOV类）数量为280个（约占境内1.5%）。"],
            &["defaced_sites", "defaced_gov_sites"],
        ),
        (
            &["境内被植入后门的网站数量为7个。境内被植入后门的政府网站（GOV类）数量为9个（约占境内1.3%）。"],
            &["backdoor_sites", "backdoor_gov_sites"],
        ),
    ];
    for (text, keys) in cases {
        let r = figures(text);
        for k in *keys {
            assert!(!r.metrics.contains_key(*k), "{k} kept in {text:?}: {:?}", r.metrics);
        }
        let w = warned(&r);
        assert!(keys.iter().all(|k| w.contains(k)) && w.contains("left out"), "{w}");
    }
    // The consistent versions keep every figure and warn about nothing.
    let r = figures(&[
        "共处理网络安全事件295起，含跨境网络安全事件140起。重点处理253起仿冒投诉事件。",
        "境内感染网络病毒的主机数量约为18.4万个，其中包括境内被木马或被僵尸程序控制的主机约11.3万以及境内感染飞客（conficker）蠕虫的主机约7.1万。",
        "境内被篡改网站数量为1865个，境内被植入后门的网站数量为717个。境内被篡改政府网站（GOV类）数量为28个（约占境内1.5%）；境内被植入后门的政府网站（GOV类）数量为9个（约占境内1.3%）。",
    ]);
    assert_eq!(r.metrics.len(), 10, "{:?} {}", r.metrics, warned(&r));
    assert!(!warned(&r).contains("left out"), "{}", warned(&r));
}
