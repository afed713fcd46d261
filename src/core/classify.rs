//! Classifying a mail: its ticket tag (SPEC §3.1), its sender's role and authentication
//! (§3.4), and whether it is automated (§3.6).

use super::{InboundMail, Policy, StaffAuth};

/// The ticket number of the first `[PREFIX-N]` tag in `subject` (prefix case-insensitive).
pub fn tag_in_subject(subject: &str, prefix: &str) -> Option<u64> {
    let lower = subject.to_ascii_lowercase();
    let needle = format!("[{}-", prefix.to_ascii_lowercase());
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&needle) {
        let start = from + pos + needle.len();
        let digits: String = lower[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if !digits.is_empty() && lower[start + digits.len()..].starts_with(']') {
            if let Ok(n) = digits.parse() {
                return Some(n);
            }
        }
        from = start;
    }
    None
}

/// Removes every `[PREFIX-N]` tag from a subject (for a summary).
pub(crate) fn remove_tags(subject: &str, prefix: &str) -> String {
    let mut out = subject.to_string();
    while let Some(n) = tag_in_subject(&out, prefix) {
        let lower = out.to_ascii_lowercase();
        let tag = format!("[{}-{}]", prefix.to_ascii_lowercase(), n);
        match lower.find(&tag) {
            Some(p) => out.replace_range(p..p + tag.len(), ""),
            None => break,
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Message-IDs that may name a ticket, most specific first: the returned message of a
/// delivery report, then `In-Reply-To`, then `References` from the newest.
pub fn reference_ids(mail: &InboundMail) -> Vec<String> {
    let mut ids = Vec::new();
    if let Some(r) = &mail.delivery_report {
        if let Some(id) = &r.original_message_id {
            ids.push(id.clone());
        }
    }
    for id in mail.in_reply_to.iter().chain(mail.references.iter().rev()) {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    ids
}

/// The rule of SPEC §3.6 that makes this mail automated, if any.
pub fn automated_rule(mail: &InboundMail) -> Option<String> {
    let a = &mail.auto;
    if let Some(v) = &a.auto_submitted {
        let v = v.trim().to_ascii_lowercase();
        let token = v.split([';', '(', ' ']).next().unwrap_or("");
        if token != "no" {
            return Some(format!("Auto-Submitted: {v}"));
        }
    }
    if let Some(p) = &a.precedence {
        let p = p.trim().to_ascii_lowercase();
        if ["bulk", "junk", "list"].contains(&p.as_str()) {
            return Some(format!("Precedence: {p}"));
        }
    }
    if a.list_id {
        return Some("List-Id present".into());
    }
    if a.x_autoreply {
        return Some("X-Autoreply/X-Autorespond present".into());
    }
    if a.return_path
        .as_deref()
        .is_some_and(|r| r.trim().trim_matches(['<', '>']).is_empty())
    {
        return Some("null Return-Path".into());
    }
    if let Some(from) = &mail.from {
        let local = from.addr.split('@').next().unwrap_or("");
        if local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster") {
            return Some(format!("sender {}", from.addr));
        }
    }
    if let Some(h) = a.loop_headers.first() {
        return Some(format!("loop header {h}"));
    }
    if mail.delivery_report.is_some() {
        return Some("delivery-status report".into());
    }
    None
}

/// The result of checking a staff-listed sender's authentication (SPEC §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffCheck {
    /// The address is not in the staff lists.
    NotStaff,
    /// Staff, and `staff.authentication = "none"` or a pinned authserv-id vouched for it.
    Staff(String),
    /// Claims a staff address but did not pass: handled as a customer mail.
    Failed(String),
}

/// SPEC §3.4 and RFC 8601: only `Authentication-Results` from a pinned authserv-id count,
/// and of those only the topmost one and the pinned ones directly after it (a run, no other
/// header field between): the receiving server adds its own on top, a sender can only add
/// below. Within the run a pass counts only if no header says fail for the same domain.
pub fn check_staff(mail: &InboundMail, policy: &Policy) -> StaffCheck {
    let Some(from) = &mail.from else {
        return StaffCheck::NotStaff;
    };
    if !policy.is_staff_address(&from.addr) {
        return StaffCheck::NotStaff;
    }
    let method = match policy.staff_auth {
        StaffAuth::None => return StaffCheck::Staff("staff.authentication = none".into()),
        StaffAuth::Dkim => "dkim",
        StaffAuth::Dmarc => "dmarc",
    };
    let domain = from.domain().to_string();
    let parsed: Vec<(usize, AuthResults)> = mail
        .authentication_results
        .iter()
        .filter_map(|h| parse_authentication_results(&h.value).map(|r| (h.position, r)))
        .collect();
    let pinned = |r: &AuthResults| policy.authserv_ids.contains(&r.authserv_id);
    let ignored = parsed.iter().filter(|(_, r)| !pinned(r)).count();
    let mut run: Vec<&AuthResults> = Vec::new();
    let mut last = None;
    for (position, r) in &parsed {
        match last {
            None if pinned(r) => {}
            None => continue,
            Some(p) if pinned(r) && *position == p + 1 => {}
            Some(_) => break,
        }
        run.push(r);
        last = Some(*position);
    }
    let below = parsed.iter().filter(|(_, r)| pinned(r)).count() - run.len();
    let about_sender = |r: &AuthResult| match method {
        "dmarc" => r
            .prop("header.from")
            .is_none_or(|d| d.eq_ignore_ascii_case(&domain)),
        _ => r
            .prop("header.d")
            .or_else(|| {
                r.prop("header.i")
                    .map(|i| i.rsplit('@').next().unwrap_or(i))
            })
            .is_none_or(|d| aligned(&domain, d)),
    };
    let results = || {
        run.iter().flat_map(|h| {
            h.results
                .iter()
                .filter(|r| r.method == method && about_sender(r))
                .map(move |r| (h, r))
        })
    };
    let fail = results().find(|(_, r)| matches!(r.result.as_str(), "fail" | "permerror"));
    // A pass must name the domain it vouches for; a fail that names none counts against all.
    let names_domain = |r: &AuthResult| match method {
        "dmarc" => r.prop("header.from").is_some(),
        _ => r.prop("header.d").or_else(|| r.prop("header.i")).is_some(),
    };
    let pass = results().find(|(_, r)| r.result == "pass" && names_domain(r));
    let mut why = match (pass, fail) {
        (Some((h, _)), None) => {
            return StaffCheck::Staff(format!("{method}=pass for {domain} by {}", h.authserv_id))
        }
        (_, Some((h, r))) => format!(
            "{method}={} for {domain} by {}: no pass counts beside it",
            r.result, h.authserv_id
        ),
        (None, None) => format!("no {method}=pass for {domain} from a pinned authserv-id"),
    };
    if below > 0 {
        why.push_str(&format!(
            " ({below} pinned Authentication-Results header(s) below the topmost run ignored)"
        ));
    }
    if ignored > 0 {
        why.push_str(&format!(
            " ({ignored} Authentication-Results header(s) from other authserv-ids ignored)"
        ));
    }
    StaffCheck::Failed(why)
}

/// Relaxed alignment: the signing domain is the From domain or a parent of it.
fn aligned(from_domain: &str, signer: &str) -> bool {
    let f = from_domain.to_ascii_lowercase();
    let s = signer.trim().to_ascii_lowercase();
    f == s || f.ends_with(&format!(".{s}")) && s.contains('.')
}

struct AuthResults {
    authserv_id: String,
    results: Vec<AuthResult>,
}

struct AuthResult {
    method: String,
    result: String,
    props: Vec<(String, String)>,
}

impl AuthResult {
    fn prop(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// RFC 8601, leniently: `authserv-id [version]; method=result ptype.prop=value …; …`.
fn parse_authentication_results(header: &str) -> Option<AuthResults> {
    let cleaned = strip_comments(header);
    let mut parts = cleaned.split(';');
    let authserv_id = parts
        .next()?
        .split_whitespace()
        .next()?
        .to_ascii_lowercase();
    let mut results = Vec::new();
    for part in parts {
        let mut tokens = part.split_whitespace();
        let Some(first) = tokens.next() else { continue };
        let Some((method, result)) = first.split_once('=') else {
            continue;
        };
        let props = tokens
            .filter_map(|t| t.split_once('='))
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    v.trim_matches('"').to_ascii_lowercase(),
                )
            })
            .collect();
        results.push(AuthResult {
            method: method.to_ascii_lowercase(),
            result: result.to_ascii_lowercase(),
            props,
        });
    }
    Some(AuthResults {
        authserv_id,
        results,
    })
}

fn strip_comments(s: &str) -> String {
    let mut depth = 0u32;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Address, AuthenticationResults, AutoSignals};

    #[test]
    fn tags_are_found_after_prefixes_and_in_any_case() {
        assert_eq!(tag_in_subject("Re: [SUP-42] printer", "SUP"), Some(42));
        assert_eq!(tag_in_subject("RE : TR: [sup-7] x", "SUP"), Some(7));
        assert_eq!(tag_in_subject("AW: x [SUP-12]", "sup"), Some(12));
        assert_eq!(tag_in_subject("[SUP-] [SUP-x] [SUP-3", "SUP"), None);
        assert_eq!(tag_in_subject("[HELP-3]", "SUP"), None);
        assert_eq!(tag_in_subject("[SUP-1a] [SUP-9]", "SUP"), Some(9));
        assert_eq!(remove_tags("Re: [SUP-9]  broken", "SUP"), "Re: broken");
    }

    fn mail() -> InboundMail {
        InboundMail {
            from: Some(Address::new("alice@customer.test")),
            ..Default::default()
        }
    }

    #[test]
    fn automated_rules() {
        let mut m = mail();
        assert_eq!(automated_rule(&m), None);
        m.auto.auto_submitted = Some("no".into());
        assert_eq!(automated_rule(&m), None);
        m.auto.auto_submitted = Some("auto-replied (vacation)".into());
        assert!(automated_rule(&m).is_some());
        for signals in [
            AutoSignals {
                precedence: Some("bulk".into()),
                ..Default::default()
            },
            AutoSignals {
                precedence: Some("List".into()),
                ..Default::default()
            },
            AutoSignals {
                list_id: true,
                ..Default::default()
            },
            AutoSignals {
                x_autoreply: true,
                ..Default::default()
            },
            AutoSignals {
                return_path: Some("<>".into()),
                ..Default::default()
            },
            AutoSignals {
                loop_headers: vec!["X-OTRS-Loop".into()],
                ..Default::default()
            },
        ] {
            let m = InboundMail {
                auto: signals.clone(),
                ..mail()
            };
            assert!(automated_rule(&m).is_some(), "{signals:?}");
        }
        let m = InboundMail {
            auto: AutoSignals {
                precedence: Some("first-class".into()),
                ..Default::default()
            },
            ..mail()
        };
        assert_eq!(automated_rule(&m), None);
        let m = InboundMail {
            from: Some(Address::new("MAILER-DAEMON@x.test")),
            ..mail()
        };
        assert!(automated_rule(&m).is_some());
        let m = InboundMail {
            from: Some(Address::new("postmaster@x.test")),
            ..mail()
        };
        assert!(automated_rule(&m).is_some());
    }

    fn staff_policy(auth: StaffAuth) -> Policy {
        Policy {
            staff_addresses: vec!["alice@example.com".into()],
            staff_domains: vec!["staff.example.com".into()],
            staff_auth: auth,
            authserv_ids: vec!["mx.example.com".into()],
            ..Policy::for_tests()
        }
    }

    fn from_staff(results: &[&str]) -> InboundMail {
        InboundMail {
            from: Some(Address::new("alice@example.com")),
            authentication_results: results
                .iter()
                .enumerate()
                .map(|(i, s)| AuthenticationResults {
                    position: i + 3,
                    value: s.to_string(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn only_the_topmost_run_of_pinned_results_counts_and_a_fail_beats_a_pass() {
        let dkim = staff_policy(StaffAuth::Dkim);
        let pass = "mx.example.com; dkim=pass header.d=example.com";
        let fail = "mx.example.com; dkim=fail header.d=example.com";
        let none = "mx.example.com; dkim=none";
        let other = "other.test; dkim=none";
        let staff = |m: &InboundMail| matches!(check_staff(m, &dkim), StaffCheck::Staff(_));
        assert!(staff(&from_staff(&[pass])));
        assert!(
            staff(&from_staff(&[other, pass])),
            "unpinned above: not ours"
        );
        assert!(staff(&from_staff(&[pass, none])));
        for forged in [
            vec![fail, pass],
            vec![pass, fail],
            vec![none, other, pass],
            vec!["mx.example.com; dkim=fail", pass],
        ] {
            assert!(!staff(&from_staff(&forged)), "{forged:?}");
        }
        // A fail for another domain does not spoil a pass for the sender's.
        assert!(staff(&from_staff(&[
            "mx.example.com; dkim=fail header.d=list.test",
            pass
        ])));
        // Another header between two pinned ones ends the run.
        let mut gap = from_staff(&[none, pass]);
        gap.authentication_results[1].position += 1;
        assert!(!staff(&gap));
        match check_staff(&gap, &dkim) {
            StaffCheck::Failed(why) => assert!(why.contains("below the topmost run"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn staff_authentication() {
        let none = staff_policy(StaffAuth::None);
        assert!(matches!(
            check_staff(&from_staff(&[]), &none),
            StaffCheck::Staff(_)
        ));
        let m = InboundMail {
            from: Some(Address::new("bob@staff.example.com")),
            ..Default::default()
        };
        assert!(matches!(check_staff(&m, &none), StaffCheck::Staff(_)));
        assert_eq!(check_staff(&mail(), &none), StaffCheck::NotStaff);

        let dmarc = staff_policy(StaffAuth::Dmarc);
        assert!(matches!(
            check_staff(&from_staff(&[]), &dmarc),
            StaffCheck::Failed(_)
        ));
        let pass = "mx.example.com; dkim=pass header.d=example.com; dmarc=pass (p=reject) header.from=example.com";
        assert!(matches!(
            check_staff(&from_staff(&[pass]), &dmarc),
            StaffCheck::Staff(_)
        ));
        let other = "evil.test; dmarc=pass header.from=example.com";
        assert!(matches!(
            check_staff(&from_staff(&[other]), &dmarc),
            StaffCheck::Failed(_)
        ));
        let wrong_domain = "mx.example.com; dmarc=pass header.from=evil.test";
        assert!(matches!(
            check_staff(&from_staff(&[wrong_domain]), &dmarc),
            StaffCheck::Failed(_)
        ));
        let fail = "mx.example.com; dmarc=fail header.from=example.com";
        assert!(matches!(
            check_staff(&from_staff(&[fail]), &dmarc),
            StaffCheck::Failed(_)
        ));
        let comment = "mx.example.com (v=1); dmarc=pass (policy) header.from=example.com";
        assert!(matches!(
            check_staff(&from_staff(&[comment]), &dmarc),
            StaffCheck::Staff(_)
        ));

        let dkim = staff_policy(StaffAuth::Dkim);
        let signed = "mx.example.com; dkim=pass header.d=example.com header.s=sel";
        assert!(matches!(
            check_staff(&from_staff(&[signed]), &dkim),
            StaffCheck::Staff(_)
        ));
        let unaligned = "mx.example.com; dkim=pass header.d=other.test";
        assert!(matches!(
            check_staff(&from_staff(&[unaligned]), &dkim),
            StaffCheck::Failed(_)
        ));
        // A dmarc-only pass does not satisfy dkim mode.
        let dmarc_only = "mx.example.com; dmarc=pass header.from=example.com";
        assert!(matches!(
            check_staff(&from_staff(&[dmarc_only]), &dkim),
            StaffCheck::Failed(_)
        ));
    }
}
