//! The contract of [`Store::look_up`]: each part of its answer is what the read of the same
//! name answers alone, before a flush (the batch's uncommitted writes) and after it.

use super::{full_ticket, record, ticket, Backend};
use crate::core::{State, TicketId};
use crate::dedupe::MailKey;
use crate::store::{AddressFacts, Commit, LookUp, LookedUp, MailRecord, Store};

/// [`Store::look_up`] of `q`, checked against the reads of each part alone.
fn looked_up(s: &dyn Store, q: &LookUp<'_>) -> LookedUp {
    let got = s.look_up(q).unwrap();
    let alone = LookedUp {
        seen: s.mail_seen_each(q.seen).unwrap(),
        ticket: q.ticket.and_then(|id| s.ticket(id).unwrap()),
        facts: s.delivery_facts(q.addrs, q.sender, q.since).unwrap(),
    };
    assert_eq!(got, alone, "{q:?}");
    got
}

pub(crate) fn the_reads_of_a_mail_at_once_answer_as_each_read_alone(b: &dyn Backend) {
    let s = b.open();
    let flushed = MailRecord {
        message_id: Some("1@x".into()),
        fingerprint: Some("fp:1".into()),
        ..record()
    };
    s.commit(Commit {
        mail_keys: vec![MailKey::message_id("1@x")],
        mail: Some(flushed.clone()),
        ticket: Some(ticket(1, State::Open, &["1@x"])),
        replies: vec![("a@x.test".into(), 1000, 1)],
        senders: vec![("m@x.test".into(), 1000)],
        ..Default::default()
    })
    .unwrap();
    s.flush().unwrap();
    // Not flushed: a second mail and ticket, ticket 1 changed, more answers, mails and a
    // bounce.
    let open = MailRecord {
        message_id: Some("2@x".into()),
        ticket: Some(2),
        ..record()
    };
    s.commit(Commit {
        mail_keys: vec![MailKey::uid(None, 1, 2), MailKey::message_id("2@x")],
        mail: Some(open.clone()),
        ticket: Some(full_ticket(2)),
        replies: vec![("a@x.test".into(), 2000, 2), ("b@x.test".into(), 2000, 3)],
        bounces: vec![("c@x.test".into(), 9000)],
        senders: vec![("m@x.test".into(), 2000)],
        ..Default::default()
    })
    .unwrap();
    s.commit(Commit {
        ticket: Some(ticket(1, State::Resolved, &["1@x"])),
        ..Default::default()
    })
    .unwrap();
    // Single keys, and a list whose first key has no record and second has one.
    let (one, two, none) = (
        [MailKey::message_id("1@x")],
        [MailKey::message_id("2@x")],
        [MailKey::uid(None, 9, 9)],
    );
    let none_then_uid2 = [MailKey::uid(None, 9, 9), MailKey::uid(None, 1, 2)];
    let addrs: Vec<String> = ["a@x.test", "b@x.test", "c@x.test", "m@x.test", "z@x.test"]
        .map(String::from)
        .to_vec();
    let facts = |answers, bounced_until| AddressFacts {
        answers,
        bounced_until,
    };
    for flush in [false, true] {
        if flush {
            s.flush().unwrap();
        }
        let got = looked_up(
            &*s,
            &LookUp {
                seen: &[&none_then_uid2, &one, &[]],
                ticket: Some(TicketId(2)),
                addrs: &addrs,
                sender: Some("m@x.test"),
                since: 1000,
            },
        );
        assert_eq!(got.seen, [Some(open.clone()), Some(flushed.clone()), None]);
        assert_eq!(got.ticket, Some(full_ticket(2)), "flushed: {flush}");
        assert_eq!(
            got.facts.addresses,
            [
                facts(2, None),
                facts(1, None),
                facts(0, Some(9000)),
                facts(0, None),
                facts(0, None)
            ]
        );
        assert_eq!(got.facts.sender_mails, 2);
        let got = looked_up(
            &*s,
            &LookUp {
                seen: &[&two, &none],
                ticket: Some(TicketId(1)),
                addrs: &addrs[..1],
                sender: None,
                since: 1500,
            },
        );
        assert_eq!(got.seen, [Some(open.clone()), None]);
        assert_eq!(got.ticket.map(|t| t.state), Some(State::Resolved));
        assert_eq!(
            (got.facts.addresses, got.facts.sender_mails),
            (vec![facts(1, None)], 0)
        );
        // Nothing asked, or nothing there: empty answers.
        assert_eq!(looked_up(&*s, &LookUp::default()), LookedUp::default());
        let got = looked_up(
            &*s,
            &LookUp {
                seen: &[&none],
                ticket: Some(TicketId(7)),
                addrs: &addrs[4..],
                sender: Some("z@x.test"),
                since: 0,
            },
        );
        assert_eq!(
            (got.seen, got.ticket, got.facts.addresses),
            (vec![None], None, vec![facts(0, None)])
        );
    }
}
