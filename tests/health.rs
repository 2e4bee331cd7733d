//! The health report of a run (issue 24), driven through fixture sites with the binary, the way
//! the scheduled workflow runs it: `data/<series>/health.json`, the Markdown appended to a
//! simulated `GITHUB_STEP_SUMMARY`, and one `::warning` annotation per alert on stdout.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::server::FixtureServer;
use serde_json::{Value, json};

const SERIES: &str = "cncert-weekly";

/// Runs the binary as the workflow does (GitHub Actions environment, a job summary file).
fn run(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(common::quick_config(dir))
        .args(args)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .output()
        .expect("binary runs");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn health(data: &Path) -> Value {
    let text = std::fs::read_to_string(data.join(SERIES).join("health.json")).expect("health.json written");
    serde_json::from_str(&text).expect("health.json is JSON")
}

fn alert_ids(h: &Value) -> Vec<String> {
    h["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect()
}

fn alert<'a>(h: &'a Value, id: &str) -> &'a Value {
    h["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no alert {id} in {h:#}"))
}

fn source<'a>(h: &'a Value, name: &str) -> &'a Value {
    h["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == name)
        .unwrap_or_else(|| panic!("no source {name} in {h:#}"))
}

fn annotations(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .map(str::to_string)
        .collect()
}

fn summary(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("summary.md")).unwrap_or_default()
}

fn text(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A port nothing listens on.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// One issue of a small website whose detail pages hold the report's text (as older pages do).
struct Issue {
    number: u32,
    /// Sentences of the text left out (by their index in [`sentences`]).
    without: Vec<usize>,
    /// Sentences replaced: (index, new sentence).
    reworded: Vec<(usize, &'static str)>,
}

impl Issue {
    fn full(number: u32) -> Issue {
        Issue {
            number,
            without: Vec::new(),
            reworded: Vec::new(),
        }
    }
}

/// The report's sentences, as the website's older pages write them.
fn sentences(n: u32) -> Vec<String> {
    vec![
        "本周，互联网网络安全态势整体评价为良。".to_string(),
        format!(
            "CNCERT共处理网络安全事件{}起，含跨境网络安全事件{}起。",
            280 + n,
            120 + n
        ),
        format!(
            "其中，协调境内外域名注册机构、境外CERT等机构重点处理{}起仿冒投诉事件。",
            200 + n
        ),
        format!(
            "本周境内感染网络病毒的主机数量约为{}万个，其中包括境内被木马或被僵尸程序控制的主机约{}万以及境内感染飞客（conficker）蠕虫的主机约1万。",
            11 + n % 10,
            10 + n % 10
        ),
        format!("本周CNCERT监测发现境内被篡改网站数量为{}个；", 1000 + n),
        format!("境内被植入后门的网站数量为{}个；", 700 + n),
        format!("针对境内网站的仿冒页面数量为{}个。", 900 + n),
    ]
}

fn detail_html(issue: &Issue) -> String {
    let mut s = sentences(issue.number);
    for (i, new) in &issue.reworded {
        s[*i] = new.to_string();
    }
    let body: String = s
        .iter()
        .enumerate()
        .filter(|(i, _)| !issue.without.contains(i))
        .map(|(_, t)| format!("<p>{t}</p>"))
        .collect();
    format!(
        r#"<html><head><meta charset="utf-8"><title>网络安全信息与动态周报-2024年第{n}期</title></head><body>
<h2 class="artil_tit">网络安全信息与动态周报-2024年第{n}期</h2>
<div class="artil_art">来源：CNCERT　时间：2024-10-{d:02}</div>
<div class="artil_content">{body}</div></body></html>"#,
        n = issue.number,
        d = (issue.number % 28) + 1
    )
}

fn detail_path(n: u32) -> String {
    format!("/publish/main/44/2024/20241000{n}/20241000{n}_.html")
}

/// The routes of a website listing `issues` (newest first on the listing).
fn website(issues: &[Issue]) -> Vec<Value> {
    let items: String = issues
        .iter()
        .rev()
        .map(|i| {
            format!(
                r#"<li><span>[2024-10-{d:02}]</span><a href="{p}" title="网络安全信息与动态周报-2024年第{n}期">网络安全信息与动态周报-2024年第{n}期</a></li>"#,
                p = detail_path(i.number),
                n = i.number,
                d = (i.number % 28) + 1
            )
        })
        .collect();
    let listing = format!(
        r#"<html><head><meta charset="utf-8"></head><body><div class="main"><ul class="waring_con">{items}</ul></div></body></html>"#
    );
    let html =
        |body: String| json!({"status": 200, "body": body, "headers": {"Content-Type": "text/html; charset=utf-8"}});
    let mut routes = vec![json!({"path": "/publish/main/44/index.html", "responses": [html(listing)]})];
    for i in issues {
        routes.push(json!({"path": detail_path(i.number), "responses": [html(detail_html(i))]}));
    }
    routes
}

fn crawl_website(dir: &Path, data: &Path, origin: &str) -> Output {
    run(
        dir,
        &[
            "crawl",
            "--sources",
            "website",
            "--base-url",
            &format!("www.cert.org.cn={origin}"),
            "--data",
            text(data),
        ],
    )
}

#[test]
fn a_source_down_three_runs_in_a_row_is_alerted_then_clears() {
    let dir = common::temp_dir("health-down");
    let data = dir.join("data");
    let down = closed_port();
    for run_no in 1..=3 {
        let out = crawl_website(&dir, &data, &down);
        assert_eq!(out.status.code(), Some(3), "run {run_no}");
        let h = health(&data);
        let website = source(&h, "website");
        assert_eq!(website["failing_runs"], run_no, "{h:#}");
        assert_eq!(website["status"], "unreachable", "{h:#}");
        assert!(website["why"].as_str().is_some_and(|w| !w.is_empty()), "{h:#}");
        let raised = alert_ids(&h).contains(&"source_failing:website".to_string());
        assert_eq!(raised, run_no == 3, "run {run_no}: {h:#}");
        let annotated = annotations(&out).iter().any(|a| a.contains("source_failing"));
        assert_eq!(annotated, run_no == 3, "run {run_no}: {:?}", annotations(&out));
    }
    let h = health(&data);
    let first = alert(&h, "source_failing:website")["since"].clone();
    assert!(
        alert(&h, "source_failing:website")["message"]
            .as_str()
            .is_some_and(|m| m.contains("3 runs in a row"))
    );
    assert!(
        summary(&dir).contains("website has failed 3 runs in a row"),
        "{}",
        summary(&dir)
    );

    // A fourth failing run keeps the alert and the time it was first raised.
    crawl_website(&dir, &data, &down);
    let h = health(&data);
    assert_eq!(source(&h, "website")["failing_runs"], 4);
    assert_eq!(alert(&h, "source_failing:website")["since"], first);

    // The website answers again: the count and the alert clear, and it was last ok now.
    let issues: Vec<Issue> = (40..=45).map(Issue::full).collect();
    let server = FixtureServer::start_with(&dir, website(&issues), 0);
    let out = crawl_website(&dir, &data, &server.origin);
    assert_eq!(out.status.code(), Some(0));
    let h = health(&data);
    assert_eq!(source(&h, "website")["status"], "ok", "{h:#}");
    assert_eq!(source(&h, "website")["failing_runs"], 0);
    assert!(source(&h, "website")["last_ok"].is_string());
    assert!(alert_ids(&h).is_empty(), "{h:#}");
    assert!(annotations(&out).is_empty(), "{:?}", annotations(&out));
}

#[test]
fn an_issue_missing_four_figures_and_a_reworded_sentence_are_alerted() {
    let dir = common::temp_dir("health-figures");
    let data = dir.join("data");
    let mut issues: Vec<Issue> = (40..=45).map(Issue::full).collect();
    let server = FixtureServer::start_with(&dir, website(&issues), 0);
    assert_eq!(crawl_website(&dir, &data, &server.origin).status.code(), Some(0));
    let h = health(&data);
    let newest = &h["issues"][0];
    assert_eq!(newest["issue"], "2024/45", "{h:#}");
    let usual = newest["figures"].as_u64().expect("figures");
    assert!(usual >= 9, "the full text gives most figures: {h:#}");
    assert!(
        alert_ids(&h).is_empty(),
        "a backfill of full issues raises nothing: {h:#}"
    );
    drop(server);

    // Issue 46 lacks the sentence of the infected hosts (three figures) and the phishing pages.
    issues.push(Issue {
        number: 46,
        without: vec![3, 6],
        reworded: Vec::new(),
    });
    let server = FixtureServer::start_with(&dir, website(&issues), 0);
    let out = crawl_website(&dir, &data, &server.origin);
    assert_eq!(out.status.code(), Some(0));
    let h = health(&data);
    let i46 = &h["issues"][0];
    assert_eq!(i46["issue"], "2024/46");
    assert_eq!(i46["state"], "new");
    assert_eq!(i46["figures"].as_u64(), Some(usual - 4), "{h:#}");
    assert_eq!(i46["usual"].as_u64(), Some(usual));
    let missing: Vec<&str> = i46["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .map(|m| m["key"].as_str().expect("key"))
        .collect();
    assert_eq!(
        missing,
        [
            "infected_hosts",
            "trojan_botnet_hosts",
            "conficker_hosts",
            "phishing_pages"
        ],
        "{h:#}"
    );
    let few = alert(&h, "few_figures:2024/46")["message"].as_str().expect("message");
    assert!(
        few.contains(&format!(
            "{} figures where the 5 issues before it had {usual}",
            usual - 4
        )),
        "{few}"
    );
    assert!(
        annotations(&out).iter().any(|a| a.contains("(few_figures)::2024/46")),
        "{:?}",
        annotations(&out)
    );
    assert!(summary(&dir).contains("2024/46 | new |"), "{}", summary(&dir));
    drop(server);

    // Issue 47 words the phishing complaints another way: no pattern reads it, and the alert
    // quotes the sentence that now holds the number.
    issues.push(Issue {
        number: 47,
        without: Vec::new(),
        reworded: vec![(2, "其中，重点协调处置仿冒类投诉共计247起。")],
    });
    let server = FixtureServer::start_with(&dir, website(&issues), 0);
    let out = crawl_website(&dir, &data, &server.origin);
    assert_eq!(out.status.code(), Some(0));
    let h = health(&data);
    let i47 = &h["issues"][0];
    assert_eq!(i47["issue"], "2024/47");
    assert_eq!(i47["missing"][0]["key"], "phishing_complaints", "{h:#}");
    assert_eq!(i47["missing"][0]["why"], "no pattern matched");
    let reworded = alert(&h, "reworded:2024/47")["message"].as_str().expect("message");
    assert!(reworded.contains("phishing_complaints"), "{reworded}");
    assert!(reworded.contains("«247起»"), "the sentence is quoted: {reworded}");
    assert!(
        annotations(&out).iter().any(|a| a.contains("(reworded)::2024/47")),
        "{:?}",
        annotations(&out)
    );
    // Issue 46 is no longer the newest: its alert cleared.
    assert!(!alert_ids(&h).contains(&"few_figures:2024/46".to_string()), "{h:#}");
}

#[test]
fn a_renamed_account_is_alerted() {
    let dir = common::temp_dir("health-renamed");
    let data = dir.join("data");
    let kinds = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wechat-kinds");
    let routes = vec![json!({
        "path": "/s",
        "query": {"__biz": "MzIwNDk0MDgxMw==", "mid": "2247490001", "idx": "1"},
        "responses": [{"status": 200, "file": "old-name.html", "headers": {"Content-Type": "text/html; charset=utf-8"}}]
    })];
    let server = FixtureServer::start_with(&kinds, routes, 0);
    let start =
        "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247490001&idx=1&sn=4a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let out = run(
        &dir,
        &[
            "crawl",
            "--sources",
            "wechat",
            "--base-url",
            &server.origin,
            "--start",
            start,
            "--max-issues",
            "1",
            "--data",
            text(&data),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let h = health(&data);
    let renamed = alert(&h, "renamed:CNCERT风险评估")["message"]
        .as_str()
        .expect("message");
    assert!(renamed.contains("国家互联网应急中心CNCERT"), "{renamed}");
    assert!(
        annotations(&out).iter().any(|a| a.contains("(renamed)")),
        "{:?}",
        annotations(&out)
    );
    assert!(summary(&dir).contains("CNCERT风险评估"));
}

#[test]
fn render_publishes_the_report_and_a_corrupt_one_never_stops_the_feeds() {
    let dir = common::temp_dir("health-render");
    let data = dir.join("data");
    let out = dir.join("public");
    let issues: Vec<Issue> = (40..=42).map(Issue::full).collect();
    let server = FixtureServer::start_with(&dir, website(&issues), 0);
    assert_eq!(crawl_website(&dir, &data, &server.origin).status.code(), Some(0));
    let r = run(&dir, &["render", "--data", text(&data), "--out", text(&out)]);
    assert_eq!(r.status.code(), Some(0));
    let published: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(SERIES).join("health.json")).expect("published health.json"),
    )
    .expect("JSON");
    assert_eq!(published, health(&data));
    let md = std::fs::read_to_string(out.join(SERIES).join("health.md")).expect("health.md");
    assert!(md.contains("| website | ok |"), "{md}");
    // The series page says the data's status: the website's last good run, the newest issue.
    let page = std::fs::read_to_string(out.join(SERIES).join("index.html")).expect("series page");
    let status = page
        .lines()
        .find(|l| l.contains("id=\"data-status\""))
        .unwrap_or_else(|| panic!("no status line in the series page"));
    assert!(status.contains("website 最近成功 20"), "{status}");
    assert!(status.contains("最新一期 2024年第42期 有 9 项数据"), "{status}");
    // The English edition's page says it in English.
    let page = std::fs::read_to_string(out.join(SERIES).join("en/index.html")).expect("English page");
    let status = page
        .lines()
        .find(|l| l.contains("id=\"data-status\""))
        .unwrap_or_else(|| panic!("no status line in the English page"));
    assert!(
        status.contains("Data status: website last read 20")
            && status.contains("newest issue 2024 No. 42 has 9 figures"),
        "{status}"
    );

    std::fs::write(data.join(SERIES).join("health.json"), "{ not json").expect("write");
    let r = run(&dir, &["render", "--data", text(&data), "--out", text(&out)]);
    assert_eq!(r.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(
        stderr.contains("health.json") && stderr.contains("not published"),
        "{stderr}"
    );
    assert!(out.join(SERIES).join("feed.json").is_file());
}

/// `notify` with a maintainer target (a webhook at `hook`) added to the config.
fn notify_maintainer(dir: &Path, data: &Path, hook: &str, extra: &[&str]) -> Output {
    let config = common::quick_config(dir);
    let yaml = std::fs::read_to_string(&config).expect("config").replacen(
        "\nnotify:\n",
        "\nnotify:\n  - kind: webhook\n    url_env: MAINTAINER_WEBHOOK_URL\n    maintainer: true\n",
        1,
    );
    let maintained = dir.join("maintained.yaml");
    std::fs::write(&maintained, yaml).expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .arg("--config")
        .arg(&maintained)
        .arg("notify")
        .args(["--data", text(data)])
        .args(extra)
        .env("MAINTAINER_WEBHOOK_URL", hook)
        .output()
        .expect("binary runs");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn the_maintainer_is_told_once_per_condition_until_it_clears() {
    let dir = common::temp_dir("health-maintainer");
    let data = dir.join("data");
    let hook = FixtureServer::start_with(
        &dir,
        vec![json!({"path": "/hook", "responses": [{"status": 200, "body": "ok"}]})],
        0,
    );
    let url = format!("{}/hook", hook.origin);
    let posts = || hook.requests().into_iter().filter(|r| r.path == "/hook").count();
    let down = closed_port();
    for _ in 0..3 {
        crawl_website(&dir, &data, &down);
    }
    // A dry run shows the alert and sends nothing.
    let dry = notify_maintainer(&dir, &data, &url, &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("website has failed 3 runs in a row"),
        "{}",
        String::from_utf8_lossy(&dry.stdout)
    );
    assert_eq!(posts(), 0);

    assert_eq!(notify_maintainer(&dir, &data, &url, &[]).status.code(), Some(0));
    assert_eq!(posts(), 1, "one message for the alert");
    let body = String::from_utf8_lossy(&hook.requests()[0].body).to_string();
    assert!(body.contains("source_failing:website"), "{body}");
    // Still failing: not told again, however often notify runs.
    crawl_website(&dir, &data, &down);
    notify_maintainer(&dir, &data, &url, &[]);
    assert_eq!(posts(), 1);

    // The site answers: the condition clears; readers' targets got nothing either way.
    let issues: Vec<Issue> = (40..=45).map(Issue::full).collect();
    let site = FixtureServer::start_with(&dir, website(&issues), 0);
    crawl_website(&dir, &data, &site.origin);
    notify_maintainer(&dir, &data, &url, &[]);
    assert_eq!(posts(), 1, "no alert, nothing sent; issues never go to the maintainer");
    drop(site);

    // Down again for three runs: told again.
    for _ in 0..3 {
        crawl_website(&dir, &data, &down);
    }
    notify_maintainer(&dir, &data, &url, &[]);
    assert_eq!(posts(), 2, "the condition came back");
}
