//! Unit tests of the fetcher: base-URL mapping and hosts that cannot be reached.

use super::*;

#[test]
fn base_mapping_round_trips_per_host() {
    let url = |s: &str| Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    let mut cfg = Fetch {
        base_url: Some(url("http://127.0.0.1:8080/mirror/")),
        ..Fetch::default()
    };
    cfg.base_urls
        .insert("www.cert.org.cn".to_string(), url("http://127.0.0.1:8081/"));
    let hosts = ["mp.weixin.qq.com"];
    let u = url("https://mp.weixin.qq.com/s?__biz=a&mid=1");
    let mapped = to_origin(&u, &cfg);
    assert_eq!(mapped.as_str(), "http://127.0.0.1:8080/mirror/s?__biz=a&mid=1");
    assert_eq!(from_origin(&mapped, &cfg, &hosts), u);
    let w = url("https://www.cert.org.cn/publish/main/upload/File/%E5%91%A8%E6%8A%A5.pdf");
    let mapped = to_origin(&w, &cfg);
    assert_eq!(
        mapped.as_str(),
        "http://127.0.0.1:8081/publish/main/upload/File/%E5%91%A8%E6%8A%A5.pdf"
    );
    assert_eq!(from_origin(&mapped, &cfg, &hosts), w);
    let other = url("https://example.org/x");
    assert_eq!(to_origin(&other, &cfg), other);
}

#[tokio::test]
async fn a_host_that_refuses_connections_is_given_up_for_the_run() {
    // A port nobody listens on: every connection is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let url = |s: &str| Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    let mut cfg = Fetch {
        max_retries: 5,
        delay_ms: 0,
        ..Fetch::default()
    };
    cfg.base_urls
        .insert("down.example".to_string(), url(&format!("http://127.0.0.1:{port}/")));
    cfg.base_urls.insert(
        "up.example".to_string(),
        url(&format!("http://127.0.0.1:{port}/other/")),
    );
    let hosts = vec![HostPolicy::pages("down.example"), HostPolicy::pages("up.example")];
    let mut f = Fetcher::new(&cfg, hosts).unwrap_or_else(|e| panic!("{e}"));
    f.retry_wait = Duration::from_millis(1);
    // The first request stops after DOWN_AFTER refusals, not 1 + max_retries.
    match f.get(&url("https://down.example/a"), None).await {
        Fetched::Failed(why) => assert!(why.contains("given up for this run"), "{why}"),
        other => panic!("{other:?}"),
    }
    // The others are not sent: failed as transient, so the next run tries them again.
    for i in 0..10 {
        match f.get(&url(&format!("https://down.example/{i}")), None).await {
            Fetched::Failed(why) => assert!(why.starts_with("not requested"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        f.down_hosts().iter().map(|(h, _)| h.as_str()).collect::<Vec<_>>(),
        vec!["down.example"]
    );
    // Another host is its own: it gets its own tries.
    match f.get(&url("https://up.example/a"), None).await {
        Fetched::Failed(why) => assert!(why.contains("given up for this run"), "{why}"),
        other => panic!("{other:?}"),
    }
}
