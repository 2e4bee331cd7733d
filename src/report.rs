//! The domain types: what a page is (`PageKind`), the normalized record (`Report`), and its parts.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

/// What a fetched or saved page turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    /// An issue of a configured series.
    Report,
    /// An article that is not an issue of any configured series.
    OtherArticle,
    /// WeChat's anti-crawler check (环境异常).
    Captcha,
    /// 该内容已被发布者删除.
    Deleted,
    /// Blocked or otherwise not viewable (此内容因违规无法查看 …), or no article at all.
    Unavailable,
    /// 参数错误: the URL's parameters are wrong.
    ParamError,
    /// A PDF (or picture-only document) with no text to read: a scan.
    NoText,
}

impl PageKind {
    /// The contract's name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Report => "report",
            PageKind::OtherArticle => "other_article",
            PageKind::Captcha => "captcha",
            PageKind::Deleted => "deleted",
            PageKind::Unavailable => "unavailable",
            PageKind::ParamError => "param_error",
            PageKind::NoText => "no_text",
        }
    }
}

/// A figure: a count, or a rating word such as 中.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricValue {
    /// A count.
    Count(i64),
    /// A rating.
    Level(String),
}

impl MetricValue {
    /// The count, if this is one.
    pub fn as_count(&self) -> Option<i64> {
        match self {
            MetricValue::Count(n) => Some(*n),
            MetricValue::Level(_) => None,
        }
    }
}

impl std::fmt::Display for MetricValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricValue::Count(n) => write!(f, "{n}"),
            MetricValue::Level(s) => f.write_str(s),
        }
    }
}

/// Identifies an issue independently of its URL: series, year and number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IssueId {
    /// Series id.
    pub series: String,
    /// Year in the title.
    pub year: i32,
    /// Issue number in the title.
    pub issue: u32,
}

impl std::fmt::Display for IssueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}年第{}期", self.series, self.year, self.issue)
    }
}

/// The normalized record of one page (DESIGN.md §2). Fields beyond `kind` are present where known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Report {
    /// What the page is.
    pub kind: Option<PageKind>,
    /// Canonical URL (`https://mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Series id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// Article title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Year of the issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Issue number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<u32>,
    /// First day of the week covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_start: Option<NaiveDate>,
    /// Last day of the week covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_end: Option<NaiveDate>,
    /// Publication time, Beijing time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<FixedOffset>>,
    /// Whether `issue` was computed (the ISO week of the period's Monday) because the title gave no number.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub issue_inferred: bool,
    /// Whether the period was computed from the issue number (the ISO week) because the text states none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub period_inferred: bool,
    /// The report's PDF on the website, absolute and percent-encoded, when a page links one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf: Option<String>,
    /// Overall assessment 优/良/中/差/危.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<String>,
    /// Figures by metric key.
    #[serde(default)]
    pub metrics: BTreeMap<String, MetricValue>,
    /// Back-issue links (canonical where known, short links as written), page order.
    #[serde(default)]
    pub previous: Vec<String>,
    /// Account name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// First paragraph of the article, plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// What was odd about the page (lossy UTF-8, missing date …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Report {
    /// Whether a report's text lacks the monitoring figures (since 2021 they are only in pictures).
    pub fn lacks_monitoring_figures(&self) -> bool {
        ![
            "infected_hosts",
            "defaced_sites",
            "backdoor_sites",
            "new_vulnerabilities",
        ]
        .iter()
        .any(|k| self.metrics.contains_key(*k))
    }

    /// A record of the given kind and nothing else.
    pub fn of_kind(kind: PageKind, url: Option<String>) -> Report {
        Report {
            kind: Some(kind),
            url,
            ..Report::default()
        }
    }

    /// The page kind (`Unavailable` when unset).
    pub fn page_kind(&self) -> PageKind {
        self.kind.unwrap_or(PageKind::Unavailable)
    }

    /// The issue identity, for reports.
    pub fn issue_id(&self) -> Option<IssueId> {
        Some(IssueId {
            series: self.series.clone()?,
            year: self.year?,
            issue: self.issue?,
        })
    }
}

/// Beijing time, the zone of every WeChat timestamp shown to readers.
pub fn beijing() -> FixedOffset {
    // 8 hours east is always in range.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"))
}
