//! The WeChat source: everything specific to mp.weixin.qq.com: its URLs, its article pages, its
//! album API, the pictures of its articles, and the crawl through 近期回顾.

pub mod album;
pub mod page;
pub mod pictures;
pub mod read;
pub mod url;
