//! Everything specific to mp.weixin.qq.com: its URLs, its article pages, its album API.

pub mod album;
pub mod page;
pub mod url;
