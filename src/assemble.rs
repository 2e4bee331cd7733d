//! One record per issue from every source that read it (DESIGN.md §7): each source's
//! observation is kept as it was read, and one reconcile step decides the record: per-figure
//! precedence (website text or PDF, then WeChat, then OCR), the origin of every figure, and the
//! values other sources stated differently (`conflicts`), so nothing is silently lost.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::report::{MetricValue, PageKind, Report};

/// A place an issue can be read from, in order of precedence for figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// www.cert.org.cn: the detail page and the report's PDF (the report of record).
    Website,
    /// The WeChat article (page, discovery feed copy or imported page).
    Wechat,
    /// Text read from the report's pictures.
    Ocr,
}

impl SourceKind {
    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Website => "website",
            SourceKind::Wechat => "wechat",
            SourceKind::Ocr => "ocr",
        }
    }
}

/// How a source's copy was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReadVia {
    /// The page (or PDF) itself.
    #[default]
    Page,
    /// A discovery feed item's body (the page was blocked); replaced by the page when it can be fetched.
    Feed,
    /// A page saved by hand and imported.
    Import,
}

/// What one source observed of an issue, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The record this source gave.
    pub report: Report,
    /// How it was obtained.
    #[serde(default)]
    pub via: ReadVia,
    /// When it was read.
    pub fetched_at: DateTime<FixedOffset>,
    /// The body as HTML, sanitized (WeChat's article; the website page's text on older issues).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_html: Option<String>,
    /// The PDF's text (normalized paragraphs), so re-extraction needs no network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_text: Option<String>,
    /// The PDF's size in bytes, when it was downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_size: Option<u64>,
    /// Why the PDF gave no figures (a scan, corrupt, 404, too large), when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_failure: Option<String>,
    /// The pictures read by OCR (source `ocr`): URL, hash of the bytes, text; kept so that no
    /// picture is fetched or read twice and `crawl --reextract` re-reads them offline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pictures: Vec<crate::picture::PictureText>,
}

impl Observation {
    /// An observation of `report`, read `via` at `fetched_at`, with no stored body, PDF or pictures.
    pub fn new(report: Report, via: ReadVia, fetched_at: DateTime<FixedOffset>) -> Observation {
        Observation {
            report,
            via,
            fetched_at,
            content_html: None,
            pdf_text: None,
            pdf_size: None,
            pdf_failure: None,
            pictures: Vec::new(),
        }
    }
}

/// Where an issue was read, as the record lists it (`sources`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// Which source.
    pub source: SourceKind,
    /// The WeChat article or the website's detail page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The report's PDF (website).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf: Option<String>,
    /// The PDF's size in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_size: Option<u64>,
}

/// The assembled view of an issue.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Assembled {
    /// The record.
    pub report: Report,
    /// Every place it was read.
    pub sources: Vec<SourceRef>,
    /// The origin of every figure (and of `assessment`).
    pub figure_sources: BTreeMap<String, SourceKind>,
    /// Values other sources stated differently, by figure and source.
    pub conflicts: BTreeMap<String, BTreeMap<SourceKind, MetricValue>>,
    /// The body to show: WeChat's article, else the website page's text.
    pub content_html: Option<String>,
}

/// The key figures and the assessment are recorded under in `figure_sources` and `conflicts`.
pub const ASSESSMENT_KEY: &str = "assessment";

/// Reconciles the observations of one issue into its record.
pub fn assemble(observations: &BTreeMap<SourceKind, Observation>) -> Assembled {
    // Precedence for figures: the BTreeMap's order (website, wechat, ocr).
    let ordered: Vec<(SourceKind, &Observation)> = observations.iter().map(|(k, o)| (*k, o)).collect();
    // The record's face (title, url, time, links, body) is WeChat's when known: readers open it on phones.
    let face = observations
        .get(&SourceKind::Wechat)
        .or_else(|| observations.get(&SourceKind::Website))
        .or_else(|| observations.values().next());
    let Some(face) = face else {
        return Assembled::default();
    };
    let mut report = face.report.clone();
    report.kind = Some(PageKind::Report);
    report.warnings.clear();
    report.pdf = observations
        .get(&SourceKind::Website)
        .and_then(|o| o.report.pdf.clone())
        .or(report.pdf);
    // A period a text states beats one computed from the issue number.
    if let Some(o) = ordered
        .iter()
        .map(|(_, o)| o)
        .find(|o| o.report.period_start.is_some() && !o.report.period_inferred)
        .or_else(|| ordered.iter().map(|(_, o)| o).find(|o| o.report.period_start.is_some()))
    {
        report.period_start = o.report.period_start;
        report.period_end = o.report.period_end;
        report.period_inferred = o.report.period_inferred;
    }
    report.issue_inferred = ordered.iter().all(|(_, o)| o.report.issue_inferred);
    if report.published.is_none() {
        report.published = ordered.iter().find_map(|(_, o)| o.report.published);
    }
    if report.summary.is_none() {
        report.summary = ordered.iter().find_map(|(_, o)| o.report.summary.clone());
    }
    if report.url.is_none() {
        report.url = ordered.iter().find_map(|(_, o)| o.report.url.clone());
    }

    let mut figure_sources = BTreeMap::new();
    let mut conflicts: BTreeMap<String, BTreeMap<SourceKind, MetricValue>> = BTreeMap::new();
    let mut warnings = Vec::new();

    // The assessment, like a figure.
    report.assessment = None;
    for (kind, o) in &ordered {
        let Some(a) = &o.report.assessment else { continue };
        match &report.assessment {
            None => {
                report.assessment = Some(a.clone());
                figure_sources.insert(ASSESSMENT_KEY.to_string(), *kind);
            }
            Some(chosen) if chosen != a => {
                conflicts
                    .entry(ASSESSMENT_KEY.to_string())
                    .or_default()
                    .insert(*kind, MetricValue::Level(a.clone()));
            }
            Some(_) => {}
        }
    }
    report.metrics = BTreeMap::new();
    for (kind, o) in &ordered {
        for (key, value) in &o.report.metrics {
            match report.metrics.get(key) {
                None => {
                    report.metrics.insert(key.clone(), value.clone());
                    figure_sources.insert(key.clone(), *kind);
                }
                Some(chosen) if chosen != value => {
                    conflicts.entry(key.clone()).or_default().insert(*kind, value.clone());
                }
                Some(_) => {}
            }
        }
    }
    // What each disagreement chose, before the rules below may leave it out.
    let chosen: BTreeMap<String, (SourceKind, MetricValue)> = conflicts
        .keys()
        .filter_map(|key| {
            let from = *figure_sources.get(key)?;
            let value = if key == ASSESSMENT_KEY {
                MetricValue::Level(report.assessment.clone()?)
            } else {
                report.metrics.get(key)?.clone()
            };
            Some((key.clone(), (from, value)))
        })
        .collect();
    // Figures from different sources must still agree with each other; where they do not, the
    // least trusted source's figures are left out.
    let trust = |key: &str| figure_sources.get(key).map(|k| *k as u8).unwrap_or(0);
    let removed = crate::consistency::enforce(&mut report.metrics, trust);
    let mut check_warnings = Vec::new();
    let mut broken: BTreeMap<String, String> = BTreeMap::new();
    for (keys, reason) in removed {
        // The rule without enforce's own "; <keys> left out".
        let rule = reason
            .strip_suffix(&format!("; {} left out", keys.join(", ")))
            .unwrap_or(&reason)
            .to_string();
        for k in &keys {
            figure_sources.remove(k);
            broken.insert(k.clone(), rule.clone());
        }
        check_warnings.push(reason);
    }
    for (key, others) in conflicts.iter_mut() {
        let rest: Vec<String> = others.iter().map(|(k, v)| format!("{} {v}", k.as_str())).collect();
        let rest = rest.join(", ");
        let Some((from, value)) = chosen.get(key) else {
            warnings.push(format!(
                "sources disagree on {key}: {rest}, listed in conflicts; none is in the record"
            ));
            continue;
        };
        let from_name = from.as_str();
        match broken.get(key) {
            None => warnings.push(format!(
                "sources disagree on {key}: {from_name} {value} kept, {rest} listed in conflicts"
            )),
            Some(rule) => {
                warnings.push(format!(
                    "sources disagree on {key}: {from_name} {value} (chosen by precedence), {rest}; left out: it breaks the rule {rule}; every value listed in conflicts"
                ));
                // The record no longer states the chosen value: it joins the others.
                others.insert(*from, value.clone());
            }
        }
    }
    warnings.extend(check_warnings);
    for (kind, o) in &ordered {
        for w in &o.report.warnings {
            warnings.push(format!("{}: {w}", kind.as_str()));
        }
        if let Some(f) = &o.pdf_failure {
            warnings.push(format!("{}: PDF: {f}", kind.as_str()));
        }
    }
    report.warnings = warnings;

    let sources = ordered
        .iter()
        .filter(|(k, _)| *k != SourceKind::Ocr)
        .map(|(kind, o)| SourceRef {
            source: *kind,
            url: o.report.url.clone(),
            pdf: o.report.pdf.clone(),
            pdf_size: o.pdf_size,
        })
        .collect::<Vec<_>>();
    // WeChat first in the list: it is the record's face.
    let mut sources = sources;
    sources.sort_by_key(|s| s.source != SourceKind::Wechat);
    let content_html = observations
        .get(&SourceKind::Wechat)
        .and_then(|o| o.content_html.clone())
        .or_else(|| {
            observations
                .get(&SourceKind::Website)
                .and_then(|o| o.content_html.clone())
        });
    Assembled {
        report,
        sources,
        figure_sources,
        conflicts,
        content_html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(url: &str, metrics: &[(&str, i64)], assessment: Option<&str>) -> Observation {
        Observation::new(
            Report {
                kind: Some(PageKind::Report),
                url: Some(url.to_string()),
                series: Some("s".into()),
                year: Some(2024),
                issue: Some(43),
                assessment: assessment.map(str::to_string),
                metrics: metrics
                    .iter()
                    .map(|(k, v)| (k.to_string(), MetricValue::Count(*v)))
                    .collect(),
                ..Report::default()
            },
            ReadVia::Page,
            DateTime::parse_from_rfc3339("2024-11-01T00:00:00+08:00").expect("valid"),
        )
    }

    #[test]
    fn website_figures_win_and_the_other_value_is_kept_as_a_conflict() {
        let mut o = BTreeMap::new();
        o.insert(
            SourceKind::Wechat,
            obs(
                "https://mp.weixin.qq.com/s?x",
                &[("incidents_handled", 279), ("malicious_urls", 18)],
                Some("良"),
            ),
        );
        o.insert(
            SourceKind::Website,
            obs(
                "https://www.cert.org.cn/d.html",
                &[("incidents_handled", 280), ("infected_hosts", 238000)],
                Some("良"),
            ),
        );
        let a = assemble(&o);
        assert_eq!(a.report.url.as_deref(), Some("https://mp.weixin.qq.com/s?x"));
        assert_eq!(a.report.metrics["incidents_handled"], MetricValue::Count(280));
        assert_eq!(a.report.metrics["malicious_urls"], MetricValue::Count(18));
        assert_eq!(a.report.metrics["infected_hosts"], MetricValue::Count(238000));
        assert_eq!(a.figure_sources["incidents_handled"], SourceKind::Website);
        assert_eq!(a.figure_sources["malicious_urls"], SourceKind::Wechat);
        assert_eq!(a.figure_sources["assessment"], SourceKind::Website);
        assert_eq!(
            a.conflicts["incidents_handled"][&SourceKind::Wechat],
            MetricValue::Count(279)
        );
        assert_eq!(a.conflicts.len(), 1);
        assert!(
            a.report
                .warnings
                .iter()
                .any(|w| w.contains("incidents_handled") && w.contains("279"))
        );
        assert_eq!(a.sources[0].source, SourceKind::Wechat);
        assert_eq!(a.sources[1].source, SourceKind::Website);
    }

    #[test]
    fn figures_of_two_sources_that_break_a_rule_lose_the_less_trusted_one() {
        let mut o = BTreeMap::new();
        o.insert(
            SourceKind::Website,
            obs("https://www.cert.org.cn/d.html", &[("defaced_sites", 1865)], Some("良")),
        );
        o.insert(
            SourceKind::Ocr,
            obs("https://mp.weixin.qq.com/s?x", &[("defaced_gov_sites", 2800)], None),
        );
        let a = assemble(&o);
        assert_eq!(a.report.metrics.get("defaced_sites"), Some(&MetricValue::Count(1865)));
        assert!(!a.report.metrics.contains_key("defaced_gov_sites"));
        assert!(!a.figure_sources.contains_key("defaced_gov_sites"));
        assert!(
            a.report
                .warnings
                .iter()
                .any(|w| w.contains("defaced_gov_sites (2800)") && w.contains("left out")),
            "{:?}",
            a.report.warnings
        );
    }

    #[test]
    fn a_stated_period_beats_a_computed_one() {
        let mut web = obs("https://www.cert.org.cn/d.html", &[], None);
        web.report.period_start = chrono::NaiveDate::from_ymd_opt(2024, 10, 21);
        web.report.period_end = chrono::NaiveDate::from_ymd_opt(2024, 10, 27);
        web.report.period_inferred = true;
        let mut wx = obs("https://mp.weixin.qq.com/s?x", &[], None);
        wx.report.period_start = chrono::NaiveDate::from_ymd_opt(2024, 10, 20);
        wx.report.period_end = chrono::NaiveDate::from_ymd_opt(2024, 10, 26);
        let mut o = BTreeMap::new();
        o.insert(SourceKind::Website, web);
        o.insert(SourceKind::Wechat, wx);
        let a = assemble(&o);
        assert_eq!(a.report.period_start, chrono::NaiveDate::from_ymd_opt(2024, 10, 20));
        assert!(!a.report.period_inferred);
    }

    #[test]
    fn website_only_issue_takes_its_face_from_the_website() {
        let mut o = BTreeMap::new();
        let mut web = obs(
            "https://www.cert.org.cn/d.html",
            &[("incidents_handled", 341)],
            Some("良"),
        );
        web.report.pdf = Some("https://www.cert.org.cn/a.pdf".into());
        web.pdf_size = Some(1234);
        o.insert(SourceKind::Website, web);
        let a = assemble(&o);
        assert_eq!(a.report.url.as_deref(), Some("https://www.cert.org.cn/d.html"));
        assert_eq!(a.report.pdf.as_deref(), Some("https://www.cert.org.cn/a.pdf"));
        assert_eq!(a.sources.len(), 1);
        assert_eq!(a.sources[0].pdf_size, Some(1234));
        assert!(a.conflicts.is_empty());
    }

    #[test]
    fn a_conflicts_chosen_value_that_breaks_a_rule_is_reported_as_left_out() {
        let mut o = BTreeMap::new();
        o.insert(
            SourceKind::Website,
            obs(
                "https://www.cert.org.cn/d.html",
                &[("incidents_handled", 295)],
                Some("良"),
            ),
        );
        o.insert(
            SourceKind::Wechat,
            obs("https://mp.weixin.qq.com/s?x", &[("incidents_cross_border", 500)], None),
        );
        o.insert(
            SourceKind::Ocr,
            obs("https://mp.weixin.qq.com/s?x", &[("incidents_cross_border", 140)], None),
        );
        let a = assemble(&o);
        assert!(!a.report.metrics.contains_key("incidents_cross_border"));
        assert!(!a.figure_sources.contains_key("incidents_cross_border"));
        let w: Vec<&String> = a
            .report
            .warnings
            .iter()
            .filter(|w| w.starts_with("sources disagree on incidents_cross_border"))
            .collect();
        assert_eq!(w.len(), 1, "{:?}", a.report.warnings);
        assert!(!w[0].contains('?') && !w[0].contains("kept"), "{}", w[0]);
        assert!(
            w[0].contains("wechat 500")
                && w[0].contains("ocr 140")
                && w[0].contains("left out")
                && w[0].contains("incidents_cross_border (500) is more than incidents_handled (295)"),
            "{}",
            w[0]
        );
        // Both values stay on the record.
        let c = &a.conflicts["incidents_cross_border"];
        assert_eq!(c.get(&SourceKind::Wechat), Some(&MetricValue::Count(500)));
        assert_eq!(c.get(&SourceKind::Ocr), Some(&MetricValue::Count(140)));
    }
}
