//! The daemon's part among daemons sharing one PostgreSQL store (SPEC §5.5). It starts as a
//! standby: it serves `/healthz` and `/metrics` and looks at the leases every
//! [`STANDBY_POLL`]; once those of its mailbox and of the outbox are free (expired, or
//! released by a clean shutdown) it takes them with the next generation and becomes active:
//! ingest, outbox and timers start. While active it renews them every [`RENEW_EVERY`] for
//! [`TERMS`]`.ttl`; it stops acting (no commit, no `UID MOVE`, no send) once
//! `TERMS.ttl - TERMS.margin` have passed since the start of its last successful renewal,
//! which is before the database lets another daemon take them.
//!
//! A daemon that lost its leases exits non-zero instead of going back to standby: what it
//! holds in memory (a batch begun, mails fetched, sends queued) belongs to the time it held
//! them; systemd (`Restart=on-failure`) starts it again, as a standby. On sled the daemon is
//! the only one (the store's file lock) and always active.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::sleep_or_cancel;
use crate::pipeline::Gateway;
use crate::store::{Acquired, LeaseTerms, Previous, Renewal, StoreError};
use crate::telemetry::{Role, BEAT_MARGIN};

/// A lease lasts 10 s after each renewal; its holder stops acting 2 s before that.
pub(crate) const TERMS: LeaseTerms = LeaseTerms {
    ttl: Duration::from_secs(10),
    margin: Duration::from_secs(2),
};
/// How often the active daemon renews its leases (a few renewals may fail before it stops).
pub(crate) const RENEW_EVERY: Duration = Duration::from_secs(2);
/// How often a standby looks whether the leases are free (and just after they run out, when
/// that comes sooner).
pub(crate) const STANDBY_POLL: Duration = Duration::from_secs(1);
/// How long after a lease's expiry (as the database told it) the standby looks again.
const EXPIRY_SLACK: Duration = Duration::from_millis(50);

/// The leases a daemon needs to act: each mailbox it ingests (one a queue), and the outbox.
pub(crate) fn lease_names(gw: &Gateway) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for q in gw.queues.iter() {
        // Queues on other accounts may share a mailbox name: one lease covers it.
        if !names.contains(&q.config.imap.mailbox) {
            names.push(q.config.imap.mailbox.clone());
        }
    }
    names.push("outbox".to_string());
    names
}

/// May this daemon act (commit, move mail, send) now? Always on sled.
pub(crate) fn may_act(gw: &Gateway) -> bool {
    gw.store.postgres().is_none_or(|pg| pg.may_act())
}

/// Completes once this daemon may no longer act (never on sled): a send in flight is dropped
/// then, before its end, rather than completed by a daemon whose leases may be another's.
pub(crate) async fn fenced(gw: &Gateway) {
    loop {
        match gw.store.postgres().and_then(|pg| pg.acting_time_left()) {
            None => return std::future::pending().await,
            Some(left) if left.is_zero() => return,
            // A renewal meanwhile moves the deadline: look again when this one comes.
            Some(left) => tokio::time::sleep(left).await,
        }
    }
}

/// The role of a daemon that is the only one (sled).
pub(super) fn alone(gw: &Gateway) {
    gw.telemetry.set_role(Role {
        active: true,
        leases: lease_names(gw),
        generation: 0,
    });
}

/// Runs a lease operation on a thread of its own, giving up on an answer after `limit` (a
/// database that does not answer must not hold the daemon up; the local deadline fences it).
/// Not on the runtime's blocking threads: there are few of them (src/main.rs), and a renewal
/// must not wait behind the ingest and the outbox.
async fn blocking<R: Send + 'static>(
    gw: &Arc<Gateway>,
    limit: Duration,
    f: impl FnOnce(&crate::store::PgStore) -> Result<R, StoreError> + Send + 'static,
) -> Result<R, String> {
    let rx = on_own_thread("leases", gw.clone(), move |g| match g.store.postgres() {
        Some(pg) => f(pg).map_err(|e| e.to_string()),
        None => Err("not a PostgreSQL store".into()),
    })
    .map_err(|e| format!("cannot start a thread for the leases: {e}"))?;
    match tokio::time::timeout(limit, rx).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err("lease task failed: it ended without an answer".into()),
        Err(_) => Err(format!("no answer within {} ms", limit.as_millis())),
    }
}

/// Runs `f` with `held` on a new thread named `name`. `held` is dropped before the answer
/// is sent: once the caller has it, the daemon may end, and its owner expects to hold the
/// last handle of the gateway (the store closes with it).
fn on_own_thread<H: Send + 'static, R: Send + 'static>(
    name: &str,
    held: H,
    f: impl FnOnce(&H) -> R + Send + 'static,
) -> std::io::Result<tokio::sync::oneshot::Receiver<R>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let r = f(&held);
            drop(held);
            let _ = tx.send(r);
        })?;
    Ok(rx)
}

/// Waits as a standby until this daemon holds its leases; false when cancelled first.
pub(super) async fn take_leases(gw: &Arc<Gateway>, cancel: &CancellationToken) -> bool {
    let names = lease_names(gw);
    if let Some(pg) = gw.store.postgres() {
        pg.stand_by();
        info!(
            holder = pg.lease_holder(),
            leases = %names.join(", "),
            "standing by: taking the leases {} when they are free",
            names.join(", ")
        );
    }
    gw.telemetry.set_role(Role::default());
    let since = Instant::now();
    let mut busy_with: Option<String> = None;
    let mut failing = false;
    loop {
        let mut wait = STANDBY_POLL;
        // A standby's loops are idle by design, not stalled.
        gw.telemetry.ingest.beat(BEAT_MARGIN);
        gw.telemetry.outbox.beat(BEAT_MARGIN);
        let n = names.clone();
        match blocking(gw, TERMS.ttl, move |pg| pg.acquire_leases(&n, TERMS)).await {
            Ok(Acquired::Taken {
                generation,
                previous,
            }) => {
                said_taken(&names, generation, &previous, since.elapsed());
                gw.telemetry.set_role(Role {
                    active: true,
                    leases: names,
                    generation,
                });
                return true;
            }
            Ok(Acquired::Busy {
                name,
                holder,
                expires_in,
            }) => {
                if busy_with.as_deref() != Some(holder.as_str()) {
                    info!(
                        lease = %name,
                        holder = %holder,
                        expires_in_ms = expires_in.as_millis() as u64,
                        "standby: the lease {name} is held by {holder}; taking over if it expires"
                    );
                    busy_with = Some(holder);
                }
                // Look again just after it runs out, if that is sooner than the next poll.
                wait = wait.min(expires_in + EXPIRY_SLACK);
                failing = false;
            }
            Err(e) => {
                if !failing {
                    warn!(error = %e, "standby: cannot look at the leases; trying again");
                    failing = true;
                }
            }
        }
        if sleep_or_cancel(wait, cancel).await {
            return false;
        }
    }
}

/// The log line of a takeover, readable by an operator.
fn said_taken(names: &[String], generation: i64, previous: &[Previous], waited: Duration) {
    let leases = names.join(", ");
    let expired: Vec<&Previous> = previous
        .iter()
        .filter(|p| !p.holder.is_empty() && p.expired_ago.is_some())
        .collect();
    let released: Vec<&Previous> = previous
        .iter()
        .filter(|p| !p.holder.is_empty() && p.expired_ago.is_none())
        .collect();
    let waited_ms = waited.as_millis() as u64;
    if let Some(p) = expired.first() {
        warn!(
            generation,
            previous = %p.holder,
            expired_ago_ms = p.expired_ago.unwrap_or_default().as_millis() as u64,
            waited_ms,
            "took over the leases {leases} (generation {generation}) after the previous \
             holder's expired ({} stopped renewing them)",
            p.holder
        );
    } else if let Some(p) = released.first() {
        info!(
            generation,
            previous = %p.holder,
            waited_ms,
            "took over the leases {leases} (generation {generation}), released by {}",
            p.holder
        );
    } else {
        info!(
            generation,
            waited_ms, "took the leases {leases} (generation {generation}): nobody held them"
        );
    }
}

/// Keeps the leases renewed while active, until `stop` (after a clean shutdown's last flush)
/// or until they are lost (taken over, or not renewed before the local deadline): then it
/// returns why, and this daemon may no longer act.
pub(super) async fn keep_leases(gw: &Arc<Gateway>, stop: &CancellationToken) -> Option<String> {
    let mut failing_since: Option<Instant> = None;
    loop {
        if sleep_or_cancel(RENEW_EVERY, stop).await {
            return None;
        }
        match blocking(gw, RENEW_EVERY, |pg| pg.renew_leases(TERMS)).await {
            Ok(Renewal::Renewed) => {
                if let Some(t) = failing_since.take() {
                    info!(
                        failed_for_ms = t.elapsed().as_millis() as u64,
                        "lease renewal works again"
                    );
                }
            }
            Ok(Renewal::Lost { by }) => {
                let by = by.unwrap_or_else(|| "another daemon".into());
                let why = format!("the leases were taken over by {by}");
                error!(taken_by = %by, "lost the leases: {why}; stopping all work");
                return Some(why);
            }
            Err(e) => {
                if failing_since.is_none() {
                    failing_since = Some(Instant::now());
                }
                warn!(
                    error = %e,
                    "cannot renew the leases: this daemon stops acting {} s after its last \
                     renewal unless one passes",
                    (TERMS.ttl - TERMS.margin).as_secs()
                );
            }
        }
        if !may_act(gw) {
            let why = "the leases could not be renewed in time".to_string();
            error!("lost the leases: {why}; stopping all work");
            return Some(why);
        }
    }
}

/// Lets the leases go after a clean shutdown: a standby takes over at its next look.
pub(super) async fn release_leases(gw: &Arc<Gateway>) {
    let held = gw.store.postgres().and_then(|pg| pg.leases_held());
    let Some((names, generation)) = held else {
        return;
    };
    match blocking(gw, RENEW_EVERY, |pg| pg.release_leases()).await {
        Ok(()) => info!(
            generation,
            "released the leases {} (generation {generation}): a standby takes over now",
            names.join(", ")
        ),
        Err(e) => warn!(
            error = %e,
            "could not release the leases {}: a standby takes over when they expire",
            names.join(", ")
        ),
    }
    gw.telemetry.set_role(Role::default());
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::on_own_thread;

    /// What a lease thread holds (the gateway) is let go before its caller has the answer.
    #[test]
    fn a_lease_thread_lets_go_of_what_it_holds_before_it_answers() {
        struct Slow(Arc<AtomicBool>);
        impl Drop for Slow {
            fn drop(&mut self) {
                std::thread::sleep(Duration::from_millis(100));
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let rx = on_own_thread("leases", Slow(dropped.clone()), |_| 7).unwrap();
        assert_eq!(rx.blocking_recv(), Ok(7));
        assert!(
            dropped.load(Ordering::SeqCst),
            "answered while still holding"
        );
    }
}
