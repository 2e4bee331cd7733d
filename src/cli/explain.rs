//! `explain`: where each figure of an issue came from (value, source, sentence, pattern), then
//! the numbers no pattern took and every warning; of an archived issue (`YEAR/ISSUE`), or of a
//! saved file or URL read now.

use std::collections::BTreeMap;
use std::path::Path;

use crate::archive::Archive;
use crate::assemble::SourceKind;
use crate::cli::{
    ExplainArgs, Got, Outcome, apply_base_urls, check_series, current_thread_runtime, fetch_document, is_url,
    readable_dir,
};
use crate::config::{Config, Series};
use crate::fetch::Fetcher;
use crate::sources::{DocumentKind, document_kind, read_document};

/// `explain`: prints the explanation on stdout.
pub fn run_explain(mut config: Config, args: &ExplainArgs) -> anyhow::Result<Outcome> {
    apply_base_urls(&mut config, &args.base_url)?;
    check_series(&config, args.series.as_deref())?;
    let target = args.target.as_str();
    if let Some((year, issue)) = parse_issue_ref(target) {
        readable_dir("--data", &args.data)?;
        let series = pick_series(&config, args.series.as_deref())?;
        print!("{}", explain_archived(&args.data, series, year, issue)?);
        return Ok(Outcome::Done);
    }
    print!("{}", explain_document(&config, target)?);
    Ok(Outcome::Done)
}

/// The series `--series` names, else the first in the config.
fn pick_series<'c>(config: &'c Config, series: Option<&str>) -> anyhow::Result<&'c Series> {
    match series {
        Some(id) => config
            .series
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| anyhow::anyhow!("no series '{id}' in the config")),
        None => config
            .series
            .first()
            .ok_or_else(|| anyhow::anyhow!("the config lists no series")),
    }
}

/// The explanation of issue `year`/`issue` of `series` in the archive at `data`.
fn explain_archived(data: &Path, series: &Series, year: i32, issue: u32) -> anyhow::Result<String> {
    let archive = Archive::new(data);
    let entries = archive.load_series(&series.id)?;
    let entry = entries
        .iter()
        .find(|e| e.report.year == Some(year) && e.report.issue == Some(issue))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "issue {year}/{issue} of '{}' is not in the archive {}; run `crawl` first, or give the article's URL or a saved page",
                series.id,
                data.display()
            )
        })?;
    Ok(crate::explain::explain_entry(entry, series))
}

/// The explanation of a saved file or URL (`target`), read now.
fn explain_document(config: &Config, target: &str) -> anyhow::Result<String> {
    let (bytes, url) = if is_url(target) {
        let fetcher = Fetcher::new(&config.fetch, crate::sources::hosts())?;
        let rt = current_thread_runtime()?;
        match rt.block_on(fetch_document(target, &fetcher, config)) {
            Ok(Got::Document(body, url)) => (body, Some(url)),
            Ok(Got::Blocked(reason)) => anyhow::bail!(
                "{target}: the source answered with its captcha ({reason}); save the page from a browser and explain the file"
            ),
            Err(why) => anyhow::bail!("{target}: {why}"),
        }
    } else {
        let bytes = std::fs::read(target).map_err(|e| anyhow::anyhow!("{target}: cannot read the file: {e}"))?;
        (bytes, None)
    };
    let source = match document_kind(&bytes) {
        DocumentKind::WechatPage => SourceKind::Wechat,
        _ => SourceKind::Website,
    };
    let extracted = read_document(&bytes, url.as_ref(), target, config)?;
    let report = &extracted.report;
    let Some(series) = report
        .series
        .as_deref()
        .and_then(|id| config.series.iter().find(|s| s.id == id))
    else {
        anyhow::bail!(
            "{target}: not an issue of a configured series (read as {}); nothing to explain",
            report.page_kind().as_str()
        );
    };
    let mut sources: BTreeMap<String, SourceKind> = report.metrics.keys().map(|k| (k.clone(), source)).collect();
    if report.assessment.is_some() {
        sources.insert(crate::assemble::ASSESSMENT_KEY.to_string(), source);
    }
    let readings: Vec<_> = crate::explain::reading_of_document(&extracted, source, target, series)
        .into_iter()
        .collect();
    Ok(crate::explain::render(report, &sources, &readings, series))
}

/// `2024/43` (also `2024-43`) as year and issue.
pub fn parse_issue_ref(s: &str) -> Option<(i32, u32)> {
    let (y, i) = s.split_once(['/', '-'])?;
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) || i.is_empty() || i.len() > 2 {
        return None;
    }
    Some((y.parse().ok()?, i.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_refs_are_year_slash_or_dash_issue() {
        assert_eq!(parse_issue_ref("2024/43"), Some((2024, 43)));
        assert_eq!(parse_issue_ref("2024-7"), Some((2024, 7)));
        for not_a_ref in [
            "24/43",
            "2024/",
            "2024/143",
            "2024/4x",
            "saved/page.html",
            "https://x/2024/43",
            "2024",
        ] {
            assert_eq!(parse_issue_ref(not_a_ref), None, "{not_a_ref}");
        }
    }
}
