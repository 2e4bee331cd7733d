//! Tests of `body.rs`.

mod flat_tests {
    use super::super::*;

    #[test]
    fn nesting_depth_is_measured_in_one_pass() {
        assert!(!nesting_exceeds(b"<div><p>a<br><img src=x/></p></div>", 2));
        assert!(nesting_exceeds(b"<div><div><div>", 2));
        assert!(!nesting_exceeds(b"<div></div><div></div><div></div>", 1));
        assert!(!nesting_exceeds(b"<!-- <div><div><div> --><p>", 1));
    }

    #[test]
    fn the_flat_reader_keeps_lines_links_and_drops_scripts() {
        let b = read_body_flat(
            "<div><p>共处理&amp;网络安全事件<b>295</b>起</p><script>var x='<p>';</script><style>p{}</style>\
             <a href=\"u1\">上<a href=\"u2\">下</a><p>末行<!-- never closed",
        );
        assert_eq!(b.lines, vec!["共处理&网络安全事件295起", "上下", "末行"]);
        assert_eq!(
            b.links,
            vec![
                ("u1".to_string(), "上".to_string()),
                ("u2".to_string(), "下".to_string())
            ]
        );
    }
}

mod tests {
    use super::super::*;

    #[test]
    fn the_fast_reader_agrees_with_html5ever_on_editor_markup() {
        let html = r#"<div id="js_content" style="x"><section><p><span leaf="">共处理网络安全事件</span><span><strong>295</strong></span>起&nbsp;&amp;</p><br/><img data-src="a"><!-- c --><p><a href="http://mp.weixin.qq.com/s?a=1&amp;b=2" textvalue="t"><span>周报</span></a></p><script>var x = "<p>";</script></section></div>"#;
        let fast = read_body_fast(html).expect("editor markup is read by the fast path");
        assert_eq!(fast, read_body_with_dom(html));
        assert_eq!(
            fast.links,
            vec![("http://mp.weixin.qq.com/s?a=1&b=2".to_string(), "周报".to_string())]
        );
    }

    #[test]
    fn the_fast_reader_leaves_tricky_markup_to_html5ever() {
        for html in [
            "<p>a<p>b",
            "<b><i>x</b></i>",
            "<a href=x>a<a href=y>b</a></a>",
            "<table><tr><td>x</td></tr></table>",
            "x &copy y",
            "<p>a</p>&unknown;",
            "<span/>x",
            "<p><div>x</div></p>",
            "<textarea><p></textarea>",
            "a < b",
        ] {
            assert!(read_body_fast(html).is_none(), "{html}");
            let _ = read_body(html);
        }
    }
}
