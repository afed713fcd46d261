//! The running daemon: three tasks (ingest, outbox, timers) under one cancellation token.
//!
//! ingest: IMAP IDLE or poll; fetch a batch by UID; process each mail (commit); flush the
//! store; then one bulk `UID MOVE` per destination. outbox: sends due entries over SMTP,
//! retries with back-off, marks dead. timers: runs due reminders and automatic closes.
//! Nothing is moved on the server and nothing is sent before its commit is flushed.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, info, warn};

use crate::config::Config;
use crate::imap::{IdleEvent, Session};
use crate::pipeline::{now_secs, Disposition, Gateway, PipelineError, Processed};
use crate::smtp::Smtp;
use crate::store::{OutboxEntry, OutboxStatus, SledStore, Store, StoreError};
use crate::telemetry::{MailOutcome, BATCH_BEAT, BEAT_MARGIN};
use crate::templates::{TemplateError, Templates};

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
/// The longest the outbox waits for an ingest backlog before it sends a round anyway.
const MAX_OUTBOX_PAUSE: Duration = Duration::from_secs(60);
/// At most this many bytes of mail are fetched and held at once.
const FETCH_BYTES: u64 = 8 * 1024 * 1024;
/// Outgoing mails sent at once.
const SEND_CONCURRENCY: usize = 10;
/// How long a send in flight may still take once shutdown began.
const SEND_GRACE: Duration = Duration::from_secs(2);

/// How much outgoing mail (in KiB) the concurrent sends may hold in memory at once: ten
/// status mails of a few KiB never wait, but five 14 MB staff notices with a forwarded file
/// go one after the other instead of all at once (SPEC §6, peak memory).
const SEND_BUDGET_KIB: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("templates:\n{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<TemplateError>),
    #[error(transparent)]
    Smtp(#[from] crate::smtp::SmtpError),
    #[error(transparent)]
    Admin(#[from] crate::admin::AdminError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

/// What the admin endpoint and logs report (it lives with the metrics, on the gateway).
pub use crate::telemetry::Health;

/// Opens the store and templates: what every command needs.
pub fn open_gateway(config: Config) -> Result<Gateway, DaemonError> {
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&config.gateway.store)?);
    let templates = Templates::load(
        &config.gateway.templates,
        &config.gateway.name,
        &config.gateway.tag_prefix,
    )
    .map_err(DaemonError::Templates)?;
    Ok(Gateway {
        policy: config.policy(),
        config,
        store,
        templates,
        telemetry: Default::default(),
        serial: Default::default(),
        unsynced: Default::default(),
    })
}

/// Runs until `shutdown` completes; then finishes the mail in hand, flushes and returns.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), DaemonError> {
    run_with(Arc::new(open_gateway(config)?), shutdown).await
}

/// [`run`] on an open gateway (tests keep a handle on its store while it runs).
pub async fn run_with(
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let smtp = Smtp::new(&gateway.config.smtp)?;
    let health = gateway.telemetry.health.clone();
    let admin = crate::admin::Endpoint::bind(&gateway).await?;
    let admin_addr = admin.addr();
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let (outbox_tx, outbox_rx) = mpsc::unbounded_channel::<Vec<u64>>();

    tracker.spawn(stopped(
        "ingest",
        ingest_task(
            gateway.clone(),
            health.clone(),
            outbox_tx.clone(),
            cancel.clone(),
        ),
    ));
    tracker.spawn(stopped(
        "outbox",
        outbox_task(
            gateway.clone(),
            smtp.clone(),
            health.clone(),
            outbox_rx,
            cancel.clone(),
        ),
    ));
    tracker.spawn(stopped(
        "timers",
        timer_task(gateway.clone(), outbox_tx.clone(), cancel.clone()),
    ));
    tracker.spawn(stopped(
        "admin",
        admin.serve(
            gateway.clone(),
            smtp,
            outbox_tx,
            cancel.clone(),
            tracker.clone(),
        ),
    ));
    tracker.spawn(stopped(
        "watchdog",
        crate::telemetry::watchdog(gateway.telemetry.clone(), cancel.clone()),
    ));
    tracker.close();
    info!(
        address = %gateway.config.gateway.address,
        imap = %format!("{}:{}", gateway.config.imap.host, gateway.config.imap.port),
        smtp = %format!("{}:{}", gateway.config.smtp.host, gateway.config.smtp.port),
        admin = %admin_addr,
        "ticket-gateway running"
    );
    crate::telemetry::flush_log();
    crate::telemetry::notify_ready(&format!("serving; admin endpoint on {admin_addr}"));

    shutdown.await;
    crate::telemetry::notify_stopping();
    info!("shutting down: finishing the mail in hand");
    cancel.cancel();
    if tokio::time::timeout(Duration::from_secs(9), tracker.wait())
        .await
        .is_err()
    {
        warn!("tasks did not stop within 9 s");
    }
    gateway.flush()?;
    info!("stopped");
    Ok(())
}

/// Runs a task and says when it has stopped (shutdown diagnostics).
async fn stopped(name: &'static str, task: impl Future<Output = ()>) {
    task.await;
    debug!(task = name, "task stopped");
}

/// Sleeps `d` unless cancelled first; true when cancelled.
async fn sleep_or_cancel(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => true,
        _ = tokio::time::sleep(d) => false,
    }
}

/// Capped exponential back-off.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    fn new() -> Backoff {
        Backoff {
            next: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
    fn reset(&mut self) {
        self.next = Duration::from_millis(500);
    }
    fn step(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }
}

async fn ingest_task(
    gw: Arc<Gateway>,
    health: Arc<Health>,
    outbox: mpsc::UnboundedSender<Vec<u64>>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::new();
    let mut was_up: Option<bool> = None;
    while !cancel.is_cancelled() {
        gw.telemetry.ingest.beat(BEAT_MARGIN);
        health.imap_connecting();
        let result = async {
            let session = Session::connect(&gw.config.imap)
                .await
                .map_err(IngestError::Imap)?;
            health.imap_connected();
            if was_up != Some(true) {
                info!(host = %gw.config.imap.host, "imap connected");
                was_up = Some(true);
            }
            backoff.reset();
            ingest_session(&gw, session, &outbox, &cancel).await
        }
        .await;
        match result {
            Ok(()) => break,
            Err(e) => {
                health.imap_failed(&e);
                if was_up != Some(false) {
                    error!(error = %e, "imap unavailable; retrying with back-off");
                    was_up = Some(false);
                } else {
                    debug!(error = %e, "imap still unavailable");
                }
                if sleep_or_cancel(backoff.step(), &cancel).await {
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

async fn ingest_session(
    gw: &Arc<Gateway>,
    mut session: Session,
    outbox: &mpsc::UnboundedSender<Vec<u64>>,
    cancel: &CancellationToken,
) -> Result<(), IngestError> {
    let imap = &gw.config.imap;
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
        gw.store.watermark(&imap.mailbox, validity)?
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
            let done = process_uids(gw, &mut session, validity, &uids, outbox, cancel).await;
            gw.telemetry
                .health
                .backlog
                .store(false, std::sync::atomic::Ordering::Relaxed);
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

/// The dedupe key of a mail too big to fetch: its place on the server
/// (`uid:<UIDVALIDITY>:<UID>`). A fetched mail is known by its Message-ID or its hash.
fn uid_key(validity: u32, uid: u32) -> String {
    format!("uid:{validity}:{uid}")
}

/// How many mails a preparing thread may be ahead of the one that commits (memory bound).
const PREPARE_AHEAD: usize = 16;

/// Threads that prepare mails (parse, language) beside the one that decides and commits
/// them: one per core but one, at least one, at most four.
fn prepare_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .clamp(1, 4)
}

/// Processes fetched mails (and quarantines over-size ones) on a blocking thread: sled and
/// the parser are blocking work. Stops between mails on shutdown; what is left stays in the
/// mailbox for next time. Not flushed: the caller flushes once per batch.
async fn process_fetched(
    gw: &Arc<Gateway>,
    validity: u32,
    oversize: Vec<(u32, u64)>,
    fetched: Vec<(u32, Vec<u8>)>,
    cancel: &CancellationToken,
) -> Result<Vec<(u32, Disposition, Vec<u64>)>, IngestError> {
    let g = gw.clone();
    let cancel = cancel.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut done: Vec<(u32, Disposition, Vec<u64>)> = Vec::new();
        let now = now_secs();
        let count = |p: &crate::pipeline::Processed, started: std::time::Instant| {
            g.telemetry.ingest.beat(BEAT_MARGIN);
            let outcome = MailOutcome::from_record(&p.record.outcome, p.duplicate);
            g.telemetry.metrics.mail(outcome, started.elapsed());
        };
        for (uid, size) in oversize {
            let started = std::time::Instant::now();
            let p = g.process_oversize(uid_key(validity, uid), size, now)?;
            count(&p, started);
            done.push((uid, p.disposition, p.outbox));
        }
        for (uid, p) in process_in_order(&g, &fetched, &cancel, |p, started| count(p, started))? {
            done.push((uid, p.disposition, p.outbox));
        }
        Ok::<_, PipelineError>(done)
    })
    .await
    .map_err(|e| IngestError::Join(e.to_string()))??;
    Ok(done)
}

/// Processes fetched mails in UID order, stopping between mails on `cancel`. Parsing and
/// language detection run on [`prepare_workers`] threads ahead of this one, which decides
/// and commits the mails one by one (mail i is prepared by worker i % workers); `each` is
/// called after each mail with when its turn began. Not flushed.
pub fn process_in_order(
    g: &Gateway,
    fetched: &[(u32, Vec<u8>)],
    cancel: &CancellationToken,
    mut each: impl FnMut(&Processed, std::time::Instant),
) -> Result<Vec<(u32, Processed)>, PipelineError> {
    if fetched.is_empty() {
        return Ok(Vec::new());
    }
    let workers = prepare_workers().min(fetched.len());
    std::thread::scope(|scope| {
        let mut prepared = Vec::with_capacity(workers);
        for w in 0..workers {
            let (tx, rx) = std::sync::mpsc::sync_channel(PREPARE_AHEAD);
            prepared.push(rx);
            let spawned = std::thread::Builder::new()
                .name("prepare".into())
                .spawn_scoped(scope, move || {
                    for (_, raw) in fetched.iter().skip(w).step_by(workers) {
                        if tx.send(g.prepare_safely(raw)).is_err() {
                            break;
                        }
                    }
                });
            if let Err(e) = spawned {
                warn!(error = %e, "cannot start a thread: preparing mail on the ingest thread");
            }
        }
        let mut done = Vec::with_capacity(fetched.len());
        for (i, (uid, raw)) in fetched.iter().enumerate() {
            if cancel.is_cancelled() {
                break;
            }
            let started = std::time::Instant::now();
            let p = match prepared[i % workers].recv() {
                Ok(p) => p?,
                // No worker (it could not start): prepare here.
                Err(_) => g.prepare_safely(raw)?,
            };
            let p = g.finish_safely(raw, p, now_secs())?;
            each(&p, started);
            done.push((*uid, p));
        }
        // Returning drops the receivers, which stops workers still ahead.
        Ok(done)
    })
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
    session: &mut Session,
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
        oversize.extend(over);
        let limit = if groups.is_empty() {
            FIRST_GROUP
        } else {
            GROUP
        };
        groups.extend(group(&fetched, limit));
    }
    // More than one group waiting: the outbox pauses until this backlog is in (see
    // outbox_task); the caller clears the flag.
    gw.telemetry
        .health
        .backlog
        .store(groups.len() > 1, std::sync::atomic::Ordering::Relaxed);
    let mut handled = BTreeSet::new();
    // A processed batch waiting to be flushed, which happens while the next group is
    // processed (the store takes new commits while it applies and syncs older ones); then,
    // flushed, waiting to be moved, which happens while the group after that is processed.
    // Flushing, moving and fetching the next group one after the other took longer than a
    // group's processing, which then waited for the server at every batch.
    let mut ready = process_fetched(gw, validity, oversize, Vec::new(), cancel).await?;
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
            .filter(|n| n.bytes + group.bytes <= FETCH_BYTES);
        let work = process_fetched(gw, validity, Vec::new(), fetched, cancel);
        let batch = std::mem::take(&mut ready);
        let to_move = flushed.take();
        let handled = &mut handled;
        let server = async {
            // Moved before the next flush: the watermark of mail left in place counts only
            // batches that are flushed and marked.
            if let Some(f) = to_move {
                move_flushed(gw, session, validity, f, uids, handled).await?;
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
        move_flushed(gw, session, validity, f, uids, &handled).await?;
    }
    ready.extend(results);
    let last = flush_batch(gw, ready, &mut handled, outbox).await?;
    move_flushed(gw, session, validity, last, uids, &handled).await?;
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
    let g = gw.clone();
    tokio::task::spawn_blocking(move || g.flush())
        .await
        .map_err(|e| IngestError::Join(e.to_string()))??;
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
    session: &mut Session,
    validity: u32,
    flushed: Flushed,
    uids: &[u32],
    handled: &BTreeSet<u32>,
) -> Result<(), IngestError> {
    let imap = &gw.config.imap;
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
            gw.store.set_watermark(&imap.mailbox, validity, uid)?;
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

async fn outbox_task(
    gw: Arc<Gateway>,
    smtp: Smtp,
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
    let mut was_up: Option<bool> = None;
    let mut paused_since: Option<std::time::Instant> = None;
    let mut closed = false;
    loop {
        if cancel.is_cancelled() {
            break;
        }
        gw.telemetry.outbox.beat(BEAT_MARGIN);
        // While ingest works through a backlog, sending waits (at most MAX_OUTBOX_PAUSE at a
        // time): on a small machine the two compete for the same cores, and a committed mail's
        // answers are safe in the outbox. Single mails never set the backlog flag.
        if gw
            .telemetry
            .health
            .backlog
            .load(std::sync::atomic::Ordering::Relaxed)
            && paused_since
                .get_or_insert_with(std::time::Instant::now)
                .elapsed()
                < MAX_OUTBOX_PAUSE
        {
            gw.telemetry
                .outbox
                .beat(Duration::from_millis(250) + BEAT_MARGIN);
            tokio::select! {
                _ = cancel.cancelled() => break,
                msg = rx.recv(), if !closed => match msg {
                    Some(ids) => {
                        for id in ids {
                            queue.insert((0, id));
                        }
                    }
                    None => closed = true,
                },
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
            continue;
        }
        paused_since = None;
        let now = now_secs();
        let due: Vec<u64> = queue
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, id)| *id)
            .collect();
        if !due.is_empty() {
            queue.retain(|(at, _)| *at > now);
            let results = futures::future::join_all(
                due.chunks(due.len().div_ceil(SEND_CONCURRENCY).max(1))
                    .map(|ids| send_some(&gw, &smtp, ids.to_vec(), &budget, &cancel)),
            )
            .await;
            let mut any_ok = false;
            let mut any_down = false;
            for (retry, ok, down) in results {
                for r in retry {
                    queue.insert(r);
                }
                any_ok |= ok;
                any_down |= down;
            }
            if let Err(e) = gw.store.flush() {
                error!(error = %e, "outbox flush failed");
            }
            if any_down && !any_ok {
                health.smtp_failed(
                    "sending fails with temporary errors and is retried (see `ticket-gateway outbox`)",
                );
                if was_up != Some(false) {
                    error!("smtp unavailable; outgoing mail waits and is retried");
                    was_up = Some(false);
                }
            } else if any_ok {
                health.smtp_ok();
                if was_up != Some(true) {
                    info!("smtp delivering");
                    was_up = Some(true);
                }
            }
            continue;
        }
        let wait = queue
            .first()
            .map(|(at, _)| Duration::from_secs((at - now).max(0) as u64))
            .unwrap_or(Duration::from_secs(3600));
        gw.telemetry.outbox.beat(wait + BEAT_MARGIN);
        tokio::select! {
            _ = cancel.cancelled() => break,
            // A closed channel (every sender gone) must not make this select return at once
            // forever: remember it and wait on the timer alone.
            msg = rx.recv(), if !closed => match msg {
                Some(ids) => {
                    for id in ids {
                        queue.insert((0, id));
                    }
                }
                None => {
                    if queue.is_empty() {
                        break;
                    }
                    closed = true;
                }
            },
            _ = tokio::time::sleep(wait) => {}
        }
    }
    let _ = gw.store.flush();
}

/// Sends these entries once, now (`ingest` in pipe mode); failures stay pending.
pub async fn send_now(gw: &Gateway, smtp: &Smtp, ids: Vec<u64>) {
    let budget = Semaphore::new(SEND_BUDGET_KIB);
    let _ = send_some(gw, smtp, ids, &budget, &CancellationToken::new()).await;
}

/// Sends some entries one after the other over one pooled connection. Returns the entries to
/// retry, whether any was sent, and whether the server looked down.
async fn send_some(
    gw: &Gateway,
    smtp: &Smtp,
    ids: Vec<u64>,
    budget: &Semaphore,
    cancel: &CancellationToken,
) -> (Vec<(i64, u64)>, bool, bool) {
    let mut retry = Vec::new();
    let mut any_ok = false;
    let mut down = false;
    let give_up = gw.config.smtp.give_up_after.as_secs() as i64;
    for id in ids {
        // On shutdown the send in flight finishes; the rest stays pending for next time.
        if cancel.is_cancelled() {
            retry.push((0, id));
            continue;
        }
        let entry = match gw.store.outbox_entry(id) {
            Ok(Some(e)) if e.status == OutboxStatus::Pending => e,
            Ok(Some(_)) => continue,
            _ => {
                warn!(id, "outbox entry missing");
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
                match failed_try(&mut entry, why, true, now_secs(), give_up) {
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
        gw.telemetry.outbox.beat(BEAT_MARGIN);
        let mut entry = entry;
        entry.attempts += 1;
        let now = now_secs();
        // On shutdown a send in flight gets SEND_GRACE to finish; a server that hangs does
        // not hold the exit up (SPEC §4: within 10 s). The mail stays pending and goes next
        // time, with the same Message-ID.
        let sent = tokio::select! {
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
            Err(e) => match failed_try(&mut entry, e.to_string(), e.is_transient(), now, give_up) {
                Some(at) => {
                    down = true;
                    debug!(id, error = %e, delay = at - now, "send failed; will retry");
                    retry.push((at, id));
                }
                None => {
                    warn!(id, message_id = %entry.message_id, error = %e, "outgoing mail is dead")
                }
            },
        }
        if let Err(e) = gw.store.outbox_update(&entry) {
            error!(id, error = %e, "cannot update the outbox");
        }
    }
    (retry, any_ok, down)
}

/// Records a failed try of `entry`: while the failure is `transient` and the mail younger
/// than `give_up` seconds, it is tried again after [`retry_delay`] (the time is returned);
/// else it is dead.
fn failed_try(
    entry: &mut OutboxEntry,
    why: String,
    transient: bool,
    now: i64,
    give_up: i64,
) -> Option<i64> {
    entry.last_error = Some(why);
    if transient && now - entry.created_at < give_up {
        entry.next_attempt_at = now + retry_delay(entry.attempts);
        Some(entry.next_attempt_at)
    } else {
        entry.status = OutboxStatus::Dead;
        None
    }
}

/// Seconds until the next try after `attempts` failed ones: 2 s, 4 s, 8 s … capped at 5 minutes.
fn retry_delay(attempts: u32) -> i64 {
    (2i64 << attempts.saturating_sub(1).min(8)).min(300)
}

async fn timer_task(
    gw: Arc<Gateway>,
    outbox: mpsc::UnboundedSender<Vec<u64>>,
    cancel: CancellationToken,
) {
    let p = &gw.policy;
    let shortest = p
        .waiting_reminder
        .min(p.waiting_autoclose)
        .min(p.resolved_autoclose);
    let tick = Duration::from_secs((shortest / 4).clamp(1, 60) as u64);
    loop {
        if sleep_or_cancel(tick, &cancel).await {
            break;
        }
        let g = gw.clone();
        let r = tokio::task::spawn_blocking(move || {
            let ids = g.run_timers(now_secs())?;
            g.store.flush()?;
            Ok::<_, PipelineError>(ids)
        })
        .await;
        match r {
            Ok(Ok(ids)) if !ids.is_empty() => {
                let _ = outbox.send(ids);
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => error!(error = %e, "timers failed"),
            Err(e) => error!(error = %e, "timer task failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
