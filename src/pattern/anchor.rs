//! Where a pattern can match, found once per text for every pattern of a series.
//!
//! Every match of a pattern holds one of a few fixed strings (its *anchor*: the typo variants of
//! one of its phrases) a bounded number of bytes after the match's start. One automaton over the
//! anchors of every pattern finds them all in one pass over the text; a pattern is then tried only
//! at the starts its anchors allow, anchored (`\A(?:…)`), nowhere else. The matches are exactly
//! those of the pattern run over the whole text (leftmost-first, one after another): a match at a
//! start no anchor allows would hold no anchor, and the leftmost start is tried first.
//!
//! A pattern without such an anchor (no fixed string at a bounded distance from its start, a
//! top-level alternation) or with a look-around that a text's start would change (`^`, `\b`) has
//! none, and runs over the whole text as written.

use super::anchored::AnchoredRegex;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// The most strings an anchor may have.
const MAX_LITERALS: usize = 256;
/// An anchor's strings are at least this many bytes (one Chinese character; a letter or a digit is
/// too common to be worth it).
const MIN_ANCHOR_BYTES: usize = 3;

/// A part of a pattern that matches only a few fixed strings, at a bounded distance from the
/// start of every match.
#[derive(Debug, Clone)]
pub struct Part {
    /// Every match holds one of these...
    pub literals: Vec<String>,
    /// ...starting this many bytes after the match's start, at least...
    pub min_prefix: usize,
    /// ...and at most.
    pub max_prefix: usize,
}

impl Part {
    /// Whether one of `occurrences` (sorted starts of the part's strings) lies where a match
    /// starting at `s` holds the part.
    fn occurs_for(&self, occurrences: &[usize], s: usize) -> bool {
        let (lo, hi) = (s + self.min_prefix, s + self.max_prefix);
        let i = occurrences.partition_point(|&o| o < lo);
        occurrences.get(i).is_some_and(|&o| o <= hi)
    }
}

/// The anchor of one pattern: its most selective [`Part`], and a second one that a match must
/// hold too (checked before the regex runs).
#[derive(Debug, Clone)]
pub struct Anchor {
    /// Where matches are looked for.
    pub part: Part,
    /// What a match holds besides.
    pub check: Option<Part>,
    /// The tolerant regex, anchored at the start of the text it is given (`\A(?:…)`), compiled
    /// when first needed.
    tolerant_at: AnchoredRegex,
    /// The exact regex, likewise (parsed when first needed: only `explain` and `check` ask).
    exact_at: AnchoredRegex,
    /// The number of the `value` group in the tolerant regex.
    value_group: Option<usize>,
}

/// One match of a pattern: the whole match and its `value` group, as byte spans of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The match.
    pub span: (usize, usize),
    /// The `value` group, when it took part.
    pub value: Option<(usize, usize)>,
}

/// Where a pattern's anchor and its check occur in a text (sorted starts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Occurrences {
    /// Of the anchor's strings.
    pub anchor: Vec<usize>,
    /// Of the check's strings.
    pub check: Vec<usize>,
}

impl Anchor {
    /// The anchor of a pattern (`hir` its tolerant regex parsed, `exact` the regex as written,
    /// expanded), if it has one. (Widening a pattern changes only its literal phrases:
    /// the two have the same look-arounds and the same groups.)
    pub fn of(hir: Hir, exact: &str) -> Option<Anchor> {
        let only_end = hir
            .properties()
            .look_set()
            .iter()
            .all(|l| matches!(l, Look::End | Look::EndLF | Look::EndCRLF));
        if !only_end {
            return None;
        }
        let mut parts = fixed_parts(&hir)?.into_iter();
        let part = parts.next()?;
        let check = parts.next();
        let value_group = super::capture_index(&hir, "value");
        Some(Anchor {
            part,
            check,
            tolerant_at: AnchoredRegex::new(hir),
            exact_at: AnchoredRegex::of_source(exact),
            value_group,
        })
    }

    /// Why one of the anchored regexes did not compile, once one was needed and did not.
    pub fn problem(&self) -> Option<&str> {
        self.tolerant_at.problem().or_else(|| self.exact_at.problem())
    }

    /// Compiles both anchored regexes now.
    pub(super) fn compile_now(&self) -> Result<(), String> {
        self.tolerant_at.compile_now()?;
        self.exact_at.compile_now()
    }

    /// The matches of the tolerant regex in `text`, tried at the starts the anchor's occurrences
    /// allow (where the check occurs too): the same matches as the regex over the whole text.
    pub fn find_all(&self, text: &str, at: &Occurrences) -> Vec<Found> {
        let mut out = Vec::new();
        // Starts below this were tried, or lie inside a match.
        let mut next = 0usize;
        for &a in &at.anchor {
            let Some(hi) = a.checked_sub(self.part.min_prefix) else {
                continue;
            };
            let lo = a.saturating_sub(self.part.max_prefix).max(next);
            for s in lo..=hi {
                if s < next || !text.is_char_boundary(s) {
                    continue;
                }
                next = s + 1;
                if self.check.as_ref().is_some_and(|c| !c.occurs_for(&at.check, s)) {
                    continue;
                }
                let Some((len, value)) = self.tolerant_at.find(&text[s..], self.value_group) else {
                    if self.tolerant_at.problem().is_some() {
                        return out;
                    }
                    continue;
                };
                let end = s + len;
                let value = value.map(|(a, b)| (s + a, s + b));
                out.push(Found { span: (s, end), value });
                next = end.max(s + 1);
                break;
            }
        }
        out
    }

    /// Whether the exact regex matches `span` of `text` as its leftmost match from the span's start.
    pub fn is_exact(&self, text: &str, span: (usize, usize)) -> bool {
        self.exact_at
            .find(&text[span.0..], None)
            .is_some_and(|(end, _)| span.0 + end == span.1)
    }
}

/// The parts of the top-level concatenation that lie at a bounded distance from the start and
/// match only a few fixed strings (each at least [`MIN_ANCHOR_BYTES`] long), the most selective
/// first: longer strings are rarer; between equals, fewer strings.
fn fixed_parts(hir: &Hir) -> Option<Vec<Part>> {
    let mut h = hir;
    while let HirKind::Capture(c) = h.kind() {
        h = &c.sub;
    }
    let parts: Vec<&Hir> = match h.kind() {
        HirKind::Concat(parts) => parts.iter().collect(),
        _ => vec![h],
    };
    let (mut min, mut max) = (0usize, 0usize);
    let mut found: Vec<(usize, Part)> = Vec::new();
    for part in parts {
        if let Some(strings) = language(part)
            && let Some(shortest) = strings.iter().map(Vec::len).min()
            && shortest >= MIN_ANCHOR_BYTES
            && let Ok(literals) = strings
                .into_iter()
                .map(String::from_utf8)
                .collect::<Result<Vec<_>, _>>()
        {
            found.push((
                shortest,
                Part {
                    literals,
                    min_prefix: min,
                    max_prefix: max,
                },
            ));
        }
        let p = part.properties();
        min = min.checked_add(p.minimum_len()?)?;
        match p.maximum_len().and_then(|m| max.checked_add(m)) {
            Some(m) => max = m,
            None => break,
        }
    }
    found.sort_by_key(|(shortest, p)| (std::cmp::Reverse(*shortest), p.literals.len()));
    Some(found.into_iter().map(|(_, p)| p).collect())
}

/// Every string `h` matches, when they are few ([`MAX_LITERALS`]) and `h` has no look-around.
fn language(h: &Hir) -> Option<Vec<Vec<u8>>> {
    let out = match h.kind() {
        HirKind::Empty => vec![Vec::new()],
        HirKind::Literal(l) => vec![l.0.to_vec()],
        HirKind::Capture(c) => language(&c.sub)?,
        HirKind::Class(Class::Unicode(c)) => {
            let mut v = Vec::new();
            for r in c.ranges() {
                for ch in r.start()..=r.end() {
                    if v.len() >= MAX_LITERALS {
                        return None;
                    }
                    v.push(ch.to_string().into_bytes());
                }
            }
            v
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut v = Vec::new();
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    if v.len() >= MAX_LITERALS {
                        return None;
                    }
                    v.push(vec![b]);
                }
            }
            v
        }
        HirKind::Alternation(alts) => {
            let mut v: Vec<Vec<u8>> = Vec::new();
            for a in alts {
                for s in language(a)? {
                    if !v.contains(&s) {
                        v.push(s);
                    }
                }
                if v.len() > MAX_LITERALS {
                    return None;
                }
            }
            v
        }
        HirKind::Concat(parts) => {
            let mut v: Vec<Vec<u8>> = vec![Vec::new()];
            for p in parts {
                let next = language(p)?;
                if v.len().saturating_mul(next.len()) > MAX_LITERALS {
                    return None;
                }
                v = v
                    .iter()
                    .flat_map(|a| next.iter().map(move |b| [a.as_slice(), b.as_slice()].concat()))
                    .collect();
                v.dedup();
            }
            v
        }
        HirKind::Repetition(_) | HirKind::Look(_) => return None,
    };
    Some(out)
}

/// One automaton over the anchors (and checks) of every pattern of a series, built once with the config.
#[derive(Debug, Clone)]
pub struct Finder {
    /// The patterns' sources, in the order they were given (what [`Finder::starts`] answers for).
    sources: Vec<String>,
    /// Whether each pattern has an anchor.
    anchored: Vec<bool>,
    /// Every string of every anchor and check; `None` when no pattern has an anchor.
    automaton: Option<AhoCorasick>,
    /// For each string of the automaton, the patterns it is part of, and whether as their check.
    users: Vec<Vec<(usize, bool)>>,
}

impl Finder {
    /// The finder of `patterns` (in the order [`Finder::starts`] will be asked about them).
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a super::Pattern>) -> Finder {
        let mut sources = Vec::new();
        let mut anchored = Vec::new();
        let mut strings: Vec<String> = Vec::new();
        let mut users: Vec<Vec<(usize, bool)>> = Vec::new();
        for (i, p) in patterns.into_iter().enumerate() {
            sources.push(p.source.clone());
            anchored.push(p.anchor.is_some());
            let Some(a) = &p.anchor else { continue };
            let parts = std::iter::once((&a.part, false)).chain(a.check.iter().map(|c| (c, true)));
            for (part, is_check) in parts {
                for s in &part.literals {
                    match strings.iter().position(|x| x == s) {
                        Some(k) => users[k].push((i, is_check)),
                        None => {
                            strings.push(s.clone());
                            users.push(vec![(i, is_check)]);
                        }
                    }
                }
            }
        }
        let automaton = if strings.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&strings)
                .ok()
        };
        if automaton.is_none() {
            anchored.iter_mut().for_each(|a| *a = false);
        }
        Finder {
            sources,
            anchored,
            automaton,
            users,
        }
    }

    /// For each of `patterns` (the same, in the same order, as the finder was built with), where
    /// its anchor and check occur in `text`, or `None` when it must run over the whole text (it
    /// has no anchor, or the patterns are not the finder's).
    pub fn starts<'a>(
        &self,
        text: &str,
        patterns: impl IntoIterator<Item = &'a super::Pattern>,
    ) -> Vec<Option<Occurrences>> {
        let patterns: Vec<&super::Pattern> = patterns.into_iter().collect();
        let same =
            patterns.len() == self.sources.len() && patterns.iter().zip(&self.sources).all(|(p, s)| p.source == *s);
        let (true, Some(automaton)) = (same, &self.automaton) else {
            return vec![None; patterns.len()];
        };
        let mut out: Vec<Option<Occurrences>> = self.anchored.iter().map(|a| a.then(Occurrences::default)).collect();
        for m in automaton.find_overlapping_iter(text) {
            for &(i, is_check) in &self.users[m.pattern().as_usize()] {
                if let Some(Some(o)) = out.get_mut(i) {
                    if is_check { &mut o.check } else { &mut o.anchor }.push(m.start());
                }
            }
        }
        for o in out.iter_mut().flatten() {
            for v in [&mut o.anchor, &mut o.check] {
                v.sort_unstable();
                v.dedup();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn patterns_a_start_would_change_have_no_anchor() {
        for p in [
            r"^共处理网络安全事件(?P<value>\d+)起",
            r"\b共处理网络安全事件(?P<value>\d+)起",
            r"(?P<value>\d+)起网络安全事件",
        ] {
            let c = crate::pattern::compile(p, p).expect("valid");
            assert!(c.anchor.is_none(), "{p}");
        }
        let c = crate::pattern::compile("a", r"(?:含|其中)跨境网络安全事件(?P<value>\d+)起$").expect("valid");
        let a = c.anchor.expect("anchored").part;
        assert_eq!((a.min_prefix, a.max_prefix), (3, 6));
        assert!(a.literals.contains(&"跨境网络安全事件".to_string()));
        assert!(a.literals.contains(&"跨境网络安全事".to_string()));
    }
}
