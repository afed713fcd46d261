//! [`Store::look_up`] as one pipeline: the query of the mail's records, of its ticket and of
//! its delivery facts go to the server together and their answers come back together — one
//! round trip for the reads of a mail instead of one per read (the time of a backlog is in
//! round trips, not in the server's work). The queries are those of the single reads, and
//! their answers are read the same way.

use futures::future::join3;
use tokio_postgres::Row;

use super::session::Session;
use super::{cleaned, id, mail_of, sql, ticket_of};
use crate::store::{AddressFacts, DeliveryFacts, LookUp, LookedUp, MailRecord, StoreError};

/// The parameters of [`sql::MAILS_SEEN`]: every key, and the number of its list.
pub(super) fn seen_params(lists: &[&[crate::dedupe::MailKey]]) -> (Vec<String>, Vec<i32>) {
    let (mut keys, mut list) = (Vec::new(), Vec::new());
    for (n, k) in lists.iter().enumerate() {
        keys.extend(k.iter().map(|k| cleaned(k)));
        list.extend(std::iter::repeat_n(n as i32, k.len()));
    }
    (keys, list)
}

/// The answer of [`sql::MAILS_SEEN`] for `lists` lists.
pub(super) fn seen_of(rows: &[Row], lists: usize) -> Result<Vec<Option<MailRecord>>, StoreError> {
    let mut seen = vec![None; lists];
    for r in rows {
        seen[r.get::<_, i32>(0) as usize] = Some(mail_of(r, 1)?);
    }
    Ok(seen)
}

/// The parameters of [`sql::DELIVERY_FACTS`] but the time: the addresses and the sender.
pub(super) fn facts_params(
    addrs: &[String],
    sender: Option<&str>,
) -> (Vec<String>, Option<String>) {
    (
        addrs.iter().map(|a| cleaned(a)).collect(),
        sender.map(cleaned),
    )
}

/// The answer of [`sql::DELIVERY_FACTS`] for `addrs` addresses.
pub(super) fn facts_of(rows: &[Row], addrs: usize) -> DeliveryFacts {
    let mut facts = DeliveryFacts {
        addresses: vec![AddressFacts::default(); addrs],
        sender_mails: 0,
    };
    for r in rows {
        let (n, count) = (r.get::<_, i64>(0) as usize, r.get::<_, i64>(1) as u32);
        match n.checked_sub(1).and_then(|i| facts.addresses.get_mut(i)) {
            Some(a) => {
                a.answers = count;
                a.bounced_until = r.get(2);
            }
            None => facts.sender_mails = count,
        }
    }
    facts
}

/// Sends the reads of `q` together on `s` and waits for all their answers. Statements are
/// prepared first (once per connection).
pub(super) fn run(s: &mut Session, q: &LookUp<'_>) -> Result<LookedUp, StoreError> {
    let seen_st = s.statement(sql::MAILS_SEEN)?;
    let ticket_st = match q.ticket {
        Some(t) => Some((s.statement(sql::TICKET)?, id(t.0))),
        None => None,
    };
    let facts_st = s.statement(sql::DELIVERY_FACTS)?;
    let (keys, lists) = seen_params(q.seen);
    let (addrs, sender) = facts_params(q.addrs, q.sender);
    let client = &s.client;
    // `join3` polls the three in order: each query is sent when it is first polled, so the
    // server receives them one after another, without waiting.
    let (seen, ticket, facts) = s.driver.wait(join3(
        client.query(&seen_st, &[&keys, &lists]),
        async {
            match &ticket_st {
                Some((st, t)) => client.query_opt(st, &[t]).await,
                None => Ok(None),
            }
        },
        client.query(&facts_st, &[&addrs, &q.since, &sender]),
    ));
    let map = StoreError::Postgres;
    Ok(LookedUp {
        seen: seen_of(&seen.map_err(map)?, q.seen.len())?,
        ticket: ticket
            .map_err(map)?
            .map(|r| ticket_of(r.get(0)))
            .transpose()?,
        facts: facts_of(&facts.map_err(map)?, q.addrs.len()),
    })
}
