//! Leases (SPEC §5.5): which of the daemons sharing one database acts, for each mailbox it
//! ingests and for the outbox. A lease is a row of `leases` held by one daemon until its
//! `expires_at` on the database's clock; the holder renews it, a standby takes it once it
//! has expired (or was released) and raises its generation. A daemon takes all its leases
//! together, in one transaction, so they share one generation.
//!
//! Fencing, twice over. The store refuses to commit once the holder's *local* deadline has
//! passed without a renewal: the start of the last successful renewal on the monotonic
//! clock, plus the time to live, minus a margin, so it stops before the database lets anyone
//! else in. And every commit checks, in its own transaction and under a share lock on the
//! lease rows (a takeover waits for it), that its holder and generation still hold them, so a
//! process thawed after a takeover commits nothing. A frozen process cannot keep those locks:
//! a fenced batch's transaction is ended by the server once idle for longer than the time to
//! live.
//!
//! A store that never took part in leases (a CLI command, a test) is not fenced here: the
//! actor lock guards it.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::session::Session;
use super::PgStore;
use crate::store::StoreError;

/// How long a lease lasts after each renewal, and how much earlier than that its holder stops
/// acting (room for the monotonic and the database's clocks to drift, and for a commit in
/// flight to end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTerms {
    pub ttl: Duration,
    pub margin: Duration,
}

/// The leases a store holds, and how far it may trust them.
pub(super) struct Fence {
    holder: String,
    state: Mutex<FenceState>,
}

#[derive(Debug, Clone, Default)]
enum FenceState {
    /// Not taking part in leases: nothing to check.
    #[default]
    Off,
    /// Taking part, holding nothing: nothing may be committed.
    Standby,
    Held(Held),
}

#[derive(Debug, Clone)]
struct Held {
    names: Vec<String>,
    generation: i64,
    /// After this instant (monotonic clock) nothing is committed without a renewal.
    deadline: Instant,
    ttl: Duration,
}

/// What an attempt to take the leases found.
#[derive(Debug, Clone, PartialEq)]
pub enum Acquired {
    /// Taken, with this generation; `previous` says who had each before.
    Taken {
        generation: i64,
        previous: Vec<Previous>,
    },
    /// Another daemon holds (at least) lease `name`, for `expires_in` more.
    Busy {
        name: String,
        holder: String,
        expires_in: Duration,
    },
}

/// Who held a lease before a takeover.
#[derive(Debug, Clone, PartialEq)]
pub struct Previous {
    pub name: String,
    /// Empty for a lease nobody held before.
    pub holder: String,
    /// How long ago it expired; `None` when it was released (or never held).
    pub expired_ago: Option<Duration>,
}

/// What a renewal found.
#[derive(Debug, Clone, PartialEq)]
pub enum Renewal {
    Renewed,
    /// The leases are not this daemon's any more; `by`: who holds one now, when known.
    Lost {
        by: Option<String>,
    },
}

// A released lease, and one nobody held yet, expires at the epoch: long expired, and told
// apart from one that ran out.
const ENSURE: &str = "INSERT INTO leases (name, holder, generation, expires_at) \
     SELECT n, '', 0, 'epoch' FROM unnest($1::text[]) AS n ON CONFLICT (name) DO NOTHING";

const LOCK: &str = "SELECT name, holder, generation, expires_at > now(), \
     extract(epoch FROM (now() - expires_at))::float8, expires_at = 'epoch' \
     FROM leases WHERE name = ANY($1) ORDER BY name FOR UPDATE";

const TAKE: &str = "UPDATE leases SET holder = $2, generation = $3, \
     expires_at = now() + make_interval(secs => $4) WHERE name = ANY($1)";

const RENEW: &str = "UPDATE leases SET expires_at = now() + make_interval(secs => $4) \
     WHERE name = ANY($1) AND holder = $2 AND generation = $3";

const RELEASE: &str = "UPDATE leases SET expires_at = 'epoch' \
     WHERE name = ANY($1) AND holder = $2 AND generation = $3";

const CHECK: &str = "SELECT name FROM leases \
     WHERE name = ANY($1) AND holder = $2 AND generation = $3 FOR SHARE";

const OTHER_HOLDER: &str = "SELECT holder FROM leases \
     WHERE name = ANY($1) AND NOT (holder = $2 AND generation = $3) ORDER BY name LIMIT 1";

const LIVE_HOLDER: &str = "SELECT holder FROM leases WHERE expires_at > now() LIMIT 1";

impl Fence {
    pub(super) fn new() -> Fence {
        Fence {
            holder: holder_id(),
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, FenceState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The SQL that opens a batch: a fenced batch's transaction ends, on the server, once its
    /// process leaves it idle for longer than a lease lives (a frozen process keeps no lock).
    pub(super) fn begin_sql(&self) -> String {
        match &*self.state() {
            FenceState::Off => "BEGIN".into(),
            FenceState::Standby => format!(
                "BEGIN; SET LOCAL idle_in_transaction_session_timeout = {}",
                DEFAULT_IDLE.as_millis()
            ),
            FenceState::Held(h) => format!(
                "BEGIN; SET LOCAL idle_in_transaction_session_timeout = {}",
                h.ttl.as_millis().max(1000)
            ),
        }
    }
}

/// The idle limit of a standby's transactions (it commits nothing anyway).
const DEFAULT_IDLE: Duration = Duration::from_secs(10);

/// `host:pid:random`: tells daemons apart in the table and in the logs.
fn holder_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    let mut r = [0u8; 4];
    getrandom::fill(&mut r).expect("the OS random source works");
    let hex: String = r.iter().map(|b| format!("{b:02x}")).collect();
    format!("{host}:{}:{hex}", std::process::id())
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Runs `f` in a transaction of its own that waits at most a second or two for a row lock,
/// and that the server ends once its process leaves it idle that long: a daemon cut from the
/// database between taking the lease rows and committing must not keep them locked (a
/// standby could never take over), whatever its TCP connection still looks like.
fn transaction<R>(
    s: &mut Session,
    f: impl FnOnce(&mut Session) -> Result<(R, bool), StoreError>,
) -> Result<R, StoreError> {
    s.batch(
        "BEGIN; SET LOCAL lock_timeout = 2000; \
         SET LOCAL idle_in_transaction_session_timeout = 5000",
    )?;
    match f(s) {
        Ok((r, true)) => s.batch("COMMIT").map(|()| r),
        Ok((r, false)) => s.batch("ROLLBACK").map(|()| r),
        Err(e) => {
            let _ = s.batch("ROLLBACK");
            Err(e)
        }
    }
}

impl PgStore {
    /// This process's name in the lease table (`host:pid:random`).
    pub fn lease_holder(&self) -> &str {
        &self.fence.holder
    }

    /// Takes part in leases, holding none yet: from now on nothing is committed without them.
    pub fn stand_by(&self) {
        let mut st = self.fence.state();
        if matches!(*st, FenceState::Off) {
            *st = FenceState::Standby;
        }
    }

    /// Takes the leases `names` together when none is held by another daemon (expired or
    /// released ones are taken over, with the next generation), for `terms.ttl`.
    pub fn acquire_leases(
        &self,
        names: &[String],
        terms: LeaseTerms,
    ) -> Result<Acquired, StoreError> {
        let start = Instant::now();
        let holder = self.fence.holder.clone();
        let names = names.to_vec();
        let got = self.pool.with(|s| {
            transaction(s, |s| {
                s.execute(ENSURE, &[&names])?;
                let rows = s.query(LOCK, &[&names])?;
                let mut generation = 0i64;
                let mut previous = Vec::new();
                for r in &rows {
                    let (name, who, live): (String, String, bool) = (r.get(0), r.get(1), r.get(3));
                    if live && who != holder {
                        let ago: f64 = r.get(4);
                        let expires_in = Duration::from_secs_f64((-ago).max(0.0));
                        return Ok((
                            Acquired::Busy {
                                name,
                                holder: who,
                                expires_in,
                            },
                            false,
                        ));
                    }
                    generation = generation.max(r.get(2));
                    let released: bool = r.get(5);
                    let ago: f64 = r.get(4);
                    previous.push(Previous {
                        name,
                        holder: who,
                        expired_ago: (!released).then(|| Duration::from_secs_f64(ago.max(0.0))),
                    });
                }
                generation += 1;
                s.execute(TAKE, &[&names, &holder, &generation, &secs(terms.ttl)])?;
                Ok((
                    Acquired::Taken {
                        generation,
                        previous,
                    },
                    true,
                ))
            })
        })?;
        if let Acquired::Taken { generation, .. } = &got {
            *self.fence.state() = FenceState::Held(Held {
                names,
                generation: *generation,
                deadline: start + terms.ttl.saturating_sub(terms.margin),
                ttl: terms.ttl,
            });
        }
        Ok(got)
    }

    /// Extends the leases held by `terms.ttl` from now (the database's clock), and the local
    /// deadline from the moment this call began. An error leaves the deadline where it was.
    pub fn renew_leases(&self, terms: LeaseTerms) -> Result<Renewal, StoreError> {
        let Some(held) = self.held() else {
            return Ok(Renewal::Lost { by: None });
        };
        let start = Instant::now();
        let holder = self.fence.holder.clone();
        let n = self.pool.with(|s| {
            transaction(s, |s| {
                let n = s.execute(
                    RENEW,
                    &[&held.names, &holder, &held.generation, &secs(terms.ttl)],
                )?;
                Ok((n, true))
            })
        })?;
        if n as usize == held.names.len() {
            if let FenceState::Held(h) = &mut *self.fence.state() {
                if h.generation == held.generation {
                    h.deadline = start + terms.ttl.saturating_sub(terms.margin);
                }
            }
            return Ok(Renewal::Renewed);
        }
        *self.fence.state() = FenceState::Standby;
        let by = self
            .pool
            .with(|s| s.query_opt(OTHER_HOLDER, &[&held.names, &holder, &held.generation]))
            .ok()
            .flatten()
            .map(|r| r.get::<_, String>(0))
            .filter(|h| !h.is_empty());
        Ok(Renewal::Lost { by })
    }

    /// Lets the leases go at once (a clean shutdown: a standby takes over at its next look),
    /// after which this store commits nothing more.
    pub fn release_leases(&self) -> Result<(), StoreError> {
        let Some(held) = self.held() else {
            return Ok(());
        };
        *self.fence.state() = FenceState::Standby;
        let holder = self.fence.holder.clone();
        self.pool
            .with(|s| s.execute(RELEASE, &[&held.names, &holder, &held.generation]))
            .map(|_| ())
    }

    /// May this process act (commit, move mail, send) now? Always on a store outside leases;
    /// on one in them, only before the local deadline of the leases it holds.
    pub fn may_act(&self) -> bool {
        match &*self.fence.state() {
            FenceState::Off => true,
            FenceState::Standby => false,
            FenceState::Held(h) => Instant::now() < h.deadline,
        }
    }

    /// How long this process may still act without a renewal: `None` on a store outside
    /// leases (no limit), zero for a standby.
    pub fn acting_time_left(&self) -> Option<Duration> {
        match &*self.fence.state() {
            FenceState::Off => None,
            FenceState::Standby => Some(Duration::ZERO),
            FenceState::Held(h) => Some(h.deadline.saturating_duration_since(Instant::now())),
        }
    }

    /// The leases held and their generation, when this process holds them.
    pub fn leases_held(&self) -> Option<(Vec<String>, i64)> {
        self.held().map(|h| (h.names, h.generation))
    }

    /// Why this process commits nothing (a transient error: the daemon stops meanwhile).
    fn fenced(&self, reason: String) -> StoreError {
        StoreError::Fenced {
            url: self.url().to_string(),
            reason,
        }
    }

    fn held(&self) -> Option<Held> {
        match &*self.fence.state() {
            FenceState::Held(h) => Some(h.clone()),
            _ => None,
        }
    }

    /// Some other daemon's unexpired lease, if there is one (a CLI command does not act
    /// beside a daemon that does).
    pub(super) fn live_lease_holder(&self, s: &mut Session) -> Result<Option<String>, StoreError> {
        Ok(s.query_opt(LIVE_HOLDER, &[])?.map(|r| r.get(0)))
    }

    /// Checks, in the batch's transaction `s`, that this process may commit it: before its
    /// local deadline, and still the holder of its leases at its generation (the rows stay
    /// share-locked until the commit, so no takeover passes in between).
    pub(super) fn check_fence(&self, s: &mut Session) -> Result<(), StoreError> {
        let held = match &*self.fence.state() {
            FenceState::Off => return Ok(()),
            FenceState::Standby => {
                return Err(self
                    .fenced("this daemon holds no lease (standby): nothing is committed".into()))
            }
            FenceState::Held(h) => h.clone(),
        };
        if Instant::now() >= held.deadline {
            return Err(self.fenced(format!(
                "the leases {} (generation {}) were not renewed in time: another daemon may \
                 hold them now",
                held.names.join(", "),
                held.generation
            )));
        }
        let holder = self.fence.holder.clone();
        let rows = s.query(CHECK, &[&held.names, &holder, &held.generation])?;
        if rows.len() == held.names.len() {
            return Ok(());
        }
        *self.fence.state() = FenceState::Standby;
        Err(self.fenced(format!(
            "the leases {} (generation {}) were taken over by another daemon: this batch is \
             refused",
            held.names.join(", "),
            held.generation
        )))
    }
}

#[cfg(test)]
mod tests;
