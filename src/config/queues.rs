//! `[[queues]]` (SPEC §5.4): the support addresses after the first, each with its own
//! address, name, tag prefix and mailbox, and its own SMTP, OAuth2, staff and templates or
//! the top-level ones. The top-level tables are the first queue.
//!
//! A queue's tables are validated as their top-level sections are, with their keys named
//! `queues[N].imap.host` (N counts the `[[queues]]` tables from 0); a table left out is the
//! top-level one as a whole, never merged key by key.

use std::path::PathBuf;

use super::raw::RawQueue;
use super::validate::Validator;
use super::{Config, ImapConfig, OAuth2Config, SmtpConfig, StaffConfig};

/// One support address after the first (`[[queues]]`), its tables resolved.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Lower case; `From` of this queue's mail.
    pub address: String,
    pub name: String,
    /// Upper case, numbered on its own (`BIL-1`).
    pub tag_prefix: String,
    pub templates: PathBuf,
    pub imap: ImapConfig,
    pub smtp: SmtpConfig,
    pub staff: StaffConfig,
    pub oauth2: Option<OAuth2Config>,
}

impl Validator {
    /// The `[[queues]]` tables, with what each leaves out taken from `first` (the top-level
    /// tables); a prefix, an address or a mailbox that two queues share is a problem.
    pub(super) fn queues(&mut self, raw: Vec<RawQueue>, first: &Config) -> Vec<QueueConfig> {
        let mut out: Vec<QueueConfig> = Vec::new();
        for (n, q) in raw.into_iter().enumerate() {
            let at = format!("queues[{n}]");
            let key = |k: &str| format!("{at}.{k}");
            let address = self.required(&key("address"), q.address);
            let address = match address.is_empty() {
                true => address,
                false => self.address(&key("address"), &address),
            };
            let tag_prefix = match q.tag_prefix {
                Some(p) => self.tag_prefix(&key("tag_prefix"), p.trim().to_string()),
                None => {
                    self.problem(&key("tag_prefix"), "is required");
                    String::new()
                }
            };
            let own_mailbox = q.imap.is_some();
            let imap = match q.imap {
                Some(i) => self.imap(&key("imap"), i),
                None => {
                    self.problem(
                        &key("imap"),
                        "is required: each queue reads its own mailbox (the keys of [imap])",
                    );
                    first.imap.clone()
                }
            };
            let smtp = match q.smtp {
                Some(s) => self.smtp(&key("smtp"), s),
                None => first.smtp.clone(),
            };
            let oauth2 = match q.oauth2 {
                Some(o) => self.oauth2_for(&format!("{at}."), &imap, &smtp, Some(o)),
                // The top-level [oauth2], or the problem of its absence named for this queue.
                None => match &first.oauth2 {
                    Some(o) => Some(o.clone()),
                    None => self.oauth2_for(&format!("{at}."), &imap, &smtp, None),
                },
            };
            let staff = match q.staff {
                Some(s) => self.staff(&key("staff"), s),
                None => first.staff.clone(),
            };
            let templates = match q.templates.filter(|t| !t.trim().is_empty()) {
                Some(t) => {
                    let dir = self.path(t.trim());
                    if !dir.is_dir() {
                        self.problem(
                            &key("templates"),
                            format!("{} is not a directory", dir.display()),
                        );
                    }
                    dir
                }
                None => first.gateway.templates.clone(),
            };
            let queue = QueueConfig {
                address,
                name: q
                    .name
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|| first.gateway.name.clone()),
                tag_prefix,
                templates,
                imap,
                smtp,
                staff,
                oauth2,
            };
            self.unique(&at, &queue, own_mailbox, first, &out);
            out.push(queue);
        }
        out
    }

    /// A queue's prefix, address and mailbox are its own: not those of the first queue, of
    /// an earlier `[[queues]]` table, or an alias.
    fn unique(
        &mut self,
        at: &str,
        q: &QueueConfig,
        own_mailbox: bool,
        first: &Config,
        earlier: &[QueueConfig],
    ) {
        let g = &first.gateway;
        let others = std::iter::once((
            "the top-level queue".to_string(),
            (g.tag_prefix.as_str(), g.address.as_str(), &first.imap),
        ))
        .chain(earlier.iter().enumerate().map(|(n, e)| {
            (
                format!("queues[{n}]"),
                (e.tag_prefix.as_str(), e.address.as_str(), &e.imap),
            )
        }));
        for (name, (prefix, address, imap)) in others {
            if !q.tag_prefix.is_empty() && q.tag_prefix == prefix {
                self.problem(
                    &format!("{at}.tag_prefix"),
                    format!("'{prefix}' is the prefix of {name}: each queue has its own"),
                );
            }
            if !q.address.is_empty() && q.address == address {
                self.problem(
                    &format!("{at}.address"),
                    format!("{address} is the address of {name}: each queue has its own"),
                );
            }
            if own_mailbox && same_mailbox(&q.imap, imap) {
                self.problem(
                    &format!("{at}.imap.mailbox"),
                    format!(
                        "{} of {}@{} is the mailbox of {name}: each queue reads its own",
                        q.imap.mailbox, q.imap.username, q.imap.host
                    ),
                );
            }
        }
        if g.aliases.contains(&q.address) {
            self.problem(
                &format!("{at}.address"),
                format!("{} is also in gateway.aliases", q.address),
            );
        }
    }
}

fn same_mailbox(a: &ImapConfig, b: &ImapConfig) -> bool {
    a.host.eq_ignore_ascii_case(&b.host)
        && a.port == b.port
        && a.username.eq_ignore_ascii_case(&b.username)
        && a.mailbox == b.mailbox
}

impl Config {
    /// How many queues the desk has: the top-level one and each `[[queues]]` table.
    pub fn queue_count(&self) -> usize {
        1 + self.queues.len()
    }

    /// The configuration as queue `n` sees it (0: the top-level tables, this config): its
    /// address, name, prefix, templates, IMAP, SMTP, OAuth2 and staff in place of the
    /// top-level ones. Every other queue's address is one of its aliases, so that no queue
    /// address (or plus-address of one) ever becomes a participant or a recipient.
    pub fn queue(&self, n: usize) -> Config {
        let mut c = self.clone();
        if let Some(q) = n.checked_sub(1).and_then(|i| self.queues.get(i)) {
            c.gateway.aliases.push(self.gateway.address.clone());
            c.gateway.address = q.address.clone();
            c.gateway.name = q.name.clone();
            c.gateway.tag_prefix = q.tag_prefix.clone();
            c.gateway.templates = q.templates.clone();
            c.imap = q.imap.clone();
            c.smtp = q.smtp.clone();
            c.staff = q.staff.clone();
            c.oauth2 = q.oauth2.clone();
        }
        let own = c.gateway.address.clone();
        for q in &self.queues {
            if q.address != own && !c.gateway.aliases.contains(&q.address) {
                c.gateway.aliases.push(q.address.clone());
            }
        }
        c
    }

    /// Every queue's tag prefix, the first queue's first.
    pub fn tag_prefixes(&self) -> Vec<String> {
        std::iter::once(self.gateway.tag_prefix.clone())
            .chain(self.queues.iter().map(|q| q.tag_prefix.clone()))
            .collect()
    }
}
