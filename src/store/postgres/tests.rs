//! The store contract on a real PostgreSQL, and what only this backend has: its batch, its
//! schema versions, connections that break.
//!
//! The server is the one `scripts/pg/up` starts: `TG_TEST_PG_URL`, else the URL that script
//! wrote under `$TG_PG_DIR` (default `/tmp/tg-pg`). Without one these tests fail, saying
//! so: a backend that was not tested is never reported as passing. Each test works in a
//! schema of its own, dropped at the end.

use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::store::contract::{full_ticket, pending, record, ticket, Backend};

/// The URL of the test server.
pub(crate) fn test_url() -> String {
    if let Ok(url) = std::env::var("TG_TEST_PG_URL") {
        return url;
    }
    let dir = std::env::var("TG_PG_DIR").unwrap_or_else(|_| "/tmp/tg-pg".into());
    let file = std::path::Path::new(&dir).join("url");
    match std::fs::read_to_string(&file) {
        Ok(url) => url.trim().to_string(),
        Err(e) => panic!(
            "PostgreSQL store tests need a server: set TG_TEST_PG_URL, or run scripts/pg/up \
             (TG_PG_DIR={dir}); {}: {e}",
            file.display()
        ),
    }
}

/// Runs SQL on the test server, outside any store.
pub(crate) fn admin(sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = test_url();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url} (from scripts/pg/up): {e}"));
        tokio::spawn(conn);
        client.batch_execute(sql).await.unwrap();
    });
}

/// An empty schema of its own on the test server, dropped with the backend.
pub(crate) struct PgBackend {
    pub(crate) schema: String,
}

impl PgBackend {
    pub(crate) fn new() -> PgBackend {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let schema = format!(
            "t{}_{}_{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        admin(&format!("CREATE SCHEMA {schema}"));
        PgBackend { schema }
    }

    pub(crate) fn url(&self) -> DatabaseUrl {
        let base = test_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        DatabaseUrl::parse(&format!(
            "{base}{sep}options=-csearch_path%3D{}",
            self.schema
        ))
        .unwrap()
    }

    pub(crate) fn store(&self) -> PgStore {
        PgStore::open(&self.url()).unwrap()
    }
}

impl Backend for PgBackend {
    fn open(&self) -> Box<dyn Store> {
        Box::new(self.store())
    }
}

impl Drop for PgBackend {
    fn drop(&mut self) {
        admin(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

mod contract_on_postgres {
    use super::PgBackend;
    crate::store::contract::contract_tests!(PgBackend::new());
}

/// After a failed second commit: the third of the batch, and the flush.
fn commit_the_third_and_flush(s: &PgStore) {
    s.commit(Commit {
        ticket: Some(ticket(3, State::Open, &["c@x"])),
        ..Default::default()
    })
    .unwrap();
    s.flush().unwrap();
}

/// Reopened: tickets 1 and 3 are kept, nothing of the failed commit (its mail, `b@x`).
fn only_the_first_and_third_kept(b: &PgBackend) -> PgStore {
    let s = b.store();
    let ids: Vec<u64> = s.tickets().unwrap().iter().map(|t| t.id.0).collect();
    assert_eq!(ids, [1, 3]);
    assert_eq!(s.mail_seen(&[MailKey::message_id("b@x")]).unwrap(), None);
    s
}

#[test]
fn a_failed_commit_leaves_the_others_of_its_batch_whole() {
    let b = PgBackend::new();
    {
        let s = b.store();
        s.commit(Commit {
            ticket: Some(ticket(1, State::Open, &["a@x"])),
            ..Default::default()
        })
        .unwrap();
        // A time PostgreSQL cannot hold: the whole commit fails, mail record and all.
        let mut bad = ticket(2, State::Open, &["b@x"]);
        bad.created_at = i64::MAX;
        let err = s
            .commit(Commit {
                mail_keys: vec![MailKey::message_id("b@x")],
                mail: Some(record()),
                ticket: Some(bad),
                ..Default::default()
            })
            .unwrap_err();
        assert!(!err.is_transient(), "{err}");
        commit_the_third_and_flush(&s);
    }
    only_the_first_and_third_kept(&b);
}

#[test]
fn a_commit_failing_in_its_last_statements_keeps_none_of_the_first() {
    let b = PgBackend::new();
    {
        let s = b.store();
        s.commit(Commit {
            ticket: Some(ticket(1, State::Open, &["a@x"])),
            ..Default::default()
        })
        .unwrap();
        // The ticket, its events and the mail go before the outgoing mail, which PostgreSQL
        // refuses (a time it cannot hold): the statements after it fail unrun, and those
        // before it, run, are rolled back.
        let mut bad = pending(7, 3);
        bad.created_at = i64::MAX;
        let err = s
            .commit(Commit {
                mail_keys: vec![MailKey::message_id("b@x")],
                mail: Some(record()),
                ticket: Some(full_ticket(2)),
                outbox: vec![(pending(6, 3), vec![1]), (bad, vec![2])],
                replies: vec![("b@x.test".into(), 1000, 6)],
                senders: vec![("b@x.test".into(), 1000)],
                ..Default::default()
            })
            .unwrap_err();
        assert!(!err.is_transient(), "{err}");
        let first = match &err {
            StoreError::Postgres(e) => e.as_db_error().map(|e| e.message().to_string()),
            _ => None,
        };
        assert!(
            first.as_deref().is_some_and(|m| m.contains("out of range")),
            "the first error is the commit's: {err}: {first:?}"
        );
        // An operator reads the server's reason in the error's own text, not "db error".
        assert!(err.to_string().contains("out of range"), "{err}");
        assert_eq!(s.ticket(TicketId(2)).unwrap(), None, "read in the batch");
        commit_the_third_and_flush(&s);
    }
    let s = only_the_first_and_third_kept(&b);
    assert!(s.outbox().unwrap().is_empty());
    let facts = s
        .delivery_facts(&["b@x.test".into()], Some("b@x.test"), 0)
        .unwrap();
    assert_eq!((facts.addresses[0].answers, facts.sender_mails), (0, 0));
}

/// The reads and the commit of a new mail, as the pipeline makes them: one round trip for
/// the reads ([`Store::look_up`]), one for the commit, and the next ticket id read once a
/// batch (then kept in memory, see `Batch::next_ids`).
#[test]
fn a_new_mails_reads_and_commit_take_two_round_trips() {
    let b = PgBackend::new();
    let s = b.store();
    let round_trips = || session::ROUND_TRIPS.with(|n| n.get());
    let mut counted = Vec::new();
    for n in 1..=4u64 {
        let before = round_trips();
        let keys = [MailKey::uid(None, 1, n as u32)];
        let by_id = [MailKey::message_id(&format!("{n}@x"))];
        let customer = format!("c{n}@x.test");
        let addrs = [customer.clone(), "staff@x.test".into(), "b@x.test".into()];
        let read = s
            .look_up(&LookUp {
                seen: &[&keys, &by_id],
                // A reply naming the ticket of the mail before.
                ticket: Some(TicketId(n - 1)),
                addrs: &addrs,
                sender: Some(&customer),
                since: 0,
            })
            .unwrap();
        assert_eq!(read.seen, [None, None]);
        assert_eq!(read.ticket.map(|t| t.id), (n > 1).then(|| TicketId(n - 1)));
        let id = s.next_ticket_id().unwrap();
        assert_eq!(id, TicketId(n));
        s.commit(Commit {
            mail_keys: vec![keys[0].clone(), by_id[0].clone()],
            mail: Some(MailRecord {
                ticket: Some(n),
                ..record()
            }),
            ticket: Some(full_ticket(n)),
            outbox: vec![
                (pending(2 * n, 1), vec![1]),
                (pending(2 * n + 1, 1), vec![2]),
            ],
            replies: vec![(customer.clone(), 1000, 2 * n)],
            senders: vec![(customer, 1000)],
            ..Default::default()
        })
        .unwrap();
        counted.push(round_trips() - before);
    }
    // The first opens the batch and prepares the statements on its connection; the second
    // reads the next ticket id in the batch (and prepares the insert of a new ticket); the
    // others take it from memory.
    assert_eq!(counted[2..], [2, 2], "{counted:?}");
    s.flush().unwrap();
    assert_eq!(s.tickets().unwrap().len(), 4);
    assert_eq!(s.outbox().unwrap().len(), 8);
}

/// An outgoing mail is kept compressed with lz4, which costs the server a fraction of pglz's
/// CPU (Debian's server has it), and reads back as written.
#[test]
fn outgoing_mails_are_kept_compressed_with_lz4() {
    let b = PgBackend::new();
    let s = b.store();
    let raw: Vec<u8> = b"Subject: [SUP-1] Printer\r\n\r\nThe printer is on fire.\r\n"
        .iter()
        .copied()
        .cycle()
        .take(20_000)
        .collect();
    s.commit(Commit {
        outbox: vec![(pending(1, raw.len() as u64), raw.clone())],
        ..Default::default()
    })
    .unwrap();
    s.flush().unwrap();
    let compression = s
        .pool
        .with(|c| c.query("SELECT pg_column_compression(raw) FROM outbox", &[]))
        .unwrap();
    assert_eq!(
        compression[0].get::<_, Option<String>>(0).as_deref(),
        Some("lz4")
    );
    assert_eq!(s.outbox_raw(1).unwrap(), Some(raw));
}

/// The next ticket id kept in memory is never a reason to overwrite a ticket: another writer
/// that made a ticket at that id (a daemon that took the mailbox over) makes the commit
/// fail, the others of the batch stay whole, and the id is read again.
#[test]
fn a_ticket_at_a_next_id_another_writer_took_fails_its_commit_and_the_id_is_read_again() {
    let b = PgBackend::new();
    let s = b.store();
    s.commit(Commit {
        ticket: Some(ticket(1, State::Open, &["a@x"])),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.next_ticket_id().unwrap(), TicketId(2));
    let other = b.store();
    let mut theirs = ticket(2, State::Open, &["theirs@x"]);
    theirs.summary = "theirs".into();
    other
        .commit(Commit {
            ticket: Some(theirs),
            ..Default::default()
        })
        .unwrap();
    other.flush().unwrap();

    assert_eq!(s.next_ticket_id().unwrap(), TicketId(2), "kept in memory");
    let err = s
        .commit(Commit {
            mail_keys: vec![MailKey::message_id("mine@x")],
            mail: Some(record()),
            ticket: Some(full_ticket(2)),
            ..Default::default()
        })
        .unwrap_err();
    let unique = match &err {
        StoreError::Postgres(e) => {
            e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
        }
        _ => false,
    };
    assert!(unique, "{err}");
    assert_eq!(s.next_ticket_id().unwrap(), TicketId(3), "read again");
    s.commit(Commit {
        ticket: Some(ticket(3, State::Open, &["c@x"])),
        ..Default::default()
    })
    .unwrap();
    s.flush().unwrap();
    let tickets = s.tickets().unwrap();
    let kept: Vec<(u64, &str)> = tickets
        .iter()
        .map(|t| (t.id.0, t.summary.as_str()))
        .collect();
    assert_eq!(kept, [(1, "s"), (2, "theirs"), (3, "s")]);
    assert_eq!(s.mail_seen(&[MailKey::message_id("mine@x")]).unwrap(), None);
}

/// The per-mail statements find their rows by index whatever the statistics: a connection
/// keeps the generic plan of a prepared statement, and one made while the tables were empty
/// (a new store, a new batch before the first analyze) must not scan a table that the
/// batch then grows (that made the time per mail grow through each batch).
#[test]
fn the_per_mail_statements_use_indexes_when_planned_on_empty_tables() {
    let b = PgBackend::new();
    let s = b.store();
    let statements = [
        (
            "next_id",
            "bigint, bigint",
            sql::NEXT_TICKET_ID,
            "0, 1099511627776",
        ),
        ("seen", "text[]", sql::MAIL_SEEN, "'{a,b}'"),
        (
            "seen_each",
            "text[], int[]",
            sql::MAILS_SEEN,
            "'{a,b}', '{0,1}'",
        ),
        (
            "facts",
            "text[], bigint, text",
            sql::DELIVERY_FACTS,
            "'{a,b}', 0, 'a'",
        ),
        (
            "answers",
            "text[], bigint[], bigint[], bigint",
            sql::INSERT_ANSWERS,
            "'{a}', '{5}', '{1}', 7200",
        ),
        (
            "senders",
            "text[], bigint[], bigint",
            sql::INSERT_SENDERS,
            "'{a}', '{5}', 7200",
        ),
    ];
    let plans = s
        .pool
        .with(|c| {
            // The store's sessions plan each statement once, for any values (session.rs).
            let mode = c.query("SHOW plan_cache_mode", &[])?;
            assert_eq!(mode[0].get::<_, String>(0), "force_generic_plan");
            let mut plans = Vec::new();
            for (name, types, statement, args) in statements {
                c.batch(&format!("PREPARE {name}({types}) AS {statement}"))?;
                let explain = format!("EXPLAIN EXECUTE {name}({args})");
                let rows = c.query(Box::leak(explain.into_boxed_str()), &[])?;
                let plan: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
                plans.push((name, plan.join("\n")));
                c.batch(&format!("DEALLOCATE {name}"))?;
            }
            Ok(plans)
        })
        .unwrap();
    for (name, plan) in &plans {
        assert!(!plan.contains("Seq Scan"), "{name} scans a table:\n{plan}");
    }
    let next_id = &plans[0].1;
    assert!(
        next_id.contains("Index Only Scan Backward") && next_id.contains("Limit"),
        "the next id reads every ticket of the slot:\n{next_id}"
    );
}

#[test]
fn a_batch_whose_connection_broke_fails_the_next_flush_and_the_store_reconnects() {
    let b = PgBackend::new();
    let s = b.store();
    s.commit(Commit {
        ticket: Some(ticket(1, State::Open, &["a@x"])),
        ..Default::default()
    })
    .unwrap();
    // The batch's own connection (a read in a batch runs on it), and no other test's.
    let pid: i32 = s.read(|c| c.query("SELECT pg_backend_pid()", &[])).unwrap()[0].get(0);
    admin(&format!("SELECT pg_terminate_backend({pid})"));
    // The read that finds the connection gone fails; the flush then says the batch is lost.
    let mut tries = 0;
    while s.next_ticket_id().is_ok() {
        tries += 1;
        assert!(tries < 50, "the connection never looked broken");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let err = s.flush().unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(s.next_ticket_id().unwrap(), TicketId(1), "nothing was kept");
    s.commit(Commit {
        ticket: Some(ticket(1, State::Open, &["a@x"])),
        ..Default::default()
    })
    .unwrap();
    s.flush().unwrap();
    assert_eq!(s.tickets().unwrap().len(), 1);
}

#[test]
fn an_idle_connection_the_server_ended_is_replaced_before_its_next_use() {
    let b = PgBackend::new();
    let s = b.store();
    let backend_pid = |s: &PgStore| -> Result<i32, StoreError> {
        Ok(s.read(|c| c.query("SELECT pg_backend_pid()", &[]))?[0].get(0))
    };
    // No batch is open: the read runs on a pooled connection and gives it back.
    let pid = backend_pid(&s).unwrap();
    // Waits (up to 5 s) until the backend has ended; nothing reads the idle connection.
    admin(&format!("SELECT pg_terminate_backend({pid}, 5000)"));
    let again = backend_pid(&s).expect("the pool hands out a live connection");
    assert_ne!(again, pid);
}

/// Opens a store, commits a ticket and reads it back, from whatever thread calls it.
fn open_commit_and_read(url: DatabaseUrl, id: u64) {
    let s = PgStore::open(&url).unwrap();
    s.commit(Commit {
        ticket: Some(ticket(id, State::Open, &["a@x"])),
        ..Default::default()
    })
    .unwrap();
    s.flush().unwrap();
    assert!(s.ticket(TicketId(id)).unwrap().is_some());
}

#[test]
fn the_store_works_on_any_thread_of_a_runtime() {
    let b = PgBackend::new();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The thread that runs the runtime's `block_on` (the daemon opens its store there).
    multi.block_on(async { open_commit_and_read(b.url(), 1) });
    // A worker, and a blocking thread.
    let url = b.url();
    multi
        .block_on(multi.spawn(async move { open_commit_and_read(url, 2) }))
        .unwrap();
    let url = b.url();
    multi
        .block_on(multi.spawn_blocking(move || open_commit_and_read(url, 3)))
        .unwrap();
    // Inside a current-thread runtime.
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    single.block_on(async { open_commit_and_read(b.url(), 4) });
    assert_eq!(b.store().tickets().unwrap().len(), 4);
}

#[test]
fn a_database_of_a_newer_schema_is_refused_and_migrations_run_once() {
    let b = PgBackend::new();
    drop(b.store());
    drop(b.store());
    admin(&format!(
        "INSERT INTO {}.schema_migrations (version, description) VALUES (999, 'future')",
        b.schema
    ));
    match PgStore::open(&b.url()) {
        Err(StoreError::NewerSchema { found: 999, .. }) => {}
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
}

#[test]
fn text_is_kept_as_written_and_nul_characters_never_stop_a_commit() {
    let b = PgBackend::new();
    let s = b.store();
    let mut t = ticket(1, State::Open, &["a\0@x"]);
    t.summary = "Café \0 ☕ 'quoted' \"double\" \\ back".into();
    s.commit(Commit {
        ticket: Some(t),
        outbox: vec![(pending(1, 3), vec![0, 1, 2])],
        ..Default::default()
    })
    .unwrap();
    let back = s.ticket(TicketId(1)).unwrap().unwrap();
    assert_eq!(back.summary, "Café \u{FFFD} ☕ 'quoted' \"double\" \\ back");
    assert_eq!(back.thread, ["a\u{FFFD}@x"]);
    assert_eq!(
        s.outbox_raw(1).unwrap(),
        Some(vec![0, 1, 2]),
        "bytes are bytes"
    );
}

#[test]
fn one_process_acts_on_a_store_and_one_that_lost_its_lock_commits_nothing() {
    let b = PgBackend::new();
    let first = b.store();
    first.hold_actor_lock(Duration::ZERO).unwrap();
    let second = b.store();
    match second.hold_actor_lock(Duration::from_millis(300)) {
        Err(StoreError::Locked { .. }) => {}
        other => panic!("a second actor was let in: {other:?}"),
    }
    // A store in another schema of the same database is another store.
    let other = PgBackend::new();
    other.store().hold_actor_lock(Duration::ZERO).unwrap();

    // The server drops the first's lock connection (a partition, a killed backend): its
    // next flush fails and keeps nothing, and the second may act.
    first
        .commit(Commit {
            ticket: Some(ticket(1, State::Open, &["a@x"])),
            ..Default::default()
        })
        .unwrap();
    admin(&format!(
        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND ((l.classid::bigint << 32) | l.objid::bigint)
               = hashtextextended('ticket-gateway actor {}', 0)",
        b.schema
    ));
    // The second gets the lock once the server has ended the first's lock connection
    // (`pg_terminate_backend` returns before that); only then is the first's loss certain.
    second.hold_actor_lock(Duration::from_secs(10)).unwrap();
    let err = first.flush().unwrap_err();
    assert!(
        err.to_string().contains("lost the database's actor lock"),
        "{err}"
    );
    assert_eq!(
        second.tickets().unwrap().len(),
        0,
        "the fenced batch was kept"
    );
}
