//! Figure patterns as config.yaml writes them, compiled to tolerate the typos real text has.
//!
//! A pattern is a regex over normalized text. Real issues drop or double one character of a
//! fixed phrase (事件 written 事, 处理 written 处): rather than asking users to write every typo
//! as another regex, each run of three or more Chinese characters in a pattern (a fixed phrase)
//! also matches with any one of its characters missing or doubled. The regex stays the one the
//! user wrote; only its literal phrases are widened, so the numbers, units and the structure
//! around them stay exact. Shorter runs (其中, 个) are matched as written: one character less
//! would leave too little to recognise.

use regex::Regex;
use regex_syntax::ast::{self, Ast};
use regex_syntax::hir::{Class, Hir, HirKind};

mod anchor;
mod anchored;

pub use anchor::{Anchor, Finder, Found, Occurrences, Part};

/// The shortest fixed phrase that is matched with one character missing or doubled.
pub const MIN_TOLERANT_RUN: usize = 3;

/// One pattern, checked at load; its regexes are compiled when first needed (most patterns of
/// a config find nothing in a given issue, and a regex costs more to compile than to run).
#[derive(Debug, Clone)]
pub struct Pattern {
    /// As written in config.yaml (`{N}` not expanded).
    pub source: String,
    /// The regex exactly as written (`{N}` expanded).
    exact_source: String,
    /// That regex, compiled when first needed.
    exact: Lazy,
    /// The regex source with each fixed phrase also matching with one character missing or doubled.
    tolerant_source: String,
    /// That regex, compiled when first needed.
    tolerant: Lazy,
    /// Whether the pattern captures a `value` group.
    captures_value: bool,
    /// Where its matches can be (see [`Anchor`], [`Finder`]); `None`: anywhere.
    pub anchor: Option<Anchor>,
}

/// A regex compiled the first time it is asked for. Its source parsed at load; should it still
/// not compile (a pattern past the regex engine's size limit, which `check` reports), it matches
/// nothing and says why ([`Pattern::problem`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Lazy(std::sync::OnceLock<Result<Regex, String>>);

impl Lazy {
    /// The regex of `source`, compiled on the first call.
    pub(crate) fn get(&self, source: &str) -> Option<&Regex> {
        self.0
            .get_or_init(|| Regex::new(source).map_err(|e| e.to_string()))
            .as_ref()
            .ok()
    }

    /// Why the regex did not compile, if it was asked for and did not.
    pub(crate) fn problem(&self) -> Option<&str> {
        self.0.get().and_then(|r| r.as_ref().err()).map(String::as_str)
    }
}

impl Pattern {
    /// The regex exactly as written (`None` if it cannot be compiled: see [`Pattern::problem`]).
    pub fn exact(&self) -> Option<&Regex> {
        self.exact.get(&self.exact_source)
    }

    /// The source of [`Pattern::exact`].
    pub fn exact_source(&self) -> &str {
        &self.exact_source
    }

    /// The regex with each fixed phrase also matching with one character missing or doubled.
    pub fn tolerant(&self) -> Option<&Regex> {
        self.tolerant.get(&self.tolerant_source)
    }

    /// Whether the pattern captures a `value` group (what a figure's pattern must do).
    pub fn captures_value(&self) -> bool {
        self.captures_value
    }

    /// Why one of the pattern's regexes could not be compiled, once one was needed and did not
    /// (it then matches nothing). `None` while none failed.
    pub fn problem(&self) -> Option<&str> {
        self.exact
            .problem()
            .or_else(|| self.tolerant.problem())
            .or_else(|| self.anchor.as_ref().and_then(Anchor::problem))
    }

    /// Compiles every regex of the pattern now; the first error, if one does not compile.
    pub fn compile_now(&self) -> Result<(), String> {
        self.exact();
        match &self.anchor {
            Some(a) => a.compile_now()?,
            None => {
                self.tolerant();
            }
        }
        self.problem().map_or(Ok(()), |p| Err(p.to_string()))
    }

    /// Every match of the tolerant regex in `text`, leftmost-first, one after another, as
    /// `tolerant.captures_iter(text)` gives them. `starts` are where the anchor (and its check)
    /// occur in `text` (from [`Finder::starts`]); with `None` (or no anchor) the regex runs over
    /// the whole text.
    pub fn find_all(&self, text: &str, starts: Option<&Occurrences>) -> Vec<Found> {
        if let (Some(anchor), Some(starts)) = (&self.anchor, starts) {
            return anchor.find_all(text, starts);
        }
        let Some(tolerant) = self.tolerant() else {
            return Vec::new();
        };
        tolerant
            .captures_iter(text)
            .filter_map(|c| {
                let whole = c.get(0)?;
                Some(Found {
                    span: (whole.start(), whole.end()),
                    value: c.name("value").map(|v| (v.start(), v.end())),
                })
            })
            .collect()
    }

    /// Whether the regex as written matches `span` of `text` (its leftmost match from the
    /// span's start is the span): the match needed no typo tolerance.
    pub fn is_exact(&self, text: &str, span: (usize, usize)) -> bool {
        match &self.anchor {
            Some(anchor) => anchor.is_exact(text, span),
            None => self.exact().is_some_and(|exact| {
                exact
                    .find_at(text, span.0)
                    .is_some_and(|m| m.start() == span.0 && m.end() == span.1)
            }),
        }
    }
}

/// Whether `c` is a Chinese character (a letter of a fixed phrase, not punctuation).
fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Checks an expanded pattern (no `{N}` left) and makes its tolerant form; the regexes are
/// compiled when first needed. The error of a pattern that is no regex.
pub fn compile(source: &str, expanded: &str) -> Result<Pattern, String> {
    // Parsed once as written (to find its phrases: syntax errors are named here) and once
    // widened; the two have the same groups and look-arounds (only literal phrases differ).
    let widened = tolerant_source(expanded)?;
    let widened_hir = regex_syntax::Parser::new().parse(&widened).map_err(|e| {
        // An error of the pattern as written (an unknown class) is named as such.
        match regex_syntax::Parser::new().parse(expanded) {
            Err(own) => own.to_string(),
            Ok(_) => format!("{e} (in the tolerant form {widened})"),
        }
    })?;
    let captures_value = capture_index(&widened_hir, "value").is_some();
    let anchor = Anchor::of(widened_hir, expanded);
    Ok(Pattern {
        source: source.to_string(),
        exact_source: expanded.to_string(),
        exact: Lazy::default(),
        tolerant_source: widened,
        tolerant: Lazy::default(),
        captures_value,
        anchor,
    })
}

/// The index of the capture group named `name`, as the regex numbers its groups.
pub(crate) fn capture_index(hir: &Hir, name: &str) -> Option<usize> {
    match hir.kind() {
        HirKind::Capture(c) if c.name.as_deref() == Some(name) => usize::try_from(c.index).ok(),
        HirKind::Capture(c) => capture_index(&c.sub, name),
        HirKind::Repetition(r) => capture_index(&r.sub, name),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().find_map(|p| capture_index(p, name)),
        _ => None,
    }
}

/// The regex source with each fixed phrase replaced by an alternation of the phrase as written,
/// with one character missing, and with one character doubled (the phrase as written first).
pub fn tolerant_source(expanded: &str) -> Result<String, String> {
    let parsed = ast::parse::Parser::new().parse(expanded).map_err(|e| e.to_string())?;
    let mut runs: Vec<(usize, usize, String)> = Vec::new();
    collect_runs(&parsed, &mut runs);
    let mut out = expanded.to_string();
    // Replace from the end so earlier offsets stay valid.
    runs.sort_by_key(|r| std::cmp::Reverse(r.0));
    for (start, end, phrase) in runs {
        out.replace_range(start..end, &variants(&phrase));
    }
    Ok(out)
}

/// The `(?:…|…)` alternation for one phrase.
fn variants(phrase: &str) -> String {
    let chars: Vec<char> = phrase.chars().collect();
    let mut all: Vec<String> = vec![phrase.to_string()];
    for i in 0..chars.len() {
        let missing: String = chars
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, c)| c)
            .collect();
        let doubled: String = chars[..=i].iter().chain(&chars[i..]).collect();
        for v in [missing, doubled] {
            if !all.contains(&v) {
                all.push(v);
            }
        }
    }
    format!("(?:{})", all.join("|"))
}

/// Finds the runs of Chinese literal characters (at least [`MIN_TOLERANT_RUN`]) in every
/// concatenation of the pattern, as byte spans of the pattern's source.
fn collect_runs(node: &Ast, runs: &mut Vec<(usize, usize, String)>) {
    match node {
        Ast::Concat(c) => {
            let mut current: Option<(usize, usize, String)> = None;
            let flush = |current: &mut Option<(usize, usize, String)>, runs: &mut Vec<_>| {
                if let Some(run) = current.take()
                    && run.2.chars().count() >= MIN_TOLERANT_RUN
                {
                    runs.push(run);
                }
            };
            for a in &c.asts {
                match a {
                    Ast::Literal(lit) if lit.kind == ast::LiteralKind::Verbatim && is_han(lit.c) => {
                        let (s, e) = (lit.span.start.offset, lit.span.end.offset);
                        match &mut current {
                            Some(run) if run.1 == s => {
                                run.1 = e;
                                run.2.push(lit.c);
                            }
                            _ => {
                                flush(&mut current, runs);
                                current = Some((s, e, lit.c.to_string()));
                            }
                        }
                    }
                    other => {
                        flush(&mut current, runs);
                        collect_runs(other, runs);
                    }
                }
            }
            flush(&mut current, runs);
        }
        Ast::Alternation(a) => a.asts.iter().for_each(|x| collect_runs(x, runs)),
        Ast::Group(g) => collect_runs(&g.ast, runs),
        Ast::Repetition(r) => collect_runs(&r.ast, runs),
        _ => {}
    }
}

/// Pairs of patterns of different figures that can read the same number of one sentence: for
/// each pattern, sentences it matches are made ([`samples`]) and every other figure's patterns
/// run over them. `figures` lists each figure's key and patterns. Messages for `check`.
pub fn overlaps(figures: &[(&str, &[Pattern])]) -> Vec<String> {
    let mut out = Vec::new();
    for (key, patterns) in figures {
        for p in *patterns {
            let Some(exact) = p.exact() else { continue };
            for sentence in samples(p.exact_source()) {
                let Some(own) = exact
                    .captures(&sentence)
                    .and_then(|c| c.name("value"))
                    .map(|m| m.range())
                else {
                    continue;
                };
                for (other, other_patterns) in figures {
                    if other == key {
                        continue;
                    }
                    for q in *other_patterns {
                        let Some(tolerant) = q.tolerant() else { continue };
                        let same_number = tolerant.captures_iter(&sentence).any(|c| {
                            c.name("value")
                                .is_some_and(|m| m.start() < own.end && own.start < m.end())
                        });
                        let pair = format!("{key}'s pattern '{}' and {other}'s pattern '{}'", p.source, q.source);
                        if same_number && !out.iter().any(|m: &String| m.starts_with(&pair)) {
                            out.push(format!(
                                "{pair} can read the same number of one sentence ('{sentence}'); make one of them more specific"
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

/// At most this many sample sentences are made from one pattern.
const MAX_SAMPLES: usize = 64;

/// Sentences the pattern (an expanded regex) matches: every alternative, optional parts left out
/// and taken once. `check` runs the other metrics' patterns over them to find overlaps.
pub fn samples(expanded: &str) -> Vec<String> {
    let Ok(hir) = regex_syntax::Parser::new().parse(expanded) else {
        return Vec::new();
    };
    let mut out = sample(&hir);
    out.sort();
    out.dedup();
    out
}

fn sample(h: &Hir) -> Vec<String> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(l) => vec![String::from_utf8_lossy(&l.0).into_owned()],
        HirKind::Class(Class::Unicode(c)) => {
            let chars = || c.ranges().iter().flat_map(|r| [r.start(), r.end()]);
            let pick = chars()
                .find(|ch| ch.is_alphanumeric())
                .or_else(|| chars().find(|ch| !ch.is_control() && !ch.is_whitespace()))
                .unwrap_or('x');
            vec![pick.to_string()]
        }
        HirKind::Class(Class::Bytes(c)) => {
            let pick = c
                .ranges()
                .iter()
                .map(|r| r.start())
                .find(|b| b.is_ascii_graphic())
                .unwrap_or(b'x');
            vec![char::from(pick).to_string()]
        }
        HirKind::Capture(c) => sample(&c.sub),
        HirKind::Repetition(r) => {
            let once = sample(&r.sub);
            let times = |n: u32| -> Vec<String> { once.iter().map(|s| s.repeat(n as usize)).collect() };
            let mut v = times(r.min);
            if r.min == 0 {
                v.extend(times(1));
            }
            v
        }
        HirKind::Concat(parts) => {
            let mut acc = vec![String::new()];
            for p in parts {
                let next = sample(p);
                let mut joined = Vec::new();
                for a in &acc {
                    for n in &next {
                        if joined.len() < MAX_SAMPLES {
                            joined.push(format!("{a}{n}"));
                        }
                    }
                }
                acc = joined;
            }
            acc
        }
        HirKind::Alternation(alts) => alts.iter().flat_map(sample).take(MAX_SAMPLES).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tolerant(p: &str) -> Regex {
        Regex::new(&tolerant_source(p).expect("valid")).expect("valid")
    }

    #[test]
    fn a_phrase_matches_with_one_character_missing_or_doubled() {
        let re = tolerant(r"共处理(?:了)?网络安全事件(?P<value>\d+)起");
        for text in [
            "共处理网络安全事件295起",
            "共处网络安全事件295起",
            "共处理网络安全事295起",
            "共处理了网络安全事件295起",
            "共处理网络网络安全事件295起".replacen("网络网络", "网络络", 1).as_str(),
            "共处处理网络安全事件295起",
        ] {
            let c = re.captures(text).unwrap_or_else(|| panic!("{text} should match"));
            assert_eq!(&c["value"], "295", "{text}");
        }
    }

    #[test]
    fn two_characters_missing_from_one_phrase_do_not_match() {
        let re = tolerant(r"境内被植入后门的网站数量为(?P<value>\d+)");
        assert!(re.is_match("境内被植入后门的网站数量为717"));
        assert!(re.is_match("境内被植入后门网站数量为717"));
        assert!(!re.is_match("境内被植后门网站数量为717"));
        assert!(!re.is_match("境内被植入后门的政府网站数量为9"));
    }

    #[test]
    fn short_phrases_numbers_and_structure_stay_exact() {
        let src = tolerant_source(r"(?:含|其中)跨境网络安全事件(?P<value>\d+)起").expect("valid");
        assert!(src.starts_with("(?:含|其中)(?:跨境网络安全事件|"), "{src}");
        assert!(src.ends_with("(?P<value>\\d+)起"), "{src}");
        let re = Regex::new(&src).expect("valid");
        assert!(!re.is_match("其跨境网络安全事件1起"));
        // Escaped parentheses and ASCII are not phrases.
        let src = tolerant_source(r"被篡改政府网站\(GOV类\)数量为(?P<value>\d+)").expect("valid");
        assert!(src.contains(r"\(GOV类\)"), "{src}");
    }

    fn compiled(p: &str) -> Pattern {
        compile(p, &p.replace("{N}", r"(?P<value>[0-9][0-9,]*(?:\.[0-9]+)?[万亿]?)")).expect("valid")
    }

    #[test]
    fn patterns_of_two_figures_reading_one_number_are_found() {
        let defaced = [compiled("境内被篡改(?:的)?网站数量为{N}")];
        let gov = [compiled(r"境内被篡改(?:的)?政府网站\(GOV类\)数量为{N}")];
        assert!(overlaps(&[("defaced_sites", &defaced), ("defaced_gov_sites", &gov)]).is_empty());
        // Too loose: also reads the GOV sentence.
        let loose = [compiled("被篡改.*?数量为{N}")];
        let found = overlaps(&[("defaced_sites", &loose), ("defaced_gov_sites", &gov)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("defaced_gov_sites's pattern") && found[0].contains("defaced_sites's pattern"),
            "{found:?}"
        );
        // Two numbers of one sentence, one each: not an overlap.
        let gov_after_total = [compiled("境内被篡改网站数量为[0-9]+个,其中政府网站数量为?{N}")];
        assert!(overlaps(&[("defaced_sites", &defaced), ("defaced_gov_sites", &gov_after_total)]).is_empty());
    }

    #[test]
    fn samples_cover_alternatives_and_optional_parts() {
        let s = samples(r"(?:含|其中)跨境事件(?:了)?(?P<value>[0-9]+)起");
        assert!(s.contains(&"含跨境事件0起".to_string()), "{s:?}");
        assert!(s.contains(&"其中跨境事件了0起".to_string()), "{s:?}");
        let re = Regex::new(r"(?:含|其中)跨境事件(?:了)?(?P<value>[0-9]+)起").expect("valid");
        assert!(s.iter().all(|x| re.is_match(x)), "{s:?}");
    }
}
