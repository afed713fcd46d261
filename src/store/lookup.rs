//! What the pipeline reads of one mail before it decides it, asked in one call
//! ([`Store::look_up`]): whether the mail was processed before, the ticket its subject's tag
//! names, and the delivery facts of the addresses it may lead to mail for. A store whose
//! reads are round trips to a server answers them together; [`one_by_one`] is the answer of
//! a store whose reads are cheap.

use super::{DeliveryFacts, MailRecord, Store, StoreError};
use crate::core::{Ticket, TicketId};
use crate::dedupe::MailKey;

/// The reads of [`Store::look_up`]: each is the call of the same name's.
#[derive(Debug, Clone, Copy, Default)]
pub struct LookUp<'a> {
    /// The key lists of [`Store::mail_seen_each`].
    pub seen: &'a [&'a [MailKey]],
    /// The ticket of [`Store::ticket`], when there is one to read.
    pub ticket: Option<TicketId>,
    /// The addresses, counted sender and time of [`Store::delivery_facts`].
    pub addrs: &'a [String],
    pub sender: Option<&'a str>,
    pub since: i64,
}

/// The answer of [`Store::look_up`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LookedUp {
    /// One for each key list asked, in the order asked.
    pub seen: Vec<Option<MailRecord>>,
    /// The ticket asked for (`None` when none was asked for or there is none).
    pub ticket: Option<Ticket>,
    pub facts: DeliveryFacts,
}

/// [`Store::look_up`] through the methods that read each part.
pub(super) fn one_by_one<S: Store + ?Sized>(s: &S, q: &LookUp<'_>) -> Result<LookedUp, StoreError> {
    Ok(LookedUp {
        seen: s.mail_seen_each(q.seen)?,
        ticket: match q.ticket {
            Some(id) => s.ticket(id)?,
            None => None,
        },
        facts: s.delivery_facts(q.addrs, q.sender, q.since)?,
    })
}
