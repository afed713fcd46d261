//! The send log: an append-only file in which each completed SMTP transaction is recorded
//! and synced as it completes, so that after a crash only the mails in flight are sent again
//! (SPEC §4). A whole store flush per mail would cost far more; the log costs one small write
//! and one `fdatasync` a send, and concurrent sends share a sync (group commit).
//!
//! The store folds the records into the outbox when it opens, and starts a fresh file when a
//! flush has made everything in the current one durable in sled anyway ([`SendLog::rotate`]).

use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::files::{private_dir, private_file};

/// One send: outbox id, when (seconds), attempts, and a check of those 20 bytes.
const RECORD_BYTES: usize = 24;

/// A file this large is replaced by a fresh one at the next flush (about 2,700 sends).
const ROTATE_BYTES: u64 = 64 * 1024;

/// A send recorded in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentRecord {
    pub id: u64,
    pub at: i64,
    pub attempts: u32,
}

impl SentRecord {
    fn encode(&self) -> [u8; RECORD_BYTES] {
        let mut b = [0u8; RECORD_BYTES];
        b[..8].copy_from_slice(&self.id.to_be_bytes());
        b[8..16].copy_from_slice(&self.at.to_be_bytes());
        b[16..20].copy_from_slice(&self.attempts.to_be_bytes());
        let sum = check(&b[..20]);
        b[20..].copy_from_slice(&sum.to_be_bytes());
        b
    }

    /// A record, unless the bytes are not one (a write cut short by a crash).
    fn decode(b: &[u8]) -> Option<SentRecord> {
        let b: &[u8; RECORD_BYTES] = b.try_into().ok()?;
        let sum = u32::from_be_bytes(b[20..].try_into().ok()?);
        (sum == check(&b[..20])).then(|| SentRecord {
            id: u64::from_be_bytes(b[..8].try_into().unwrap_or_default()),
            at: i64::from_be_bytes(b[8..16].try_into().unwrap_or_default()),
            attempts: u32::from_be_bytes(b[16..20].try_into().unwrap_or_default()),
        })
    }
}

/// FNV-1a over the record's bytes: tells a whole record from a torn one, nothing more.
fn check(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// One file of the log, shared by the sends that wrote to it until each has synced.
struct LogFile {
    file: File,
    path: PathBuf,
    /// Records written (in order); the sync covers every record written before it starts.
    written: AtomicU64,
    /// Records known synced.
    synced: Mutex<u64>,
}

pub struct SendLog {
    dir: PathBuf,
    current: Mutex<(Arc<LogFile>, u64)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SendLog {
    /// The records of every log file in `dir` (oldest file first), and their paths: the
    /// caller folds them into the store, makes that durable, then calls [`SendLog::start`].
    pub fn read(dir: &Path) -> io::Result<(Vec<SentRecord>, Vec<PathBuf>)> {
        private_dir(dir)?;
        let mut paths: Vec<(u64, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let generation = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".log"))
                .and_then(|n| u64::from_str_radix(n, 16).ok());
            if let Some(g) = generation {
                paths.push((g, path));
            }
        }
        paths.sort();
        let mut records = Vec::new();
        for (_, path) in &paths {
            let mut bytes = Vec::new();
            File::open(path)?.read_to_end(&mut bytes)?;
            // A crash can cut the last record short: it was never synced, so never counted.
            records.extend(
                bytes
                    .chunks_exact(RECORD_BYTES)
                    .map_while(SentRecord::decode),
            );
        }
        Ok((records, paths.into_iter().map(|(_, p)| p).collect()))
    }

    /// Removes the files [`SendLog::read`] returned (their records are durable in the store)
    /// and starts a fresh file after them.
    pub fn start(dir: &Path, folded: Vec<PathBuf>) -> io::Result<SendLog> {
        let next = folded
            .iter()
            .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
            .filter_map(|s| u64::from_str_radix(&s, 16).ok())
            .max()
            .map_or(1, |g| g + 1);
        for p in folded {
            std::fs::remove_file(p)?;
        }
        let file = new_file(dir, next)?;
        Ok(SendLog {
            dir: dir.to_path_buf(),
            current: Mutex::new((file, next)),
        })
    }

    /// Appends one send and returns once it is on disk (a sync another send started after
    /// this write counts too).
    pub fn record(&self, r: SentRecord) -> io::Result<()> {
        let (log, n) = {
            let cur = lock(&self.current);
            let log = cur.0.clone();
            (&log.file).write_all(&r.encode())?;
            (log.clone(), log.written.fetch_add(1, Ordering::SeqCst) + 1)
        };
        let mut synced = lock(&log.synced);
        if *synced >= n {
            return Ok(());
        }
        let upto = log.written.load(Ordering::SeqCst);
        log.file.sync_data()?;
        *synced = upto;
        Ok(())
    }

    /// Starts a fresh file if the current one is large; returns the file to remove once the
    /// store has made durable every write made before this call (the caller's flush), which
    /// includes every send recorded in it (a send updates the store before its record).
    pub fn rotate(&self) -> io::Result<Option<PathBuf>> {
        let mut cur = lock(&self.current);
        if cur.0.written.load(Ordering::SeqCst) * (RECORD_BYTES as u64) < ROTATE_BYTES {
            return Ok(None);
        }
        let next = cur.1 + 1;
        let file = new_file(&self.dir, next)?;
        let old = std::mem::replace(&mut *cur, (file, next));
        Ok(Some(old.0.path.clone()))
    }
}

fn new_file(dir: &Path, generation: u64) -> io::Result<Arc<LogFile>> {
    let path = dir.join(format!("{generation:016x}.log"));
    let file = private_file(&path)?;
    // The file's name must outlive a crash as well as what is written in it.
    File::open(dir)?.sync_all()?;
    Ok(Arc::new(LogFile {
        file,
        path,
        written: AtomicU64::new(0),
        synced: Mutex::new(0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_reopening_and_a_torn_last_record_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("sent");
        let (none, files) = SendLog::read(&d).unwrap();
        assert!(none.is_empty());
        let log = SendLog::start(&d, files).unwrap();
        let rec = |id| SentRecord {
            id,
            at: 1_700_000_000 + id as i64,
            attempts: 1,
        };
        for id in 1..=3 {
            log.record(rec(id)).unwrap();
        }
        drop(log);
        // A crash in the middle of a write leaves part of a record.
        let path = std::fs::read_dir(&d)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(&rec(4).encode()[..10]).unwrap();
        let (got, files) = SendLog::read(&d).unwrap();
        assert_eq!(got, vec![rec(1), rec(2), rec(3)]);
        let log = SendLog::start(&d, files).unwrap();
        log.record(rec(5)).unwrap();
        let (got, files) = SendLog::read(&d).unwrap();
        assert_eq!(
            got,
            vec![rec(5)],
            "folded files are gone, the fresh one is read"
        );
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn a_large_file_is_rotated_and_the_old_one_handed_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("sent");
        let log = SendLog::start(&d, SendLog::read(&d).unwrap().1).unwrap();
        assert_eq!(log.rotate().unwrap(), None, "a small file stays");
        let n = ROTATE_BYTES / RECORD_BYTES as u64 + 1;
        for id in 0..n {
            log.record(SentRecord {
                id,
                at: 0,
                attempts: 1,
            })
            .unwrap();
        }
        let old = log.rotate().unwrap().expect("rotated");
        log.record(SentRecord {
            id: 99,
            at: 0,
            attempts: 2,
        })
        .unwrap();
        let (got, files) = SendLog::read(&d).unwrap();
        assert_eq!(got.len() as u64, n + 1);
        assert_eq!(files.first(), Some(&old), "the old file is read first");
        assert_eq!(got.last().map(|r| r.id), Some(99));
    }
}
