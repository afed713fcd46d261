//! The running daemon: three tasks (ingest, outbox, timers) under one cancellation token.
//!
//! ingest: IMAP IDLE or poll; fetch a batch by UID; process each mail (commit); flush the
//! store; then one bulk `UID MOVE` per destination. outbox: sends due entries over SMTP,
//! retries with back-off, marks dead. timers: runs due reminders and automatic closes.
//! Nothing is moved on the server and nothing is sent before its commit is flushed.

mod ingest;
mod leases;
mod outbox;
mod prepare;
mod timers;

use ingest::ingest_task;
pub use ingest::process_in_order;
use outbox::outbox_task;
pub use outbox::send_now;
use timers::timer_task;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, info, warn};

use crate::config::Config;
use crate::core::Policy;
use crate::imap::{Connect, Server};
use crate::pipeline::{Gateway, PipelineError};
use crate::queue::{Queue, Queues};
use crate::smtp::{Relay, Smtp};
use crate::store::{PgStore, SledStore, Store, StoreError};
use crate::templates::{TemplateError, Templates};

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
    #[error(transparent)]
    OAuth2(#[from] crate::oauth2::OAuth2Error),
    #[error(transparent)]
    Links(#[from] crate::links::LinkError),
    #[error(transparent)]
    Web(#[from] crate::web::WebError),
    #[error("stopped acting: {0} (a restart stands by for them)")]
    LeaseLost(String),
}

/// What the admin endpoint and logs report (it lives with the metrics, on the gateway).
pub use crate::telemetry::Health;

/// How long the daemon waits for a store another process holds: a CLI command that reads it
/// while the daemon starts (before the admin endpoint is up) must not stop the daemon.
const STORE_LOCK_WAIT: Duration = Duration::from_secs(10);

/// How long the tasks get to stop once the leases are lost.
const LOST_GRACE: Duration = Duration::from_secs(2);

/// Opens the store and templates: what the daemon and every command that acts on the store
/// need (one process acts on a store at a time). `lock_wait`: how long to wait for a store
/// another process holds (the daemon waits; a CLI command asks the daemon instead).
pub fn open_gateway(config: Config, lock_wait: Duration) -> Result<Gateway, DaemonError> {
    open(config, lock_wait, true)
}

/// Opens the store for `run`: on PostgreSQL without the actor lock, since several daemons
/// share the database and the leases say which one acts (`leases.rs`).
fn open(config: Config, lock_wait: Duration, actor: bool) -> Result<Gateway, DaemonError> {
    let store: Arc<dyn Store> = match &config.gateway.database {
        Some(url) => {
            // The daemon's own files (attachments, the admin endpoint's address) still live
            // on its disk, private like a sled store.
            let dir = &config.gateway.store;
            crate::store::private_dir(dir).map_err(|source| StoreError::File {
                path: dir.display().to_string(),
                source,
            })?;
            let store = PgStore::open(url)?;
            if actor {
                store.hold_actor_lock(lock_wait)?;
            }
            Arc::new(store)
        }
        None => Arc::new(SledStore::open_waiting(&config.gateway.store, lock_wait)?),
    };
    let queues = open_queues(&config, store.as_ref())?;
    let first = queues.get(0);
    let templates = load_templates(&first.config, &first.policy)?;
    let links = crate::links::Links::load(&config.web, &config.gateway.store)?;
    Ok(Gateway {
        policy: first.policy.clone(),
        tokens: first.tokens.clone(),
        config,
        store,
        templates,
        queues,
        telemetry: Default::default(),
        serial: Default::default(),
        unsynced: Default::default(),
        links,
        clock: Default::default(),
    })
}

/// Each queue of `config` with the slot the store gives its prefix (the first queue's
/// first: a store made before queues keeps its ids as the first queue's).
fn open_queues(config: &Config, store: &dyn Store) -> Result<Queues, DaemonError> {
    let slots = config
        .tag_prefixes()
        .iter()
        .map(|p| store.queue_slot(p))
        .collect::<Result<Vec<u32>, StoreError>>()?;
    let prefixes = store.queue_slots()?;
    let mut queues = Vec::new();
    for (n, slot) in slots.into_iter().enumerate() {
        let config = config.queue(n);
        let mut policy = config.policy();
        policy.prefixes = prefixes.clone();
        let tokens = config
            .oauth2
            .as_ref()
            .map(crate::oauth2::TokenSource::new)
            .transpose()?;
        queues.push(Queue {
            slot,
            templates: load_templates(&config, &policy)?,
            config,
            policy,
            tokens,
        });
    }
    Ok(Queues::new(queues))
}

/// A queue's templates, its tags shown with each ticket's own prefix.
fn load_templates(config: &Config, policy: &Policy) -> Result<Templates, DaemonError> {
    let mut t = Templates::load(
        &config.gateway.templates,
        &config.gateway.name,
        &config.gateway.tag_prefix,
    )
    .map_err(DaemonError::Templates)?;
    t.prefixes = policy.prefixes.clone();
    Ok(t)
}

pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), DaemonError> {
    run_with(Arc::new(open(config, STORE_LOCK_WAIT, false)?), shutdown).await
}

/// [`run`] on an open gateway (tests keep a handle on its store while it runs).
pub async fn run_with(
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let smtp = Arc::new(relays(&gateway)?);
    let mailboxes = gateway
        .queues
        .iter()
        .map(|q| Server::new(q.config.imap.clone(), q.tokens.clone()))
        .collect();
    run_queues(gateway, mailboxes, smtp, shutdown).await
}

/// The SMTP server of each queue, as one relay that sends each mail through its queue's.
pub fn relays(gateway: &Gateway) -> Result<crate::queue::Relays, crate::smtp::SmtpError> {
    let mut relays = Vec::new();
    for q in gateway.queues.iter() {
        let smtp: Arc<dyn Relay> = Arc::new(Smtp::with_tokens(&q.config.smtp, q.tokens.clone())?);
        relays.push((q.config.gateway.address.clone(), smtp));
    }
    Ok(crate::queue::Relays::new(relays))
}

/// [`run_with`] on the given IMAP server and SMTP relay: the real ones in production, an
/// in-memory mailbox and a stub relay in tests/it/daemon.rs (the same tasks either way).
pub async fn run_on(
    gateway: Arc<Gateway>,
    imap: impl Connect,
    smtp: Arc<dyn Relay>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    run_queues(gateway, vec![imap], smtp, shutdown).await
}

/// [`run_on`] with one mailbox a queue, in the order of the configuration's queues (SPEC
/// §5.4): one ingest task reads each; one outbox sends the mail of all.
pub async fn run_queues<C: Connect>(
    gateway: Arc<Gateway>,
    mailboxes: Vec<C>,
    smtp: Arc<dyn Relay>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let health = gateway.telemetry.health.clone();
    // The page first: the admin file names its address too (`check` knows it is ours).
    let web = crate::web::Endpoint::bind(&gateway).await?;
    let admin = crate::admin::Endpoint::bind(&gateway).await?;
    let admin_addr = admin.addr();
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let (outbox_tx, outbox_rx) = mpsc::unbounded_channel::<Vec<u64>>();

    tracker.spawn(stopped(
        "admin",
        admin.serve(
            gateway.clone(),
            smtp.clone(),
            outbox_tx.clone(),
            cancel.clone(),
            tracker.clone(),
        ),
    ));
    if let Some(web) = web {
        tracker.spawn(stopped(
            "web",
            web.serve(gateway.clone(), cancel.clone(), tracker.clone()),
        ));
    }
    tracker.spawn(stopped(
        "watchdog",
        crate::telemetry::watchdog(gateway.telemetry.clone(), cancel.clone()),
    ));
    // Closed for `wait`; ingest, outbox and timers may still join it (a tracker allows it).
    tracker.close();
    info!(
        address = %gateway.config.gateway.address,
        imap = %format!("{}:{}", gateway.config.imap.host, gateway.config.imap.port),
        smtp = %format!("{}:{}", gateway.config.smtp.host, gateway.config.smtp.port),
        admin = %admin_addr,
        web = %gateway.telemetry.web_addr().map(|a| a.to_string()).unwrap_or_else(|| "off".into()),
        "ticket-gateway running"
    );
    crate::telemetry::flush_log();
    crate::telemetry::notify_ready(&format!("serving; admin endpoint on {admin_addr}"));

    // Ingest, outbox and timers run only while this daemon may act: at once on sled; on a
    // shared database once it holds the leases, renewed until the end (leases.rs).
    let work = Work {
        gateway: &gateway,
        health,
        outbox_tx,
        outbox_rx,
        cancel: &cancel,
        tracker: &tracker,
    };
    tokio::pin!(shutdown);
    let stop_renewing = CancellationToken::new();
    let mut keeper = None;
    let mut lost = None;
    if gateway.store.postgres().is_none() {
        leases::alone(&gateway);
        work.spawn(mailboxes, smtp);
        shutdown.await;
    } else {
        let taken = tokio::select! {
            taken = leases::take_leases(&gateway, &cancel) => taken,
            () = &mut shutdown => false,
        };
        if taken {
            work.spawn(mailboxes, smtp);
            let (g, stop) = (gateway.clone(), stop_renewing.clone());
            let mut k = tokio::spawn(async move { leases::keep_leases(&g, &stop).await });
            tokio::select! {
                () = &mut shutdown => keeper = Some(k),
                why = &mut k => lost = Some(why.ok().flatten().unwrap_or_else(|| {
                    "the lease renewal task failed".into()
                })),
            }
        }
    }
    crate::telemetry::notify_stopping();
    match &lost {
        Some(_) => error!("lost the leases: stopping the work in hand without committing it"),
        None => info!("shutting down: finishing the mail in hand"),
    }
    cancel.cancel();
    // Past lost leases nothing in hand is committed, moved or sent: the tasks get a short
    // while (one stuck on a database that does not answer never ends by itself).
    let grace = match lost {
        Some(_) => LOST_GRACE,
        None => Duration::from_secs(9),
    };
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        warn!("tasks did not stop within {} s", grace.as_secs());
    }
    if let Some(why) = lost {
        return Err(DaemonError::LeaseLost(why));
    }
    let flushed = gateway.flush_async().await;
    stop_renewing.cancel();
    if let Some(k) = keeper {
        let _ = k.await;
    }
    leases::release_leases(&gateway).await;
    flushed?;
    info!("stopped");
    Ok(())
}

/// The tasks that act on mail, and what they need, spawned once this daemon may act.
struct Work<'a> {
    gateway: &'a Arc<Gateway>,
    health: Arc<Health>,
    outbox_tx: mpsc::UnboundedSender<Vec<u64>>,
    outbox_rx: mpsc::UnboundedReceiver<Vec<u64>>,
    cancel: &'a CancellationToken,
    tracker: &'a TaskTracker,
}

impl Work<'_> {
    fn spawn<C: Connect>(self, mailboxes: Vec<C>, smtp: Arc<dyn Relay>) {
        let (gateway, cancel, tracker) = (self.gateway, self.cancel, self.tracker);
        for (queue, imap) in mailboxes.into_iter().enumerate() {
            tracker.spawn(stopped(
                "ingest",
                ingest_task(
                    gateway.clone(),
                    queue,
                    imap,
                    self.health.clone(),
                    self.outbox_tx.clone(),
                    cancel.clone(),
                ),
            ));
        }
        tracker.spawn(stopped(
            "outbox",
            outbox_task(
                gateway.clone(),
                smtp,
                self.health,
                self.outbox_rx,
                cancel.clone(),
            ),
        ));
        tracker.spawn(stopped(
            "timers",
            timer_task(gateway.clone(), self.outbox_tx, cancel.clone()),
        ));
    }
}

/// Runs a task and says when it has stopped (shutdown diagnostics).
async fn stopped(name: &'static str, task: impl Future<Output = ()>) {
    task.await;
    debug!(task = name, "task stopped");
}

/// Sleeps `d` unless cancelled first; true when cancelled.
pub(super) async fn sleep_or_cancel(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => true,
        _ = tokio::time::sleep(d) => false,
    }
}

/// How long a loop waits before it tries again after a permanent failure: a refused login,
/// an untrusted certificate, a missing mailbox. Those pass only once someone changes the
/// configuration or the server, so trying every few seconds would only fill the server's
/// log (and lock accounts on servers that count failed logins); health says why meanwhile.
pub(crate) const PERMANENT_RETRY: Duration = Duration::from_secs(300);

/// Capped exponential back-off after transient failures; [`PERMANENT_RETRY`] after permanent
/// ones. The one place where a loop's retry cadence is decided.
pub(super) struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub(super) fn new() -> Backoff {
        Backoff {
            next: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
    pub(super) fn reset(&mut self) {
        self.next = Duration::from_millis(500);
    }
    pub(super) fn step(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }
    /// The wait after a failure: the next step for a transient one; [`PERMANENT_RETRY`] for
    /// a permanent one (after which a transient failure starts from the shortest wait again).
    pub(super) fn after(&mut self, transient: bool) -> Duration {
        if transient {
            self.step()
        } else {
            self.reset();
            PERMANENT_RETRY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permanent_failure_waits_long_and_a_transient_one_backs_off() {
        let mut b = Backoff::new();
        let steps: Vec<u64> = (0..8).map(|_| b.after(true).as_millis() as u64).collect();
        assert_eq!(steps, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(b.after(false), PERMANENT_RETRY);
        assert!(
            PERMANENT_RETRY >= Duration::from_secs(60),
            "minutes, not seconds"
        );
        assert_eq!(b.after(true), Duration::from_millis(500), "starts over");
    }
}
