//! The port rule of the fetcher (issue 19.5.2): a URL on an allowed host is fetched only on that
//! host's default port, or, for the one host allowed for a single request (a discovery feed's own
//! host, the picture host), on the port of that request's own URL; for the first URL and for
//! every redirect hop.

mod common;

use cncert_feed::fetch::{Fetched, Fetcher};
use common::server::FixtureServer;
use serde_json::json;
use url::Url;

/// A fetcher over the sources' hosts with the given fetch settings, no waits.
fn fetcher(config: &cncert_feed::Config) -> Fetcher {
    let mut f = Fetcher::new(&config.fetch, cncert_feed::sources::hosts()).expect("client");
    f.retry_wait = std::time::Duration::from_millis(1);
    f
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn a_feed_redirecting_to_another_port_of_its_host_is_refused() {
    let other = FixtureServer::start_with(&common::site_dir(), Vec::new(), 0);
    let other_port = Url::parse(&other.origin).expect("origin").port().expect("port");
    let feed = FixtureServer::start_with(
        &common::site_dir(),
        vec![
            json!({"path": "/feed.xml", "responses": [{"status": 302, "headers": {"Location": format!("http://127.0.0.1:{other_port}/feed.xml")}}]}),
            json!({"path": "/moved.xml", "responses": [{"status": 302, "headers": {"Location": "/feed/here.xml"}}]}),
            json!({"path": "/feed/here.xml", "responses": [{"status": 200, "body": "<rss version=\"2.0\"><channel></channel></rss>"}]}),
        ],
        0,
    );
    let config = common::server_config(&feed.origin, &[]);
    let f = fetcher(&config);
    // The feed's own origin (host and port) is allowed, redirects within it too.
    let moved = Url::parse(&format!("{}/moved.xml", feed.origin)).expect("url");
    let got = block_on(f.get_allowing(&moved, None, moved.host_str()));
    assert!(matches!(got, Fetched::Page { .. }), "{got:?}");
    // The same host on another port is another server: not followed.
    let url = Url::parse(&format!("{}/feed.xml", feed.origin)).expect("url");
    let got = block_on(f.get_allowing(&url, None, url.host_str()));
    match got {
        Fetched::Refused(why) => assert!(why.contains("leaves the allowed hosts"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(other.requests().is_empty(), "{:?}", other.requests());
}

#[test]
fn a_picture_redirecting_to_another_port_of_its_host_is_refused() {
    let server = FixtureServer::start_with(
        &common::site_dir(),
        vec![
            json!({"path": "/a.png", "responses": [{"status": 302, "headers": {"Location": "https://mmbiz.qpic.cn:8443/b.png"}}]}),
            json!({"path": "/c.png", "responses": [{"status": 302, "headers": {"Location": "https://mmbiz.qpic.cn/b.png"}}]}),
            json!({"path": "/b.png", "responses": [{"status": 200, "body": "png"}]}),
        ],
        0,
    );
    let mut config = common::server_config(&server.origin, &[]);
    config.fetch.base_urls.insert(
        "mmbiz.qpic.cn".to_string(),
        Url::parse(&format!("{}/", server.origin)).expect("origin"),
    );
    let f = fetcher(&config);
    // On the default port the redirect is followed.
    let got = block_on(f.get_image(&Url::parse("https://mmbiz.qpic.cn/c.png").expect("url"), 1000));
    assert!(matches!(got, Fetched::Page { .. }), "{got:?}");
    let before = server.requests().len();
    // To port 8443 it is not (the mapping would send it to the same test server).
    let got = block_on(f.get_image(&Url::parse("https://mmbiz.qpic.cn/a.png").expect("url"), 1000));
    match got {
        Fetched::Refused(why) => assert!(why.contains("leaves the allowed hosts"), "{why}"),
        other => panic!("{other:?}"),
    }
    let after: Vec<String> = server.requests()[before..].iter().map(|r| r.path.clone()).collect();
    assert_eq!(after, vec!["/a.png".to_string()], "the hop to port 8443 was requested");
}
