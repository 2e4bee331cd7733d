//! What the fetcher knows of a host, as the source that reads it describes it.

use url::Url;

/// What a host is fetched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostRole {
    /// Pages, feeds and documents (PDFs).
    Pages,
    /// Pictures only ([`super::Fetcher::get_image`]).
    Pictures,
}

/// A test of a body: whether it is a host's block page.
pub type BodyCheck = fn(&[u8]) -> bool;

/// How one host is fetched, as the source that reads it describes it: the fetcher's only
/// knowledge of any host.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// The host name (`mp.weixin.qq.com`).
    pub host: &'static str,
    /// What it is fetched for.
    pub role: HostRole,
    /// Whether a URL on it is its block page (a redirect there is a block, not a page).
    pub block_url: Option<fn(&Url) -> bool>,
    /// Whether a body it answered with 200 is its block page, and what to call it.
    pub block_body: Option<(BodyCheck, &'static str)>,
}

impl HostPolicy {
    /// A host of pages and documents with no block page.
    pub fn pages(host: &'static str) -> HostPolicy {
        HostPolicy {
            host,
            role: HostRole::Pages,
            block_url: None,
            block_body: None,
        }
    }

    /// A host of pictures.
    pub fn pictures(host: &'static str) -> HostPolicy {
        HostPolicy {
            role: HostRole::Pictures,
            ..HostPolicy::pages(host)
        }
    }
}
