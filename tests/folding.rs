//! Characters a producer writes in place of the ordinary ones (issue 20): CJK radical forms that
//! Qt's wkhtmltopdf maps glyphs to (⻢ for 马, ⻔ for 门, ⻚ for 页, ⻜ for 飞, ⻅ for 见), and Latin
//! ligatures that cairo writes (ﬁ) with spaces a reader puts around them. They are folded in every
//! source's text, so the sentences that hold them still give their figures.

mod common;

use cncert_feed::MetricValue;
use cncert_feed::extract::{normalize_line, paragraphs_of, report_from_text};

fn read(text: &str) -> cncert_feed::Report {
    report_from_text(
        Some("网络安全信息与动态周报2024年第43期"),
        &paragraphs_of(text),
        &common::repo_config(),
    )
    .expect("an issue of the series")
}

fn count(r: &cncert_feed::Report, key: &str) -> Option<i64> {
    r.metrics.get(key).and_then(MetricValue::as_count)
}

#[test]
fn radical_forms_read_as_the_characters_they_stand_for() {
    assert_eq!(normalize_line("⻢⻔⻚⻜⻅"), "马门页飞见");
    // Kangxi radicals and compatibility ideographs (NFKC) too.
    assert_eq!(normalize_line("⾺\u{F900}"), "馬豈");
    let r = read(
        "本周境内感染网络病毒的主机数量约为23.8万个，其中包括境内被⽊⻢或被僵尸程序控制的主机约19.4万以及境内感染⻜客（conficker）蠕虫的主机约4.4万。\n境内被植入后⻔的网站数量为772个；针对境内网站的仿冒⻚⾯数量为1049个。",
    );
    assert_eq!(count(&r, "trojan_botnet_hosts"), Some(194_000), "{:?}", r.warnings);
    assert_eq!(count(&r, "conficker_hosts"), Some(44_000), "{:?}", r.warnings);
    assert_eq!(count(&r, "backdoor_sites"), Some(772), "{:?}", r.warnings);
    assert_eq!(count(&r, "phishing_pages"), Some(1049), "{:?}", r.warnings);
}

#[test]
fn a_ligature_with_spaces_around_it_is_one_word_again() {
    assert_eq!(normalize_line("飞客（con ﬁ cker）"), "飞客(conficker)");
    assert_eq!(normalize_line("Con ﬁ cker and con ﬂ ict"), "Conficker and conflict");
    let r = read("境内感染飞客（con ﬁ cker）蠕虫的主机约4.4万。");
    assert_eq!(count(&r, "conficker_hosts"), Some(44_000), "{:?}", r.warnings);
}
