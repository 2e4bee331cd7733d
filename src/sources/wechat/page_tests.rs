//! Tests of the page scan (`page.rs`).

use super::*;

#[test]
fn first_non_empty_literal_wins() {
    let page = br#"<script>var sn = "" || "" || "abc123"; var mid = "" || '42'; var idx = "1"; var biz = "MzI="||"";</script><div id="js_content">x</div>"#;
    let s = scan(page);
    assert_eq!(
        s.url.as_deref(),
        Some("https://mp.weixin.qq.com/s?__biz=MzI=&mid=42&idx=1&sn=abc123")
    );
}

#[test]
fn window_ct_and_unquoted_ori_create_time() {
    let s = scan(b"<script>window.ct = '1730367000' || '';</script>");
    assert_eq!(
        s.published.map(|p| p.to_rfc3339()).as_deref(),
        Some("2024-10-31T17:30:00+08:00")
    );
    let s = scan(b"<script>var oriCreateTime = 1730367000;</script>");
    assert_eq!(
        s.published.map(|p| p.to_rfc3339()).as_deref(),
        Some("2024-10-31T17:30:00+08:00")
    );
    let s = scan(b"<script>__setPubTime(a, oriCreateTime, createTime); var createTime = '2024-10-31 17:30';</script>");
    assert_eq!(
        s.published.map(|p| p.to_rfc3339()).as_deref(),
        Some("2024-10-31T17:30:00+08:00")
    );
}

#[test]
fn similar_names_are_not_taken() {
    let s = scan(b"<script>var ctx = '1'; var ct_time = '2'; var ct == 3; var ct = \"1730367000\";</script>");
    assert_eq!(s.published.map(|p| p.timestamp()), Some(1_730_367_000));
}

#[test]
fn title_fallbacks() {
    let s = scan("<title></title><h1 class=\"rich_media_title\" id=\"activity-name\">\n<span class=\"js_title_inner\">周报&amp;A</span></h1>".as_bytes());
    assert_eq!(s.title(), Some("周报&A"));
    let s = scan(b"<script>var msg_title = '\\x26\\u5468 &amp; B'.html(false);</script>");
    assert_eq!(s.title(), Some("&\u{5468} & B"));
}

#[test]
fn javascript_escapes_are_decoded_fully() {
    assert_eq!(js_unescape(r"\ud83d\udd25 周报"), "\u{1F525} 周报");
    assert_eq!(js_unescape(r"\u{1F525}\x41\u5468"), "\u{1F525}A\u{5468}");
    assert_eq!(js_unescape(r"a\ud83db"), "a\u{fffd}b");
    assert_eq!(js_unescape(r"\udd25"), "\u{fffd}");
    assert_eq!(js_unescape(r#"\"q\" \\ \/ a\nb"#), "\"q\" \\ / a b");
    assert_eq!(js_unescape(r"\uZZ \x4"), "uZZ x4");
    let s = scan("<script>var msg_title = '\\ud83d\\udd25网络安全信息与动态周报'.html(false);</script>".as_bytes());
    assert_eq!(s.title(), Some("\u{1F525}网络安全信息与动态周报"));
}

#[test]
fn identifiers_come_from_the_metadata_script_not_from_links() {
    // A saved page: recap links (with and without &amp;) and og:url before the script.
    let page = concat!(
        r#"<meta property="og:url" content="http://mp.weixin.qq.com/s?__biz=MzI=&amp;mid=111&amp;idx=2&amp;sn=og"/>"#,
        r#"<div id="js_content"><a href="https://mp.weixin.qq.com/s?__biz=MzI=&mid=999&idx=1&sn=link">上期</a>"#,
        r#"<a href="/s?__biz=MzI=&amp;mid=998&amp;idx=1&amp;sn=link2">上上期</a></div>"#,
        r#"<script>var msg_link = "http://mp.weixin.qq.com/s?__biz=MzI=&amp;mid=997&amp;idx=1&amp;sn=x";"#,
        "\nvar biz = \"MzI=\"||\"\";\nvar sn = \"abc\" || \"\";\nvar mid = \"2247499441\" || \"\";\nvar idx = \"3\" || \"\";</script>"
    );
    let s = scan(page.as_bytes());
    assert_eq!(
        s.url.as_deref(),
        Some("https://mp.weixin.qq.com/s?__biz=MzI=&mid=2247499441&idx=3&sn=abc")
    );
    // Many links before the script do not crowd its assignments out.
    let links: String = (0..40)
        .map(|n| format!(r#"<a href="https://mp.weixin.qq.com/s?__biz=MzI=&mid={n}&idx=1&sn=l{n}">x</a>"#))
        .collect();
    let page = format!(
        r#"<div id="js_content">{links}</div><script>var biz = "MzI="; var sn = "abc"; var mid = "5"; var idx = "1";</script>"#
    );
    assert_eq!(
        scan(page.as_bytes()).url.as_deref(),
        Some("https://mp.weixin.qq.com/s?__biz=MzI=&mid=5&idx=1&sn=abc")
    );
}

#[test]
fn nested_divs_end_the_body_at_its_own_close() {
    let page = b"<div id=\"js_content\"><div><p>a</p></div><div>b</div></div><div>outside</div>";
    let s = scan(page);
    assert_eq!(
        s.content_html.as_deref(),
        Some("<div id=\"js_content\"><div><p>a</p></div><div>b</div></div>")
    );
}

/// A notice as WeChat serves it: its words in the WeUI message box.
fn notice(words: &str) -> Vec<u8> {
    format!("<html><body><div class=\"weui-msg\"><h2 class=\"weui-msg__title\">{words}</h2></div></body></html>")
        .into_bytes()
}

#[test]
fn interstitials() {
    assert_eq!(
        scan(&notice(
            "环境异常</h2><p>当前环境异常，完成验证后即可继续访问。</p><h2>"
        ))
        .interstitial,
        Some(Interstitial::Captcha)
    );
    assert_eq!(
        scan(&notice("该内容已被发布者删除")).interstitial,
        Some(Interstitial::Deleted)
    );
    assert_eq!(
        scan(&notice("此内容因违规无法查看")).interstitial,
        Some(Interstitial::Unavailable)
    );
    assert_eq!(scan(&notice("参数错误")).interstitial, Some(Interstitial::ParamError));
    // In English, without the captcha's path.
    assert_eq!(
        scan(&notice("Invalid parameters")).interstitial,
        Some(Interstitial::ParamError)
    );
    assert_eq!(
        scan(&notice(
            "Environment abnormal</h2><p>Complete the verification to continue.</p><h2>"
        ))
        .interstitial,
        Some(Interstitial::Captcha)
    );
    // The captcha's path, or the article variables of WeChat's scripts, are WeChat's too.
    assert_eq!(
        scan("<a href=\"/mp/wappoc_appmsgcaptcha?x=1\">环境异常</a>".as_bytes()).interstitial,
        Some(Interstitial::Captcha)
    );
    assert_eq!(
        scan("<p>该内容已被发布者删除</p><script>var biz = \"\" || \"\";</script>".as_bytes()).interstitial,
        Some(Interstitial::Deleted)
    );
    // An article that merely quotes the words is still an article.
    assert_eq!(
        scan("<div id=\"js_content\">参数错误</div>".as_bytes()).interstitial,
        None
    );
}

#[test]
fn the_words_alone_make_no_notice() {
    // A README (or any page that is not WeChat's) that mentions the notices' words.
    let readme = concat!(
        "# cncert-feed\n\n`kind` is `captcha` (WeChat's 环境异常 check: 当前环境异常，完成验证后即可继续访问), ",
        "`deleted` (该内容已被发布者删除), `unavailable` (此内容因违规无法查看, 该内容暂时无法查看, 访问过于频繁), ",
        "`param_error` (参数错误) or a profile (关于公众号); pages without `#js_content` and ",
        "`<div>`, `<script>` quoted in prose.\n\n```sh\ncncert-feed extract page.html\n```\n"
    );
    assert_eq!(scan(readme.as_bytes()).interstitial, None);
    let page = format!(
        "<!doctype html><html><body><p>{}</p></body></html>",
        readme.replace('\n', " ")
    );
    assert_eq!(scan(page.as_bytes()).interstitial, None);
    for words in [
        "环境异常",
        "该内容已被发布者删除",
        "此内容因违规无法查看",
        "参数错误",
        "关于公众号",
    ] {
        assert_eq!(
            scan(format!("<div>{words}</div>").as_bytes()).interstitial,
            None,
            "{words}"
        );
    }
}

#[test]
fn invalid_utf8_is_lossy_with_a_warning() {
    let mut page = b"<meta property=\"og:title\" content=\"A".to_vec();
    page.push(0xff);
    page.extend_from_slice(b"\"><div id=\"js_content\">x</div>");
    let s = scan(&page);
    assert_eq!(s.og_title.as_deref(), Some("A\u{fffd}"));
    assert_eq!(s.warnings.len(), 1);
}

#[test]
fn one_needle_a_name_takes_only_assignments() {
    // `title` is one needle: a read, a comparison, a longer name or two spaces before `=` is none
    // (as when each spelling was a needle of its own); `title:`, `title=` and `title =` are.
    for (script, want) in [
        (
            "x.title; if (title == 'a') {} var titles = 'b'; var title  = 'c';",
            None,
        ),
        ("var o = {title: 'A'};", Some("A")),
        ("var title='B';", Some("B")),
        ("var title = 'C';", Some("C")),
        ("msg_title='D'; var title = 'E';", Some("D")),
    ] {
        let s = scan(format!("<script>{script}</script>").as_bytes());
        assert_eq!(s.script_title.as_deref(), want, "{script}");
    }
    // A name outside a script, or after `&`, is no assignment either.
    let s = scan(b"<p>mid=1 idx=2</p><script>u='?mid=3&idx=4'; var mid = '5'; var idx = '6'; var biz = 'B'; var sn = 'S';</script>");
    assert_eq!(
        s.url.as_deref(),
        Some("https://mp.weixin.qq.com/s?__biz=B&mid=5&idx=6&sn=S")
    );
}

#[test]
fn the_body_is_an_id_attribute_in_either_quote() {
    for (page, body) in [
        (&b"<div id=\"js_content\">a</div>"[..], true),
        (b"<div id='js_content'>a</div>", true),
        (b"<div id=\"js_contents\">a</div>", false),
        (b"<div class=\"js_content\">a</div>", false),
        (b"<script>document.getElementById('js_content')</script>", false),
    ] {
        assert_eq!(
            scan(page).content_html.is_some(),
            body,
            "{}",
            String::from_utf8_lossy(page)
        );
    }
}

#[test]
fn stopping_early_reads_what_the_whole_page_gives() {
    let mut pages: Vec<Vec<u8>> = Vec::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wechat-site/pages");
    for e in std::fs::read_dir(dir).expect("fixture pages").flatten() {
        pages.push(std::fs::read(e.path()).expect("readable"));
    }
    // Pages made of these parts in every order (up to four, repeats too): bodies and titles
    // twice, variables without a literal value first, a second set of values later, the
    // fallbacks' variables, an empty time.
    let parts = [
        r#"<meta property="og:title" content="T1"/>"#,
        r#"<meta property="og:title" content=""/>"#,
        r#"<div id="js_content"><p>a</p></div>"#,
        r#"<div id="js_content"><p>b</p></div>"#,
        "<script>var biz = getBiz(); var sn = x; var nickname = n;</script>",
        r#"<script>var biz = "MzI="||""; var sn = "abc"; var mid = "1"; var idx = "2"; var ct = "1730367000"; var msg_title = 'M'.html(false); var nickname = "N";</script>"#,
        r#"<script>var biz = "T1RI"; var sn = "zzz"; var mid = "9"; var idx = "1"; var ct = "1"; var msg_title = 'Later'; var nickname = "Late";</script>"#,
        "<script>var createTime = '2024-10-31 17:30'; var nick_name = 'X'; d.title = 'P';</script>",
        "<script>var ct = ''; var msg_title = '';</script>",
    ];
    let mut orders: Vec<Vec<usize>> = vec![vec![]];
    for _ in 0..4 {
        let longer: Vec<Vec<usize>> = orders
            .iter()
            .filter(|o| o.len() == orders.last().map_or(0, Vec::len))
            .flat_map(|o| (0..parts.len()).map(move |p| [o.as_slice(), &[p]].concat()))
            .collect();
        orders.extend(longer);
    }
    for order in &orders {
        pages.push(order.iter().map(|&p| parts[p]).collect::<String>().into_bytes());
    }
    assert!(pages.len() > 7000);
    for page in &pages {
        assert_eq!(
            scan_then(page, true),
            scan_then(page, false),
            "{}",
            String::from_utf8_lossy(&page[..page.len().min(600)])
        );
    }
}

#[test]
fn a_body_that_cannot_be_cut_out_is_still_no_notice() {
    // `js_content` with no `<` in the 4 KiB before it: no body can be read, yet the page has one,
    // so the notice's words in its scripts make no deleted article.
    let page = format!(
        "<div style=\"{}\" id=\"js_content\"><p>x</p></div><script src=\"https://res.wx.qq.com/a.js\"></script>\
         <script>var s = '该内容已被发布者删除'; var biz = \"MzI=\"; var sn = \"abc\"; var mid = \"1\"; var idx = \"2\";</script>",
        "x".repeat(5000)
    );
    let s = scan(page.as_bytes());
    assert_eq!(s.content_html, None);
    assert_eq!(s.interstitial, None);
}

#[test]
fn an_id_needle_is_an_attribute_of_its_own() {
    let s = scan(br#"<span data-mid="js_name">Acct</span><h1 data-mid="activity-name">H</h1>"#);
    assert_eq!(s.nickname, None);
    assert_eq!(s.heading_title, None);
    let s = scan(b"<span class=\"a\" id=\"js_name\">Acct</span><h1 class=\"t\"\n id=\"activity-name\">H</h1>");
    assert_eq!(s.nickname.as_deref(), Some("Acct"));
    assert_eq!(s.heading_title.as_deref(), Some("H"));
}

#[test]
fn a_needle_searched_without_its_lead_still_needs_it() {
    // `msg_title` is searched as `g_title`, `</script` as `/script`: the bytes before must be the
    // rest of the name, else it is another name (`img_title`) or no tag (a path in a script).
    let s = scan(b"<script>var img_title = 'no'; var src = 'https://x/script/a.js'; var msg_title = 'yes';</script>");
    assert_eq!(s.script_title.as_deref(), Some("yes"));
    // A `/script` that is no closing tag leaves the script open: its variable still counts.
    let s = scan(b"<script>var a = '/script/x'; var msg_title = 'in';</script><p>msg_title = 'out'</p>");
    assert_eq!(s.script_title.as_deref(), Some("in"));
    // The closing tag closes it: an assignment after it is no script variable.
    let s = scan(b"<script>var a = 1;</script><p>var msg_title = 'out';</p>");
    assert_eq!(s.script_title, None);
    // A match at the page's first bytes has no room for its lead.
    let s = scan(b"g_title = 'x';/script>");
    assert_eq!(s.script_title, None);
}
