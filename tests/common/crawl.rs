//! Helpers of the crawl tests: the fixture site's newest issue, a crawl limited in breadth.

use cncert_feed::crawl::CrawlOptions;

/// 2025年第3期, the newest issue of the fixture site.
pub const NEWEST: &str =
    "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219";

/// A crawl that archives at most `n` new issues.
pub fn limit(n: usize) -> CrawlOptions {
    CrawlOptions {
        max_issues: Some(n),
        ..CrawlOptions::default()
    }
}
