//! `ticket-gateway migrate --to URL`: a whole sled store copied into an empty PostgreSQL
//! database (SPEC §5.5), verified table by table before it is committed.
//!
//! Every tree the daemon reads is copied: tickets (with their events, fields, owner, service
//! level escalations and the metadata of their attachments), the Message-ID index, the
//! processed-mail records under each of their dedupe keys, the outbox (pending, sent and
//! dead, with each mail's bytes), the automatic-answer log (rate limit), the senders' log
//! (flood rule), held staff notices, bounce pauses, the UID watermarks and the queues'
//! registry (each tag prefix's slot, SPEC §5.4). The ticket number counters need no copy:
//! the database numbers each slot after its highest ticket, and the check says that gives,
//! in every slot, the number sled would have given. The index by state, the index by
//! customer, the index of unsent outgoing mails and the counts are derived; the database
//! keeps its own. Attachment bytes are not copied:
//! they stay files under the state directory, which the PostgreSQL store reads alike.
//!
//! The copy is one transaction (`postgres::load`): it refuses a database that holds any row,
//! and what it wrote is counted in that transaction and compared with what sled holds
//! before it commits, so a failed or partial copy leaves the database empty.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::postgres::load::{Loader, OutboxRows, TABLES};
use super::schema::*;
use super::{corrupt, reply_log, DatabaseUrl, SledStore, Store, StoreError, T};
use crate::core::{Ticket, TicketId};

/// Tickets written per statement (their events and attachments go with them).
const TICKETS_PER_BATCH: usize = 500;
/// Rows of the small tables per statement.
const ROWS_PER_BATCH: usize = 5_000;
/// Outgoing mails per statement, and the bytes of their mails at most (one mail over it
/// goes alone).
const OUTBOX_PER_BATCH: usize = 1_000;
const OUTBOX_BYTES_PER_BATCH: usize = 16 << 20;

/// What a copy found and wrote, table by table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// (what, in sled, in PostgreSQL), in the order of the database's tables, then the
    /// outbox by status and the next ticket number of each slot.
    pub rows: Vec<(String, u64, u64)>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{url} is not empty ({rows}): migrate copies into an empty database only; \
         create a new one (CREATE DATABASE …) or give one that holds no tickets"
    )]
    NotEmpty { url: String, rows: String },
    #[error("the copy to {url} does not verify, nothing was kept: {mismatches}")]
    Mismatch { url: String, mismatches: String },
}

/// How many records of each kind sled holds, as counted while copying.
#[derive(Default)]
struct Seen {
    tickets: u64,
    events: u64,
    attachments: u64,
    message_ids: u64,
    mails: u64,
    mail_keys: u64,
    outbox: [u64; 3],
    answers: u64,
    sender_mails: u64,
    bounces: u64,
    held: u64,
    watermarks: u64,
    queues: u64,
    /// The slots of the tickets copied.
    slots: BTreeSet<u32>,
}

/// Copies `from` into the empty database at `to`, in one transaction, and verifies it.
pub fn copy_to_postgres(from: &SledStore, to: &DatabaseUrl) -> Result<CopyReport, CopyError> {
    let started = Instant::now();
    let mut load = Loader::begin(to)?;
    let found: Vec<String> = load
        .counts()?
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("{t}: {n} rows"))
        .collect();
    if !found.is_empty() {
        return Err(CopyError::NotEmpty {
            url: to.to_string(),
            rows: found.join(", "),
        });
    }
    let mut seen = Seen::default();
    let queues = from.queue_slots()?;
    seen.queues = queues.len() as u64;
    load.queues(queues.clone())?;
    copy_tickets(from, &mut load, &mut seen)?;
    copy_mails(from, &mut load, &mut seen)?;
    copy_outbox(from, &mut load, &mut seen)?;
    copy_logs(from, &mut load, &mut seen)?;

    let counted = load.counts()?;
    let by_status = load.outbox_by_status()?;
    let expected = [
        seen.tickets,
        seen.events,
        seen.attachments,
        seen.message_ids,
        seen.mails,
        seen.mail_keys,
        seen.outbox.iter().sum(),
        seen.answers,
        seen.sender_mails,
        seen.bounces,
        seen.held,
        seen.watermarks,
        seen.queues,
    ];
    let mut rows: Vec<(String, u64, u64)> = TABLES
        .iter()
        .zip(expected)
        .zip(counted)
        .map(|((t, e), (_, n))| (t.to_string(), e, n))
        .collect();
    for (i, what) in ["outbox pending", "outbox sent", "outbox dead"]
        .into_iter()
        .enumerate()
    {
        rows.push((what.into(), seen.outbox[i], by_status[i]));
    }
    // Every slot that has a prefix or a ticket, and slot 0 (a store from before queues).
    let slots: BTreeSet<u32> = queues
        .iter()
        .map(|(slot, _)| *slot)
        .chain(seen.slots.iter().copied())
        .chain([0])
        .collect();
    for slot in slots {
        let what = match queues.iter().find(|(s, _)| *s == slot) {
            Some((_, prefix)) => format!("next {prefix} number"),
            None if slot == 0 => "next ticket number".into(),
            None => format!("next number, slot {slot}"),
        };
        let sled_next = from.next_ticket_id_in(slot)?.0;
        let pg_next = load.next_ticket_id_in(slot)?;
        // Shown as the numbers their tags carry when both are ids of the slot.
        let (a, b) = (TicketId(sled_next), TicketId(pg_next));
        if a.slot() == slot && b.slot() == slot {
            rows.push((what, a.number(), b.number()));
        } else {
            rows.push((what, a.0, b.0));
        }
    }
    let mut mismatches: Vec<String> = rows
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(t, a, b)| format!("{t}: sled {a}, PostgreSQL {b}"))
        .collect();
    let pg_queues = load.queue_slots()?;
    if pg_queues != queues {
        mismatches.push(format!(
            "queue slots: sled {}, PostgreSQL {}",
            slot_list(&queues),
            slot_list(&pg_queues)
        ));
    }
    if !mismatches.is_empty() {
        return Err(CopyError::Mismatch {
            url: to.to_string(),
            mismatches: mismatches.join("; "),
        });
    }
    load.commit()?;
    Ok(CopyReport {
        rows,
        elapsed: started.elapsed(),
    })
}

fn copy_tickets(from: &SledStore, load: &mut Loader, seen: &mut Seen) -> Result<(), StoreError> {
    let mut batch = Vec::with_capacity(TICKETS_PER_BATCH);
    from.scan(T::Tickets, &[], |_, v| {
        // Through the core's type, as the PostgreSQL store writes it: a record of an older
        // layout lands as the current one.
        let r = decode_ticket(v).map_err(corrupt(TREE_TICKETS))?;
        let t = Ticket::try_from(r).map_err(corrupt(TREE_TICKETS))?;
        seen.tickets += 1;
        seen.slots.insert(t.id.slot());
        seen.events += t.events.len() as u64;
        seen.attachments += t
            .events
            .iter()
            .map(|e| e.attachments.len() as u64)
            .sum::<u64>();
        batch.push(TicketRecord::from(&t));
        if batch.len() >= TICKETS_PER_BATCH {
            load.tickets(std::mem::take(&mut batch))?;
        }
        Ok(())
    })?;
    load.tickets(batch)?;
    let mut ids = Vec::new();
    from.scan(T::ByMid, &[], |k, v| {
        let n = key_u64(v).ok_or_else(|| corrupt(TREE_BY_MESSAGE_ID)("not a ticket id".into()))?;
        seen.message_ids += 1;
        ids.push((String::from_utf8_lossy(k).into_owned(), n));
        if ids.len() >= ROWS_PER_BATCH {
            load.message_ids(std::mem::take(&mut ids))?;
        }
        Ok(())
    })?;
    load.message_ids(ids)
}

/// sled keeps a mail's record under each of its keys; the database keeps it once, and
/// its keys point to it. Equal records are one mail's.
fn copy_mails(from: &SledStore, load: &mut Loader, seen: &mut Seen) -> Result<(), StoreError> {
    let mut ids: HashMap<[u8; 32], i64> = HashMap::new();
    let (mut records, mut keys) = (Vec::new(), Vec::new());
    from.scan(T::Mails, &[], |k, v| {
        // A mail's later keys name the key its record is under: the record is the same.
        let record = from.mail_record_bytes(v.to_vec())?;
        let digest: [u8; 32] = Sha256::digest(&record).into();
        let next = ids.len() as i64 + 1;
        let id = *ids.entry(digest).or_insert(next);
        if id == next {
            let r: MailRecord = decode(&record).map_err(corrupt(TREE_MAILS))?;
            records.push((id, r));
        }
        keys.push((String::from_utf8_lossy(k).into_owned(), id));
        seen.mail_keys += 1;
        if keys.len() >= ROWS_PER_BATCH {
            load.mails(std::mem::take(&mut records), std::mem::take(&mut keys))?;
        }
        Ok(())
    })?;
    seen.mails = ids.len() as u64;
    load.mails(records, keys)
}

fn copy_outbox(from: &SledStore, load: &mut Loader, seen: &mut Seen) -> Result<(), StoreError> {
    let mut rows = OutboxRows::default();
    from.scan(T::Outbox, &[], |_, v| {
        let (e, _) = decode_outbox(v).map_err(corrupt(TREE_OUTBOX))?;
        // Wherever sled keeps the bytes (in the record, beside it, or in a file). sled
        // forgets the bytes of a mail once it is sent: its row gets none.
        let raw = match (from.outbox_raw(e.id)?, e.status) {
            (Some(raw), _) => raw,
            (None, OutboxStatus::Sent) => Vec::new(),
            (None, _) => {
                let why = format!("outgoing mail {} has no bytes", e.id);
                return Err(corrupt(TREE_OUTBOX_RAW)(why));
            }
        };
        seen.outbox[match e.status {
            OutboxStatus::Pending => 0,
            OutboxStatus::Sent => 1,
            OutboxStatus::Dead => 2,
        }] += 1;
        if rows.len() > 0 && rows.bytes + raw.len() > OUTBOX_BYTES_PER_BATCH {
            load.outbox(std::mem::take(&mut rows))?;
        }
        rows.push(e, raw);
        if rows.len() >= OUTBOX_PER_BATCH {
            load.outbox(std::mem::take(&mut rows))?;
        }
        Ok(())
    })?;
    load.outbox(rows)
}

/// The rate limit's answers, the flood rule's senders, held notices, bounce pauses and
/// watermarks: a few rows per address or mailbox.
fn copy_logs(from: &SledStore, load: &mut Loader, seen: &mut Seen) -> Result<(), StoreError> {
    let mut answers = Vec::new();
    from.scan(T::Replies, &[], |k, v| {
        let addr = String::from_utf8_lossy(k).into_owned();
        for (at, id) in reply_log(Some(v))?.answers {
            answers.push((addr.clone(), at, id));
        }
        Ok(())
    })?;
    seen.answers = answers.len() as u64;
    for chunk in chunks(answers) {
        load.answers(chunk)?;
    }
    let mut senders = Vec::new();
    from.scan(T::Senders, &[], |k, v| {
        let addr = String::from_utf8_lossy(k).into_owned();
        let log: SenderLog = decode(v).map_err(corrupt(TREE_SENDERS))?;
        senders.extend(log.at.into_iter().map(|at| (addr.clone(), at)));
        Ok(())
    })?;
    seen.sender_mails = senders.len() as u64;
    for chunk in chunks(senders) {
        load.senders(chunk)?;
    }
    let mut bounces = Vec::new();
    from.scan(T::Bounces, &[], |k, v| {
        let until = key_u64(v).ok_or_else(|| corrupt(TREE_BOUNCES)("not a time".into()))?;
        bounces.push((String::from_utf8_lossy(k).into_owned(), until as i64));
        Ok(())
    })?;
    seen.bounces = bounces.len() as u64;
    for chunk in chunks(bounces) {
        load.bounces(chunk)?;
    }
    let mut held = Vec::new();
    from.scan(T::Flood, &[], |k, v| {
        let r: FloodRecord = decode(v).map_err(corrupt(TREE_FLOOD))?;
        held.push((String::from_utf8_lossy(k).into_owned(), r));
        Ok(())
    })?;
    seen.held = held.len() as u64;
    for chunk in chunks(held) {
        load.held(chunk)?;
    }
    let mut marks = Vec::new();
    from.scan(T::Meta, WATERMARK_PREFIX, |k, v| {
        let mailbox = String::from_utf8_lossy(&k[WATERMARK_PREFIX.len()..]).into_owned();
        let [a, b, c, d, e, f, g, h] = *v else {
            return Err(corrupt(TREE_META)(format!("watermark of {mailbox}")));
        };
        marks.push((
            mailbox,
            u32::from_be_bytes([a, b, c, d]),
            u32::from_be_bytes([e, f, g, h]),
        ));
        Ok(())
    })?;
    seen.watermarks = marks.len() as u64;
    load.watermarks(marks)
}

/// `SUP 0, BIL 1`: prefixes with their slots, for a message.
fn slot_list(queues: &[(u32, String)]) -> String {
    if queues.is_empty() {
        return "none".into();
    }
    let each: Vec<String> = queues.iter().map(|(s, p)| format!("{p} {s}")).collect();
    each.join(", ")
}

/// The key prefix of a mailbox's watermark in sled's `meta` tree.
const WATERMARK_PREFIX: &[u8] = b"watermark:";

fn chunks<R>(mut rows: Vec<R>) -> Vec<Vec<R>> {
    let mut out = Vec::new();
    while rows.len() > ROWS_PER_BATCH {
        let rest = rows.split_off(ROWS_PER_BATCH);
        out.push(std::mem::replace(&mut rows, rest));
    }
    out.push(rows);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{FloodItem, NoticeKind, State, TicketId};
    use crate::dedupe::MailKey;
    use crate::store::contract::{escalation, full_ticket, pending, record, ticket};
    use crate::store::postgres::tests::PgBackend;
    use crate::store::{Commit, OutboxEntry};

    /// A sled store holding every kind of record the daemon keeps, written through the
    /// `Store` API as the daemon writes them.
    fn filled_sled(dir: &std::path::Path) -> SledStore {
        let s = SledStore::open(dir).unwrap();
        let mut first = full_ticket(1);
        first.thread = vec!["m@x".into(), "stray@x".into()];
        first.events.push(escalation("first_response"));
        let sent = |id: u64| OutboxEntry {
            status: OutboxStatus::Sent,
            attempts: 1,
            sent_at: Some(30),
            ticket: Some(1),
            ..pending(id, 3)
        };
        let dead = OutboxEntry {
            status: OutboxStatus::Dead,
            attempts: 7,
            last_error: Some("550 no such user".into()),
            ..pending(6, 3)
        };
        s.commit(Commit {
            mail_keys: vec![
                MailKey::message_id("m@x"),
                MailKey::uid(None, 77, 1),
                crate::dedupe::fingerprint(b"From: a@x.test\r\n\r\nhello"),
            ],
            mail: Some(record()),
            ticket: Some(first),
            outbox: vec![
                (pending(4, 3), b"abc".to_vec()),
                (sent(5), b"def".to_vec()),
                (dead, b"ghi".to_vec()),
                // Over sled's limit for mails kept in the tree: a file of its own.
                (pending(7, 300_000), vec![b'x'; 300_000]),
            ],
            replies: vec![("a@x.test".into(), 100, 4), ("a@x.test".into(), 200, 5)],
            bounces: vec![("gone@x.test".into(), 5_000)],
            senders: vec![("a@x.test".into(), 100), ("b@x.test".into(), 150)],
            flood: vec![FloodItem {
                sender: "m@evil.test".into(),
                ticket: TicketId(1),
                summary: "Buy now".into(),
                kind: NoticeKind::NewTicket,
                at: 120,
            }],
            ..Default::default()
        })
        .unwrap();
        s.commit(Commit {
            mail_keys: vec![MailKey::message_id("ignored@x")],
            mail: Some(MailRecord {
                message_id: Some("ignored@x".into()),
                ticket: None,
                outcome: crate::core::MailOutcome::Ignored,
                ..record()
            }),
            ticket: Some(ticket(2, State::Resolved, &["n@x"])),
            ..Default::default()
        })
        .unwrap();
        let mut third = ticket(3, State::Closed, &["o@x"]);
        third.owner = None;
        third.participants = vec!["c@x.test".into()];
        s.commit(Commit {
            ticket: Some(third),
            ..Default::default()
        })
        .unwrap();
        // A second queue (SPEC §5.4): support's prefix has slot 0, the tickets above;
        // billing's slot 1 numbers its own, BIL-1 and BIL-2.
        assert_eq!(s.queue_slot("SUP").unwrap(), 0);
        assert_eq!(s.queue_slot("BIL").unwrap(), 1);
        for n in 1..=2 {
            let id = s.next_ticket_id_in(1).unwrap();
            assert_eq!(id, TicketId::new(1, n));
            s.commit(Commit {
                ticket: Some(ticket(id.0, State::Open, &[&format!("bil{n}@x")])),
                ..Default::default()
            })
            .unwrap();
        }
        s.outbox_sent(&sent(4)).unwrap();
        s.set_watermark("INBOX", 77, 12).unwrap();
        s.set_watermark("Billing", 3, 9).unwrap();
        s.flush().unwrap();
        s
    }

    /// Everything a store answers, as one comparable value.
    fn everything(s: &dyn Store) -> String {
        let mut out = format!(
            "{:#?}\n{:#?}\n{:#?}\n{:?}\n{:#?}\n{:?}\n{:?}\n",
            s.tickets().unwrap(),
            s.mails().unwrap(),
            s.outbox().unwrap(),
            s.outbox_unsent()
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            s.flood().unwrap(),
            s.counts().unwrap(),
            s.next_ticket_id().unwrap(),
        );
        // A sent mail's bytes are not kept by sled (and not needed).
        for e in s.outbox().unwrap() {
            if e.status != OutboxStatus::Sent {
                out += &format!("raw {}: {:?}\n", e.id, s.outbox_raw(e.id).unwrap());
            }
        }
        for a in ["a@x.test", "b@x.test", "c@x.test", "gone@x.test"] {
            out += &format!(
                "{a}: answers {} mails {} bounced {:?} tickets {:?}\n",
                s.replies_since(a, 0).unwrap(),
                s.sender_mails_since(a, 0).unwrap(),
                s.bounced_until(a).unwrap(),
                s.tickets_of(a)
                    .unwrap()
                    .iter()
                    .map(|t| t.id)
                    .collect::<Vec<_>>(),
            );
        }
        out += &format!("queues: {:?}\n", s.queue_slots().unwrap());
        for slot in 0..=2 {
            out += &format!(
                "slot {slot} next: {:?}\n",
                s.next_ticket_id_in(slot).unwrap()
            );
        }
        for mid in [
            "m@x",
            "stray@x",
            "n@x",
            "o@x",
            "bil2@x",
            "ignored@x",
            "unknown@x",
        ] {
            out += &format!(
                "{mid}: {:?}\n",
                s.ticket_by_message_id(&[mid.into()]).unwrap()
            );
        }
        for (mb, v) in [("INBOX", 77), ("Billing", 3), ("INBOX", 78)] {
            out += &format!("watermark {mb} {v}: {}\n", s.watermark(mb, v).unwrap());
        }
        out
    }

    #[test]
    fn every_record_of_a_sled_store_reads_back_equal_from_postgresql() {
        let dir = tempfile::tempdir().unwrap();
        let sled = filled_sled(dir.path());
        let pg = PgBackend::new();
        let report = copy_to_postgres(&sled, &pg.url()).unwrap();
        let want = everything(&sled);
        assert!(
            want.contains("a@x.test: answers 2 mails 1 bounced None tickets [TicketId(1)"),
            "{want}"
        );
        assert!(want.contains("stray@x: Some(TicketId(1))"), "{want}");
        assert!(
            want.contains("\n[6, 7]\n"),
            "unsent: dead and pending\n{want}"
        );
        assert!(
            want.contains(r#"queues: [(0, "SUP"), (1, "BIL")]"#),
            "{want}"
        );
        let bil3 = TicketId::new(1, 3);
        assert!(want.contains(&format!("slot 1 next: {bil3:?}")), "{want}");
        let pg_store = pg.store();
        assert_eq!(everything(&pg_store), want);
        let row = |what: &str| {
            report
                .rows
                .iter()
                .find(|r| r.0 == what)
                .map(|r| (r.1, r.2))
                .unwrap()
        };
        assert_eq!(row("tickets"), (5, 5));
        assert_eq!(row("mails"), (2, 2), "one row per mail");
        assert_eq!(row("mail_keys"), (4, 4), "one row per dedupe key");
        assert_eq!(row("outbox sent"), (2, 2));
        assert_eq!(row("watermarks"), (2, 2));
        assert_eq!(row("queues"), (2, 2));
        assert_eq!(row("next SUP number"), (4, 4));
        assert_eq!(row("next BIL number"), (3, 3));
        // The daemon on PostgreSQL finds each prefix's slot, and ids continue after the
        // copied ones.
        assert_eq!(pg_store.queue_slot("BIL").unwrap(), 1);
        assert_eq!(pg_store.queue_slot("OPS").unwrap(), 2, "the next free slot");
        assert_eq!(pg_store.next_ticket_id_in(1).unwrap(), bil3);
        assert!(pg_store.new_outbox_id().unwrap() > 7);
        pg_store
            .commit(Commit {
                mail_keys: vec![MailKey::message_id("new@x")],
                mail: Some(record()),
                ticket: Some(ticket(4, State::Open, &["new@x"])),
                ..Default::default()
            })
            .unwrap();
        pg_store.flush().unwrap();
        assert_eq!(pg_store.mails().unwrap().len(), 5);
    }

    #[test]
    fn a_slot_that_would_number_otherwise_on_postgresql_leaves_the_database_empty() {
        let dir = tempfile::tempdir().unwrap();
        let sled = filled_sled(dir.path());
        // sled's counter of billing's slot past its tickets: the database, which numbers
        // after the highest ticket, would give BIL-3 again.
        sled.tree(T::Meta)
            .insert(next_ticket_key(1), &u64_key(TicketId::new(1, 9).0))
            .unwrap();
        let pg = PgBackend::new();
        match copy_to_postgres(&sled, &pg.url()) {
            Err(e @ CopyError::Mismatch { .. }) => {
                let e = e.to_string();
                assert!(e.contains("next BIL number: sled 9, PostgreSQL 3"), "{e}");
                assert!(!e.contains("next SUP number"), "{e}");
            }
            other => panic!("kept a copy that numbers otherwise: {other:?}"),
        }
        let s = pg.store();
        assert!(s.tickets().unwrap().is_empty());
        assert_eq!(
            s.queue_slots().unwrap(),
            vec![],
            "the registry rolled back too"
        );
    }

    #[test]
    fn a_database_that_holds_rows_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let sled = filled_sled(dir.path());
        let pg = PgBackend::new();
        {
            let s = pg.store();
            // A daemon started on it: its queue has a slot, then a ticket.
            assert_eq!(s.queue_slot("OPS").unwrap(), 0);
            s.commit(Commit {
                ticket: Some(ticket(9, State::Open, &["other@x"])),
                ..Default::default()
            })
            .unwrap();
            s.flush().unwrap();
        }
        match copy_to_postgres(&sled, &pg.url()) {
            Err(e @ CopyError::NotEmpty { .. }) => {
                let e = e.to_string();
                assert!(e.contains("tickets: 1 rows"), "{e}");
                assert!(e.contains("queues: 1 rows"), "{e}");
                assert!(e.contains("empty database only"), "{e}");
            }
            other => panic!("copied into a database with tickets: {other:?}"),
        }
        let ids: Vec<u64> = pg
            .store()
            .tickets()
            .unwrap()
            .iter()
            .map(|t| t.id.0)
            .collect();
        assert_eq!(ids, [9]);
        assert_eq!(pg.store().queue_slots().unwrap(), [(0, "OPS".to_string())]);
    }

    #[test]
    fn a_database_a_daemon_acts_on_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let sled = filled_sled(dir.path());
        let pg = PgBackend::new();
        let daemon = pg.store();
        daemon.hold_actor_lock(Duration::ZERO).unwrap();
        match copy_to_postgres(&sled, &pg.url()) {
            Err(CopyError::Store(StoreError::Locked { .. })) => {}
            other => panic!("copied under a running daemon: {other:?}"),
        }
        assert!(daemon.tickets().unwrap().is_empty());
    }
}
