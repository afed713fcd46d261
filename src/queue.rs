//! The queues one gateway serves (SPEC §5.4): each support address with its configuration
//! as it sees it ([`Config::queue`]), its policy, templates and OAuth2 tokens, and the slot
//! its tickets' ids carry ([`TicketId::slot`]). The first queue is the top-level tables'.
//!
//! Everything about a ticket uses its own queue, found by its id's slot: the prefix of its
//! tag, the staff and templates of its mail, the address and server its mail leaves from.

use std::sync::Arc;

use crate::config::Config;
use crate::core::{InboundMail, Policy, TicketId};
use crate::oauth2::TokenSource;
use futures::future::BoxFuture;

use crate::smtp::{Relay, SmtpError};
use crate::templates::Templates;

/// One support address of the desk.
pub struct Queue {
    /// The slot the store gave its prefix: the upper bits of its tickets' ids.
    pub slot: u32,
    /// The configuration as this queue sees it: its address, prefix, IMAP, SMTP, staff.
    pub config: Config,
    /// With every prefix the store knows ([`Policy::prefixes`]) and every other queue's
    /// address among the aliases.
    pub policy: Policy,
    pub templates: Templates,
    /// Access tokens for this queue's OAuth2 logins.
    pub tokens: Option<Arc<TokenSource>>,
}

/// The queues of a gateway, the first one first.
pub struct Queues(Vec<Queue>);

impl Queues {
    /// `queues` in configuration order; there is at least the first.
    pub fn new(queues: Vec<Queue>) -> Queues {
        assert!(
            !queues.is_empty(),
            "a gateway serves at least its first queue"
        );
        Queues(queues)
    }

    /// Queue `n` in configuration order (0: the top-level tables); the first queue for an
    /// `n` the configuration has not.
    pub fn get(&self, n: usize) -> &Queue {
        self.0.get(n).unwrap_or(&self.0[0])
    }

    /// The queue a ticket belongs to, by its id's slot. A slot no queue has any more (its
    /// prefix was taken out of the configuration) is served by the first queue; its tags
    /// still show the prefix the store registered.
    pub fn of(&self, id: TicketId) -> &Queue {
        self.0
            .iter()
            .find(|q| q.slot == id.slot())
            .unwrap_or(&self.0[0])
    }

    /// The queue that answers `mail` when no ticket decides it (a new ticket, a `#list`, a
    /// quarantine notice): the queue it was written to ([`Queues::addressed`]), else the
    /// queue of the mailbox `mailbox` it came to. `None`: nothing could be read of it.
    pub fn of_mail(&self, mail: Option<&InboundMail>, mailbox: usize) -> &Queue {
        let written_to = mail
            .into_iter()
            .flat_map(|m| m.to.iter().chain(&m.cc))
            .map(|a| a.addr.as_str());
        self.get(self.addressed(written_to).unwrap_or(mailbox))
    }

    /// The queue a new ticket of this mail belongs to, by the addresses it was written to
    /// (its To, then its Cc, in order; a plus-address counts as its queue's): the same
    /// mail delivered to two queue mailboxes opens its ticket in the same queue whichever
    /// mailbox is read first. `None`: no queue address among them.
    pub fn addressed<'a>(&self, to: impl IntoIterator<Item = &'a str>) -> Option<usize> {
        to.into_iter().find_map(|a| {
            let a = a.trim().to_ascii_lowercase();
            let base = match a.rsplit_once('@') {
                Some((local, domain)) => match local.split_once('+') {
                    Some((local, _)) => format!("{local}@{domain}"),
                    None => a.clone(),
                },
                None => return None,
            };
            self.0
                .iter()
                .position(|q| q.config.gateway.address == a || q.config.gateway.address == base)
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Queue> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The SMTP servers of the queues as one [`Relay`]: a mail leaves through the server of the
/// queue whose address is its envelope sender (every gateway mail's envelope sender is its
/// queue's address), the first queue's for any other. The health probe asks the first.
pub struct Relays {
    /// (queue address, its relay), the first queue's first.
    by_address: Vec<(String, Arc<dyn Relay>)>,
}

impl Relays {
    /// `by_address` in queue order, at least the first queue's.
    pub fn new(by_address: Vec<(String, Arc<dyn Relay>)>) -> Relays {
        assert!(
            !by_address.is_empty(),
            "a gateway sends through its first queue's server"
        );
        Relays { by_address }
    }

    fn relay_for(&self, from: &str) -> &Arc<dyn Relay> {
        self.by_address
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(from))
            .map_or(&self.by_address[0].1, |(_, r)| r)
    }
}

impl Relay for Relays {
    fn send<'a>(
        &'a self,
        from: &'a str,
        to: &'a [String],
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SmtpError>> {
        self.relay_for(from).send(from, to, raw)
    }

    fn probe(&self) -> BoxFuture<'_, Result<bool, SmtpError>> {
        self.by_address[0].1.probe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A relay that records the envelope senders it was given.
    struct Recording(Mutex<Vec<String>>);

    impl Relay for Recording {
        fn send<'a>(
            &'a self,
            from: &'a str,
            _: &'a [String],
            _: &'a [u8],
        ) -> BoxFuture<'a, Result<(), SmtpError>> {
            self.0.lock().unwrap().push(from.to_string());
            Box::pin(async { Ok(()) })
        }
        fn probe(&self) -> BoxFuture<'_, Result<bool, SmtpError>> {
            Box::pin(async { Ok(true) })
        }
    }

    /// The queues of a desk with support@ (slot 0) and billing@ (slot 1).
    fn queues() -> Queues {
        let dir = tempfile::tempdir().unwrap();
        let templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let imap = |user: &str| {
            format!("host = \"imap.x.test\"\nusername = \"{user}\"\npassword_env = \"PW\"\n")
        };
        let text = format!(
            "[gateway]\naddress = \"support@x.test\"\ntemplates = \"{templates}\"\n\
             [imap]\n{}[smtp]\nhost = \"smtp.x.test\"\n\
             [[queues]]\naddress = \"billing@x.test\"\ntag_prefix = \"BIL\"\n[queues.imap]\n{}",
            imap("support@x.test"),
            imap("billing@x.test"),
        );
        let config = Config::parse(&text, &dir.path().join("gateway.toml")).unwrap();
        let queues = (0..config.queue_count())
            .map(|n| {
                let config = config.queue(n);
                let g = &config.gateway;
                Queue {
                    slot: n as u32,
                    policy: config.policy(),
                    templates: Templates::load(&g.templates, &g.name, &g.tag_prefix).unwrap(),
                    config,
                    tokens: None,
                }
            })
            .collect();
        Queues::new(queues)
    }

    #[test]
    fn a_ticket_is_its_slots_queue_and_a_new_one_the_queue_it_was_written_to() {
        let q = queues();
        assert_eq!(
            q.of(TicketId::new(1, 7)).config.gateway.address,
            "billing@x.test"
        );
        assert_eq!(q.of(TicketId(7)).config.gateway.address, "support@x.test");
        assert_eq!(
            q.of(TicketId::new(9, 1)).slot,
            0,
            "a slot no queue has: the first"
        );
        // The first queue address among To, then Cc, a plus-address counting as its own.
        assert_eq!(q.addressed(["alice@c.test", "Billing@X.test"]), Some(1));
        assert_eq!(
            q.addressed(["billing+invoices@x.test", "support@x.test"]),
            Some(1)
        );
        assert_eq!(
            q.addressed(["support+billing@x.test", "billing@x.test"]),
            Some(0)
        );
        assert_eq!(q.addressed(["alice@c.test", "help@x.test", "nobody"]), None);
    }

    #[tokio::test]
    async fn a_mail_leaves_through_the_server_of_its_queue() {
        let support = Arc::new(Recording(Mutex::default()));
        let billing = Arc::new(Recording(Mutex::default()));
        let relays = Relays::new(vec![
            ("support@x.test".into(), support.clone() as Arc<dyn Relay>),
            ("billing@x.test".into(), billing.clone() as Arc<dyn Relay>),
        ]);
        for from in [
            "billing@x.test",
            "support@x.test",
            "Billing@X.test",
            "other@x.test",
        ] {
            relays.send(from, &[], b"").await.unwrap();
        }
        assert_eq!(
            *billing.0.lock().unwrap(),
            ["billing@x.test", "Billing@X.test"]
        );
        assert_eq!(
            *support.0.lock().unwrap(),
            ["support@x.test", "other@x.test"]
        );
    }
}
