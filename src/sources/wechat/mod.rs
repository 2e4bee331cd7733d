//! The WeChat source: everything specific to mp.weixin.qq.com: its URLs, its article pages, its
//! album API, its anti-crawler check, the pictures of its articles, and the crawl through 近期回顾.

use ::url::Url;

use crate::assemble::{Observation, ReadVia, SourceKind};
use crate::config::{Config, WECHAT_HOST};
use crate::crawl::{CrawlOptions, Imported, SeriesRun, Source, SourceRun};
use crate::fetch::{HostPolicy, HostRole};
use crate::report::{PageKind, Report};

pub mod album;
mod crawl;
mod discover;
pub mod page;
pub mod pictures;
pub mod read;
mod script;
pub mod url;

/// WeChat's image host: pictures of articles are fetched from it, and from nowhere else.
pub const IMAGE_HOST: &str = "mmbiz.qpic.cn";

/// Whether a URL is WeChat's anti-crawler check.
fn is_captcha_url(url: &Url) -> bool {
    url.path().starts_with("/mp/wappoc_appmsgcaptcha") || url.path().starts_with("/mp/verifycode")
}

/// The anti-crawler page served with HTTP 200 (no article body, the 环境异常 text).
fn is_captcha_body(body: &[u8]) -> bool {
    let has = |n: &str| memchr::memmem::find(body, n.as_bytes()).is_some();
    !has("js_content")
        && (has("环境异常") || has("访问过于频繁") || has("wappoc_appmsgcaptcha"))
        && body.len() < 256 * 1024
}

/// The article host as the fetcher sees it: pages, blocked by the captcha.
pub fn article_host() -> HostPolicy {
    HostPolicy {
        host: WECHAT_HOST,
        role: HostRole::Pages,
        block_url: Some(is_captcha_url),
        block_body: Some((is_captcha_body, "WeChat answered with its 环境异常 check")),
    }
}

/// The WeChat source: articles (pages, discovery feeds' copies, imported pages).
#[derive(Debug, Clone, Copy, Default)]
pub struct Wechat;

impl Source for Wechat {
    fn kind(&self) -> SourceKind {
        SourceKind::Wechat
    }

    fn hosts(&self) -> Vec<HostPolicy> {
        vec![article_host()]
    }

    fn selected(&self, opts: &CrawlOptions, _config: &Config) -> bool {
        opts.reads(SourceKind::Wechat)
    }

    fn run<'a, 'b: 'a>(&'a self, run: &'a mut SeriesRun<'b>) -> SourceRun<'a> {
        Box::pin(crawl::crawl(run))
    }

    fn reread(&self, o: &Observation, config: &Config) -> Option<Report> {
        let html = o.content_html.as_ref()?;
        let meta = read::ArticleMeta {
            title: o.report.title.clone(),
            url: o.report.url.clone(),
            published: o.report.published,
            author: o.report.author.clone(),
        };
        Some(read::extract_body(html, meta, config).report)
    }

    fn import(&self, bytes: &[u8], config: &Config) -> Imported {
        if !crate::sources::is_web_page(bytes) {
            return Imported::NotMine;
        }
        let extracted = read::extract_page(bytes, None, config);
        let report = extracted.report;
        if report.page_kind() != PageKind::Report {
            return Imported::Refused(format!(
                "not an issue of a configured series ({})",
                report.page_kind().as_str()
            ));
        }
        Imported::Read(Box::new(crawl::observation(
            report,
            ReadVia::Import,
            extracted.content_html,
        )))
    }
}
