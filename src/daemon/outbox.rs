//! The outbox task: sends due outgoing mail over SMTP, a few at a time within a memory budget,
//! retries with back-off, marks dead; gives way to an ingest backlog for a while. It waits on
//! a closed set of [`Event`]s (new work, a round of sends done, the next due time, a backlog
//! beginning or ending, shutdown), whichever comes first.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::pipeline::Gateway;
use crate::smtp::Relay;
use crate::store::{OutboxEntry, OutboxStatus};
use crate::telemetry::BEAT_MARGIN;

use super::Health;

/// The longest the outbox waits for an ingest backlog before it sends a round anyway.
const MAX_OUTBOX_PAUSE: Duration = Duration::from_secs(60);
/// Outgoing mails sent at once.
const SEND_CONCURRENCY: usize = 10;
/// How long a send in flight may still take once shutdown began.
const SEND_GRACE: Duration = Duration::from_secs(2);

/// How much outgoing mail (in KiB) the concurrent sends may hold in memory at once: ten
/// status mails of a few KiB never wait, but five 14 MB staff notices with a forwarded file
/// go one after the other instead of all at once (SPEC §6, peak memory).
const SEND_BUDGET_KIB: usize = 16 * 1024;

/// What the outbox task reacts to: the closed set of things that can happen to it.
enum Event {
    /// Outgoing mail was committed and flushed (its outbox ids): it is due now.
    NewWork(Vec<u64>),
    /// Every sender of new work is gone: nothing more will come.
    NoMoreWork,
    /// The round of sends in flight is over.
    SendDone(Round),
    /// The earliest scheduled mail is due, or a pause for an ingest backlog ran out.
    Due,
    /// Ingest began or finished working through a backlog.
    Backlog,
    Shutdown,
}

/// What one round of sends left: mails to try again (when, id), whether any was sent, and
/// why the server looked down (if it did).
#[derive(Default)]
struct Round {
    retry: Vec<(i64, u64)>,
    any_ok: bool,
    down: Option<String>,
}

pub(super) async fn outbox_task(
    gw: Arc<Gateway>,
    smtp: Arc<dyn Relay>,
    health: Arc<Health>,
    mut rx: mpsc::UnboundedReceiver<Vec<u64>>,
    cancel: CancellationToken,
) {
    // (next attempt, id): the in-memory schedule, loaded from the store at start.
    let mut queue: BTreeSet<(i64, u64)> = BTreeSet::new();
    let budget = Semaphore::new(SEND_BUDGET_KIB);
    match gw.store.outbox_pending() {
        Ok(entries) => {
            for e in entries {
                queue.insert((e.next_attempt_at, e.id));
            }
        }
        Err(e) => error!(error = %e, "cannot read the outbox"),
    }
    let mut backlog = health.backlog.subscribe();
    let mut was_up: Option<bool> = None;
    let mut paused_since: Option<tokio::time::Instant> = None;
    let mut closed = false;
    let mut in_flight: Option<BoxFuture<'_, Round>> = None;
    loop {
        // While ingest works through a backlog, sending waits (at most MAX_OUTBOX_PAUSE at a
        // time): on a small machine the two compete for the same cores, and a committed mail's
        // answers are safe in the outbox. Single mails never set the backlog flag.
        let pause_left = if *backlog.borrow_and_update() {
            MAX_OUTBOX_PAUSE.checked_sub(
                paused_since
                    .get_or_insert_with(tokio::time::Instant::now)
                    .elapsed(),
            )
        } else {
            paused_since = None;
            None
        };
        let now = gw.now();
        if in_flight.is_none() && pause_left.is_none() {
            let due: Vec<u64> = queue
                .iter()
                .take_while(|(at, _)| *at <= now)
                .map(|(_, id)| *id)
                .collect();
            if !due.is_empty() {
                queue.retain(|(at, _)| *at > now);
                in_flight = Some(Box::pin(send_round(&gw, &*smtp, due, &budget, &cancel)));
            }
        }
        let wait = pause_left.unwrap_or_else(|| {
            queue
                .first()
                .map(|(at, _)| Duration::from_secs((at - now).max(0) as u64))
                .unwrap_or(Duration::from_secs(3600))
        });
        gw.telemetry.outbox.beat(match in_flight {
            Some(_) => BEAT_MARGIN,
            None => wait + BEAT_MARGIN,
        });
        let event = tokio::select! {
            _ = cancel.cancelled() => Event::Shutdown,
            round = async { in_flight.as_mut().expect("guarded by is_some").await },
                if in_flight.is_some() => Event::SendDone(round),
            // A closed channel (every sender gone) must not make this select return at once
            // forever: remember it and wait on the rest.
            msg = rx.recv(), if !closed => match msg {
                Some(ids) => Event::NewWork(ids),
                None => Event::NoMoreWork,
            },
            Ok(()) = backlog.changed() => Event::Backlog,
            _ = tokio::time::sleep(wait), if in_flight.is_none() => Event::Due,
        };
        match event {
            Event::Shutdown => {
                // The sends in flight finish (each within SEND_GRACE) and are recorded.
                if let Some(round) = in_flight.take() {
                    let round = round.await;
                    done(&gw, &health, round, &mut queue, &mut was_up).await;
                }
                break;
            }
            Event::SendDone(round) => {
                in_flight = None;
                done(&gw, &health, round, &mut queue, &mut was_up).await;
            }
            Event::NewWork(ids) => {
                for id in ids {
                    queue.insert((0, id));
                }
            }
            Event::NoMoreWork => {
                if queue.is_empty() && in_flight.is_none() {
                    break;
                }
                closed = true;
            }
            Event::Due | Event::Backlog => {}
        }
    }
    if let Err(e) = gw.flush_async().await {
        error!(error = %e, "outbox flush failed");
    }
}

/// Sends `due` in up to [`SEND_CONCURRENCY`] chains at once.
async fn send_round(
    gw: &Gateway,
    smtp: &dyn Relay,
    due: Vec<u64>,
    budget: &Semaphore,
    cancel: &CancellationToken,
) -> Round {
    let results = futures::future::join_all(
        due.chunks(due.len().div_ceil(SEND_CONCURRENCY).max(1))
            .map(|ids| send_some(gw, smtp, ids.to_vec(), budget, cancel)),
    )
    .await;
    let mut round = Round::default();
    for (retry, ok, down) in results {
        round.retry.extend(retry);
        round.any_ok |= ok;
        round.down = round.down.or(down);
    }
    round
}

/// Records a finished round: retries scheduled, the outbox's changes flushed, health told.
async fn done(
    gw: &Arc<Gateway>,
    health: &Health,
    round: Round,
    queue: &mut BTreeSet<(i64, u64)>,
    was_up: &mut Option<bool>,
) {
    queue.extend(round.retry);
    if let Err(e) = gw.flush_async().await {
        error!(error = %e, "outbox flush failed");
    }
    if let (Some(why), false) = (&round.down, round.any_ok) {
        health.smtp_failed(format!(
            "sending fails and is retried (see `ticket-gateway outbox`): {why}"
        ));
        if *was_up != Some(false) {
            error!(error = %why, "smtp unavailable; outgoing mail waits and is retried");
            *was_up = Some(false);
        }
    } else if round.any_ok {
        health.smtp_ok();
        if *was_up != Some(true) {
            info!("smtp delivering");
            *was_up = Some(true);
        }
    }
}

/// Sends these entries once, now (`ingest` in pipe mode); failures stay pending.
pub async fn send_now(gw: &Gateway, smtp: &dyn Relay, ids: Vec<u64>) {
    let budget = Semaphore::new(SEND_BUDGET_KIB);
    let _ = send_some(gw, smtp, ids, &budget, &CancellationToken::new()).await;
}

/// Sends some entries one after the other over one pooled connection. Returns the entries to
/// retry, whether any was sent, and why the server looked down (if it did).
async fn send_some(
    gw: &Gateway,
    smtp: &dyn Relay,
    ids: Vec<u64>,
    budget: &Semaphore,
    cancel: &CancellationToken,
) -> (Vec<(i64, u64)>, bool, Option<String>) {
    let mut retry = Vec::new();
    let mut any_ok = false;
    let mut down: Option<String> = None;
    let give_up = gw.config.smtp.give_up_after.as_secs() as i64;
    let mut unreadable = false;
    for id in ids {
        // On shutdown the send in flight finishes; the rest stays pending for next time.
        if cancel.is_cancelled() {
            retry.push((0, id));
            continue;
        }
        // A daemon no longer sure of its leases reads nothing more (a database cut off may
        // not answer at all): the daemon that takes over sends.
        if unreadable || !super::leases::may_act(gw) {
            retry.push((gw.now() + 1, id));
            continue;
        }
        let entry = match gw.store.outbox_entry(id) {
            Ok(Some(e)) if e.status == OutboxStatus::Pending => e,
            Ok(Some(_)) => continue,
            Ok(None) => {
                warn!(id, "outbox entry missing");
                continue;
            }
            Err(e) => {
                // The rest of this round waits too: the store is not answering.
                warn!(id, error = %e, "cannot read the outbox; its mails wait and are retried");
                unreadable = true;
                retry.push((gw.now() + 1, id));
                continue;
            }
        };
        // Big mails (forwarded files) take their share of the budget before they are read.
        let kib = (entry.size / 1024).clamp(1, SEND_BUDGET_KIB as u64) as u32;
        let Ok(_permit) = budget.acquire_many(kib).await else {
            continue;
        };
        let raw = match gw.store.outbox_raw(id) {
            Ok(Some(raw)) => raw,
            Ok(None) => {
                warn!(id, "outbox entry missing its mail");
                continue;
            }
            Err(e) => {
                // A disk hiccup passes: tried again, until give_up_after, as a mail the
                // server refuses for now would be.
                let mut entry = entry;
                entry.attempts += 1;
                let why = format!("cannot read the mail: {e}");
                let delay = Some(retry_delay(entry.attempts));
                match failed_try(&mut entry, why, delay, gw.now(), give_up) {
                    Some(at) => {
                        error!(id, error = %e, "cannot read an outgoing mail; will retry");
                        retry.push((at, id));
                    }
                    None => {
                        warn!(id, message_id = %entry.message_id, error = %e, "outgoing mail is dead")
                    }
                }
                if let Err(e) = gw.store.outbox_update(&entry) {
                    error!(id, error = %e, "cannot update the outbox");
                }
                continue;
            }
        };
        // A daemon no longer sure of its leases sends nothing: the one that takes over does.
        if unreadable || !super::leases::may_act(gw) {
            retry.push((gw.now() + 1, id));
            continue;
        }
        gw.telemetry.outbox.beat(BEAT_MARGIN);
        let mut entry = entry;
        entry.attempts += 1;
        let attempts = entry.attempts;
        let now = gw.now();
        // On shutdown a send in flight gets SEND_GRACE to finish; a server that hangs does
        // not hold the exit up (SPEC §4: within 10 s). The mail stays pending and goes next
        // time, with the same Message-ID.
        let sent = tokio::select! {
            // Looked at first: a process thawed past its leases' deadline ends its send here.
            biased;
            () = super::leases::fenced(gw) => {
                warn!(id, "the leases ran out during a send: the mail is left to the daemon that takes over");
                retry.push((gw.now() + 1, id));
                continue;
            }
            r = smtp.send(&entry.from, &entry.to, &raw) => r,
            _ = async {
                cancel.cancelled().await;
                tokio::time::sleep(SEND_GRACE).await;
            } => {
                warn!(id, "shutdown: a send did not finish in time; the mail goes next time");
                retry.push((0, id));
                continue;
            }
        };
        match sent {
            Ok(()) => {
                any_ok = true;
                entry.status = OutboxStatus::Sent;
                entry.sent_at = Some(now);
                entry.last_error = None;
                debug!(id, message_id = %entry.message_id, "sent");
            }
            Err(e) => match failed_try(
                &mut entry,
                crate::telemetry::chain(&e),
                retry_after(&e, attempts),
                now,
                give_up,
            ) {
                Some(at) => {
                    down = Some(crate::telemetry::chain(&e));
                    debug!(id, error = %e, delay = at - now, "send failed; will retry");
                    retry.push((at, id));
                }
                None => {
                    warn!(id, message_id = %entry.message_id, error = %crate::telemetry::chain(&e), "outgoing mail is dead")
                }
            },
        }
        // A completed send is recorded (synced) before the next one starts: after a crash,
        // only mails in flight go again (SPEC §4). The sync runs off the async threads.
        let store = gw.store.clone();
        let recorded = tokio::task::spawn_blocking(move || match entry.status {
            OutboxStatus::Sent => store.outbox_sent(&entry),
            _ => store.outbox_update(&entry),
        })
        .await;
        match recorded {
            Ok(Ok(())) => {}
            Ok(Err(e)) => error!(id, error = %e, "cannot update the outbox"),
            Err(e) => error!(id, error = %e, "cannot update the outbox"),
        }
    }
    (retry, any_ok, down)
}

/// When to try a mail again after this failure, in seconds, or `None` when it is dead: the
/// one place that decides. A transient failure is tried again after [`retry_delay`]; a
/// permanent one that blames the server or the account (a refused login, an untrusted
/// certificate) after [`super::PERMANENT_RETRY`], since the mail is not at fault; a
/// permanent refusal of the mail itself (5xx to it) kills it.
fn retry_after(e: &crate::smtp::SmtpError, attempts: u32) -> Option<i64> {
    if e.is_transient() {
        Some(retry_delay(attempts))
    } else if e.blames_the_link() {
        Some(super::PERMANENT_RETRY.as_secs() as i64)
    } else {
        None
    }
}

/// Records a failed try of `entry`: while `delay` says to try again and the mail is younger
/// than `give_up` seconds, it is tried again after `delay` seconds (the time is returned);
/// else it is dead.
fn failed_try(
    entry: &mut OutboxEntry,
    why: String,
    delay: Option<i64>,
    now: i64,
    give_up: i64,
) -> Option<i64> {
    entry.last_error = Some(why);
    match delay {
        Some(delay) if now - entry.created_at < give_up => {
            entry.next_attempt_at = now + delay;
            Some(entry.next_attempt_at)
        }
        _ => {
            entry.status = OutboxStatus::Dead;
            None
        }
    }
}

/// Seconds until the next try after `attempts` failed ones: 2 s, 4 s, 8 s … capped at 5 minutes.
fn retry_delay(attempts: u32) -> i64 {
    (2i64 << attempts.saturating_sub(1).min(8)).min(300)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::SmtpError;

    fn entry() -> OutboxEntry {
        OutboxEntry {
            id: 1,
            message_id: "m@x".into(),
            ticket: Some(1),
            kind: "acknowledgement".into(),
            from: "support@x".into(),
            to: vec!["a@x".into()],
            created_at: 0,
            attempts: 1,
            next_attempt_at: 0,
            status: OutboxStatus::Pending,
            last_error: None,
            sent_at: None,
            size: 10,
        }
    }

    #[test]
    fn a_permanent_failure_of_the_link_keeps_the_mail_and_waits_long() {
        let untrusted = SmtpError::Tls {
            addr: "smtp:465".into(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "unknown issuer"),
        };
        assert!(!untrusted.is_transient() && untrusted.blames_the_link());
        let mut e = entry();
        let at = failed_try(&mut e, "tls".into(), retry_after(&untrusted, 1), 100, 3600);
        assert_eq!(
            at,
            Some(100 + super::super::PERMANENT_RETRY.as_secs() as i64)
        );
        assert_eq!(e.status, OutboxStatus::Pending);
    }

    #[test]
    fn a_transient_failure_backs_off_and_a_refused_mail_dies() {
        let down = SmtpError::Timeout {
            addr: "smtp:25".into(),
        };
        assert_eq!(retry_after(&down, 1), Some(2));
        assert_eq!(retry_after(&down, 3), Some(8));
        assert_eq!(retry_after(&down, 30), Some(300));
        let refused = SmtpError::Envelope("bad recipient".into());
        let mut e = entry();
        assert_eq!(
            failed_try(&mut e, "5xx".into(), retry_after(&refused, 1), 100, 3600),
            None
        );
        assert_eq!(e.status, OutboxStatus::Dead);
        // Past give_up_after even a transient failure is the end.
        let mut e = entry();
        assert_eq!(failed_try(&mut e, "down".into(), Some(2), 4000, 3600), None);
        assert_eq!(e.status, OutboxStatus::Dead);
    }
}
