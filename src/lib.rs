//! cncert-feed: turns CNCERT's weekly report 《网络安全信息与动态周报》 into feeds with its figures.
//!
//! The pipeline (see the README's Architecture section): discover → fetch → classify/extract →
//! archive → render → notify. Each stage is one module; data flows one way.

#![warn(missing_docs)]

pub mod archive;
pub mod assemble;
pub mod cli;
pub mod config;
pub mod consistency;
pub mod crawl;
pub mod error;
pub mod explain;
pub mod extract;
pub mod fetch;
pub mod health;
pub mod notify;
pub mod pattern;
pub mod picture;
pub mod publish;
pub mod read;
pub mod report;
pub mod sources;

pub use config::Config;
pub use error::{Error, Result};
pub use extract::Extracted;
pub use report::{IssueId, MetricValue, PageKind, Report};
pub use sources::wechat::read::extract_page;
