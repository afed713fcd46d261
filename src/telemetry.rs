//! What the daemon tells its operator about itself: the Prometheus metrics, the health of
//! IMAP, SMTP and the store, the heartbeats of the ingest and outbox loops (for the systemd
//! watchdog), the systemd notifications, and the tracing subscriber.
//!
//! This module records and reports; it never decides anything about mail. It talks to no
//! server: the SMTP probe of `/healthz` lives in `admin`. The only I/O here is the
//! `sd_notify` datagram and the log output.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::core::sla::SlaKind;
use crate::core::{MailOutcome, State};
use crate::store::{Store, StoreError};

type Label = [(&'static str, &'static str); 1];

/// Everything a running gateway reports; one per [`crate::pipeline::Gateway`].
pub struct Telemetry {
    pub metrics: Metrics,
    pub health: Arc<Health>,
    /// Beaten by the ingest loop (IMAP), read by the watchdog.
    pub ingest: Heartbeat,
    /// Beaten by the outbox loop (SMTP), read by the watchdog.
    pub outbox: Heartbeat,
    admin_addr: Mutex<Option<std::net::SocketAddr>>,
    web_addr: Mutex<Option<std::net::SocketAddr>>,
    role: Mutex<Role>,
}

/// The part this daemon plays among the daemons sharing a database (SPEC §5.5): active with
/// the leases it holds (mailbox names, `outbox`) and their generation, or standby. A daemon
/// on sled is the only one and active.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Role {
    pub active: bool,
    pub leases: Vec<String>,
    pub generation: i64,
}

impl Role {
    pub fn name(&self) -> &'static str {
        if self.active {
            "active"
        } else {
            "standby"
        }
    }
}

impl Default for Telemetry {
    fn default() -> Telemetry {
        let imap_reconnects = Counter::default();
        let smtp_reconnects = Counter::default();
        Telemetry {
            metrics: Metrics::new(imap_reconnects.clone(), smtp_reconnects.clone()),
            health: Arc::new(Health {
                imap_reconnects,
                smtp_reconnects,
                ..Health::default()
            }),
            ingest: Heartbeat::new("ingest"),
            outbox: Heartbeat::new("outbox"),
            admin_addr: Mutex::new(None),
            web_addr: Mutex::new(None),
            role: Mutex::default(),
        }
    }
}

impl Telemetry {
    /// The address the admin endpoint is bound to, once it is (port 0 in the config picks a
    /// free port: this is the one it got).
    pub fn admin_addr(&self) -> Option<std::net::SocketAddr> {
        *lock(&self.admin_addr)
    }

    pub(crate) fn set_admin_addr(&self, addr: Option<std::net::SocketAddr>) {
        *lock(&self.admin_addr) = addr;
    }

    /// The address the customer page is served on, once it is (SPEC §3.10).
    pub fn web_addr(&self) -> Option<std::net::SocketAddr> {
        *lock(&self.web_addr)
    }

    pub(crate) fn set_web_addr(&self, addr: Option<std::net::SocketAddr>) {
        *lock(&self.web_addr) = addr;
    }

    /// The part this daemon plays now.
    pub fn role(&self) -> Role {
        lock(&self.role).clone()
    }

    /// Records the part this daemon plays, for `/healthz` and the gauges of `/metrics`.
    pub(crate) fn set_role(&self, role: Role) {
        let mut now = lock(&self.role);
        for name in &now.leases {
            self.metrics
                .leases
                .get_or_create(&[("lease", name.clone())])
                .set(0);
        }
        for name in &role.leases {
            self.metrics
                .leases
                .get_or_create(&[("lease", name.clone())])
                .set(1);
        }
        for r in ["active", "standby"] {
            let on = i64::from(r == role.name());
            self.metrics.role.get_or_create(&[("role", r)]).set(on);
        }
        self.metrics.lease_generation.set(role.generation);
        *now = role;
    }

    /// The first loop that has not beaten within the time it promised, with how long ago.
    pub(crate) fn stalled(&self) -> Option<(&'static str, Duration)> {
        [&self.ingest, &self.outbox]
            .into_iter()
            .find_map(|h| h.overdue().map(|d| (h.name, d)))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these small locks leaves valid data behind.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// The Prometheus registry of one gateway (no global recorder: two gateways in one test
/// process count separately).
pub struct Metrics {
    registry: Registry,
    mails: Family<Label, Counter>,
    processing: Histogram,
    tickets: Family<Label, Gauge>,
    outbox: Family<Label, Gauge>,
    up: Family<Label, Gauge>,
    sla_breaches: Family<Label, Gauge>,
    role: Family<Label, Gauge>,
    leases: Family<[(&'static str, String); 1], Gauge>,
    lease_generation: Gauge,
}

/// What the store holds now, for the gauges; read at each scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCounts {
    pub tickets: Vec<(State, i64)>,
    pub outbox_pending: i64,
    pub outbox_dead: i64,
    /// Service-level breaches escalated so far, by level (SPEC §2.7): the tickets with an
    /// escalation event of the level, as the store counts them when they are committed (the
    /// count survives restarts).
    pub sla_breaches: Vec<(SlaKind, i64)>,
}

impl StoreCounts {
    /// Tickets by state and outbox entries by status, as the store keeps them (no scan).
    pub fn read(store: &dyn Store) -> Result<StoreCounts, StoreError> {
        let c = store.counts()?;
        Ok(StoreCounts {
            tickets: State::ALL.iter().copied().zip(c.tickets).collect(),
            outbox_pending: c.pending,
            outbox_dead: c.dead,
            sla_breaches: SlaKind::ALL.iter().copied().zip(c.sla_breaches).collect(),
        })
    }
}

/// Up (1) or down (0) per component, for `ticket_gateway_up`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Up {
    pub imap: bool,
    pub smtp: bool,
    pub store: bool,
}

impl Metrics {
    fn new(imap_reconnects: Counter, smtp_reconnects: Counter) -> Metrics {
        let mut registry = Registry::with_prefix("ticket_gateway");
        let mails = Family::<Label, Counter>::default();
        for o in MailOutcome::ALL {
            // Every series exists from the start, at zero: rates work from the first scrape.
            let _ = mails.get_or_create(&[("outcome", o.as_str())]);
        }
        registry.register(
            "mails",
            "Incoming mails processed, by outcome (ticket, ignored, quarantined, duplicate)",
            mails.clone(),
        );
        let processing = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register_with_unit(
            "mail_processing",
            "Time to parse, decide, render and commit one incoming mail",
            Unit::Seconds,
            processing.clone(),
        );
        let tickets = Family::<Label, Gauge>::default();
        registry.register("tickets", "Tickets in the store, by state", tickets.clone());
        let outbox = Family::<Label, Gauge>::default();
        registry.register(
            "outbox_mails",
            "Outgoing mails not sent: pending (waiting or being retried) and dead (given up)",
            outbox.clone(),
        );
        registry.register(
            "imap_reconnects",
            "IMAP connection attempts after the first one (the session was lost or refused)",
            imap_reconnects,
        );
        registry.register(
            "smtp_reconnects",
            "SMTP connection attempts made while the SMTP server was known to be down",
            smtp_reconnects,
        );
        let sla_breaches = Family::<Label, Gauge>::default();
        for k in SlaKind::ALL {
            let _ = sla_breaches.get_or_create(&[("level", k.as_str())]);
        }
        registry.register(
            "sla_breaches",
            "Service levels breached and escalated so far, by level (first_response, resolution)",
            sla_breaches.clone(),
        );
        let up = Family::<Label, Gauge>::default();
        registry.register(
            "up",
            "1 when the component (imap, smtp, store) worked at its last check, else 0",
            up.clone(),
        );
        let role = Family::<Label, Gauge>::default();
        registry.register(
            "role",
            "1 for the part this daemon plays among daemons sharing a database (active, standby)",
            role.clone(),
        );
        let leases = Family::<[(&'static str, String); 1], Gauge>::default();
        registry.register(
            "lease_held",
            "1 for each lease this daemon holds (a mailbox it ingests, the outbox), else 0",
            leases.clone(),
        );
        let lease_generation = Gauge::default();
        registry.register(
            "lease_generation",
            "The generation of the leases this daemon holds (0: none)",
            lease_generation.clone(),
        );
        Metrics {
            registry,
            mails,
            processing,
            tickets,
            outbox,
            up,
            sla_breaches,
            role,
            leases,
            lease_generation,
        }
    }

    /// Counts one incoming mail and how long it took.
    pub fn mail(&self, outcome: MailOutcome, elapsed: Duration) {
        self.mails
            .get_or_create(&[("outcome", outcome.as_str())])
            .inc();
        self.processing.observe(elapsed.as_secs_f64());
    }

    /// The count of mails with this outcome so far.
    pub fn mails(&self, outcome: MailOutcome) -> u64 {
        self.mails
            .get_or_create(&[("outcome", outcome.as_str())])
            .get()
    }

    /// The OpenMetrics text of every metric, with the gauges set from `counts` and `up`.
    pub fn render(&self, counts: &StoreCounts, up: Up) -> String {
        for (state, n) in &counts.tickets {
            self.tickets
                .get_or_create(&[("state", state.as_str())])
                .set(*n);
        }
        self.outbox
            .get_or_create(&[("status", "pending")])
            .set(counts.outbox_pending);
        self.outbox
            .get_or_create(&[("status", "dead")])
            .set(counts.outbox_dead);
        for (k, n) in &counts.sla_breaches {
            self.sla_breaches
                .get_or_create(&[("level", k.as_str())])
                .set(*n);
        }
        for (c, v) in [("imap", up.imap), ("smtp", up.smtp), ("store", up.store)] {
            self.up.get_or_create(&[("component", c)]).set(i64::from(v));
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            // Writing into a String cannot fail; keep the scrape valid anyway.
            out.clear();
            let _ = writeln!(out, "# EOF");
        }
        out
    }
}

/// The content type of [`Metrics::render`]'s output.
pub(crate) const METRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// ---------------------------------------------------------------------------------------------
// Health

/// What `/healthz` and the logs report about the connections. The ingest loop owns the IMAP
/// half; the outbox loop and the admin endpoint's SMTP probe share the SMTP half.
#[derive(Default)]
pub struct Health {
    pub smtp_up: AtomicBool,
    /// The ingest loop is working through a backlog (more than one batch waiting): the outbox
    /// gives it the CPU for a while (the mail is committed; its answers wait in the outbox).
    /// A watch channel: the outbox wakes when it changes, instead of polling it.
    pub backlog: tokio::sync::watch::Sender<bool>,
    /// Per queue (its index in the configuration), what its ingest loop last saw: each
    /// mailbox is up or down on its own, and one queue's session never hides another's failure.
    imap: Mutex<Vec<ImapSeen>>,
    smtp: Mutex<SmtpSeen>,
    imap_reconnects: Counter,
    smtp_reconnects: Counter,
}

/// One mailbox's connection as its ingest loop last saw it.
#[derive(Default, Clone)]
struct ImapSeen {
    attempts: u64,
    up: bool,
    error: Option<String>,
}

#[derive(Default)]
struct SmtpSeen {
    /// When SMTP was last seen working or failing; `None`: never tried.
    at: Option<Instant>,
    error: Option<String>,
}

impl Health {
    /// Runs `f` on queue `queue`'s mailbox state (made on first use).
    fn mailbox<R>(&self, queue: usize, f: impl FnOnce(&mut ImapSeen) -> R) -> R {
        let mut all = lock(&self.imap);
        if all.len() <= queue {
            all.resize(queue + 1, ImapSeen::default());
        }
        f(&mut all[queue])
    }

    /// Queue `queue`'s ingest loop is about to connect to IMAP.
    pub(crate) fn imap_connecting(&self, queue: usize) {
        let before = self.mailbox(queue, |m| {
            m.attempts += 1;
            m.attempts - 1
        });
        if before > 0 {
            self.imap_reconnects.inc();
        }
    }

    /// Ingest began (true) or finished (false) working through a backlog; the outbox is
    /// woken only by a change.
    pub(crate) fn set_backlog(&self, on: bool) {
        self.backlog
            .send_if_modified(|v| std::mem::replace(v, on) != on);
    }

    /// Queue `queue`'s ingest loop holds a logged-in session.
    pub(crate) fn imap_connected(&self, queue: usize) {
        self.mailbox(queue, |m| {
            m.up = true;
            m.error = None;
        });
    }

    /// Queue `queue`'s ingest loop lost its session or could not open one. A permanent
    /// failure (tried again only after `permanent_retry`) is said to be one.
    pub(crate) fn imap_failed(
        &self,
        queue: usize,
        error: &dyn std::error::Error,
        permanent_retry: Option<Duration>,
    ) {
        let mut why = chain(error);
        if let Some(d) = permanent_retry {
            why.push_str(&format!(
                " (permanent: fix the configuration or the server; next try in {} s)",
                d.as_secs()
            ));
        }
        self.mailbox(queue, |m| {
            m.up = false;
            m.error = Some(why);
        });
    }

    /// A mail was accepted by the SMTP server, or the probe got an answer.
    pub(crate) fn smtp_ok(&self) {
        let mut seen = lock(&self.smtp);
        if seen.error.is_some() {
            self.smtp_reconnects.inc();
        }
        seen.at = Some(Instant::now());
        seen.error = None;
        self.smtp_up.store(true, Ordering::Relaxed);
    }

    /// The SMTP server could not be reached or refused us for a reason worth a retry.
    pub(crate) fn smtp_failed(&self, reason: impl Into<String>) {
        let mut seen = lock(&self.smtp);
        if seen.error.is_some() {
            self.smtp_reconnects.inc();
        }
        seen.at = Some(Instant::now());
        seen.error = Some(reason.into());
        self.smtp_up.store(false, Ordering::Relaxed);
    }

    /// How long ago SMTP was last seen, working or not.
    pub(crate) fn smtp_age(&self) -> Option<Duration> {
        lock(&self.smtp).at.map(|at| at.elapsed())
    }

    /// `Ok(())` or why queue `queue`'s mailbox is down.
    pub fn imap(&self, queue: usize) -> Result<(), String> {
        match lock(&self.imap).get(queue) {
            Some(m) if m.up => Ok(()),
            Some(ImapSeen { error: Some(e), .. }) => Err(e.clone()),
            _ => Err("not connected yet".into()),
        }
    }

    /// Whether each of the first `queues` mailboxes holds a session.
    pub fn imap_all(&self, queues: usize) -> bool {
        (0..queues).all(|q| self.imap(q).is_ok())
    }

    /// `Ok(())` or why SMTP is down.
    pub fn smtp(&self) -> Result<(), String> {
        let seen = lock(&self.smtp);
        match (&seen.at, &seen.error) {
            (None, _) => Err("not tried yet".into()),
            (Some(_), Some(e)) => Err(e.clone()),
            (Some(_), None) => Ok(()),
        }
    }
}

/// An error and its sources on one line, `a: b: c`, without repeats (many errors print
/// their source in their own message too).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in out.split(": ") {
        if parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

// ---------------------------------------------------------------------------------------------
// Heartbeats and the systemd watchdog

/// A loop's promise to come back: it beats with the longest time its next step may take
/// (a wait, a batch, a send), and is stalled once that time has passed without a beat.
pub struct Heartbeat {
    name: &'static str,
    base: Instant,
    /// Milliseconds after `base` by which the next beat is due.
    due_ms: AtomicI64,
}

/// Grace before a loop's first beat (start-up, store recovery).
const FIRST_BEAT: Duration = Duration::from_secs(120);
/// Longest time one step of a loop may take besides its planned waits: a connect and login,
/// one IMAP command, one mail processed, one mail sent (each bounded by I/O timeouts).
pub(crate) const BEAT_MARGIN: Duration = Duration::from_secs(300);
/// Longest time the ingest loop may take to fetch one batch before processing it.
pub(crate) const BATCH_BEAT: Duration = Duration::from_secs(600);

impl Heartbeat {
    fn new(name: &'static str) -> Heartbeat {
        Heartbeat {
            name,
            base: Instant::now(),
            due_ms: AtomicI64::new(FIRST_BEAT.as_millis() as i64),
        }
    }

    /// "I am alive, and I will beat again within `next`."
    pub(crate) fn beat(&self, next: Duration) {
        let due = self.base.elapsed() + next;
        self.due_ms.store(
            due.as_millis().min(i64::MAX as u128) as i64,
            Ordering::Relaxed,
        );
    }

    /// How long past its promise the loop is, if it is.
    pub(crate) fn overdue(&self) -> Option<Duration> {
        let now = self.base.elapsed().as_millis() as i64;
        let due = self.due_ms.load(Ordering::Relaxed);
        (now > due).then(|| Duration::from_millis((now - due) as u64))
    }
}

/// Pets the systemd watchdog (`WATCHDOG=1` at half of `WatchdogSec=`) while the ingest and
/// outbox loops keep their promises; stops petting when one is stalled, so that systemd
/// restarts the service. Does nothing but wait for `cancel` when no watchdog is set.
pub(crate) async fn watchdog(telemetry: Arc<Telemetry>, cancel: CancellationToken) {
    let mut usec = 0u64;
    if !sd_notify::watchdog_enabled(false, &mut usec) || usec == 0 {
        cancel.cancelled().await;
        return;
    }
    let period = Duration::from_micros(usec) / 2;
    info!(
        period_ms = period.as_millis() as u64,
        "systemd watchdog enabled"
    );
    let mut stalled_logged = false;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        match telemetry.stalled() {
            None => {
                stalled_logged = false;
                notify(&[sd_notify::NotifyState::Watchdog]);
            }
            Some((name, late)) => {
                if !stalled_logged {
                    error!(
                        task = name,
                        late_s = late.as_secs(),
                        "the {name} loop is stalled: no longer petting the systemd watchdog"
                    );
                    stalled_logged = true;
                }
            }
        }
    }
}

fn notify(state: &[sd_notify::NotifyState]) {
    // Not under systemd (no NOTIFY_SOCKET): a no-op. A failed send is worth a warning only.
    if let Err(e) = sd_notify::notify(false, state) {
        warn!(error = %e, "sd_notify failed");
    }
}

/// `READY=1` with a status line: the daemon serves (systemd's `Type=notify`).
pub(crate) fn notify_ready(status: &str) {
    notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(status),
    ]);
}

/// `STOPPING=1`: shutdown has begun.
pub(crate) fn notify_stopping() {
    notify(&[
        sd_notify::NotifyState::Stopping,
        sd_notify::NotifyState::Status("stopping: finishing the mail in hand"),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Logs

/// The filter used when neither `TICKET_GATEWAY_LOG` nor `RUST_LOG` is set.
pub(crate) const DEFAULT_LOG_FILTER: &str = "info";

/// Installs the tracing subscriber on stderr: human-readable, or one JSON object per line.
/// The level comes from `TICKET_GATEWAY_LOG`, else `RUST_LOG`, else `info`.
///
/// No secret reaches the log at any level: the IMAP adapter hands async-imap a placeholder
/// instead of the password (async-imap traces every command), lettre is built without its
/// `tracing` feature (which would log `AUTH` lines), and `Secret`'s `Debug` is `[redacted]`.
/// `tests/it/operate.rs` runs the binary at `trace` and greps its output for the password.
pub fn init_tracing(json: bool) -> Result<(), String> {
    use std::io::IsTerminal;
    let (filter, bad) =
        match std::env::var("TICKET_GATEWAY_LOG").or_else(|_| std::env::var("RUST_LOG")) {
            Ok(spec) => match tracing_subscriber::EnvFilter::try_new(&spec) {
                Ok(f) => (f, None),
                Err(e) => (
                    tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER),
                    Some(format!(
                        "log filter '{spec}' is not valid ({e}); using '{DEFAULT_LOG_FILTER}'"
                    )),
                ),
            },
            Err(_) => (tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER), None),
        };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LogBlocks);
    let result = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
    result.map_err(|e| e.to_string())?;
    start_log_flusher();
    if let Some(b) = bad {
        warn!("{b}");
    }
    Ok(())
}

/// Log lines are written to stderr in blocks of up to [`LOG_BLOCK`] bytes, at least every
/// [`LOG_FLUSH_EVERY`], and at once for a warning or an error. One write per line made every
/// mail wake the reader of the log (journald, a pipe) on the thread that decides mail, which
/// then lost its core to it: a tenth of the ingest time in a backlog (docs/benchmarks.md).
///
/// Why not `tracing-appender`'s non-blocking writer: measured on this machine (200,000 JSON
/// lines of the daemon's per-mail shape, stderr piped to a reader, docs/benchmarks.md "log
/// writer"), it hands each line to a worker thread over a channel, which costs more CPU than
/// this buffer (10% more over a `BufWriter`, 20-25% more and a slower emitting thread without
/// one), and it brings nine crates (crossbeam-channel and `time` with its own five) for what
/// is these hundred lines; the blocks here also keep the exact points where the log must be
/// out ([`flush_log`]: a batch done, ready, a panic, the exit).
const LOG_BLOCK: usize = if cfg!(test) { 64 } else { 16 * 1024 };
const LOG_FLUSH_EVERY: Duration = Duration::from_millis(200);

static LOG_BUFFER: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Held while a block is written, so blocks reach stderr in the order of their lines.
static LOG_WRITE: Mutex<()> = Mutex::new(());

/// Writes what the log holds to stderr. Called by the flusher, for warnings and errors,
/// before the process prints anything else to stderr, and before it exits.
pub fn flush_log() {
    let _order = LOG_WRITE.lock().unwrap_or_else(|e| e.into_inner());
    let block = std::mem::take(&mut *LOG_BUFFER.lock().unwrap_or_else(|e| e.into_inner()));
    if !block.is_empty() {
        use std::io::Write as _;
        // Nowhere to report a failing stderr.
        let _ = std::io::stderr().lock().write_all(&block);
    }
}

fn start_log_flusher() {
    let spawned = std::thread::Builder::new()
        .name("log".into())
        .spawn(|| loop {
            std::thread::sleep(LOG_FLUSH_EVERY);
            flush_log();
        });
    if spawned.is_err() {
        // Without the flusher, lines wait for the next block or warning, or the exit.
        eprintln!("ticket-gateway: cannot start the log thread; log lines come in blocks");
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        flush_log();
        previous(info)
    }));
}

/// The tracing writer of [`flush_log`]'s blocks.
struct LogBlocks;

/// One event's line, added to the block as the formatter writes it.
struct LogLine {
    urgent: bool,
}

impl std::io::Write for LogLine {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        LOG_BUFFER
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let full = LOG_BUFFER.lock().map_or(true, |b| b.len() >= LOG_BLOCK);
        if self.urgent || full {
            flush_log();
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBlocks {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine { urgent: false }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> LogLine {
        LogLine {
            urgent: *meta.level() <= tracing::Level::WARN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_wait_for_a_block_unless_a_warning_comes() {
        let held = || LOG_BUFFER.lock().unwrap().len();
        flush_log();
        log_line(tracing::Level::INFO, b"one\n");
        log_line(tracing::Level::INFO, b"two\n");
        assert_eq!(held(), 8, "held for the next block");
        let long = b"a line long enough to fill the test's block of 64 bytes".repeat(2);
        log_line(tracing::Level::INFO, &long);
        assert_eq!(held(), 0, "a full block is written");
        log_line(tracing::Level::INFO, b"three\n");
        assert_eq!(held(), 6);
        log_line(tracing::Level::WARN, b"careful\n");
        assert_eq!(
            held(),
            0,
            "a warning goes out at once, with what came before it"
        );
    }

    /// Writes one event's line at `level` as the formatter does.
    fn log_line(level: tracing::Level, line: &[u8]) {
        use std::io::Write as _;
        use tracing_subscriber::fmt::MakeWriter as _;
        let meta = tracing::Metadata::new(
            "event",
            "t",
            level,
            None,
            None,
            None,
            tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CALLSITE)),
            tracing::metadata::Kind::EVENT,
        );
        LogBlocks.make_writer_for(&meta).write_all(line).unwrap();
    }

    struct Callsite;
    static CALLSITE: Callsite = Callsite;
    impl tracing::callsite::Callsite for Callsite {
        fn set_interest(&self, _: tracing::subscriber::Interest) {}
        fn metadata(&self) -> &tracing::Metadata<'_> {
            unimplemented!("not registered")
        }
    }

    #[test]
    fn every_series_exists_from_the_start() {
        let t = Telemetry::default();
        let text = t.metrics.render(
            &StoreCounts::default(),
            Up {
                imap: false,
                smtp: true,
                store: true,
            },
        );
        for o in MailOutcome::ALL {
            assert!(
                text.contains(&format!(
                    "ticket_gateway_mails_total{{outcome=\"{}\"}} 0",
                    o.as_str()
                )),
                "{text}"
            );
        }
        assert!(
            text.contains("ticket_gateway_up{component=\"imap\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("ticket_gateway_up{component=\"smtp\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("ticket_gateway_imap_reconnects_total 0"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE ticket_gateway_mail_processing_seconds histogram"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn a_mail_is_counted_with_its_time() {
        let t = Telemetry::default();
        t.metrics
            .mail(MailOutcome::Duplicate, Duration::from_millis(3));
        let text = t.metrics.render(
            &StoreCounts {
                tickets: vec![(State::Open, 2)],
                outbox_pending: 1,
                outbox_dead: 0,
                sla_breaches: vec![(SlaKind::FirstResponse, 3)],
            },
            Up {
                imap: true,
                smtp: true,
                store: true,
            },
        );
        assert!(
            text.contains("ticket_gateway_mails_total{outcome=\"duplicate\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("ticket_gateway_mail_processing_seconds_count 1"),
            "{text}"
        );
        assert!(
            text.contains("ticket_gateway_tickets{state=\"open\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("ticket_gateway_outbox_mails{status=\"pending\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("ticket_gateway_sla_breaches{level=\"first_response\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("ticket_gateway_sla_breaches{level=\"resolution\"} 0"),
            "{text}"
        );
    }

    #[test]
    fn reconnects_are_counted_after_the_first_attempt_and_while_down() {
        let t = Telemetry::default();
        let h = &t.health;
        h.imap_connecting(0);
        assert_eq!(h.imap(0), Err("not connected yet".into()));
        h.imap_connected(0);
        h.imap_connecting(0);
        assert_eq!(h.imap_reconnects.get(), 1);
        // A second queue's first session is no reconnect.
        h.imap_connecting(1);
        assert_eq!(h.imap_reconnects.get(), 1);
        assert_eq!(h.smtp(), Err("not tried yet".into()));
        h.smtp_ok();
        h.smtp_failed("connection refused");
        assert_eq!(
            h.smtp_reconnects.get(),
            0,
            "the first failure is no reconnect"
        );
        h.smtp_failed("connection refused");
        h.smtp_ok();
        assert_eq!(h.smtp_reconnects.get(), 2);
        assert_eq!(h.smtp(), Ok(()));
    }

    #[test]
    fn each_mailbox_is_up_or_down_on_its_own() {
        let h = Telemetry::default().health;
        h.imap_connecting(0);
        h.imap_connected(0);
        h.imap_connecting(1);
        h.imap_failed(
            1,
            &std::io::Error::other("authentication failed"),
            Some(Duration::from_secs(300)),
        );
        assert_eq!(h.imap(0), Ok(()));
        let why = h.imap(1).unwrap_err();
        assert!(why.starts_with("authentication failed (permanent"), "{why}");
        assert!(h.imap_all(1));
        assert!(!h.imap_all(2), "the second mailbox's failure shows");
        // The first queue connecting again does not hide it.
        h.imap_connected(0);
        assert!(!h.imap_all(2));
        h.imap_connected(1);
        assert!(h.imap_all(2));
        assert_eq!(h.imap(2), Err("not connected yet".into()));
    }

    #[test]
    fn chains_read_as_one_line_without_repeats() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer: {0}")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other(
            "Connection error: Connection error: refused",
        ));
        assert_eq!(chain(&e), "outer: Connection error: refused");
    }

    #[test]
    fn a_loop_that_misses_its_promise_is_stalled() {
        let t = Telemetry::default();
        assert_eq!(t.stalled(), None);
        t.outbox.beat(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(t.stalled().map(|(n, _)| n), Some("outbox"));
        t.outbox.beat(Duration::from_secs(60));
        assert_eq!(t.stalled(), None);
    }
}
