//! Figures from harder pictures (issue 21): the rules that keep a misread out, without
//! Tesseract: a count misread as a decimal or a percentage is no count.

mod common;

use cncert_feed::extract::pictures::figures_from_pictures;
use cncert_feed::picture::PictureText;

fn picture(url: &str, text: &str, _second: &str) -> PictureText {
    PictureText {
        text: text.into(),
        ..PictureText::article(url)
    }
}

/// The dashboard and a paragraph of AR PL UMing pictures, as Tesseract misread them: `26.1万`
/// read `26.1]万` and `26. 1万`, the number of new vulnerabilities lost before its change. Two
/// pictures agreeing on a misread is what confirmation cannot catch; the figure is not read.
#[test]
fn a_misread_decimal_or_a_percentage_is_no_count() {
    let config = common::repo_config();
    let dashboard = picture(
        "https://mmbiz.qpic.cn/d/640",
        "境内感染网络病毒的主机数 26.1]万 人11.6%\n新增信息安全漏洞数 15%\n",
        "",
    );
    let hosts = picture(
        "https://mmbiz.qpic.cn/p1/640",
        "本周境内感染网络病毒的主机数量约为26. 1万个，\n其中包括境内被木马或被僵尸程序控制的主机约\n18.4万以及境内感染飞客 (conficker) 蠕虫的\n\n主机约7.7万。\n",
        "",
    );
    let vulns = picture(
        "https://mmbiz.qpic.cn/p4/640",
        "本周，国家信息安全漏洞共享平台 (CNVD) 新收录网络安全漏洞15个，",
        "",
    );
    let f = figures_from_pictures(&[dashboard, hosts, vulns], &config.series[0]);
    assert!(f.metrics.is_empty(), "{:?}", f.metrics);
    let warnings = f.warnings.join("\n");
    assert!(warnings.contains("'26.1' has decimals but no unit"), "{warnings}");
    assert!(
        warnings.contains("a point and more digits follow the number"),
        "{warnings}"
    );
    assert!(warnings.contains("'15' is a percentage, not a count"), "{warnings}");
}
