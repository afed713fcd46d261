//! Leases on the test server (see `postgres/tests.rs`): taking, renewing, expiry, takeover
//! with the next generation, and the commits a holder that lost them makes (refused).

use std::time::Duration;

use super::super::tests::{admin, PgBackend};
use super::*;
use crate::core::State;
use crate::store::contract::ticket;
use crate::store::{Commit, Store};

fn names() -> Vec<String> {
    vec!["INBOX".to_string(), "outbox".to_string()]
}

const LONG: LeaseTerms = LeaseTerms {
    ttl: Duration::from_secs(60),
    margin: Duration::from_secs(5),
};

fn commit_one(s: &PgStore, n: u64) {
    s.commit(Commit {
        ticket: Some(ticket(n, State::Open, &["a@x"])),
        ..Default::default()
    })
    .unwrap();
}

fn taken(a: Acquired) -> (i64, Vec<Previous>) {
    match a {
        Acquired::Taken {
            generation,
            previous,
        } => (generation, previous),
        other => panic!("not taken: {other:?}"),
    }
}

#[test]
fn one_daemon_takes_the_leases_and_another_finds_them_busy() {
    let b = PgBackend::new();
    let (first, second) = (b.store(), b.store());
    assert_ne!(first.lease_holder(), second.lease_holder());
    assert_eq!(first.acting_time_left(), None, "outside leases: no limit");
    first.stand_by();
    assert!(!first.may_act(), "a standby does not act");
    assert_eq!(first.acting_time_left(), Some(Duration::ZERO));
    let (generation, previous) = taken(first.acquire_leases(&names(), LONG).unwrap());
    assert_eq!(generation, 1);
    let left = first.acting_time_left().unwrap();
    assert!(
        left > Duration::from_secs(50) && left <= LONG.ttl - LONG.margin,
        "{left:?}"
    );
    assert!(previous.iter().all(|p| p.holder.is_empty()));
    assert!(first.may_act());
    assert_eq!(first.leases_held(), Some((names(), 1)));
    match second.acquire_leases(&names(), LONG).unwrap() {
        Acquired::Busy {
            holder, expires_in, ..
        } => {
            assert_eq!(holder, first.lease_holder());
            assert!(expires_in > Duration::from_secs(30), "{expires_in:?}");
        }
        other => panic!("a second holder was let in: {other:?}"),
    }
    // Even for one lease of the two.
    assert!(matches!(
        second
            .acquire_leases(&["outbox".to_string()], LONG)
            .unwrap(),
        Acquired::Busy { .. }
    ));
    assert_eq!(first.renew_leases(LONG).unwrap(), Renewal::Renewed);
    // The holder commits; a CLI command does not act beside it.
    commit_one(&first, 1);
    first.flush().unwrap();
    assert!(matches!(
        second.hold_actor_lock(Duration::ZERO),
        Err(StoreError::Locked { .. })
    ));
}

#[test]
fn expired_leases_are_taken_over_with_the_next_generation() {
    let b = PgBackend::new();
    let (first, second) = (b.store(), b.store());
    // The margin leaves the holder 0.5 s to act; the lease lives 3 s in the database, and a
    // fenced batch may sit idle as long (a second on a loaded machine is no freeze).
    let short = LeaseTerms {
        ttl: Duration::from_secs(3),
        margin: Duration::from_millis(2500),
    };
    taken(first.acquire_leases(&names(), short).unwrap());
    std::thread::sleep(Duration::from_millis(600));
    // Past its local deadline, before the database's expiry: it has stopped acting.
    assert!(!first.may_act());
    commit_one(&first, 1);
    let err = first.flush().unwrap_err();
    assert!(err.to_string().contains("not renewed in time"), "{err}");
    assert!(matches!(
        second.acquire_leases(&names(), LONG).unwrap(),
        Acquired::Busy { .. }
    ));
    std::thread::sleep(Duration::from_millis(2600));
    let (generation, previous) = taken(second.acquire_leases(&names(), LONG).unwrap());
    assert_eq!(generation, 2);
    assert_eq!(previous.len(), 2);
    for p in &previous {
        assert_eq!(p.holder, first.lease_holder());
        assert!(p.expired_ago.is_some(), "it ran out, it was not released");
    }
    assert_eq!(
        first.renew_leases(short).unwrap(),
        Renewal::Lost {
            by: Some(second.lease_holder().to_string())
        }
    );
    assert!(!first.may_act());
    assert_eq!(
        second.tickets().unwrap().len(),
        0,
        "the late batch was kept"
    );
}

#[test]
fn a_holder_whose_generation_was_taken_over_commits_nothing() {
    let b = PgBackend::new();
    let first = b.store();
    taken(first.acquire_leases(&names(), LONG).unwrap());
    commit_one(&first, 1);
    first.flush().unwrap();
    // Another daemon took the leases while this one was frozen: its local deadline has
    // not passed (a clock that lies), but the generation in the database has moved on.
    commit_one(&first, 2);
    admin(&format!(
        "UPDATE {}.leases SET holder = 'other:1:00', generation = generation + 1",
        b.schema
    ));
    assert!(first.may_act(), "the local deadline alone would let it act");
    let err = first.flush().unwrap_err();
    assert!(err.to_string().contains("taken over"), "{err}");
    assert!(!first.may_act(), "it knows it lost them");
    let ids: Vec<u64> = b
        .store()
        .tickets()
        .unwrap()
        .iter()
        .map(|t| t.id.0)
        .collect();
    assert_eq!(ids, [1], "the stale batch was refused whole");
}

#[test]
fn released_leases_are_taken_at_once_and_the_releaser_stops() {
    let b = PgBackend::new();
    let (first, second) = (b.store(), b.store());
    taken(first.acquire_leases(&names(), LONG).unwrap());
    first.release_leases().unwrap();
    assert!(!first.may_act());
    let (generation, previous) = taken(second.acquire_leases(&names(), LONG).unwrap());
    assert_eq!(generation, 2);
    assert!(previous
        .iter()
        .all(|p| p.holder == first.lease_holder() && p.expired_ago.is_none()));
    commit_one(&first, 1);
    let err = first.flush().unwrap_err();
    assert!(err.to_string().contains("standby"), "{err}");
    commit_one(&second, 2);
    second.flush().unwrap();
}

#[test]
fn a_fenced_batch_left_idle_is_ended_by_the_server() {
    let b = PgBackend::new();
    let (first, second) = (b.store(), b.store());
    let terms = LeaseTerms {
        ttl: Duration::from_secs(2),
        margin: Duration::from_millis(200),
    };
    taken(first.acquire_leases(&names(), terms).unwrap());
    // A batch opened and left (a frozen process): its row locks must not outlive it.
    commit_one(&first, 1);
    std::thread::sleep(Duration::from_millis(3000));
    taken(second.acquire_leases(&names(), LONG).unwrap());
    commit_one(&second, 1);
    second.flush().unwrap();
    let err = first.flush().unwrap_err();
    // Ended by the server (or its connection closed): a new connection works.
    assert!(err.is_transient(), "{err}");
    assert_eq!(second.tickets().unwrap().len(), 1);
}

#[test]
fn a_daemon_started_during_a_migration_stands_by_until_the_copy_ends() {
    let b = PgBackend::new();
    let daemon = b.store();
    daemon.stand_by();
    let mut load = crate::store::postgres::load::Loader::begin(&b.url()).unwrap();
    // The copy's transaction holds the lease table: the daemon cannot take the leases (its
    // lease transaction gives up on the lock) and acts on nothing of the half-copied store.
    assert!(daemon.acquire_leases(&names(), LONG).is_err());
    assert!(!daemon.may_act());
    assert_eq!(daemon.leases_held(), None);
    // Nor does it give its queue a slot of its own: it waits for the copy's.
    let url = b.url();
    let slot = std::thread::spawn(move || PgStore::open(&url).unwrap().queue_slot("SUP"));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!slot.is_finished(), "a slot was given during the copy");
    load.queues(vec![(0, "SUP".to_string())]).unwrap();
    load.commit().unwrap();
    assert_eq!(slot.join().unwrap().unwrap(), 0);
    // The copy done, the daemon takes the leases.
    taken(daemon.acquire_leases(&names(), LONG).unwrap());
}

#[test]
fn a_lease_transaction_left_idle_is_ended_by_the_server() {
    let b = PgBackend::new();
    let (cut_off, standby) = (b.store(), b.store());
    // A daemon cut from the database after locking the lease rows, before its commit: the
    // server ends the transaction, and the rows are free for a standby.
    let ended = cut_off.pool.with(|s| {
        transaction(s, |s| {
            s.execute(ENSURE, &[&names()])?;
            s.query(LOCK, &[&names()])?;
            std::thread::sleep(Duration::from_millis(5600));
            Ok(((), true))
        })
    });
    assert!(
        ended.is_err(),
        "a lease transaction outlived its idle limit"
    );
    taken(standby.acquire_leases(&names(), LONG).unwrap());
}
