//! What the page scan looks for: its needles, what each names, and the passes they belong to.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

/// What the scan looks for. Script variables are found by their name followed by `=` (with or
/// without a space), not by `var `, which starts thousands of statements in a real page.
pub(super) const NEEDLES: &[(&str, N)] = &[
    // One needle a name, what follows it checked afterwards (`assignment_follows`, `content_id`):
    // fewer needles, fewer candidates to verify in a scan that reads every byte of a page.
    ("js_content", N::Content),
    ("property=\"og:title\"", N::OgTitle),
    ("property=\"og:url\"", N::OgUrl),
    ("biz", N::Biz),
    ("sn =", N::Sn),
    ("sn=", N::Sn),
    ("sn:", N::Sn),
    ("mid", N::Mid),
    ("idx", N::Idx),
    ("nick_name", N::NickName),
    ("create_time", N::CreateTimeField),
    ("title", N::Title),
    ("ct =", N::Ct),
    ("ct=", N::Ct),
    ("oriCreateTime", N::OriCreateTime),
    ("createTime", N::CreateTime),
    ("msg_title", N::MsgTitle),
    ("msg_link", N::MsgLink),
    ("nickname", N::Nickname),
    ("id=\"activity-name\"", N::ActivityName),
    ("<script", N::ScriptOpen),
    ("</script", N::ScriptClose),
    ("id=\"js_name\"", N::JsName),
    ("环境异常", N::EnvAbnormal),
    ("完成验证后即可继续访问", N::Verify),
    ("wappoc_appmsgcaptcha", N::CaptchaPath),
    ("该内容已被发布者删除", N::Deleted),
    ("The content has been deleted by the author", N::Deleted),
    (
        "Unable to view this content because it violates regulation",
        N::Unavailable,
    ),
    ("暂时无法查看", N::Temporary),
    ("temporarily unavailable", N::Temporary),
    ("关于公众号", N::Profile),
    ("此内容因违规无法查看", N::Unavailable),
    ("此内容被投诉且经审核涉嫌侵权", N::Unavailable),
    ("此内容发送失败无法查看", N::Unavailable),
    ("该公众号已迁移", N::Unavailable),
    ("此内容因涉嫌违反相关法律法规", N::Unavailable),
    ("此帐号已被屏蔽", N::Unavailable),
    ("此账号已被屏蔽", N::Unavailable),
    ("该帐号已冻结", N::Unavailable),
    ("该账号已冻结", N::Unavailable),
    ("此内容已被投诉", N::Unavailable),
    ("链接已过期", N::Unavailable),
    ("访问过于频繁", N::EnvAbnormal),
    ("参数错误", N::ParamError),
    // The same notices as WeChat words them for a browser preferring English (only inside
    // WeChat's own page structure, like the Chinese ones).
    ("Invalid parameter", N::ParamError),
    ("Parameter error", N::ParamError),
    ("Environment abnormal", N::EnvAbnormal),
    ("abnormal environment", N::EnvAbnormal),
    ("complete the verification to continue", N::Verify),
    ("Complete the verification to continue", N::Verify),
    // WeChat's own structure around a notice: the WeUI message box (and its older forms), its
    // resource host, the captcha's pages and button, the profile page's blocks.
    ("weui-msg", N::Shell),
    ("weui_msg", N::Shell),
    ("page_msg", N::Shell),
    ("global_error_msg", N::Shell),
    ("res.wx.qq.com", N::Shell),
    ("secitptpage", N::Shell),
    ("TCaptcha", N::Shell),
    ("js_verify", N::Shell),
    ("profile_info_area", N::Shell),
    ("js_profile_nickname", N::Shell),
];

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub(super) enum N {
    Content = 0,
    OgTitle,
    OgUrl,
    Biz,
    Sn,
    Mid,
    Idx,
    Ct,
    OriCreateTime,
    CreateTime,
    MsgTitle,
    MsgLink,
    ActivityName,
    Nickname,
    NickName,
    CreateTimeField,
    Title,
    JsName,
    ScriptOpen,
    ScriptClose,
    EnvAbnormal,
    Verify,
    CaptchaPath,
    Deleted,
    Unavailable,
    Temporary,
    ParamError,
    Profile,
    Shell,
}

/// Number of distinct things looked for.
pub(super) const KINDS: usize = N::Shell as usize + 1;
// The first pass keeps the kinds it lacks as bits of a u64.
const _: () = assert!(KINDS <= 64);

impl N {
    /// The script variable this needle names, if it is one.
    pub(super) fn variable(self) -> Option<&'static str> {
        Some(match self {
            N::Biz => "biz",
            N::Sn => "sn",
            N::Mid => "mid",
            N::Idx => "idx",
            N::Ct => "ct",
            N::OriCreateTime => "oriCreateTime",
            N::CreateTime => "createTime",
            N::MsgTitle => "msg_title",
            N::MsgLink => "msg_link",
            N::Nickname => "nickname",
            N::NickName => "nick_name",
            N::CreateTimeField => "create_time",
            N::Title => "title",
            _ => return None,
        })
    }
}

/// How many occurrences of one needle are remembered (later ones are never needed).
pub(super) const MAX_HITS: usize = 8;

/// The passes of a scan. Every page gets the first; the second only when the first left a title,
/// a time, an account or an address unread (an older page, a post without an article body); the
/// third only in pages without an article body (WeChat's notices, which are small).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// What an article page has: its body, og:title, the script variables of its address, time,
    /// title and account. 14 needles: few enough for the Teddy that reads 32 bytes a step.
    Primary,
    /// The other places a title, a time, an account or an address can be.
    Fallback,
    /// The error pages' words and structure.
    Markers,
}

impl N {
    /// Whether this needle is looked for in a pass. The script tags are in both passes that take
    /// script variables (a variable counts only inside a script).
    pub(super) fn in_pass(self, pass: Pass) -> bool {
        match self {
            N::ScriptOpen | N::ScriptClose => pass != Pass::Markers,
            N::Content | N::OgTitle | N::Biz | N::Sn | N::Mid | N::Idx | N::Ct | N::MsgTitle | N::Nickname => {
                pass == Pass::Primary
            }
            N::OgUrl
            | N::MsgLink
            | N::ActivityName
            | N::JsName
            | N::NickName
            | N::CreateTimeField
            | N::Title
            | N::OriCreateTime
            | N::CreateTime => pass == Pass::Fallback,
            _ => pass == Pass::Markers,
        }
    }
}

/// Needles searched for without their first bytes, which are checked where a match is found:
/// the packed searcher below tells needles apart by their first three bytes, and `msg` starts
/// hundreds of identifiers in a page of WeChat's scripts (`msg_link`, `msg_desc`, `msgid`), `</s`
/// every `</span>` of an article body; each candidate they raise costs a check. Searching for
/// `g_title` and `/script` made the first pass a quarter faster on the fixture pages.
const LEADS: &[(&str, usize)] = &[("msg_title", 2), ("</script", 1)];

/// The needles of one pass and the automaton finding them.
pub(super) struct NeedleSet {
    pub(super) kinds: Vec<N>,
    /// Each needle's first bytes that are not searched for but checked before a match ([`LEADS`]).
    pub(super) leads: Vec<&'static [u8]>,
    /// Teddy, the packed SIMD searcher (`None` without SIMD). On 275 KB pages of script it
    /// scanned the 14 needles of the first pass in 24 µs a page (the slim Teddy, 32 bytes a
    /// step); all 23 needles of page structure in one pass took 40 (fat Teddy, 16 bytes a step)
    /// or 54 (slim: 8 buckets shared by too many needles).
    pub(super) packed: Option<aho_corasick::packed::Searcher>,
    pub(super) automaton: AhoCorasick,
}

impl NeedleSet {
    /// Where the needle `pattern` matched at `start` begins with its lead, if the lead is there.
    pub(super) fn lead_start(&self, page: &[u8], pattern: usize, start: usize) -> Option<usize> {
        let lead = self.leads[pattern];
        let from = start.checked_sub(lead.len())?;
        (page.get(from..start) == Some(lead)).then_some(from)
    }
}

/// The needles of a pass, built when a page first needs that pass (most runs never need the
/// notices' pass).
pub(super) fn needle_set(pass: Pass) -> &'static NeedleSet {
    static SETS: [OnceLock<NeedleSet>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    SETS[pass as usize].get_or_init(|| {
        let chosen: Vec<&(&str, N)> = NEEDLES.iter().filter(|(_, k)| k.in_pass(pass)).collect();
        let lead = |needle: &str| LEADS.iter().find(|(n, _)| *n == needle).map_or(0, |(_, l)| *l);
        let searched: Vec<&str> = chosen.iter().map(|(n, _)| &n[lead(n)..]).collect();
        NeedleSet {
            kinds: chosen.iter().map(|(_, k)| *k).collect(),
            leads: chosen.iter().map(|(n, _)| &n.as_bytes()[..lead(n)]).collect(),
            packed: aho_corasick::packed::Config::new()
                .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                .builder()
                .extend(&searched)
                .build(),
            automaton: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&searched)
                .expect("the needle list is a valid automaton"),
        }
    })
}
