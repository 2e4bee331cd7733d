//! E-mail over SMTP with `lettre` (rustls): one message per issue to every recipient, the issue's
//! title as subject, `multipart/alternative` with a plain-text and an HTML part (the figures as a
//! table, and the link).
//!
//! `SMTP_URL` says where and how:
//! - `smtps://user:pass@host:465`: TLS from the first byte (implicit TLS; port 465 by default);
//! - `smtp://user:pass@host:587`: STARTTLS when the server offers it (port 587 by default with a
//!   login, 25 without); `?tls=required` refuses to go on without STARTTLS, `?tls=none` never
//!   starts TLS (a local relay);
//! - user and password percent-encoded where they hold `@ : / %`.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{Value, json};

use super::{Destination, Message, Platform};
use crate::publish::{Lang, esc};

/// E-mail (the [`Platform`] side gives the dry-run preview; [`Mailer`] sends).
pub struct Email;

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`smtps://`).
    Implicit,
    /// STARTTLS, or refuse to send (`?tls=required`).
    Required,
    /// STARTTLS when offered (`smtp://`, the default).
    Opportunistic,
    /// Never TLS (`?tls=none`).
    None,
}

/// A parsed `SMTP_URL`.
#[derive(Debug, Clone)]
pub struct SmtpUrl {
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Connection security.
    pub security: Security,
    /// Login, when the URL has one.
    pub login: Option<(String, String)>,
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Parses `SMTP_URL`; the error never repeats the URL (it may hold a password).
pub fn parse_smtp_url(s: &str) -> Result<SmtpUrl, String> {
    let u = url::Url::parse(s.trim()).map_err(|e| {
        format!("SMTP_URL is not a URL ({e}); write smtps://user:pass@host:465 or smtp://user:pass@host:587")
    })?;
    let host = u
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("SMTP_URL has no host; write smtps://user:pass@host:465")?
        .trim_matches(|c| c == '[' || c == ']')
        .to_string();
    let user = decode(u.username());
    let login = (!user.is_empty()).then(|| (user, decode(u.password().unwrap_or_default())));
    let mut tls = None;
    for (k, v) in u.query_pairs() {
        match (k.as_ref(), v.as_ref()) {
            ("tls", "required" | "opportunistic" | "none") => tls = Some(v.into_owned()),
            ("tls", other) => {
                return Err(format!(
                    "SMTP_URL: tls={other} is not known; use tls=required, tls=opportunistic or tls=none"
                ));
            }
            (other, _) => return Err(format!("SMTP_URL: the parameter {other} is not known; only tls= is")),
        }
    }
    let security = match (u.scheme(), tls.as_deref()) {
        ("smtps", None) => Security::Implicit,
        ("smtps", Some(_)) => return Err("SMTP_URL: smtps:// is always TLS; drop ?tls=".into()),
        ("smtp", Some("required")) => Security::Required,
        ("smtp", Some("none")) => Security::None,
        ("smtp", _) => Security::Opportunistic,
        (other, _) => {
            return Err(format!(
                "SMTP_URL: the scheme {other}:// is not SMTP; use smtps:// (port 465) or smtp:// (STARTTLS, port 587)"
            ));
        }
    };
    let port = u.port().unwrap_or(match (security, login.is_some()) {
        (Security::Implicit, _) => 465,
        (_, true) => 587,
        (_, false) => 25,
    });
    Ok(SmtpUrl {
        host,
        port,
        security,
        login,
    })
}

/// `SMTP_URL` for output: scheme, `***@` where a login was, host and port.
pub fn mask_smtp(s: &str) -> String {
    match parse_smtp_url(s) {
        Ok(p) => format!(
            "{}://{}{}:{}",
            if p.security == Security::Implicit {
                "smtps"
            } else {
                "smtp"
            },
            if p.login.is_some() { "***@" } else { "" },
            p.host,
            p.port
        ),
        Err(_) => "smtp://***".to_string(),
    }
}

/// Parses a comma-separated list of recipients (`a@x.org, Name <b@y.org>`).
pub fn recipients(s: &str) -> Result<Vec<Mailbox>, String> {
    let list: Vec<Mailbox> = s
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<Mailbox>()
                .map_err(|e| format!("EMAIL_TO: '{a}' is not an e-mail address ({e})"))
        })
        .collect::<Result<_, _>>()?;
    if list.is_empty() {
        return Err("EMAIL_TO lists no address; write a@example.org, b@example.org".into());
    }
    Ok(list)
}

/// The plain-text part.
pub fn plain(msg: &Message) -> String {
    let mut out = format!("{}\n\n", msg.title);
    if let Some(a) = msg.rating() {
        out.push_str(&format!("{}{}{a}\n\n", msg.rating_label(), msg.colon()));
    }
    for (l, v, c) in &msg.figures {
        out.push_str(&format!("- {l}{}{}\n", msg.colon(), msg.with_change(v, c)));
    }
    if let Some(link) = msg.safe_link() {
        out.push_str(&format!("\n{}{}{link}\n", msg.read_label(), msg.colon()));
    }
    out.push_str(&format!("\n-- \n{} · cncert-feed\n", msg.series_title));
    out.chars().filter(|c| !c.is_control() || *c == '\n').collect()
}

/// The HTML part: title, assessment, the figures table, the link. Archive text is escaped.
pub fn html(msg: &Message) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"></head>\n<body style=\"font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;color:#222\">\n",
        msg.lang.code()
    );
    out.push_str(&format!("<h2 style=\"font-size:18px\">{}</h2>\n", esc(&msg.title)));
    if let Some(a) = msg.rating() {
        out.push_str(&format!(
            "<p>{}{}<strong>{}</strong></p>\n",
            msg.rating_label(),
            msg.colon(),
            esc(&a)
        ));
    }
    if !msg.figures.is_empty() {
        let cell = "style=\"border:1px solid #ddd;padding:4px 8px\"";
        out.push_str("<table style=\"border-collapse:collapse\">\n");
        let [figure, this_week, change] = match msg.lang {
            Lang::Zh => ["指标", "本周", "较上周"],
            Lang::En => ["Figure", "This week", "Change"],
        };
        out.push_str(&format!(
            "<thead><tr><th {cell} align=\"left\">{figure}</th><th {cell} align=\"right\">{this_week}</th><th {cell} align=\"right\">{change}</th></tr></thead>\n<tbody>\n"
        ));
        for (l, v, c) in &msg.figures {
            out.push_str(&format!(
                "<tr><td {cell}>{}</td><td {cell} align=\"right\">{}</td><td {cell} align=\"right\">{}</td></tr>\n",
                esc(l),
                esc(v),
                esc(c)
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    if let Some(link) = msg.safe_link() {
        out.push_str(&format!("<p><a href=\"{}\">{}</a></p>\n", esc(&link), msg.read_label()));
    }
    out.push_str(&format!(
        "<p style=\"color:#777;font-size:12px\">{} · cncert-feed</p>\n</body></html>\n",
        esc(&msg.series_title)
    ));
    out
}

impl Platform for Email {
    fn payload(&self, msg: &Message, dest: &Destination, _now_ms: i64) -> Value {
        json!({
            "from": dest.from,
            "to": dest.to,
            "subject": msg.title,
            "text": plain(msg),
            "html": html(msg),
        })
    }

    fn masked(&self, dest: &Destination) -> String {
        if super::is_placeholder(&dest.url) {
            dest.url.clone()
        } else {
            mask_smtp(&dest.url)
        }
    }
}

/// A ready SMTP connection setting, sender and recipients.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    secrets: Vec<String>,
    masked: String,
}

impl Mailer {
    /// Checks the variables; the error says which one is wrong and how to write it.
    pub fn new(dest: &Destination) -> Result<Mailer, String> {
        let smtp = parse_smtp_url(&dest.url)?;
        let from: Mailbox = dest.from.as_deref().unwrap_or_default().parse().map_err(|e| {
            format!("EMAIL_FROM is not an e-mail address ({e}); write e.g. CNCERT 周报 <feed@example.org>")
        })?;
        let to = recipients(dest.to.as_deref().unwrap_or_default())?;
        let tls = |p: TlsParameters| match smtp.security {
            Security::Implicit => Tls::Wrapper(p),
            Security::Required => Tls::Required(p),
            Security::Opportunistic => Tls::Opportunistic(p),
            Security::None => Tls::None,
        };
        let params = TlsParameters::new(smtp.host.clone())
            .map_err(|e| format!("SMTP_URL: cannot set up TLS for {}: {e}", smtp.host))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
            .port(smtp.port)
            .tls(tls(params))
            .timeout(Some(Duration::from_secs(30)));
        let mut secrets = Vec::new();
        if let Some((user, pass)) = &smtp.login {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
            secrets.extend([user.clone(), pass.clone()].into_iter().filter(|s| s.len() >= 3));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            to,
            secrets,
            masked: mask_smtp(&dest.url),
        })
    }

    /// The message as sent.
    pub fn message(&self, msg: &Message) -> Result<lettre::Message, String> {
        let mut b = lettre::Message::builder()
            .from(self.from.clone())
            .subject(msg.title.chars().filter(|c| !c.is_control()).collect::<String>());
        for to in &self.to {
            b = b.to(to.clone());
        }
        b.multipart(MultiPart::alternative_plain_html(plain(msg), html(msg)))
            .map_err(|e| format!("cannot build the e-mail: {e}"))
    }

    /// Sends one message; the error names the server (masked) and what it said.
    pub async fn send(&self, msg: &Message) -> Result<(), String> {
        let mail = self.message(msg)?;
        match self.transport.send(mail).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut why = e.to_string();
                for s in &self.secrets {
                    why = why.replace(s.as_str(), "***");
                }
                Err(format!("SMTP {}: {why}", self.masked))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_of_every_form() {
        let p = parse_smtp_url("smtps://user:p%40ss%3Aw@mail.example.org").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.port, p.security), (465, Security::Implicit));
        assert_eq!(p.login, Some(("user".into(), "p@ss:w".into())));
        let p = parse_smtp_url("smtp://u:p@mail.example.org").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.port, p.security), (587, Security::Opportunistic));
        let p = parse_smtp_url("smtp://u:p@mail.example.org:2525?tls=required").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.port, p.security), (2525, Security::Required));
        let p = parse_smtp_url("smtp://relay.local").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.port, p.security, p.login), (25, Security::Opportunistic, None));
        for bad in [
            "http://u:secretpw@x",
            "smtp://u:secretpw@x?tls=maybe",
            "smtp://u:secretpw@x?foo=1",
            "smtps://u:secretpw@x?tls=none",
            "u:secretpw@x",
        ] {
            let e = parse_smtp_url(bad).unwrap_err();
            assert!(!e.contains("secretpw"), "{e}");
        }
        assert_eq!(
            mask_smtp("smtps://user:pw@mail.example.org"),
            "smtps://***@mail.example.org:465"
        );
        assert_eq!(mask_smtp("smtp://relay.local"), "smtp://relay.local:25");
    }

    #[test]
    fn recipients_are_checked() {
        assert_eq!(recipients("a@x.org, B <b@y.org>,").map(|v| v.len()), Ok(2));
        assert!(recipients(" , ").is_err());
        assert!(
            recipients("a@x.org, not an address")
                .unwrap_err()
                .contains("not an address")
        );
    }

    #[test]
    fn the_html_part_escapes_archive_text() {
        let msg = Message {
            title: "周报<script>".into(),
            link: "https://mp.weixin.qq.com/s?a=1&b=2".into(),
            assessment: Some("良".into()),
            figures: vec![("事件<b>".into(), "295起".into(), "▲5".into())],
            item: Value::Null,
            series_title: "周报".into(),
            lang: crate::publish::Lang::Zh,
        };
        let h = html(&msg);
        assert!(h.contains("周报&lt;script&gt;") && !h.contains("<script>"));
        assert!(h.contains("<td style=\"border:1px solid #ddd;padding:4px 8px\">事件&lt;b&gt;</td>"));
        assert!(h.contains("href=\"https://mp.weixin.qq.com/s?a=1&amp;b=2\""));
        assert!(plain(&msg).contains("- 事件<b>：295起（▲5）"));
    }
}
