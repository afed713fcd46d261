//! The threads that prepare fetched mail (parse, detect the language) ahead of the one that
//! decides and commits it: started once and kept for the life of the process.
//!
//! Threads of their own for each fetched group were the daemon's largest memory cost: each
//! thread's allocator keeps pages of its own, and a thread that ends leaves them abandoned
//! with the mails it had prepared still in them (docs/benchmarks.md, memory in the growth
//! run). Kept threads reuse their pages.

use std::sync::mpsc::{sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, OnceLock};

use tracing::warn;

use crate::pipeline::{Gateway, PipelineError, Prepared};

/// How many mails a preparing thread may be ahead of the one that commits (memory bound).
const PREPARE_AHEAD: usize = 16;

/// A prepared mail, or why it could not be.
pub(super) type Ready = Result<Prepared, PipelineError>;

/// Work for one preparing thread.
type Job = Box<dyn FnOnce() + Send>;

/// The preparing threads: one job queue each, each job run after the one before.
struct Pool {
    workers: Vec<Mutex<Sender<Job>>>,
}

impl Pool {
    /// Hands `job` to thread `worker`; gives it back when there is no such thread.
    fn run(&self, worker: usize, job: Job) -> Result<(), Job> {
        let Some(w) = self.workers.get(worker) else {
            return Err(job);
        };
        let sent = w.lock().unwrap_or_else(|e| e.into_inner()).send(job);
        sent.map_err(|e| e.0)
    }
}

/// Threads that prepare mails beside the one that decides and commits them: one per core
/// but one, at least one, at most four.
fn prepare_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .clamp(1, 4)
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut workers = Vec::new();
        for _ in 0..prepare_workers() {
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            let spawned = std::thread::Builder::new()
                .name("prepare".into())
                .spawn(move || work(rx));
            match spawned {
                Ok(_) => workers.push(Mutex::new(tx)),
                Err(e) => warn!(error = %e, "cannot start a thread to prepare mail"),
            }
        }
        Pool { workers }
    })
}

/// A preparing thread: its jobs one after another, for the life of the process.
fn work(jobs: Receiver<Job>) {
    for job in jobs {
        job();
    }
}

/// Mails handed to the preparing threads: mail `i` comes, prepared, from receiver `i % n`.
/// Dropping it stops the threads' shares and waits until they let go of the gateway and the
/// mails (a stopped daemon holds no gateway in a thread).
pub(super) struct Handed {
    ready: Vec<Option<Receiver<Ready>>>,
    ended: Vec<Receiver<()>>,
}

impl Handed {
    /// Mail `i` prepared; `None` when no thread has it (it is then prepared by the caller).
    pub(super) fn take(&self, i: usize) -> Option<Ready> {
        self.ready[i % self.ready.len()].as_ref()?.recv().ok()
    }
}

impl Drop for Handed {
    fn drop(&mut self) {
        // First the receivers, so that no thread waits to hand over a mail.
        self.ready.clear();
        for ended in &self.ended {
            let _ = ended.recv();
        }
    }
}

/// Hands `mails` to the preparing threads. A thread stops preparing its share when the
/// [`Handed`] is dropped (shutdown, an error) and goes on to its next job.
pub(super) fn prepare(gateway: &Arc<Gateway>, mails: &Arc<[(u32, Vec<u8>)]>) -> Handed {
    let pool = pool();
    let n = pool.workers.len().min(mails.len()).max(1);
    let mut handed = Handed {
        ready: Vec::with_capacity(n),
        ended: Vec::with_capacity(n),
    };
    for first in 0..n {
        let (ready, rx): (SyncSender<Ready>, _) = sync_channel(PREPARE_AHEAD);
        let (end, ended) = sync_channel::<()>(1);
        let (gateway, mails) = (gateway.clone(), mails.clone());
        let job = Box::new(move || {
            for (_, raw) in mails.iter().skip(first).step_by(n) {
                if ready.send(gateway.prepare_safely(raw)).is_err() {
                    break;
                }
            }
            drop((gateway, mails));
            let _ = end.send(());
        });
        let taken = pool.run(first, job).is_ok();
        handed.ready.push(taken.then_some(rx));
        if taken {
            handed.ended.push(ended);
        }
    }
    handed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preparing_threads_are_kept_from_one_group_to_the_next() {
        let ran_on = |worker: usize| {
            let (tx, rx) = sync_channel(1);
            let job: Job = Box::new(move || {
                let t = std::thread::current();
                let _ = tx.send((t.id(), t.name().map(str::to_string)));
            });
            assert!(
                pool().run(worker, job).is_ok(),
                "worker {worker} takes jobs"
            );
            rx.recv().expect("the job ran")
        };
        for worker in 0..prepare_workers() {
            let (first, name) = ran_on(worker);
            assert_eq!(name.as_deref(), Some("prepare"));
            assert_ne!(first, std::thread::current().id());
            for _ in 0..3 {
                assert_eq!(
                    ran_on(worker).0,
                    first,
                    "the same thread, not a new one a group"
                );
            }
        }
        assert!(
            pool().run(prepare_workers(), Box::new(|| {})).is_err(),
            "no thread beyond the pool's"
        );
    }
}
