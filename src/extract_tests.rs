//! Tests of `extract.rs`.

use super::text::{simple_nfkc, simple_nfkc_char};
use super::*;
use crate::config::MINIMAL_FOR_TESTS as MINIMAL;
use unicode_normalization::UnicodeNormalization;

#[test]
fn split_numbers_are_joined_but_not_into_the_next_column() {
    let cases = [
        ("事件\n29 5\n起", "事件\n295\n起"),
        ("域名3\n17个", "域名317个"),
        ("约为23.\n8万", "约为23.8万"),
        ("约占境内1\n.0%", "约占境内1.0%"),
        ("约占境内0.\n6%", "约占境内0.6%"),
        ("漏洞数 305 15.0%", "漏洞数 305 15.0%"),
        ("漏洞305\n15.0%", "漏洞305\n15.0%"),
        ("总数 2219 25.5%", "总数 2219 25.5%"),
        ("数 305 15%", "数 305 15%"),
        ("约为2\n3.8万", "约为2\n3.8万"),
        ("约为2 38万", "约为2 38万"),
        ("295起\n\n2024", "295起\n\n2024"),
    ];
    for (text, want) in cases {
        assert_eq!(join_split_numbers(text), want, "{text:?}");
    }
}

#[test]
fn the_simple_nfkc_is_nfkc() {
    // Every character of the set, alone and next to every kind of neighbour.
    let set: Vec<char> = (0u32..=0x10FFFF)
        .filter_map(char::from_u32)
        .filter(|c| simple_nfkc_char(*c).is_some())
        .collect();
    for &c in &set {
        let want: String = c.to_string().nfkc().collect();
        assert_eq!(simple_nfkc(&c.to_string()), Some(want), "U+{:04X}", c as u32);
    }
    let samples = [
        'a', 'A', '1', ' ', '\t', '，', '（', 'Ａ', '０', '网', '。', '“', '—', '\u{3000}', '\n', '~', '\u{7f}',
    ];
    for &a in &samples {
        for &b in &set {
            for s in [format!("{a}{b}"), format!("{b}{a}")] {
                let want: String = s.nfkc().collect();
                assert_eq!(simple_nfkc(&s), Some(want), "{s:?}");
            }
        }
    }
    // Anything else leaves the line to NFKC.
    for s in ["e\u{301}", "ﬁ", "\u{200b}", "⻢", "①", "㈱", "\u{a0}"] {
        assert_eq!(simple_nfkc(s), None, "{s:?}");
    }
    assert_eq!(
        normalize_line("本周，共处理网络安全事件２９５起（含跨境）。"),
        "本周,共处理网络安全事件295起(含跨境)。"
    );
}

#[test]
fn a_comma_is_a_thousands_separator_every_three_digits_or_not_at_all() {
    for (s, want) in [
        ("4,078", Some(4078)),
        ("1,234,567", Some(1_234_567)),
        ("12,345.5万", Some(123_455_000)),
        ("4078", Some(4078)),
        ("4078,19", None),
        ("40,78", None),
        ("4,0781", None),
        ("1234,567", None),
        ("4,078,1", None),
        (",078", None),
        ("4,078,", None),
        ("4,,078", None),
    ] {
        assert_eq!(parse_number(s), want, "{s}");
    }
}

/// Characters of every kind a line's normalization treats apart: simple ones, whitespace of
/// every width, URL parts, brackets, and ones only NFKC handles (ligatures, zero-width,
/// combining marks, no-break space, ellipsis).
const LINE_POOL: &[char] = &[
    'a', 'Z', '1', ' ', '\t', '\n', '\u{3000}', '，', '（', '）', '网', '络', '●', '·', '×', '→', ':', '/', 'w', '.',
    'h', 't', 'p', 's', '(', ')', '[', ']', '\u{a0}', 'ﬁ', '\u{200b}', 'é', 'e', '\u{301}', 'Ａ', '—', '…', '⻢', '①',
    '：', '／', 'ｗ',
];

proptest::proptest! {
    #[test]
    fn the_one_pass_normalization_is_the_pass_after_pass_one(
        picks in proptest::collection::vec(0..LINE_POOL.len(), 0..40)
    ) {
        let s: String = picks.iter().map(|&i| LINE_POOL[i]).collect();
        let want = super::text::normalize_any_line(&s);
        if let Some(fast) = super::text::normalize_simple_line(&s) {
            proptest::prop_assert_eq!(&fast, &want, "{:?}", s);
        }
        proptest::prop_assert_eq!(normalize_line(&s), want, "{:?}", s);
    }

    #[test]
    fn lines_are_joined_as_character_by_character(
        picks in proptest::collection::vec(0..LINE_POOL.len(), 0..40)
    ) {
        let s: String = picks.iter().map(|&i| LINE_POOL[i]).collect();
        // The definition, one character at a time.
        let mut want = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\n' {
                let prev = want.chars().next_back();
                let next = chars.peek().copied();
                if prev.is_some_and(is_cjk) || next.is_some_and(is_cjk) {
                    continue;
                }
            }
            want.push(c);
        }
        proptest::prop_assert_eq!(joined_text(&s), want, "{:?}", s);
    }
}

#[test]
fn common_lines_take_the_one_pass_normalization() {
    for line in [
        "●网络安全信息与动态周报2024年第42期（10月14日-10月20日）",
        "本周，共处理网络安全事件２９５起 ，含跨境网络安全事件140起。",
        "  CNCERT  协调 · 处理  ",
    ] {
        assert!(super::text::normalize_simple_line(line).is_some(), "{line}");
    }
    for line in ["见 https://www.cert.org.cn/x", "ﬁle", "a\u{a0}b", "…"] {
        assert!(super::text::normalize_simple_line(line).is_none(), "{line}");
    }
}

#[test]
fn a_pattern_too_big_to_compile_matches_nothing_and_says_so() {
    let text = MINIMAL.replace("共处理网络安全事件{N}起", r"\w{600}共处理网络安全事件{N}起");
    let c = crate::config::Config::parse(&text, "t.yaml").unwrap();
    let series = &c.series[0];
    let p = &series.metrics[0].patterns[0];
    assert_eq!(p.problem(), None, "nothing compiled yet");
    // Where the regex must be tried (its anchor after enough characters), it is compiled,
    // fails, reads nothing and the record says why.
    let text = format!("{}共处理网络安全事件5起", "字".repeat(700));
    let f = find_figures(&text, series);
    assert!(f.metrics.is_empty(), "{:?}", f.metrics);
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("cannot be compiled") && w.contains(r"\w{600}")),
        "{:?}",
        f.warnings
    );
    assert!(p.compile_now().expect_err("too big").contains("size limit"));
    // A pattern that compiles gives its figure as before.
    let c = crate::config::Config::parse(MINIMAL, "t.yaml").unwrap();
    let f = find_figures("共处理网络安全事件5起", &c.series[0]);
    assert_eq!(f.metrics.len(), 1, "{f:?}");
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    assert!(c.series[0].metrics[0].patterns[0].compile_now().is_ok());
}
