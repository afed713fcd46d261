//! The contract of [`Store`], as tests every backend passes: one suite, run against sled (in
//! `store::tests`) and against a real PostgreSQL (in `store::postgres::tests`) through
//! [`contract_tests!`]. What only one backend has (sled's overlay and files, older layouts,
//! PostgreSQL's batch and schema) is tested beside that backend.

use std::sync::Arc;

use super::{Commit, MailRecord, OutboxEntry, OutboxStatus, Store};
use crate::core::{
    Audience, Event, EventKind, FloodItem, Lang, NoticeKind, SentMail, State, Ticket, TicketId,
};
use crate::dedupe::MailKey;

mod look_up;
pub(crate) use look_up::the_reads_of_a_mail_at_once_answer_as_each_read_alone;

/// A fresh, empty store of one backend, opened again as often as a test asks (each handle
/// dropped before the next is opened).
pub(crate) trait Backend {
    fn open(&self) -> Box<dyn Store>;
}

/// Defines one `#[test]` per contract check, each on a fresh store from `$backend`.
macro_rules! contract_tests {
    ($backend:expr) => {
        $crate::store::contract::contract_tests!(@each $backend;
            message_ids_find_their_ticket_only_through_its_thread,
            senders_and_held_notices_are_counted_and_forgotten_once_summed_up,
            a_sent_mail_is_found_only_when_the_gateway_sent_it,
            a_commit_indexes_ids_dedupes_and_survives_a_reopen,
            commits_are_read_back_before_the_flush_and_kept_by_a_close,
            outbox_updates_win_and_pending_is_what_is_left,
            an_outbox_entry_keeps_its_mail_through_updates_and_big_mails_whole,
            commits_during_flushes_are_never_out_of_sight_and_all_are_kept,
            watermarks_start_over_with_a_new_uid_validity,
            mail_records_are_found_by_the_first_key_that_matches,
            mail_records_of_several_key_lists_are_read_at_once,
            delivery_facts_of_many_addresses_are_read_at_once,
            a_customers_tickets_are_those_they_report_or_take_part_in,
            counts_and_tickets_by_state_follow_every_commit_and_send,
            each_queue_prefix_keeps_its_slot_and_numbers_its_tickets_on_its_own,
            the_reads_of_a_mail_at_once_answer_as_each_read_alone);
    };
    (@each $backend:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                crate::store::contract::$name(&$backend);
            }
        )*
    };
}
pub(crate) use contract_tests;

pub(crate) fn ticket(id: u64, state: State, thread: &[&str]) -> Ticket {
    Ticket {
        id: TicketId(id),
        summary: "s".into(),
        state,
        reporter: "a@x.test".into(),
        participants: vec![],
        language: Lang::Fr,
        created_at: 1,
        updated_at: 2,
        state_since: 3,
        reminded: false,
        automated: false,
        refers_to: None,
        thread: thread.iter().map(|s| s.to_string()).collect(),
        sent: vec![],
        events: vec![],
        reporter_name: "Jean Dupont".into(),
        fields: crate::core::Fields {
            kind: crate::core::TicketType::Incident,
            severity: crate::core::Severity::Major,
            environment: "recette".into(),
            version: "10.2".into(),
        },
        owner: Some("paul@gateway.test".into()),
    }
}

pub(crate) fn record() -> MailRecord {
    MailRecord {
        message_id: Some("m@x".into()),
        at: 5,
        ticket: Some(1),
        outcome: crate::core::MailOutcome::Ticket,
        decision: vec!["why".into()],
        fingerprint: None,
    }
}

/// A pending outgoing mail of `size` bytes.
pub(crate) fn pending(id: u64, size: u64) -> OutboxEntry {
    OutboxEntry {
        id,
        message_id: format!("{id}@gw"),
        from: "support@gw".into(),
        to: vec!["a@x.test".into()],
        ticket: None,
        kind: "acknowledgement".into(),
        created_at: 1,
        attempts: 0,
        next_attempt_at: 0,
        status: OutboxStatus::Pending,
        last_error: None,
        sent_at: None,
        size,
    }
}

/// A ticket with events, attachments and sent mails, as the pipeline writes them.
pub(crate) fn full_ticket(id: u64) -> Ticket {
    use crate::core::{AttachmentInfo, Event, EventKind};
    let mut t = ticket(id, State::WaitingForFeedback, &["m@x"]);
    t.participants = vec!["b@x.test".into()];
    t.refers_to = Some(TicketId(9));
    t.reminded = true;
    t.events = vec![
        Event {
            at: 10,
            kind: EventKind::Created,
            from: "a@x.test".into(),
            text: "Bonjour,\nça ne marche pas".into(),
            from_state: None,
            to_state: Some(State::Open),
            message_id: Some("m@x".into()),
            attachments: vec![AttachmentInfo {
                name: "log.txt".into(),
                content_type: "text/plain".into(),
                size: 12,
                sha256: "ab".repeat(32),
            }],
            decision: vec![],
        },
        Event {
            at: 20,
            kind: EventKind::StaffComment,
            from: "staff@gw".into(),
            text: "Which version?".into(),
            from_state: Some(State::Open),
            to_state: Some(State::WaitingForFeedback),
            message_id: None,
            attachments: vec![],
            decision: vec![],
        },
    ];
    t.sent = vec![SentMail {
        message_id: "s@gw".into(),
        outbox: 4,
        audience: Audience::Customers,
        to: Some("a@x.test".into()),
    }];
    t
}

pub(crate) fn message_ids_find_their_ticket_only_through_its_thread(b: &dyn Backend) {
    let ours = TicketId(1).message_id([7; 16], "gw.test");
    let forged = TicketId(1).message_id([8; 16], "gw.test");
    {
        let s = b.open();
        // A new ticket from mail m@x, with the gateway's answer, and a stray id.
        s.commit(Commit {
            mail_keys: vec![MailKey::message_id("m@x")],
            mail: Some(record()),
            ticket: Some(ticket(1, State::Open, &["m@x", &ours, "stray@x"])),
            ..Default::default()
        })
        .unwrap();
        // A reply r@x: the first three ids are known, only r@x is new.
        s.commit(Commit {
            mail_keys: vec![MailKey::message_id("r@x")],
            mail: Some(MailRecord {
                message_id: Some("r@x".into()),
                ..record()
            }),
            ticket: Some(ticket(1, State::Open, &["m@x", &ours, "stray@x", "r@x"])),
            known_ids: 3,
            ..Default::default()
        })
        .unwrap();
        // An ignored mail: its record names no ticket.
        s.commit(Commit {
            mail_keys: vec![MailKey::message_id("ignored@x")],
            mail: Some(MailRecord {
                message_id: Some("ignored@x".into()),
                ticket: None,
                ..record()
            }),
            ..Default::default()
        })
        .unwrap();
        s.flush().unwrap();
    }
    let s = b.open();
    for id in ["m@x", ours.as_str(), "stray@x", "r@x"] {
        assert_eq!(
            s.ticket_by_message_id(&["unknown@x".into(), id.into()])
                .unwrap(),
            Some(TicketId(1)),
            "{id}"
        );
    }
    for id in [forged.as_str(), "ignored@x", "unknown@x"] {
        assert_eq!(
            s.ticket_by_message_id(&[id.into()]).unwrap(),
            None,
            "{id}: the gateway's form, or a mail's record, counts only with the thread"
        );
    }
}

pub(crate) fn senders_and_held_notices_are_counted_and_forgotten_once_summed_up(b: &dyn Backend) {
    let s = b.open();
    let item = |n: u64| FloodItem {
        sender: "m@evil.test".into(),
        ticket: TicketId(n),
        summary: format!("Flood {n}"),
        kind: NoticeKind::NewTicket,
        at: 1000 + n as i64,
    };
    let max = super::schema::FLOOD_ITEMS_MAX as u64;
    for n in 0..(max + 5) {
        s.commit(Commit {
            senders: vec![("m@evil.test".into(), 1000 + n as i64)],
            flood: vec![item(n)],
            ..Default::default()
        })
        .unwrap();
    }
    assert_eq!(s.sender_mails_since("m@evil.test", 0).unwrap(), 105);
    assert_eq!(s.sender_mails_since("m@evil.test", 1100).unwrap(), 5);
    assert_eq!(s.sender_mails_since("a@x.test", 0).unwrap(), 0);
    let flood = s.flood().unwrap();
    assert_eq!(flood.len(), 1);
    let (sender, items, more) = &flood[0];
    assert_eq!(
        (sender.as_str(), items.len(), *more),
        ("m@evil.test", 100, 5)
    );
    assert_eq!(items[0], item(0));
    s.commit(Commit {
        flood_sent: vec!["m@evil.test".into()],
        ..Default::default()
    })
    .unwrap();
    assert!(s.flood().unwrap().is_empty());
    // Two hours after, the old mails are forgotten.
    s.commit(Commit {
        senders: vec![("m@evil.test".into(), 1100 + 3 * 3600)],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.sender_mails_since("m@evil.test", 0).unwrap(), 1);
}

pub(crate) fn a_sent_mail_is_found_only_when_the_gateway_sent_it(b: &dyn Backend) {
    let ack = TicketId(1).message_id([1; 16], "gw.test");
    let queued = TicketId(1).message_id([2; 16], "gw.test");
    let forged = TicketId(1).message_id([3; 16], "gw.test");
    let s = b.open();
    let mut t = ticket(1, State::Open, &["m@x", &ack, &queued, &forged]);
    for (id, outbox) in [(&ack, 10), (&queued, 11)] {
        t.sent.push(SentMail {
            message_id: id.clone(),
            outbox,
            audience: Audience::Customers,
            to: None,
        });
    }
    let sent = OutboxEntry {
        message_id: ack.clone(),
        ticket: Some(1),
        to: vec!["a@x.test".into()],
        status: OutboxStatus::Sent,
        ..pending(10, 1)
    };
    let waiting = OutboxEntry {
        message_id: queued.clone(),
        ticket: Some(1),
        ..pending(11, 1)
    };
    s.commit(Commit {
        ticket: Some(t),
        outbox: vec![(sent, b"x".to_vec()), (waiting, b"y".to_vec())],
        ..Default::default()
    })
    .unwrap();
    let found = s
        .sent_mail(&ack)
        .unwrap()
        .expect("the acknowledgement was sent");
    assert_eq!(
        (found.ticket, found.to, found.audience),
        (
            TicketId(1),
            vec!["a@x.test".to_string()],
            Audience::Customers
        )
    );
    for id in [queued.as_str(), forged.as_str(), "m@x"] {
        assert_eq!(s.sent_mail(id).unwrap(), None, "{id}");
    }
}

/// SPEC §5.4: a prefix's slot is given once and kept (the first one 0, the slot of the
/// tickets of a store made before queues), and each slot counts its own tickets from 1.
pub(crate) fn each_queue_prefix_keeps_its_slot_and_numbers_its_tickets_on_its_own(b: &dyn Backend) {
    let bil1 = TicketId::new(1, 1);
    {
        let s = b.open();
        assert_eq!(s.queue_slots().unwrap(), vec![]);
        assert_eq!(s.queue_slot("SUP").unwrap(), 0);
        assert_eq!(s.queue_slot("BIL").unwrap(), 1);
        assert_eq!(
            s.queue_slot("SUP").unwrap(),
            0,
            "asked again, the same slot"
        );
        assert_eq!(s.next_ticket_id_in(0).unwrap(), TicketId(1));
        assert_eq!(s.next_ticket_id_in(1).unwrap(), bil1);
        for (id, key) in [(1, "a"), (2, "b"), (bil1.0, "c")] {
            s.commit(Commit {
                mail_keys: vec![MailKey::message_id(key)],
                mail: Some(record()),
                ticket: Some(ticket(id, State::Open, &[])),
                ..Default::default()
            })
            .unwrap();
        }
        // Read back before the flush, and each slot on its own.
        assert_eq!(s.next_ticket_id().unwrap(), TicketId(3));
        assert_eq!(s.next_ticket_id_in(1).unwrap(), TicketId::new(1, 2));
        assert_eq!(s.next_ticket_id_in(2).unwrap(), TicketId::new(2, 1));
        s.flush().unwrap();
    }
    let s = b.open();
    assert_eq!(
        s.queue_slots().unwrap(),
        vec![(0, "SUP".to_string()), (1, "BIL".to_string())]
    );
    assert_eq!(s.queue_slot("BIL").unwrap(), 1);
    assert_eq!(s.queue_slot("OPS").unwrap(), 2, "the next free slot");
    assert_eq!(s.next_ticket_id().unwrap(), TicketId(3));
    assert_eq!(s.next_ticket_id_in(1).unwrap(), TicketId::new(1, 2));
    assert_eq!(s.ticket(bil1).unwrap().unwrap().id, bil1);
}

pub(crate) fn a_commit_indexes_ids_dedupes_and_survives_a_reopen(b: &dyn Backend) {
    {
        let s = b.open();
        assert_eq!(s.next_ticket_id().unwrap(), TicketId(1));
        s.commit(Commit {
            mail_keys: vec![MailKey::uid(None, 7, 1), MailKey::message_id("m@x")],
            mail: Some(record()),
            ticket: Some(ticket(1, State::WaitingForFeedback, &["m@x", "out@gw"])),
            replies: vec![("a@x.test".into(), 100, 1), ("a@x.test".into(), 100, 2)],
            bounces: vec![("b@x.test".into(), 500)],
            ..Default::default()
        })
        .unwrap();
        s.set_watermark("INBOX", 7, 42).unwrap();
        s.flush().unwrap();
    }
    let s = b.open();
    assert_eq!(s.next_ticket_id().unwrap(), TicketId(2));
    assert_eq!(s.ticket(TicketId(1)).unwrap().unwrap().language, Lang::Fr);
    assert_eq!(
        s.ticket_by_message_id(&["zz".into(), "out@gw".into()])
            .unwrap(),
        Some(TicketId(1))
    );
    assert_eq!(
        s.mail_seen(&[MailKey::message_id("m@x")]).unwrap(),
        Some(record())
    );
    assert_eq!(s.mail_record("m@x").unwrap(), Some(record()));
    assert_eq!(s.mail_seen(&[MailKey::uid(None, 8, 1)]).unwrap(), None);
    assert_eq!(
        s.replies_since("a@x.test", 100).unwrap(),
        2,
        "two answers in the same second"
    );
    assert_eq!(s.replies_since("a@x.test", 101).unwrap(), 0);
    assert_eq!(
        s.replies_since("a@x.tes", 0).unwrap(),
        0,
        "prefix of another address"
    );
    assert_eq!(s.bounced_until("b@x.test").unwrap(), Some(500));
    assert_eq!(s.bounced_until("c@x.test").unwrap(), None);
    assert_eq!(s.watermark("INBOX", 7).unwrap(), 42);
    assert_eq!(
        s.watermark("INBOX", 8).unwrap(),
        0,
        "a new UIDVALIDITY starts over"
    );
    assert_eq!(s.timed_tickets().unwrap().len(), 1);
    s.commit(Commit {
        ticket: Some(ticket(1, State::Open, &["m@x"])),
        ..Default::default()
    })
    .unwrap();
    assert!(
        s.timed_tickets().unwrap().is_empty(),
        "open tickets have no timers"
    );
    // A ticket with its history, files and sent mails reads back the same.
    let full = full_ticket(2);
    s.commit(Commit {
        ticket: Some(full.clone()),
        ..Default::default()
    })
    .unwrap();
    let back = s.ticket(TicketId(2)).unwrap().unwrap();
    assert_eq!(format!("{back:?}"), format!("{full:?}"));
    // A later commit of the same ticket (a new event, the last one's decision log) replaces
    // what changed and keeps the rest.
    let mut more = full.clone();
    more.events[1].decision = vec![crate::core::decision::Decision::Recorded("asked".into())];
    more.events.push(crate::core::Event {
        at: 30,
        text: "v10".into(),
        ..full.events[0].clone()
    });
    s.commit(Commit {
        ticket: Some(more.clone()),
        ..Default::default()
    })
    .unwrap();
    let back = s.ticket(TicketId(2)).unwrap().unwrap();
    assert_eq!(format!("{back:?}"), format!("{more:?}"));
    // Two days of answers are remembered, relative to the newest.
    s.commit(Commit {
        replies: vec![("a@x.test".into(), 100 + 3 * 86_400, 3)],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.replies_since("a@x.test", 0).unwrap(), 1);
}

pub(crate) fn commits_are_read_back_before_the_flush_and_kept_by_a_close(b: &dyn Backend) {
    let s = b.open();
    let commit = |t: Ticket, id: &str| Commit {
        mail_keys: vec![MailKey::message_id(id)],
        mail: Some(record()),
        ticket: Some(t),
        replies: vec![("a@x.test".into(), 100, 1)],
        ..Default::default()
    };
    s.commit(commit(ticket(1, State::Open, &["one@x"]), "1"))
        .unwrap();
    s.commit(commit(ticket(3, State::Resolved, &["three@x"]), "3"))
        .unwrap();
    s.flush().unwrap();
    // Not flushed: ticket 2 between two flushed ones, ticket 3 changed, ticket 1 not timed.
    s.commit(commit(
        ticket(2, State::WaitingForFeedback, &["two@x"]),
        "2",
    ))
    .unwrap();
    s.commit(Commit {
        ticket: Some(ticket(3, State::Open, &["three@x"])),
        replies: vec![("a@x.test".into(), 101, 2)],
        ..Default::default()
    })
    .unwrap();
    let ids = |ts: Vec<Ticket>| ts.iter().map(|t| (t.id.0, t.state)).collect::<Vec<_>>();
    assert_eq!(
        ids(s.tickets().unwrap()),
        [
            (1, State::Open),
            (2, State::WaitingForFeedback),
            (3, State::Open)
        ]
    );
    assert_eq!(
        ids(s.timed_tickets().unwrap()),
        [(2, State::WaitingForFeedback)]
    );
    assert_eq!(s.next_ticket_id().unwrap(), TicketId(4));
    assert_eq!(
        s.ticket_by_message_id(&["two@x".into()]).unwrap(),
        Some(TicketId(2))
    );
    assert_eq!(
        s.mail_seen(&[MailKey::message_id("2")]).unwrap(),
        Some(record())
    );
    assert_eq!(s.mails().unwrap().len(), 3);
    assert_eq!(
        s.replies_since("a@x.test", 0).unwrap(),
        2,
        "one answer per (time, id)"
    );
    assert_eq!(s.replies_since("a@x.test", 101).unwrap(), 1);
    // Dropped without a flush (a CLI command): what was committed is still saved.
    drop(s);
    let s = b.open();
    assert_eq!(s.tickets().unwrap().len(), 3);
    assert_eq!(s.ticket(TicketId(3)).unwrap().unwrap().state, State::Open);
}

pub(crate) fn outbox_updates_win_and_pending_is_what_is_left(b: &dyn Backend) {
    let s = b.open();
    let a = s.new_outbox_id().unwrap();
    let c = s.new_outbox_id().unwrap();
    assert_ne!(a, c, "ids are unique");
    s.commit(Commit {
        outbox: vec![
            (pending(1, 1), b"1".to_vec()),
            (pending(2, 1), b"2".to_vec()),
        ],
        ..Default::default()
    })
    .unwrap();
    let mut sent = pending(1, 1);
    sent.status = OutboxStatus::Sent;
    sent.sent_at = Some(77);
    sent.attempts = 1;
    s.outbox_update(&sent).unwrap();
    assert_eq!(s.outbox_entry(1).unwrap(), Some(sent.clone()));
    let ids = |es: Vec<OutboxEntry>| es.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(s.outbox_pending().unwrap()), [2]);
    assert_eq!(ids(s.outbox().unwrap()), [1, 2]);
    // A dead entry is not pending, and still not sent.
    let mut dead = pending(3, 1);
    dead.status = OutboxStatus::Dead;
    s.commit(Commit {
        outbox: vec![(pending(3, 1), b"3".to_vec())],
        ..Default::default()
    })
    .unwrap();
    s.outbox_update(&dead).unwrap();
    assert_eq!(ids(s.outbox_pending().unwrap()), [2]);
    assert_eq!(ids(s.outbox_unsent().unwrap()), [2, 3]);
    s.flush().unwrap();
    drop(s);
    let s = b.open();
    assert_eq!(ids(s.outbox_unsent().unwrap()), [2, 3]);
    assert_eq!(s.outbox_entry(1).unwrap(), Some(sent));
    assert_eq!(s.outbox_entry(4).unwrap(), None);
    assert!(s.new_outbox_id().unwrap() > 0);
}

pub(crate) fn an_outbox_entry_keeps_its_mail_through_updates_and_big_mails_whole(b: &dyn Backend) {
    let big: Vec<u8> = (0..300 * 1024u32).map(|i| b'a' + (i % 26) as u8).collect();
    {
        let s = b.open();
        s.commit(Commit {
            outbox: vec![
                (pending(1, 5), b"hello".to_vec()),
                (pending(9, big.len() as u64), big.clone()),
            ],
            ..Default::default()
        })
        .unwrap();
        // A retry's update keeps the mail (a sent mail's bytes are not read again: a backend
        // may drop them, see `outbox_sent`).
        let mut e = s.outbox_entry(1).unwrap().unwrap();
        e.attempts = 2;
        e.last_error = Some("451 try later".into());
        s.outbox_update(&e).unwrap();
        assert_eq!(s.outbox_raw(9).unwrap().as_ref(), Some(&big));
        s.flush().unwrap();
        assert_eq!(s.outbox_entry(1).unwrap(), Some(e));
        assert_eq!(s.outbox_raw(1).unwrap().as_deref(), Some(&b"hello"[..]));
    }
    let s = b.open();
    assert_eq!(s.outbox_raw(9).unwrap(), Some(big));
    assert_eq!(s.outbox_entry(9).unwrap().unwrap().size, 300 * 1024);
    assert_eq!(s.outbox_raw(10).unwrap(), None);
}

pub(crate) fn commits_during_flushes_are_never_out_of_sight_and_all_are_kept(b: &dyn Backend) {
    commits_during_flushes_are_kept(b, 600);
}

/// `n` commits, each read back at once, while another thread flushes; all are there after a
/// reopen.
pub(crate) fn commits_during_flushes_are_kept(b: &dyn Backend, n: u64) {
    let s: Arc<dyn Store> = Arc::from(b.open());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flusher = {
        let (s, stop) = (s.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut flushes = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                s.flush().unwrap();
                flushes += 1;
            }
            flushes
        })
    };
    for i in 1..=n {
        let mid = format!("m{i}@x");
        s.commit(Commit {
            mail_keys: vec![MailKey::message_id(&mid)],
            mail: Some(record()),
            ticket: Some(ticket(i, State::Open, &[&mid])),
            ..Default::default()
        })
        .unwrap();
        // Whatever the flusher is doing, the commit is visible at once.
        assert_eq!(s.next_ticket_id().unwrap(), TicketId(i + 1));
        assert_eq!(s.ticket_by_message_id(&[mid]).unwrap(), Some(TicketId(i)));
        if i % 100 == 0 {
            assert_eq!(s.tickets().unwrap().len() as u64, i);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(flusher.join().unwrap() > 0);
    s.flush().unwrap();
    drop(s);
    let s = b.open();
    assert_eq!(s.tickets().unwrap().len() as u64, n);
    assert_eq!(s.mails().unwrap().len() as u64, n);
}

pub(crate) fn watermarks_start_over_with_a_new_uid_validity(b: &dyn Backend) {
    let s = b.open();
    assert_eq!(s.watermark("INBOX", 7).unwrap(), 0, "none yet");
    s.set_watermark("INBOX", 7, 42).unwrap();
    s.set_watermark("Other", 7, 5).unwrap();
    assert_eq!(s.watermark("INBOX", 7).unwrap(), 42);
    assert_eq!(
        s.watermark("INBOX", 8).unwrap(),
        0,
        "a new UIDVALIDITY starts over"
    );
    s.set_watermark("INBOX", u32::MAX, u32::MAX).unwrap();
    assert_eq!(s.watermark("INBOX", u32::MAX).unwrap(), u32::MAX);
    assert_eq!(s.watermark("Other", 7).unwrap(), 5);
}

pub(crate) fn mail_records_are_found_by_the_first_key_that_matches(b: &dyn Backend) {
    let s = b.open();
    let first = MailRecord {
        message_id: Some("a@x".into()),
        fingerprint: Some("fp:1".into()),
        ..record()
    };
    let second = MailRecord {
        message_id: Some("b@x".into()),
        ticket: None,
        outcome: crate::core::MailOutcome::Quarantined,
        decision: vec!["one".into(), "two".into()],
        ..record()
    };
    s.commit(Commit {
        mail_keys: vec![MailKey::message_id("a@x"), MailKey::uid(None, 1, 1)],
        mail: Some(first.clone()),
        ..Default::default()
    })
    .unwrap();
    s.commit(Commit {
        mail_keys: vec![MailKey::message_id("b@x"), MailKey::uid(None, 1, 2)],
        mail: Some(second.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        s.mail_seen(&[MailKey::uid(None, 1, 2), MailKey::message_id("a@x")])
            .unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        s.mail_seen(&[MailKey::uid(None, 9, 9), MailKey::message_id("a@x")])
            .unwrap(),
        Some(first.clone())
    );
    let mails = s.mails().unwrap();
    assert_eq!(mails.len(), 4, "one per key");
    let keys: Vec<&str> = mails.iter().map(|(k, _)| k.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "in key order");
}

pub(crate) fn delivery_facts_of_many_addresses_are_read_at_once(b: &dyn Backend) {
    use super::facts::AddressFacts;
    let s = b.open();
    // One mail of each sender and one answer to each address a commit, as the pipeline
    // commits them.
    for (reply, sender) in [
        (("a@x.test", 1000, 1), Some(1000)),
        (("a@x.test", 2000, 2), Some(3000)),
        (("b@x.test", 500, 3), None),
    ] {
        s.commit(Commit {
            replies: vec![(reply.0.into(), reply.1, reply.2)],
            senders: sender
                .map(|at| ("m@x.test".into(), at))
                .into_iter()
                .collect(),
            ..Default::default()
        })
        .unwrap();
    }
    s.commit(Commit {
        bounces: vec![("c@x.test".into(), 9000)],
        ..Default::default()
    })
    .unwrap();
    let addrs: Vec<String> = [
        "a@x.test",
        "b@x.test",
        "c@x.test",
        "none@x.test",
        "m@x.test",
    ]
    .map(String::from)
    .to_vec();
    let facts = |answers: u32, bounced_until: Option<i64>| AddressFacts {
        answers,
        bounced_until,
    };
    // Read back in the commits' batch, and from the disk or database after the flush.
    for flushed in [false, true] {
        if flushed {
            s.flush().unwrap();
        }
        let got = s.delivery_facts(&addrs, Some("m@x.test"), 1000).unwrap();
        assert_eq!(
            got.addresses,
            [
                facts(2, None),
                facts(0, None),
                facts(0, Some(9000)),
                facts(0, None),
                facts(0, None)
            ],
            "flushed: {flushed}"
        );
        assert_eq!(got.sender_mails, 2, "flushed: {flushed}");
        let later = s
            .delivery_facts(&addrs[..1], Some("m@x.test"), 1500)
            .unwrap();
        assert_eq!(
            (later.addresses, later.sender_mails),
            (vec![facts(1, None)], 1)
        );
        let none = s.delivery_facts(&[], None, 0).unwrap();
        assert_eq!((none.addresses.len(), none.sender_mails), (0, 0));
        let unknown = s.delivery_facts(&[], Some("a@x.test"), 0).unwrap();
        assert_eq!(
            unknown.sender_mails, 0,
            "answers are not mails from the address"
        );
    }
    // The same as the methods that read one address each.
    for (a, f) in addrs
        .iter()
        .zip(s.delivery_facts(&addrs, None, 1000).unwrap().addresses)
    {
        assert_eq!(s.replies_since(a, 1000).unwrap(), f.answers, "{a}");
        assert_eq!(s.bounced_until(a).unwrap(), f.bounced_until, "{a}");
    }
}

pub(crate) fn mail_records_of_several_key_lists_are_read_at_once(b: &dyn Backend) {
    let s = b.open();
    let first = MailRecord {
        message_id: Some("a@x".into()),
        fingerprint: Some("fp:1".into()),
        ..record()
    };
    let second = MailRecord {
        message_id: Some("b@x".into()),
        ticket: None,
        ..record()
    };
    for (r, uid) in [(&first, 1), (&second, 2)] {
        let id = r.message_id.as_deref().unwrap();
        s.commit(Commit {
            mail_keys: vec![MailKey::message_id(id), MailKey::uid(None, 1, uid)],
            mail: Some(r.clone()),
            ..Default::default()
        })
        .unwrap();
    }
    let (a, b2, none) = (
        MailKey::message_id("a@x"),
        MailKey::uid(None, 1, 2),
        MailKey::uid(None, 9, 9),
    );
    let lists: [&[MailKey]; 5] = [
        &[b2.clone(), a.clone()],
        &[],
        std::slice::from_ref(&none),
        &[none.clone(), a.clone()],
        &[a, b2],
    ];
    let want = [
        Some(second.clone()),
        None,
        None,
        Some(first.clone()),
        Some(first),
    ];
    assert_eq!(s.mail_seen_each(&lists).unwrap(), want);
    s.flush().unwrap();
    assert_eq!(s.mail_seen_each(&lists).unwrap(), want);
    for (keys, want) in lists.iter().zip(&want) {
        assert_eq!(&s.mail_seen(keys).unwrap(), want, "{keys:?}");
    }
    assert!(s.mail_seen_each(&[]).unwrap().is_empty());
}

pub(crate) fn a_customers_tickets_are_those_they_report_or_take_part_in(b: &dyn Backend) {
    let s = b.open();
    let mut one = ticket(1, State::Open, &["1@x"]);
    one.participants = vec!["b@x.test".into()];
    let mut two = ticket(2, State::Resolved, &["2@x"]);
    two.reporter = "b@x.test".into();
    let mut three = ticket(3, State::Open, &["3@x"]);
    three.reporter = "c@x.test".into();
    three.participants = vec!["bb@x.test".into()];
    for t in [one, two, three] {
        s.commit(Commit {
            ticket: Some(t),
            ..Default::default()
        })
        .unwrap();
    }
    let ids =
        |addr: &str| -> Vec<u64> { s.tickets_of(addr).unwrap().iter().map(|t| t.id.0).collect() };
    assert_eq!(ids("a@x.test"), [1]);
    assert_eq!(ids("b@x.test"), [1, 2]);
    assert_eq!(
        ids("b@x.tes"),
        Vec::<u64>::new(),
        "a prefix is another address"
    );
    // Taken off a ticket: no longer one of theirs.
    let mut one = ticket(1, State::Open, &["1@x"]);
    one.participants = vec![];
    s.commit(Commit {
        ticket: Some(one),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(ids("b@x.test"), [2]);
    // Joining a ticket whose stored customers the commit names as known: the newcomer is
    // indexed, the others stay.
    let mut three = ticket(3, State::Open, &["3@x"]);
    three.reporter = "c@x.test".into();
    three.participants = vec!["bb@x.test".into(), "d@x.test".into()];
    s.commit(Commit {
        ticket: Some(three),
        known_customers: vec!["c@x.test".into(), "bb@x.test".into()],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(ids("d@x.test"), [3]);
    assert_eq!((ids("c@x.test"), ids("bb@x.test")), (vec![3], vec![3]));
}

/// An escalation event of a service level, as `core::sla` adds it.
pub(crate) fn escalation(level: &str) -> Event {
    Event {
        at: 9,
        kind: EventKind::Escalation,
        from: "support@gw".into(),
        text: level.into(),
        from_state: None,
        to_state: None,
        message_id: None,
        attachments: vec![],
        decision: vec![],
    }
}

/// The ids of the tickets `visit_tickets_in` hands over, each checked to be in `st`.
fn ids_in(s: &dyn Store, st: State) -> Vec<u64> {
    let mut ids = Vec::new();
    s.visit_tickets_in(st, &mut |t| {
        assert_eq!(t.state, st);
        ids.push(t.id.0);
        Ok(())
    })
    .unwrap();
    // The index alone gives the same ids, newest first, and the newest two when asked.
    let of = |limit| -> Vec<u64> {
        s.ticket_ids(Some(st), limit)
            .unwrap()
            .iter()
            .map(|t| t.0)
            .collect()
    };
    let newest_first: Vec<u64> = ids.iter().rev().copied().collect();
    assert_eq!(of(0), newest_first, "{st:?}");
    assert_eq!(
        of(2),
        newest_first.iter().take(2).copied().collect::<Vec<_>>()
    );
    ids
}

pub(crate) fn counts_and_tickets_by_state_follow_every_commit_and_send(b: &dyn Backend) {
    let s = b.open();
    let n =
        |c: &super::Counts, st: State| c.tickets[State::ALL.iter().position(|x| *x == st).unwrap()];
    let put = |t: Ticket| {
        s.commit(Commit {
            ticket: Some(t),
            ..Default::default()
        })
        .unwrap()
    };
    put(ticket(1, State::Open, &["a@x"]));
    put(ticket(2, State::Open, &["b@x"]));
    put(ticket(3, State::Closed, &["c@x"]));
    let c = s.counts().unwrap();
    assert_eq!((n(&c, State::Open), n(&c, State::Closed)), (2, 1));
    assert_eq!(c.sla_breaches, [0, 0]);
    assert_eq!(ids_in(&*s, State::Open), [1, 2]);

    // Ticket 1 escalates its first response and moves on; once escalated it stays counted
    // however often it is committed again.
    let mut t = ticket(1, State::InProgress, &["a@x"]);
    t.events.push(escalation("first_response"));
    put(t.clone());
    put(t.clone());
    t.events.push(escalation("resolution"));
    t.state = State::Resolved;
    put(t);
    let mut t2 = ticket(2, State::Open, &["b@x"]);
    t2.events.push(escalation("first_response"));
    put(t2);
    let c = s.counts().unwrap();
    assert_eq!(n(&c, State::Open), 1);
    assert_eq!((n(&c, State::InProgress), n(&c, State::Resolved)), (0, 1));
    assert_eq!(c.sla_breaches, [2, 1]);
    assert_eq!(ids_in(&*s, State::Open), [2]);
    assert_eq!(ids_in(&*s, State::Resolved), [1]);
    assert!(ids_in(&*s, State::InProgress).is_empty());

    // More tickets of a state than a backend reads at once, handed over in id order.
    for id in 100..=350 {
        put(ticket(id, State::Reopened, &[]));
    }
    assert_eq!(
        ids_in(&*s, State::Reopened),
        (100..=350).collect::<Vec<_>>()
    );
    // Every ticket's id, newest first, without a state; the newest three across states.
    let all = |limit| -> Vec<u64> {
        s.ticket_ids(None, limit)
            .unwrap()
            .iter()
            .map(|t| t.0)
            .collect()
    };
    let mut expected: Vec<u64> = [1, 2, 3].into_iter().chain(100..=350).collect();
    expected.reverse();
    assert_eq!(all(0), expected);
    assert_eq!(all(3), [350, 349, 348]);

    // The outbox: pending and dead, a send recorded as it completes.
    s.commit(Commit {
        outbox: vec![
            (pending(10, 1), b"10".to_vec()),
            (pending(11, 1), b"11".to_vec()),
            (pending(12, 1), b"12".to_vec()),
        ],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        (s.counts().unwrap().pending, s.counts().unwrap().dead),
        (3, 0)
    );
    let mut sent = pending(10, 1);
    sent.status = OutboxStatus::Sent;
    sent.sent_at = Some(40);
    sent.attempts = 1;
    s.outbox_sent(&sent).unwrap();
    let mut dead = pending(11, 1);
    dead.status = OutboxStatus::Dead;
    dead.attempts = 5;
    s.outbox_update(&dead).unwrap();
    let c = s.counts().unwrap();
    assert_eq!((c.pending, c.dead), (1, 1));
    assert_eq!(s.outbox_entry(10).unwrap(), Some(sent.clone()));
    s.flush().unwrap();
    drop(s);

    let s = b.open();
    let c = s.counts().unwrap();
    assert_eq!((c.pending, c.dead), (1, 1));
    assert_eq!(c.sla_breaches, [2, 1]);
    assert_eq!((n(&c, State::Open), n(&c, State::Resolved)), (1, 1));
    assert_eq!(ids_in(&*s, State::Closed), [3]);
    assert_eq!(s.outbox_entry(10).unwrap(), Some(sent));
}
