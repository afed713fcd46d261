//! The ingest task: IMAP IDLE or poll; fetch by UID in groups; prepare on other cores and decide
//! and commit in UID order; flush a batch; then one bulk `UID MOVE` per destination. Nothing is
//! moved before its commit is flushed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info};

use crate::dedupe::MailKey;
use crate::imap::{Connect, IdleEvent, Mailbox};
use crate::pipeline::{Disposition, Gateway, PipelineError, Processed};
use crate::store::StoreError;
use crate::telemetry::{BATCH_BEAT, BEAT_MARGIN};

use super::{sleep_or_cancel, Backoff, Health};

/// Mails committed (store flushed) and moved together: each `UID MOVE` makes the server
/// sync the whole mailbox, so fewer, bigger moves cost it less (docs/benchmarks.md).
const BATCH: usize = 2000;
/// The last batch of a backlog is at most this big: its flush and move are the part no
/// processing overlaps.
const LAST_BATCH: usize = 250;
/// Mails fetched together, at most; the first group of a backlog is smaller, so processing
/// starts while the rest is fetched.
const GROUP: usize = 500;
const FIRST_GROUP: usize = 100;
/// At most this many bytes of mail are fetched together (one bigger mail goes alone).
const FETCH_BYTES: u64 = 8 * 1024 * 1024;
/// The next group is fetched while one is processed when both together stay within this:
/// a 14 MB mail is fetched during the small group before it, and the small group after it
/// during its own processing, instead of each waiting for the other (docs/benchmarks.md).
const AHEAD_BYTES: u64 = 16 * 1024 * 1024;

/// Reads the mailbox of queue `queue` (SPEC §5.4; 0: the top-level `[imap]`).
pub(super) async fn ingest_task(
    gw: Arc<Gateway>,
    queue: usize,
    imap: impl Connect,
    health: Arc<Health>,
    outbox: mpsc::UnboundedSender<Vec<u64>>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::new();
    let mut was_up: Option<bool> = None;
    while !cancel.is_cancelled() {
        gw.telemetry.ingest.beat(BEAT_MARGIN);
        health.imap_connecting(queue);
        let result = async {
            let session = imap.connect().await.map_err(IngestError::Imap)?;
            health.imap_connected(queue);
            if was_up != Some(true) {
                let imap = &gw.queues.get(queue).config.imap;
                info!(host = %imap.host, user = %imap.username, mailbox = %imap.mailbox, "imap connected");
                was_up = Some(true);
            }
            backoff.reset();
            ingest_session(&gw, queue, session, &outbox, &cancel).await
        }
        .await;
        match result {
            Ok(()) => break,
            Err(e) if e.is_fenced() => {
                // Not the server's doing: this daemon may not commit (its leases are lost or
                // not renewed in time); it stops as soon as the lease task says so.
                error!(error = %crate::telemetry::chain(&e), "{}", e.said(true));
                if sleep_or_cancel(backoff.after(true), &cancel).await {
                    break;
                }
            }
            Err(e) => {
                let transient = e.is_transient();
                health.imap_failed(queue, &e, (!transient).then_some(super::PERMANENT_RETRY));
                if !transient {
                    error!(
                        error = %crate::telemetry::chain(&e),
                        retry_in_s = super::PERMANENT_RETRY.as_secs(),
                        "{}", e.said(false)
                    );
                    was_up = Some(false);
                } else if was_up != Some(false) {
                    error!(error = %crate::telemetry::chain(&e), "{}", e.said(true));
                    was_up = Some(false);
                } else {
                    debug!(error = %e, "imap still unavailable");
                }
                if sleep_or_cancel(backoff.after(transient), &cancel).await {
                    break;
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum IngestError {
    #[error(transparent)]
    Imap(#[from] crate::imap::ImapError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("processing task failed: {0}")]
    Join(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    /// Whether a new session may succeed without anyone changing anything.
    fn is_transient(&self) -> bool {
        match self {
            IngestError::Imap(e) => e.is_transient(),
            IngestError::Pipeline(e) => e.is_transient(),
            IngestError::Join(_) => true,
            IngestError::Store(e) => e.is_transient(),
        }
    }

    /// Whether the store refused to commit because this daemon does not hold its leases.
    fn is_fenced(&self) -> bool {
        matches!(
            self,
            IngestError::Store(StoreError::Fenced { .. })
                | IngestError::Pipeline(PipelineError::Store(StoreError::Fenced { .. }))
        )
    }

    /// What the log says of a session that ended on this error (`transient`: tried again
    /// soon, else after [`super::PERMANENT_RETRY`]).
    fn said(&self, transient: bool) -> &'static str {
        let store = matches!(self, IngestError::Store(_) | IngestError::Pipeline(_));
        match (store, transient) {
            _ if self.is_fenced() => {
                "commit refused: this daemon no longer holds its leases (taken over, or not \
                 renewed in time); the mail stays in the mailbox for the daemon that holds them"
            }
            (true, true) => "the store failed; retrying with back-off",
            (true, false) => {
                "the store failed and cannot succeed until the configuration or the database \
                 changes"
            }
            (false, true) => "imap unavailable; retrying with back-off",
            (false, false) => {
                "imap failed and cannot succeed until the configuration or the server changes"
            }
        }
    }
}

async fn ingest_session(
    gw: &Arc<Gateway>,
    queue: usize,
    mut session: impl Mailbox,
    outbox: &mpsc::UnboundedSender<Vec<u64>>,
    cancel: &CancellationToken,
) -> Result<(), IngestError> {
    let q = gw.queues.get(queue);
    let imap = &q.config.imap;
    // The first queue's watermark keeps the key of a desk with one mailbox; another
    // queue's mailbox (maybe also an INBOX) is told apart by its address.
    let watermark = watermark_key(gw, queue);
    if let Some(p) = &imap.processed_mailbox {
        session.ensure_mailbox(p).await?;
    }
    session.ensure_mailbox(&imap.quarantine_mailbox).await?;
    let state = session.select(&imap.mailbox).await?;
    let validity = state.uid_validity;
    let idle_timeout = imap.poll_interval.min(Duration::from_secs(25 * 60));
    // Mail left in place (`processed_mailbox = ""`) stays in the mailbox: a watermark keeps
    // it from being fetched again. Moved mail needs none: what is in the mailbox is new.
    let leave_in_place = imap.processed_mailbox.is_none();
    let mut floor = if leave_in_place {
        gw.store.watermark(&watermark, validity)?
    } else {
        0
    };
    loop {
        gw.telemetry.ingest.beat(idle_timeout + BEAT_MARGIN);
        if cancel.is_cancelled() {
            let _ = session.logout().await;
            return Ok(());
        }
        let mut uids = session.uids().await?;
        uids.retain(|u| *u > floor);
        if !uids.is_empty() {
            let done = process_uids(gw, queue, &mut session, validity, &uids, outbox, cancel).await;
            gw.telemetry.health.set_backlog(false);
            if let Some(uid) = done? {
                floor = floor.max(uid);
            }
            continue;
        }
        if imap.idle && session.supports_idle() {
            let (s, event) = session.idle_wait(idle_timeout, cancel).await?;
            session = s;
            if event == IdleEvent::Cancelled {
                let _ = session.logout().await;
                return Ok(());
            }
        } else if sleep_or_cancel(imap.poll_interval, cancel).await {
            let _ = session.logout().await;
            return Ok(());
        }
    }
}

/// The key of a mailbox's watermark: the first queue's keeps the key of a desk with one
/// mailbox; another queue's mailbox (maybe also an INBOX) is told apart by its address.
fn watermark_key(gw: &Gateway, queue: usize) -> String {
    let q = gw.queues.get(queue);
    match queue {
        0 => q.config.imap.mailbox.clone(),
        _ => format!("{}/{}", q.config.gateway.address, q.config.imap.mailbox),
    }
}

/// Processes fetched mails (and quarantines over-size ones) on a blocking thread: sled and
/// the parser are blocking work. Stops between mails on shutdown; what is left stays in the
/// mailbox for next time. Not flushed: the caller flushes once per batch.
async fn process_fetched(
    gw: &Arc<Gateway>,
    queue: usize,
    validity: u32,
    oversize: Vec<(u32, u64, Option<Vec<u8>>)>,
    fetched: Vec<(u32, Vec<u8>)>,
    cancel: &CancellationToken,
) -> Result<Vec<(u32, Disposition, Vec<u64>)>, IngestError> {
    let g = gw.clone();
    let cancel = cancel.clone();
    let mailbox = (queue > 0).then(|| watermark_key(gw, queue));
    let fetched: Arc<[(u32, Vec<u8>)]> = fetched.into();
    let done = tokio::task::spawn_blocking(move || {
        let mut done: Vec<(u32, Disposition, Vec<u64>)> = Vec::new();
        let now = g.now();
        let count = |p: &crate::pipeline::Processed, started: std::time::Instant| {
            g.telemetry.ingest.beat(BEAT_MARGIN);
            let outcome = p.outcome();
            g.telemetry.metrics.mail(outcome, started.elapsed());
        };
        for (uid, size, head) in oversize {
            let started = std::time::Instant::now();
            let key = MailKey::uid(mailbox.as_deref(), validity, uid);
            let p = g.process_oversize(key, size, head.as_deref(), queue, now)?;
            count(&p, started);
            done.push((uid, p.disposition, p.outbox));
        }
        for (uid, p) in
            process_in_order(&g, queue, &fetched, &cancel, |p, started| count(p, started))?
        {
            done.push((uid, p.disposition, p.outbox));
        }
        Ok::<_, PipelineError>(done)
    })
    .await
    .map_err(|e| IngestError::Join(e.to_string()))??;
    Ok(done)
}

/// Processes fetched mails in UID order, stopping between mails on `cancel`. Parsing and
/// language detection run on the preparing threads ([`super::prepare`]) ahead of this one,
/// which decides and commits the mails one by one; `each` is called after each mail with
/// when its turn began. Not flushed.
pub fn process_in_order(
    g: &Arc<Gateway>,
    queue: usize,
    fetched: &Arc<[(u32, Vec<u8>)]>,
    cancel: &CancellationToken,
    mut each: impl FnMut(&Processed, std::time::Instant),
) -> Result<Vec<(u32, Processed)>, PipelineError> {
    if fetched.is_empty() {
        return Ok(Vec::new());
    }
    // Returning drops it, which stops the threads still ahead and waits for them.
    let prepared = super::prepare::prepare(g, fetched);
    let mut done = Vec::with_capacity(fetched.len());
    for (i, (uid, raw)) in fetched.iter().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let started = std::time::Instant::now();
        let p = match prepared.take(i) {
            Some(p) => p?,
            // No thread took these mails, or it ended: prepare here.
            None => g.prepare_safely(raw)?,
        };
        let p = g.finish_safely(raw, p, queue, g.now())?;
        each(&p, started);
        done.push((*uid, p));
    }
    Ok(done)
}

/// Mails fetched together: at most [`FETCH_BYTES`] (or one bigger mail) and never across a
/// batch boundary.
struct Group {
    /// (UID, size), ascending.
    mails: Vec<(u32, u64)>,
    bytes: u64,
    /// The last group of its batch: the store is flushed and the batch moved after it.
    ends_batch: bool,
}

/// A batch whose commits are flushed, waiting to be moved on the server.
#[derive(Default)]
struct Flushed {
    processed: Vec<u32>,
    quarantined: Vec<u32>,
}

/// Handles `uids` (ascending): over-size mails quarantined unfetched; the others fetched in
/// groups, processed in UID order, the store flushed once per batch of [`BATCH`], then
/// moved. The server's work overlaps ours: while a group is processed on blocking threads,
/// the store flushes the batch before it, or the session moves a flushed batch, and the
/// session fetches the next group.
/// Nothing is moved and nothing sent before its commit is flushed. Returns the highest UID
/// up to which every mail was handled.
async fn process_uids(
    gw: &Arc<Gateway>,
    queue: usize,
    session: &mut impl Mailbox,
    validity: u32,
    uids: &[u32],
    outbox: &mpsc::UnboundedSender<Vec<u64>>,
    cancel: &CancellationToken,
) -> Result<Option<u32>, IngestError> {
    gw.telemetry.ingest.beat(BATCH_BEAT);
    let max = gw.config.gateway.max_message_size;
    let mut oversize = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for batch in batches(uids) {
        let sizes = session.sizes(batch).await?;
        let (fetched, over): (Vec<_>, Vec<_>) = sizes.into_iter().partition(|(_, s)| *s <= max);
        // Too big to fetch, but its sender is told (SPEC §3.8): its header block is enough.
        let over_uids: Vec<u32> = over.iter().map(|(uid, _)| *uid).collect();
        let mut heads = session.headers(&over_uids).await?.into_iter().peekable();
        for (uid, size) in over {
            let head = heads.next_if(|(u, _)| *u == uid).map(|(_, h)| h);
            oversize.push((uid, size, head));
        }
        let limit = if groups.is_empty() {
            FIRST_GROUP
        } else {
            GROUP
        };
        groups.extend(group(&fetched, limit));
    }
    // More than one group waiting: the outbox pauses until this backlog is in (see
    // outbox_task); the caller clears the flag.
    gw.telemetry.health.set_backlog(groups.len() > 1);
    let mut handled = BTreeSet::new();
    // A processed batch waiting to be flushed, which happens while the next group is
    // processed (the store takes new commits while it applies and syncs older ones); then,
    // flushed, waiting to be moved, which happens while the group after that is processed.
    // Flushing, moving and fetching the next group one after the other took longer than a
    // group's processing, which then waited for the server at every batch.
    let mut ready = process_fetched(gw, queue, validity, oversize, Vec::new(), cancel).await?;
    let mut flushed: Option<Flushed> = None;
    let mut results = Vec::new();
    let mut prefetched: Option<Vec<(u32, Vec<u8>)>> = None;
    for (i, group) in groups.iter().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        gw.telemetry.ingest.beat(BATCH_BEAT);
        let fetched = match prefetched.take() {
            Some(f) => f,
            None => session.fetch_sized(&group.mails).await?,
        };
        // Fetched ahead only while both groups together stay within the memory bound.
        let next = groups
            .get(i + 1)
            .filter(|n| n.bytes + group.bytes <= AHEAD_BYTES);
        let work = process_fetched(gw, queue, validity, Vec::new(), fetched, cancel);
        let batch = std::mem::take(&mut ready);
        let to_move = flushed.take();
        let handled = &mut handled;
        let server = async {
            // Moved before the next flush: the watermark of mail left in place counts only
            // batches that are flushed and marked.
            if let Some(f) = to_move {
                move_flushed(gw, queue, session, validity, f, uids, handled).await?;
            }
            let now_flushed = flush_batch(gw, batch, handled, outbox).await?;
            let next = match next {
                Some(n) => Some(session.fetch_sized(&n.mails).await?),
                None => None,
            };
            Ok::<_, IngestError>((now_flushed, next))
        };
        let (done, server) = tokio::join!(work, server);
        results.extend(done?);
        let (now_flushed, next_fetched) = server?;
        flushed = Some(now_flushed);
        prefetched = next_fetched;
        if group.ends_batch {
            ready = std::mem::take(&mut results);
        }
    }
    // The last batches, and what was processed of a batch when shutdown stopped it.
    if let Some(f) = flushed {
        move_flushed(gw, queue, session, validity, f, uids, &handled).await?;
    }
    ready.extend(results);
    let last = flush_batch(gw, ready, &mut handled, outbox).await?;
    move_flushed(gw, queue, session, validity, last, uids, &handled).await?;
    Ok(contiguous(uids, &handled))
}

/// `uids` cut into batches of [`BATCH`], the last one at most [`LAST_BATCH`].
fn batches(uids: &[u32]) -> Vec<&[u32]> {
    let (head, tail) = uids.split_at(uids.len().saturating_sub(LAST_BATCH));
    head.chunks(BATCH)
        .chain([tail])
        .filter(|b| !b.is_empty())
        .collect()
}

/// One batch's mails (UID, size) cut into groups fetched together: at most [`GROUP`] mails
/// (the first group at most `first`) and [`FETCH_BYTES`] (or one bigger mail), so that a
/// batch with 10 MiB attachments in it does not hold them all in memory at once (SPEC §6:
/// peak RSS under 100 MiB). The last group ends the batch.
fn group(batch: &[(u32, u64)], first: usize) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for &(uid, size) in batch {
        let limit = if groups.len() == 1 { first } else { GROUP };
        match groups.last_mut() {
            Some(g) if g.mails.len() < limit && g.bytes + size <= FETCH_BYTES => {
                g.mails.push((uid, size));
                g.bytes += size;
            }
            _ => groups.push(Group {
                mails: vec![(uid, size)],
                bytes: size,
                ends_batch: false,
            }),
        }
    }
    if let Some(g) = groups.last_mut() {
        g.ends_batch = true;
    }
    groups
}

/// The highest of `uids` (ascending) up to which all are in `handled`.
fn contiguous(uids: &[u32], handled: &BTreeSet<u32>) -> Option<u32> {
    uids.iter()
        .take_while(|u| handled.contains(u))
        .last()
        .copied()
}

/// Flushes the store (making `results` durable), hands their outgoing mail to the outbox
/// and returns what is now to be moved.
async fn flush_batch(
    gw: &Arc<Gateway>,
    results: Vec<(u32, Disposition, Vec<u64>)>,
    handled: &mut BTreeSet<u32>,
    outbox: &mpsc::UnboundedSender<Vec<u64>>,
) -> Result<Flushed, IngestError> {
    let mut flushed = Flushed::default();
    if results.is_empty() {
        return Ok(flushed);
    }
    gw.flush_async().await?;
    let mut ids = Vec::new();
    for (uid, disposition, out) in results {
        match disposition {
            Disposition::Processed => flushed.processed.push(uid),
            Disposition::Quarantine(_) => flushed.quarantined.push(uid),
        }
        handled.insert(uid);
        ids.extend(out);
    }
    // Committed and flushed: now the outbox may send, and the server may move.
    if !ids.is_empty() {
        let _ = outbox.send(ids);
    }
    Ok(flushed)
}

/// Moves a flushed batch to its mailboxes (or marks it, for mail left in place, and
/// advances the watermark).
async fn move_flushed(
    gw: &Gateway,
    queue: usize,
    session: &mut impl Mailbox,
    validity: u32,
    flushed: Flushed,
    uids: &[u32],
    handled: &BTreeSet<u32>,
) -> Result<(), IngestError> {
    // A daemon no longer sure of its leases leaves the mail where it is: it is committed, so
    // the daemon that takes over finds it a duplicate and moves it.
    if !super::leases::may_act(gw) {
        return Err(IngestError::Store(StoreError::Fenced {
            url: "(leases)".into(),
            reason: "the leases were not renewed in time: the batch is left in place".into(),
        }));
    }
    let imap = &gw.queues.get(queue).config.imap;
    if !flushed.processed.is_empty() {
        match &imap.processed_mailbox {
            Some(mb) => session.move_to(&flushed.processed, mb).await?,
            None => session.mark_seen(&flushed.processed).await?,
        }
    }
    if !flushed.quarantined.is_empty() {
        session
            .move_to(&flushed.quarantined, &imap.quarantine_mailbox)
            .await?;
    }
    if flushed.processed.is_empty() && flushed.quarantined.is_empty() {
        return Ok(());
    }
    if imap.processed_mailbox.is_none() {
        if let Some(uid) = contiguous(uids, handled) {
            gw.store
                .set_watermark(&watermark_key(gw, queue), validity, uid)?;
        }
    }
    info!(
        processed = flushed.processed.len(),
        quarantined = flushed.quarantined.len(),
        "batch done"
    );
    // A batch's lines are out when it is done (the log is written in blocks otherwise).
    crate::telemetry::flush_log();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_refused_by_the_fence_is_logged_as_lost_leases_not_as_imap() {
        let fenced = IngestError::Pipeline(PipelineError::Store(StoreError::Fenced {
            url: "postgres://db".into(),
            reason: "the leases INBOX, outbox (generation 3) were taken over".into(),
        }));
        assert!(fenced.is_fenced());
        assert!(
            fenced.said(true).starts_with("commit refused"),
            "{}",
            fenced.said(true)
        );
        assert!(fenced.said(true).contains("leases"));
        assert!(!fenced.said(true).contains("imap"), "{}", fenced.said(true));
        assert!(IngestError::Store(StoreError::Fenced {
            url: "(leases)".into(),
            reason: "not renewed in time".into(),
        })
        .is_fenced());
        let broken = IngestError::Store(StoreError::Database {
            url: "postgres://db".into(),
            reason: "the connection to PostgreSQL broke".into(),
        });
        assert!(!broken.is_fenced());
        assert_eq!(
            broken.said(true),
            "the store failed; retrying with back-off"
        );
        assert!(broken
            .said(false)
            .starts_with("the store failed and cannot succeed"));
    }

    #[test]
    fn a_backlog_is_cut_into_big_batches_with_a_small_last_one() {
        let uids: Vec<u32> = (1..=10_000).collect();
        let sizes: Vec<usize> = batches(&uids).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [2000, 2000, 2000, 2000, 1750, 250]);
        let flat: Vec<u32> = batches(&uids).concat();
        assert_eq!(flat, uids, "every UID once, in order");
        assert_eq!(batches(&uids[..100]), vec![&uids[..100]]);
        assert_eq!(
            batches(&uids[..300])
                .iter()
                .map(|b| b.len())
                .collect::<Vec<_>>(),
            [50, 250]
        );
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn groups_start_small_and_stay_within_count_and_bytes() {
        let small: Vec<(u32, u64)> = (1..=1200).map(|u| (u, 2_000)).collect();
        let g = group(&small, FIRST_GROUP);
        let counts: Vec<usize> = g.iter().map(|g| g.mails.len()).collect();
        assert_eq!(counts, [100, 500, 500, 100]);
        assert_eq!(
            g.iter().map(|g| g.ends_batch).collect::<Vec<_>>(),
            [false, false, false, true]
        );
        // 10 MiB mails: never two in one group, and a mail bigger than the bound alone.
        let big: Vec<(u32, u64)> = vec![(1, 10 << 20), (2, 1_000), (3, 10 << 20), (4, 9 << 20)];
        let g = group(&big, GROUP);
        let uids: Vec<Vec<u32>> = g
            .iter()
            .map(|g| g.mails.iter().map(|m| m.0).collect())
            .collect();
        assert_eq!(uids, [vec![1], vec![2], vec![3], vec![4]]);
        assert!(g
            .iter()
            .all(|g| g.mails.len() == 1 || g.bytes <= FETCH_BYTES));
    }
}
