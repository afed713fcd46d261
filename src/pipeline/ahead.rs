//! What is read of a mail ahead of its decision, asked of the store at once
//! ([`Store::look_up`](crate::store::Store::look_up)): its records under its keys and its
//! Message-ID, the ticket its subject's tag names, and the delivery facts of the addresses it
//! likely leads to mail for. On PostgreSQL that is one round trip instead of three; what the
//! decision turns out to need beyond it (a found ticket's customers, another queue's staff)
//! is read then ([`Gateway::facts_for`]).

use std::collections::HashMap;

use super::Gateway;
use crate::core::delivery::HOUR;
use crate::core::{InboundMail, Ticket, TicketId};
use crate::dedupe::MailKey;
use crate::store::{AddressFacts, DeliveryFacts, LookUp, MailRecord, StoreError};

/// What was read of one mail ahead of its decision.
pub(super) struct Ahead {
    /// The record of the mail under its dedupe keys, and the one under its Message-ID.
    pub(super) seen: [Option<MailRecord>; 2],
    /// The ticket of [`Gateway::tag_of`], when it names one that exists.
    pub(super) tagged: Option<Ticket>,
    pub(super) facts: KnownFacts,
}

/// Delivery facts already read: of some addresses, and of one sender's mails.
#[derive(Debug, Default)]
pub(super) struct KnownFacts {
    addresses: HashMap<String, AddressFacts>,
    sender: Option<(String, u32)>,
}

impl KnownFacts {
    /// Adds the answer of [`Store::delivery_facts`](crate::store::Store::delivery_facts) for
    /// `addrs` and `sender`.
    pub(super) fn add(&mut self, addrs: Vec<String>, sender: Option<&str>, read: DeliveryFacts) {
        self.addresses.extend(addrs.into_iter().zip(read.addresses));
        if let Some(s) = sender {
            self.sender = Some((s.to_string(), read.sender_mails));
        }
    }

    pub(super) fn address(&self, addr: &str) -> Option<AddressFacts> {
        self.addresses.get(addr).copied()
    }

    /// The mails of `sender` in the last hour, when they were read.
    pub(super) fn sender_mails(&self, sender: &str) -> Option<u32> {
        self.sender
            .as_ref()
            .filter(|(s, _)| s == sender)
            .map(|(_, n)| *n)
    }
}

impl Gateway {
    /// The ticket id whose ticket `mail` belongs to when it exists (SPEC §3.1): the one its
    /// subject's tag names, but for a delivery report (found by the mail it reports on).
    pub(super) fn tag_of(&self, mail: &InboundMail) -> Option<TicketId> {
        mail.delivery_report
            .is_none()
            .then(|| self.policy.ticket_in_subject(&mail.subject))
            .flatten()
    }

    /// Reads at once what deciding `mail` (of queue `queue`'s mailbox, dedupe keys `keys`)
    /// most likely needs: its records, the ticket its tag names, and the delivery facts of
    /// its sender, its To and Cc and the staff of the queues likely to decide it (the tagged
    /// ticket's, the mail's own), with its sender's mails whether or not they count.
    pub(super) fn read_ahead(
        &self,
        keys: &[MailKey],
        mail: &InboundMail,
        queue: usize,
        now: i64,
    ) -> Result<Ahead, StoreError> {
        let by_id = Vec::from_iter(mail.message_id.as_deref().map(MailKey::message_id));
        let tag = self.tag_of(mail);
        let sender = mail.from.as_ref().map(|f| f.addr.as_str());
        let mut addrs: Vec<String> = sender.iter().map(|s| s.to_string()).collect();
        addrs.extend(mail.to.iter().chain(&mail.cc).map(|a| a.addr.clone()));
        let queues = tag.map(|t| self.queues.of(t));
        for q in queues
            .into_iter()
            .chain([self.queues.of_mail(Some(mail), queue)])
        {
            addrs.extend(q.policy.staff_notify.iter().cloned());
        }
        addrs.sort_unstable();
        addrs.dedup();
        let read = self.store.look_up(&LookUp {
            seen: &[keys, &by_id],
            ticket: tag,
            addrs: &addrs,
            sender,
            since: now - HOUR,
        })?;
        let mut seen = read.seen.into_iter();
        let mut facts = KnownFacts::default();
        facts.add(addrs, sender, read.facts);
        Ok(Ahead {
            seen: [seen.next().flatten(), seen.next().flatten()],
            tagged: read.ticket,
            facts,
        })
    }
}
