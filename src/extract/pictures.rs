//! Figures from the texts OCR read from an issue's pictures.
//!
//! A figure read from a picture is a guess until it is checked ([`figures_from_pictures`]): it
//! is taken only when it was read twice with the same value (the dashboard and the paragraph
//! state most figures twice), or when a rule ties it to figures that were (trojan/botnet +
//! conficker = infected hosts), or when it is a rating. Everything else is left out with a
//! warning naming the picture: a missing figure is a known limit, a wrong one a bug.
//!
//! A picture whose figures were left out may have been read a second time, otherwise prepared
//! ([`PictureText::second_reading`], issue 21): that reading only adds the figures its first
//! did not read, under the same rules. The two readings of one picture are one picture's: they
//! never confirm each other.

use std::collections::BTreeMap;

use super::{FigureMatch, find_figures, paragraphs_with};
use crate::config::{MetricKind, Series};
use crate::picture::PictureText;
use crate::report::MetricValue;

/// OCR text made readable by the patterns: look-alikes OCR puts in place of 篡 (纂 算 自 募)
/// restored where they stand in 被篡改, stray quote marks dropped, lines joined into paragraphs.
pub fn normalize(text: &str) -> Vec<String> {
    let mut t = text.to_string();
    for wrong in ["被纂改", "被算改", "被自改", "被募改", "被幕改", "被慕改"] {
        t = t.replace(wrong, "被篡改");
    }
    // A Latin word broken across lines (`confick` / `er`) is one word again.
    static SPLIT_WORD: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let split = SPLIT_WORD.get_or_init(|| regex::Regex::new(r"([A-Za-z])[ \t]*\n\s*([A-Za-z])").expect("valid regex"));
    let t = split.replace_all(&t, "$1$2").into_owned();
    // The worm's name in brackets after 飞客 is a label, not a figure: a misread of it
    // (`confickenm`, `conficker1`) is the name again.
    static WORM: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let worm = WORM.get_or_init(|| {
        regex::Regex::new(r"飞客\s*[(（〈]\s*[A-Za-z][A-Za-z0-9]{4,13}\s*[)）〉]").expect("valid regex")
    });
    let t = worm.replace_all(&t, "飞客(conficker)").into_owned();
    // So is the word after it: 蠕虫 misread (`晴虫`, `旺虫`) is the worm again.
    static WORM_WORD: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let worm_word =
        WORM_WORD.get_or_init(|| regex::Regex::new(r"飞客\(conficker\)\s*[^\s蠕虫]虫").expect("valid regex"));
    let t = worm_word.replace_all(&t, "飞客(conficker)蠕虫").into_owned();
    let t: String = t
        .chars()
        .filter(|c| !matches!(c, '"' | '“' | '”' | '„' | '‟' | '〝' | '〞' | '\''))
        .map(|c| match c {
            '〈' | '《' => '(',
            '〉' | '》' => ')',
            other => other,
        })
        .collect();
    paragraphs_with(&t, false)
}

/// What the pictures of an issue give.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureFigures {
    /// Figures accepted.
    pub metrics: BTreeMap<String, MetricValue>,
    /// Figures read but not accepted, and everything else a reader should know.
    pub warnings: Vec<String>,
    /// The pictures worth a second reading (their places in the list given), a picture read twice
    /// already not among them: one that matched a figure it could not read for sure (cut short,
    /// a decimal without its unit) and that was left out; one that read part of the hosts' sum
    /// (infected = trojan/botnet + conficker) while a part it lacks was left out. A figure it read
    /// but nothing confirms is no reason: a second reading never replaces the first's value.
    pub read_again: Vec<usize>,
}

/// Reads figures from the pictures' texts and accepts only those that are confirmed (see the
/// module's documentation). `pictures` are (URL, OCR text).
pub fn figures_from_pictures(pictures: &[PictureText], series: &Series) -> PictureFigures {
    let mut out = PictureFigures::default();
    // Every statement of every picture, with the picture it came from.
    let mut reads: BTreeMap<String, Vec<(MetricValue, String)>> = BTreeMap::new();
    // One picture's pixels are read once, whatever URLs or places they were found under (the
    // same bytes give the same text: a second copy would confirm its own misreads).
    let mut seen = std::collections::HashSet::new();
    // What each picture gave: its place in `pictures`, the keys it read a value of, the keys it
    // matched but could not read.
    let mut gave: Vec<(usize, Vec<String>, Vec<String>)> = Vec::new();
    for (i, p) in pictures.iter().enumerate().filter(|(_, p)| !p.text.trim().is_empty()) {
        if !seen.insert(p.identity()) {
            continue;
        }
        let f = find_figures(&normalize(&p.text).join("\n"), series);
        let read = |m: &&FigureMatch| m.rejected.is_none() && m.value.is_some();
        let first: Vec<&str> = f.matches.iter().filter(read).map(|m| m.key.as_str()).collect();
        let mut warnings: Vec<String> = f.warnings.iter().map(|w| format!("picture {}: {w}", p.url)).collect();
        let mut taken: Vec<&FigureMatch> = f.matches.iter().filter(read).collect();
        // A second reading of the same pixels adds only what the first did not read: the two
        // never confirm each other.
        let second = (!p.second_reading.trim().is_empty())
            .then(|| find_figures(&normalize(&p.second_reading).join("\n"), series));
        if let Some(s) = &second {
            taken.extend(
                s.matches
                    .iter()
                    .filter(read)
                    .filter(|m| !first.contains(&m.key.as_str())),
            );
            warnings.extend(
                s.warnings
                    .iter()
                    .map(|w| format!("picture {} (second reading): {w}", p.url)),
            );
        }
        let valued: Vec<String> = taken.iter().map(|m| m.key.clone()).collect();
        let unread: Vec<String> = f
            .matches
            .iter()
            .chain(second.iter().flat_map(|s| &s.matches))
            .filter(|m| m.key != crate::extract::ASSESSMENT && !valued.contains(&m.key))
            .map(|m| m.key.clone())
            .collect();
        for m in taken {
            if let Some(v) = &m.value {
                reads.entry(m.key.clone()).or_default().push((v.clone(), p.url.clone()));
            }
        }
        out.warnings.extend(warnings);
        gave.push((i, valued, unread));
    }
    let kind_of = |key: &str| series.metrics.iter().find(|m| m.key == key).map(|m| m.kind);
    let mut single: BTreeMap<String, (MetricValue, String)> = BTreeMap::new();
    for (key, values) in &reads {
        if key == crate::extract::ASSESSMENT {
            continue;
        }
        let mut distinct: Vec<&MetricValue> = Vec::new();
        for (v, _) in values {
            if !distinct.contains(&v) {
                distinct.push(v);
            }
        }
        if distinct.len() > 1 {
            let list: Vec<String> = values.iter().map(|(v, u)| format!("{v} ({u})")).collect();
            out.warnings.push(format!(
                "{key}: the pictures give different values, {}; left out",
                list.join(", ")
            ));
            continue;
        }
        let (value, url) = &values[0];
        if values.len() >= 2 || kind_of(key) == Some(MetricKind::Level) {
            out.metrics.insert(key.clone(), value.clone());
        } else {
            single.insert(key.clone(), (value.clone(), url.clone()));
        }
    }
    // Trojan/botnet and conficker hosts are stated once, but must add up to the infected hosts:
    // exactly as stated (a misread last digit is as large as the rounding the report allows, so
    // a sum only within rounding confirms nothing). Three single reads that add up exactly
    // confirm one another: a misread would have to be offset by another to the digit.
    let count = |m: &BTreeMap<String, MetricValue>, k: &str| m.get(k).and_then(MetricValue::as_count);
    let single_count = |m: &BTreeMap<String, (MetricValue, String)>, k: &str| match m.get(k) {
        Some((MetricValue::Count(n), _)) => Some(*n),
        _ => None,
    };
    let parts = (
        single_count(&single, "trojan_botnet_hosts"),
        single_count(&single, "conficker_hosts"),
    );
    if let (Some(a), Some(b)) = parts {
        let confirmed_total = count(&out.metrics, "infected_hosts");
        let single_total = single_count(&single, "infected_hosts");
        if confirmed_total == Some(a + b) || (confirmed_total.is_none() && single_total == Some(a + b)) {
            for k in ["infected_hosts", "trojan_botnet_hosts", "conficker_hosts"] {
                if let Some((v, _)) = single.remove(k) {
                    out.metrics.insert(k.to_string(), v);
                }
            }
        }
    }
    for (key, (value, url)) in single {
        out.warnings.push(format!(
            "{key} = {value} was read once, from picture {url}, and nothing confirms it; left out"
        ));
    }
    // What a second reading can add: a figure the first could not read, the parts of the hosts'
    // sum it lacks (a figure the first read, the second cannot change). A picture that gave no
    // figure is not read again: with `--psm 6` first, none of the measured sets had one that a
    // second reading helped, and the PDFs' other paragraphs would each be read twice for nothing.
    let left_out = |k: &str| !out.metrics.contains_key(k);
    let hosts = ["infected_hosts", "trojan_botnet_hosts", "conficker_hosts"];
    let worth = |valued: &[String], unread: &[String]| {
        let has = |k: &str| valued.iter().any(|v| v == k);
        unread.iter().any(|k| left_out(k))
            || (hosts.iter().any(|k| has(k)) && hosts.iter().any(|k| !has(k) && left_out(k)))
    };
    out.read_again = gave
        .iter()
        .filter(|(i, valued, unread)| {
            pictures.get(*i).is_some_and(|p| p.second_reading.is_empty()) && worth(valued, unread)
        })
        .map(|(i, _, _)| *i)
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_are_restored_only_where_they_stand_for_the_word() {
        let p = normalize("本周境内被算改网站数量为2219\n个; 计算机境内被自改政府网站 〈GOV类) 数量为3个“(约占");
        let text = p.join("\n");
        assert!(text.contains("被篡改网站数量为2219个"), "{text}");
        assert!(text.contains("计算机"), "{text}");
        assert!(text.contains("被篡改政府网站(GOV类)数量为3个(约占"), "{text}");
    }

    #[test]
    fn a_misread_worm_name_is_the_name_again_and_numbers_are_untouched() {
        for read in [
            "飞客 (confickenm)\n蠕虫的主机约4.8万",
            "飞客〈conficker1〉蠕虫的主机约4.8万",
        ] {
            let text = normalize(read).join("\n");
            assert!(text.contains("飞客(conficker)蠕虫的主机约4.8万"), "{read}: {text}");
        }
        // Not a bracketed word: left as read.
        assert!(normalize("飞客 (4.8万)").join("").contains("(4.8万)"));
        // The word after the name, misread, is the worm's.
        for read in [
            "飞客 (confickem)\n晴虫的主机约4.8万",
            "飞客 〈conficker\n) 旺虫的主机约6.8万",
        ] {
            let text = normalize(read).join("\n");
            assert!(text.contains("飞客(conficker)蠕虫的主机约"), "{read}: {text}");
        }
    }
}
