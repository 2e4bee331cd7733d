//! Figures read from pictures, from given picture texts (no Tesseract needed): which are taken
//! (stated twice alike, or confirmed by an exact sum; one picture under two URLs is one reading),
//! the text's figure beating a picture's, and the page marking a picture figure with its picture.

mod common;

use cncert_feed::MetricValue;
use cncert_feed::extract::pictures::figures_from_pictures;
use cncert_feed::picture::PictureText;

fn picture(url: &str, text: &str) -> PictureText {
    PictureText {
        text: text.into(),
        ..PictureText::article(url)
    }
}

/// WeChat serves one picture under several URLs (with and without `&tp=webp`, `wx_fmt`
/// variants, `from=appmsg`): the same pixels read twice are one reading, so a misread (33 read as
/// 3) is not confirmed by itself. A PDF picture embedded twice is one picture too.
#[test]
fn the_same_picture_under_two_urls_is_one_reading() {
    let config = common::repo_config();
    let series = &config.series[0];
    let misread = "本周境内被篡改政府网站 (GOV类) 数量为3个(约占\n境内1.5%)\n";
    let same = |url: &str| PictureText {
        sha256: "5f0c".repeat(16),
        ..picture(url, misread)
    };
    let all = [
        same("https://mmbiz.qpic.cn/d/640?wx_fmt=png"),
        same("https://mmbiz.qpic.cn/d/640?wx_fmt=png&tp=webp&from=appmsg"),
        PictureText {
            sha256: "5f0c".repeat(16),
            ..PictureText {
                text: misread.into(),
                ..PictureText::in_pdf("https://www.cert.org.cn/r.pdf", 2)
            }
        },
    ];
    let f = figures_from_pictures(&all, series);
    assert!(!f.metrics.contains_key("defaced_gov_sites"), "{:?}", f.metrics);
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("defaced_gov_sites = 3 was read once")),
        "{:?}",
        f.warnings
    );
    // Two different pictures stating the same value still confirm it.
    let other = PictureText {
        sha256: "a1b2".repeat(16),
        ..picture("https://mmbiz.qpic.cn/e/640", misread)
    };
    let f = figures_from_pictures(&[all[0].clone(), other], series);
    assert_eq!(f.metrics.get("defaced_gov_sites"), Some(&MetricValue::Count(3)));
}

/// The acceptance rules, over OCR texts as Tesseract gives them (line breaks anywhere, look-alike
/// characters, stray quotes). Pure: no Tesseract needed.
#[test]
fn a_picture_figure_is_taken_only_when_confirmed() {
    let config = common::repo_config();
    let series = &config.series[0];
    let dashboard = picture(
        "https://mmbiz.qpic.cn/a/640",
        "本周网络安全态势: 良\n指标 本周数量 较上周\n境内感染网络病毒的主机数 ”23.2万 个35.0%\n境内被自改网站总数 2219 上25.5%\n其中政府网站数 33 上35.5%\n境内被植入后门网站总数 1383 个27.2%\n其中政府网站数 15 25.4%\n针对境内网站的仿冒页面数 60 个12.8%\n新增信息安全漏洞数 325 了23.3%\n",
    );
    let hosts = picture(
        "https://mmbiz.qpic.cn/b/640",
        "本周境内感染网络病毒的主机数量约为23.2万个，其中\n包括境内被木马或被僵尸程序控制的主机约16.2万以及\n境内感染飞客 〈conficker) 蠕虫的主机约7万。\n",
    );
    let sites = picture(
        "https://mmbiz.qpic.cn/c/640",
        "本周CNCERT监测发现境内被算改网站数量为2219\n个; 境内被植入后门的网站数量为1383个; 针对境内网\n站的仿冒页面数量为60个。\n",
    );
    // OCR dropped a digit here: 33 read as 3.
    let gov = picture(
        "https://mmbiz.qpic.cn/d/640",
        "本周境内被自改政府网站 (GOV类) 数量为3个“(约占\n境内1.5%) ; 境内被植入后门的政府网站 (GOV类)\n数量为15个 (约占境内1.3%)\n",
    );
    let vulns = picture(
        "https://mmbiz.qpic.cn/e/640",
        "本周，国家信息安全漏洞共享平台 (CNVD) 新收录网络\n安全漏洞325个，信息安全漏洞威胁整体评价级别为中。\n",
    );
    let all = [
        dashboard.clone(),
        hosts.clone(),
        sites.clone(),
        gov.clone(),
        vulns.clone(),
    ];
    let f = figures_from_pictures(&all, series);
    let n = |k: &str| f.metrics.get(k).and_then(MetricValue::as_count);
    // Read twice alike: taken.
    assert_eq!(n("infected_hosts"), Some(232_000));
    assert_eq!(n("defaced_sites"), Some(2219));
    assert_eq!(n("backdoor_sites"), Some(1383));
    assert_eq!(n("backdoor_gov_sites"), Some(15));
    assert_eq!(n("phishing_pages"), Some(60));
    assert_eq!(n("new_vulnerabilities"), Some(325));
    // Read once, but they add up to the confirmed total: taken.
    assert_eq!(n("trojan_botnet_hosts"), Some(162_000));
    assert_eq!(n("conficker_hosts"), Some(70_000));
    assert_eq!(
        f.metrics.get("vulnerability_threat_level"),
        Some(&MetricValue::Level("中".into()))
    );
    // Read as 33 and as 3: left out, the pictures named.
    assert!(!f.metrics.contains_key("defaced_gov_sites"));
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("defaced_gov_sites") && w.contains("https://mmbiz.qpic.cn/d/640")),
        "{:?}",
        f.warnings
    );

    // Without the dashboard, figures stated once are left out, and hosts that do not add up too.
    let f = figures_from_pictures(&[sites.clone(), vulns.clone()], series);
    assert!(!f.metrics.contains_key("defaced_sites") && !f.metrics.contains_key("new_vulnerabilities"));
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("read once") && w.contains("https://mmbiz.qpic.cn/c/640"))
    );
    let wrong_hosts = picture("https://mmbiz.qpic.cn/f/640", &hosts.text.replace("约7万", "约9万"));
    let f = figures_from_pictures(&[dashboard.clone(), wrong_hosts], series);
    assert!(!f.metrics.contains_key("conficker_hosts") && !f.metrics.contains_key("trojan_botnet_hosts"));
    assert_eq!(
        f.metrics.get("infected_hosts").and_then(MetricValue::as_count),
        Some(232_000)
    );
    // A misread last digit (7万 read as 7.1万) is within the report's rounding but is not taken:
    // only an exact sum confirms.
    let last_digit = picture("https://mmbiz.qpic.cn/g/640", &hosts.text.replace("约7万", "约7.1万"));
    let f = figures_from_pictures(&[dashboard.clone(), last_digit.clone()], series);
    assert!(!f.metrics.contains_key("conficker_hosts") && !f.metrics.contains_key("trojan_botnet_hosts"));

    // The hosts paragraph alone (a PDF's picture, no dashboard): total and parts read once each
    // confirm one another when they add up exactly, and are all left out when they do not.
    let f = figures_from_pictures(std::slice::from_ref(&hosts), series);
    assert_eq!(n_of(&f, "infected_hosts"), Some(232_000));
    assert_eq!(n_of(&f, "trojan_botnet_hosts"), Some(162_000));
    assert_eq!(n_of(&f, "conficker_hosts"), Some(70_000));
    let f = figures_from_pictures(&[last_digit], series);
    for k in ["infected_hosts", "trojan_botnet_hosts", "conficker_hosts"] {
        assert!(!f.metrics.contains_key(k), "{k} taken from a sum that does not add up");
    }
    // The same paragraph in the article's picture and the PDF's: read twice, taken.
    let pdf_sites = picture(
        "https://www.cert.org.cn/publish/main/upload/File/x.pdf#picture=3",
        &sites.text,
    );
    let f = figures_from_pictures(&[sites.clone(), pdf_sites], series);
    assert_eq!(n_of(&f, "defaced_sites"), Some(2219));
    assert_eq!(n_of(&f, "phishing_pages"), Some(60));
}

fn n_of(f: &cncert_feed::extract::pictures::PictureFigures, k: &str) -> Option<i64> {
    f.metrics.get(k).and_then(MetricValue::as_count)
}

#[test]
fn text_beats_a_picture_and_a_picture_breaking_a_rule_is_left_out() {
    use cncert_feed::assemble::{Observation, ReadVia, SourceKind, assemble};
    let config = common::repo_config();
    let series = &config.series[0];
    let now = chrono::DateTime::parse_from_rfc3339("2025-03-14T10:00:00+08:00").expect("valid");
    let mut text = cncert_feed::Report::of_kind(
        cncert_feed::PageKind::Report,
        Some("https://mp.weixin.qq.com/s?x".into()),
    );
    text.series = Some(series.id.clone());
    text.year = Some(2025);
    text.issue = Some(10);
    text.metrics.insert("incidents_handled".into(), MetricValue::Count(342));
    text.metrics.insert("defaced_sites".into(), MetricValue::Count(2219));
    let mut pictures = text.clone();
    pictures.metrics.clear();
    pictures
        .metrics
        .insert("defaced_sites".into(), MetricValue::Count(2218));
    pictures
        .metrics
        .insert("defaced_gov_sites".into(), MetricValue::Count(22190));
    pictures.metrics.insert("phishing_pages".into(), MetricValue::Count(60));
    let obs = |report: cncert_feed::Report| Observation::new(report, ReadVia::Page, now);
    let mut o = std::collections::BTreeMap::new();
    o.insert(SourceKind::Wechat, obs(text));
    o.insert(SourceKind::Ocr, obs(pictures));
    let a = assemble(&o);
    assert_eq!(
        a.report.metrics["defaced_sites"],
        MetricValue::Count(2219),
        "the text wins"
    );
    assert_eq!(a.figure_sources["defaced_sites"], SourceKind::Wechat);
    assert_eq!(a.conflicts["defaced_sites"][&SourceKind::Ocr], MetricValue::Count(2218));
    assert!(
        !a.report.metrics.contains_key("defaced_gov_sites"),
        "a GOV count over its total"
    );
    assert_eq!(a.figure_sources["phishing_pages"], SourceKind::Ocr);
}

#[test]
fn the_page_marks_picture_figures_with_their_picture() {
    use cncert_feed::archive::{Archive, observe};
    use cncert_feed::assemble::{Observation, ReadVia, SourceKind};
    let config = common::repo_config();
    let now = chrono::DateTime::parse_from_rfc3339("2025-03-14T10:00:00+08:00").expect("valid");
    let mut text = cncert_feed::Report::of_kind(
        cncert_feed::PageKind::Report,
        Some("https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=a".into()),
    );
    text.series = Some("cncert-weekly".into());
    text.title = Some("网络安全信息与动态周报2025年第10期".into());
    text.year = Some(2025);
    text.issue = Some(10);
    text.metrics.insert("incidents_handled".into(), MetricValue::Count(342));
    let obs = |report: cncert_feed::Report, pictures: Vec<PictureText>| Observation {
        pictures,
        ..Observation::new(report, ReadVia::Page, now)
    };
    let mut from_pictures = text.clone();
    from_pictures.metrics.clear();
    from_pictures
        .metrics
        .insert("infected_hosts".into(), MetricValue::Count(232_000));
    let pictures = vec![
        picture("https://mmbiz.qpic.cn/chart/640", ""),
        picture(
            "https://mmbiz.qpic.cn/hosts/640",
            "本周境内感染网络病毒的主机数量约为23.2万个",
        ),
    ];
    let entry = observe(None, SourceKind::Wechat, obs(text, Vec::new()), now, None).expect("entry");
    let entry = observe(Some(&entry), SourceKind::Ocr, obs(from_pictures, pictures), now, None).expect("entry");
    let data = common::temp_dir("ocr-render");
    Archive::new(&data).save_entry(&entry).expect("save");
    let out = common::temp_dir("ocr-render-out");
    cncert_feed::publish::render(&config, &Archive::new(&data), &out).expect("render");
    let html = std::fs::read_to_string(out.join("cncert-weekly/index.html")).expect("page");
    let row = html
        .lines()
        .find(|l| l.contains("境内感染网络病毒的主机"))
        .expect("the figure's row");
    assert!(
        row.contains("识别自图片") && row.contains("href=\"https://mmbiz.qpic.cn/hosts/640\""),
        "{row}"
    );
    let text_row = html
        .lines()
        .find(|l| l.contains("<td>处理网络安全事件</td>"))
        .expect("row");
    assert!(!text_row.contains("识别自图片"), "{text_row}");
}
