//! From a normalized text to the figures it states: every pattern of every metric runs over the
//! whole text (tolerant of one character missing or doubled in a fixed phrase, and of line breaks
//! inside a phrase); a metric whose matches disagree is left out with a warning naming both
//! sentences, and the figures left are held to the consistency rules. Every match is kept, so
//! `explain` can show where each figure came from.

use std::collections::BTreeMap;

use crate::config::{MetricKind, Series};
use crate::consistency;
use crate::pattern::Pattern;
use crate::report::MetricValue;

use super::{is_cjk, parse_number};

/// The key the overall assessment is matched under.
pub const ASSESSMENT: &str = "assessment";

/// One place a pattern matched.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureMatch {
    /// Metric key (or [`ASSESSMENT`]).
    pub key: String,
    /// The value read, when the number could be read.
    pub value: Option<MetricValue>,
    /// The pattern as config.yaml writes it.
    pub pattern: String,
    /// The match, as byte offsets in [`Figures::text`].
    pub span: (usize, usize),
    /// The value's part of the match.
    pub value_span: (usize, usize),
    /// Why this match gave no figure, when it did not.
    pub rejected: Option<String>,
}

/// What a text states.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// The text the patterns ran over (lines joined where a break fell next to a Chinese character).
    pub text: String,
    /// The overall assessment.
    pub assessment: Option<String>,
    /// The figures taken.
    pub metrics: BTreeMap<String, MetricValue>,
    /// Every match of every pattern, in text order.
    pub matches: Vec<FigureMatch>,
    /// Figures found but left out, with the reason.
    pub left_out: BTreeMap<String, String>,
    /// What a reader of the record should know (ambiguities, failed checks).
    pub warnings: Vec<String>,
}

impl Figures {
    /// The sentence around a span of [`Figures::text`]: (before, the span, after), clipped.
    pub fn sentence(&self, span: (usize, usize)) -> (String, String, String) {
        sentence_around(&self.text, span)
    }

    /// Whether a match of these figures needed no typo tolerance: its pattern (of `series`, which
    /// read them) matches as written there. Asked by `explain` only, so not worked out for every match.
    pub fn matched_as_written(&self, m: &FigureMatch, series: &Series) -> bool {
        let patterns = if m.key == ASSESSMENT {
            series.assessment.as_slice()
        } else {
            series
                .metrics
                .iter()
                .find(|metric| metric.key == m.key)
                .map_or(&[][..], |metric| metric.patterns.as_slice())
        };
        patterns
            .iter()
            .find(|p| p.source == m.pattern)
            .is_some_and(|p| p.is_exact(&self.text, m.span))
    }

    /// A sentence with the span marked «…», for messages.
    pub fn quote(&self, span: (usize, usize)) -> String {
        let (a, m, b) = self.sentence(span);
        format!("{a}«{m}»{b}")
    }
}

/// Joins lines where the break falls next to a Chinese character (a phrase broken across lines in
/// PDF or OCR text, or across blocks); other breaks stay, so digits never run together.
pub fn joined_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split('\n');
    if let Some(first) = lines.next() {
        out.push_str(first);
    }
    for line in lines {
        // What precedes the break (after the joins before it) and what follows it.
        let prev = out.chars().next_back();
        let next = line.chars().next();
        if !(prev.is_some_and(is_cjk) || next.is_some_and(is_cjk)) {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// Reads every figure a (normalized) text states by the series' patterns.
pub fn find_figures(text: &str, series: &Series) -> Figures {
    let text = joined_text(text);
    let mut figures = Figures {
        text,
        ..Figures::default()
    };
    // Where each pattern's anchor occurs: one pass over the text for every pattern (the order
    // is the one the series' finder was built in: the assessment's, then each metric's).
    let every = series
        .assessment
        .iter()
        .chain(series.metrics.iter().flat_map(|m| &m.patterns));
    let starts = series.finder.starts(&figures.text, every);
    let mut next = 0;
    let mut take = |n: usize| {
        let from = next.min(starts.len());
        next += n;
        &starts[from..next.min(starts.len())]
    };
    let mut found: Vec<(String, MetricKind, Vec<FigureMatch>)> = Vec::new();
    let at = take(series.assessment.len());
    found.push((
        ASSESSMENT.to_string(),
        MetricKind::Level,
        matches_of(&figures.text, ASSESSMENT, MetricKind::Level, &series.assessment, at),
    ));
    for metric in &series.metrics {
        let at = take(metric.patterns.len());
        found.push((
            metric.key.clone(),
            metric.kind,
            matches_of(&figures.text, &metric.key, metric.kind, &metric.patterns, at),
        ));
    }
    for (key, _kind, matches) in found {
        let mut values: Vec<(&MetricValue, &FigureMatch)> = Vec::new();
        for m in matches.iter().filter(|m| m.rejected.is_none()) {
            if let Some(v) = &m.value
                && !values.iter().any(|(x, _)| *x == v)
            {
                values.push((v, m));
            }
        }
        match values.as_slice() {
            [] => {
                // The text states the figure, but not so that it can be read for sure.
                if let Some((m, why)) = matches.iter().find_map(|m| m.rejected.as_ref().map(|r| (m, r))) {
                    let reason = format!("{key} left out: {why}, in {}", figures.quote(m.span));
                    figures.warnings.push(reason.clone());
                    figures.left_out.insert(key.clone(), reason);
                }
            }
            [(v, _)] => {
                if key == ASSESSMENT {
                    figures.assessment = Some(v.to_string());
                } else {
                    figures.metrics.insert(key.clone(), (*v).clone());
                }
            }
            [(a, ma), (b, mb), ..] => {
                let reason = format!(
                    "the text gives {key} two values, {a} in {} and {b} in {}; left out (a label may stand on the wrong figure)",
                    figures.quote(ma.span),
                    figures.quote(mb.span)
                );
                figures.warnings.push(reason.clone());
                figures.left_out.insert(key.clone(), reason);
            }
        }
        figures.matches.extend(matches);
    }
    // A pattern whose regex could not be compiled matched nothing: say so (`check` names it too).
    let every = series.assessment.iter().map(|p| (ASSESSMENT, p)).chain(
        series
            .metrics
            .iter()
            .flat_map(|m| m.patterns.iter().map(|p| (m.key.as_str(), p))),
    );
    for (key, p) in every {
        if let Some(problem) = p.problem() {
            figures.warnings.push(format!(
                "{key}'s pattern '{}' cannot be compiled ({problem}) and matched nothing; make it smaller in config.yaml",
                p.source
            ));
        }
    }
    figures.matches.sort_by_key(|m| m.span);
    for (keys, reason) in consistency::enforce(&mut figures.metrics, |_| 0) {
        figures.warnings.push(reason.clone());
        for k in keys {
            figures.left_out.insert(k, reason.clone());
        }
    }
    figures
}

/// Every match of one metric's patterns; a later pattern's match at the same place as an earlier
/// one's is the same statement and is not repeated. `starts` are where each pattern's anchor
/// occurs in `text` (see [`crate::pattern::Finder`]); a pattern without them runs over the whole text.
fn matches_of(
    text: &str,
    key: &str,
    kind: MetricKind,
    patterns: &[Pattern],
    starts: &[Option<crate::pattern::Occurrences>],
) -> Vec<FigureMatch> {
    let mut out: Vec<FigureMatch> = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        let at = starts.get(i).and_then(Option::as_ref);
        for found in p.find_all(text, at) {
            let Some(value_span) = found.value else {
                continue;
            };
            let span = found.span;
            if out.iter().any(|m| m.span.0 < span.1 && span.0 < m.span.1) {
                continue;
            }
            let (raw, v_end) = (&text[value_span.0..value_span.1], value_span.1);
            let mut rejected = None;
            let value = match kind {
                MetricKind::Count => {
                    // A number followed by more digits (after a space) may be cut short: leave it out.
                    let rest = text[v_end..].trim_start_matches([' ', '\t']);
                    // The next column of a table (a change, `33 35.5%`) is not the number's tail.
                    let next_is_percentage = rest
                        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '%'))
                        .next()
                        .is_some_and(|t| t.ends_with('%'));
                    // A number ending in 万 or 亿 is complete, whatever follows.
                    let has_unit = raw.ends_with(['万', '亿']);
                    // `4078, 19`: a misplaced thousands separator or a list; either way unsure.
                    let comma_then_digits = text[v_end..].strip_prefix(',').is_some_and(|r| {
                        r.trim_start_matches([' ', '\t'])
                            .starts_with(|c: char| c.is_ascii_digit())
                    });
                    // `26. 1万` (OCR): a point and more digits after the number; its decimals,
                    // and so its unit, may be cut off.
                    let point_then_digits = rest.strip_prefix(['.', '．']).is_some_and(|r| {
                        r.trim_start_matches([' ', '\t'])
                            .starts_with(|c: char| c.is_ascii_digit())
                    });
                    if !has_unit
                        && rest.starts_with(|c: char| c.is_ascii_digit())
                        && !(rest.len() < text[v_end..].len() && next_is_percentage)
                    {
                        rejected = Some("more digits follow the number after a space: it may be cut short".to_string());
                        None
                    } else if !has_unit && point_then_digits {
                        rejected = Some("a point and more digits follow the number: it may be cut short".to_string());
                        None
                    } else if !has_unit && raw.contains('.') {
                        // `26.1]万` (OCR): a count is whole; decimals without 万 or 亿 lost their unit.
                        rejected = Some(format!(
                            "'{raw}' has decimals but no unit (万, 亿): its unit may be lost"
                        ));
                        None
                    } else if rest.starts_with(['%', '％']) {
                        // `新增信息安全漏洞数 15%` (OCR, the number lost): the change, not the count.
                        rejected = Some(format!("'{raw}' is a percentage, not a count"));
                        None
                    } else if !has_unit && comma_then_digits {
                        rejected = Some(format!(
                            "'{raw}' is followed by a comma and more digits: it may be cut short"
                        ));
                        None
                    } else {
                        let n = parse_number(raw);
                        if n.is_none() {
                            rejected = Some(format!(
                                "'{raw}' is not a number (a thousands comma comes every three digits)"
                            ));
                        }
                        n.map(MetricValue::Count)
                    }
                }
                MetricKind::Level => Some(MetricValue::Level(raw.to_string())),
            };
            out.push(FigureMatch {
                key: key.to_string(),
                value,
                pattern: p.source.clone(),
                span,
                value_span,
                rejected,
            });
        }
    }
    out
}

/// Characters kept on each side of a match when a sentence is quoted.
const QUOTE_CONTEXT: usize = 40;

fn sentence_around(text: &str, (start, end): (usize, usize)) -> (String, String, String) {
    let ends = |c: char| matches!(c, '。' | '！' | '？' | '!' | '?' | '\n' | '；' | ';');
    let from = text[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| ends(*c))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let to = text[end..]
        .char_indices()
        .find(|(_, c)| ends(*c))
        .map(|(i, c)| end + i + if c == '\n' { 0 } else { c.len_utf8() })
        .unwrap_or(text.len());
    let before: Vec<char> = text[from..start].chars().collect();
    let after: Vec<char> = text[end..to].chars().collect();
    let before: String = if before.len() > QUOTE_CONTEXT {
        format!("…{}", before[before.len() - QUOTE_CONTEXT..].iter().collect::<String>())
    } else {
        before.iter().collect()
    };
    let after: String = if after.len() > QUOTE_CONTEXT {
        format!("{}…", after[..QUOTE_CONTEXT].iter().collect::<String>())
    } else {
        after.iter().collect()
    };
    (before.trim_start().to_string(), text[start..end].to_string(), after)
}

/// Numbers with a unit that no pattern took (`新增131个`), with their sentence: what a maintainer
/// looks at to find a wording the patterns miss. Percentages, dates, issue numbers and URLs are not figures.
pub fn untaken(figures: &Figures) -> Vec<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"[0-9][0-9,]*(?:\.[0-9]+)?[万亿]?(?:余|多)?(?:个|起|台|家|条|款|次|万|亿)")
            .expect("the figure regex is valid")
    });
    let text = &figures.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        if figures
            .matches
            .iter()
            .any(|f| f.value_span.0 <= s && s < f.value_span.1.max(f.value_span.0 + 1))
        {
            continue;
        }
        let before = text[..s].chars().next_back();
        if matches!(before, Some('第' | '.' | '/' | '-' | '_' | '='))
            || before.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            continue;
        }
        if text[e..].starts_with(['%', '％']) {
            continue;
        }
        out.push(figures.quote((s, e)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_text_joins_breaks_next_to_chinese_only() {
        assert_eq!(
            joined_text("共处理网络安全\n事件295起\n2024"),
            "共处理网络安全事件295起2024"
        );
        assert_eq!(joined_text("295\n2024"), "295\n2024");
    }

    #[test]
    fn the_sentence_is_quoted_with_the_match_marked() {
        let f = Figures {
            text: "前言。本周共处理网络安全事件295起，其中跨境140起。下一句".to_string(),
            ..Figures::default()
        };
        let s = f.text.find("共处理").expect("present");
        let e = f.text.find("起，").expect("present") + "起".len();
        assert_eq!(f.quote((s, e)), "本周«共处理网络安全事件295起»，其中跨境140起。");
    }
}

#[cfg(test)]
mod anchor_equivalence {
    //! The figures' patterns tried only where their anchors allow find what they find over the
    //! whole text (see [`crate::pattern::Finder`]).
    use crate::config::Config;
    use crate::pattern::{Finder, Pattern};

    /// A small deterministic generator (xorshift), so that failures can be replayed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// The texts of the fixture's WeChat pages, as the patterns see them.
    fn fixture_texts() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wechat-site/pages");
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).expect("fixture pages").flatten() {
            let bytes = std::fs::read(e.path()).expect("page");
            let page = String::from_utf8_lossy(&bytes);
            // The article body, roughly: from #js_content to the next script.
            let Some(from) = page.find("id=\"js_content\"") else {
                continue;
            };
            let to = page[from..].find("<script").map_or(page.len(), |e| from + e);
            out.push(super::joined_text(&crate::extract::read_body(&page[from..to]).text()));
        }
        assert!(out.len() > 10);
        out
    }

    /// Texts that hold many near-matches: the patterns' sample sentences, pieces of real text,
    /// with characters dropped, doubled and swapped in, numbers, breaks and punctuation between.
    fn mutated(rng: &mut Rng, pieces: &[String]) -> String {
        let noise = [
            "其中",
            "网络安全",
            "\n",
            "。",
            ",",
            "123",
            " 45",
            "万",
            "为",
            "的",
            "政府网站",
            "数量",
            "约",
            "$",
            "(GOV类)",
        ];
        let mut out = String::new();
        for _ in 0..(1 + rng.below(6)) {
            let piece: Vec<char> = pieces[rng.below(pieces.len())].chars().collect();
            let from = rng.below(piece.len());
            let to = (from + 1 + rng.below(80)).min(piece.len());
            let mut chunk: Vec<char> = piece[from..to].to_vec();
            for _ in 0..rng.below(3) {
                if chunk.is_empty() {
                    break;
                }
                let at = rng.below(chunk.len());
                match rng.below(3) {
                    0 => {
                        chunk.remove(at);
                    }
                    1 => chunk.insert(at, chunk[at]),
                    _ => chunk
                        .splice(at..at, noise[rng.below(noise.len())].chars())
                        .for_each(drop),
                }
            }
            out.extend(chunk);
            out.push_str(noise[rng.below(noise.len())]);
        }
        out
    }

    fn compare(text: &str, patterns: &[&Pattern], finder: &Finder) -> usize {
        let mut n = 0;
        let starts = finder.starts(text, patterns.iter().copied());
        for (p, at) in patterns.iter().zip(&starts) {
            let whole = p.find_all(text, None);
            let anchored = p.find_all(text, at.as_ref());
            assert_eq!(whole, anchored, "pattern {} over {text:?}", p.source);
            n += whole.len();
            for f in &whole {
                let old = p
                    .exact()
                    .and_then(|e| e.find_at(text, f.span.0))
                    .is_some_and(|m| m.start() == f.span.0 && m.end() == f.span.1);
                assert_eq!(
                    p.is_exact(text, f.span),
                    old,
                    "pattern {} at {:?} in {text:?}",
                    p.source,
                    f.span
                );
            }
        }
        n
    }

    #[test]
    fn anchored_matches_are_the_matches_over_the_whole_text() {
        let config = Config::built_in().expect("built-in config");
        let series = &config.series[0];
        let patterns: Vec<&Pattern> = series
            .assessment
            .iter()
            .chain(series.metrics.iter().flat_map(|m| &m.patterns))
            .collect();
        // Every pattern of the built-in config has an anchor.
        for p in &patterns {
            assert!(p.anchor.is_some(), "{} has no anchor", p.source);
        }
        let mut pieces = fixture_texts();
        for text in pieces.clone() {
            compare(&text, &patterns, &series.finder);
        }
        for p in &patterns {
            pieces.extend(crate::pattern::samples(p.exact_source()));
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut found = 0;
        for _ in 0..10_000 {
            let text = mutated(&mut rng, &pieces);
            found += compare(&text, &patterns, &series.finder);
        }
        // The texts did hold matches (typo'd ones among them).
        assert!(found > 2000, "{found}");
    }
}
