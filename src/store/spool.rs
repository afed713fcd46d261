//! The sled backend's outgoing mail, kept beside sled: the mails a batch of commits makes are
//! appended to one spool file under `<store>/outbox/`, and each outbox record names its
//! mail's place in it. A file goes once no pending mail needs it.
//!
//! sled 0.34 writes a leaf again every few changes to it and does not reclaim what it
//! replaced: with the mails inside their records, the outgoing mail (three quarters of what
//! the ingest writes, dead once sent) made the store 18x the mail it keeps and cost the
//! backlog a third of its CPU (docs/benchmarks.md, "Where the sled store's bytes are").
//!
//! Durability: a spool file is synced before sled sees a write that names it (the store's
//! `apply`), so a record never names bytes that a crash could lose.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use super::files::{private_dir, private_file};
use super::mailfiles::RAW_FILE_MARK;
use super::schema::TREE_OUTBOX;
use super::StoreError;

/// Starts the stored bytes of an outgoing mail kept in a spool file; `name:offset:length`
/// follows (a mail never starts with NUL).
pub(super) const SPOOL_MARK: &[u8] = b"\0spool\0";

const SPOOL_SUFFIX: &str = ".spool";

/// The spool file the commits of one overlay append to; named by the first outbox entry it
/// holds, so no two are ever named alike.
pub(super) struct Writer {
    name: String,
    path: PathBuf,
    file: File,
    len: u64,
}

/// The store's outgoing-mail files (spool files and big mails' files of their own): how many
/// unsent mails each still holds. A sent mail's record no longer names its bytes, and a dead
/// one's bytes move into its record, so a file no mail needs can go.
#[derive(Debug, Default)]
pub(super) struct Files {
    live: HashMap<String, usize>,
}

fn file_err(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::File {
        path: path.display().to_string(),
        source,
    }
}

fn corrupt(id: u64) -> StoreError {
    StoreError::Corrupt {
        tree: TREE_OUTBOX,
        reason: format!("outgoing mail {id} names a bad file"),
    }
}

/// The file a stored mail value names, if it names one.
fn file_of(stored: &[u8]) -> Option<&str> {
    if let Some(rest) = stored.strip_prefix(SPOOL_MARK) {
        let name = rest.split(|b| *b == b':').next()?;
        return std::str::from_utf8(name).ok();
    }
    std::str::from_utf8(stored.strip_prefix(RAW_FILE_MARK)?).ok()
}

/// A name this store writes: hex digits and a known suffix, never a path elsewhere.
fn is_own_name(name: &str) -> bool {
    [SPOOL_SUFFIX, ".eml"].iter().any(|suffix| {
        name.strip_suffix(suffix)
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

impl Files {
    /// The files the stored mails of unsent entries name. Every other file under `dir` is
    /// removed: one whose mails were all sent, or one written by a commit that a crash cut
    /// off before sled had it.
    pub(super) fn open(
        dir: &Path,
        unsent: impl IntoIterator<Item = Vec<u8>>,
    ) -> Result<Files, StoreError> {
        let mut live: HashMap<String, usize> = HashMap::new();
        for stored in unsent {
            if let Some(name) = file_of(&stored) {
                *live.entry(name.to_owned()).or_default() += 1;
            }
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Files { live }),
            Err(e) => return Err(file_err(dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(file_err(dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = is_own_name(&name)
                || name
                    .strip_suffix(".tmp")
                    .is_some_and(|n| n.ends_with(".eml"));
            if ours && !live.contains_key(&name) {
                std::fs::remove_file(entry.path()).map_err(file_err(&entry.path()))?;
            }
        }
        Ok(Files { live })
    }

    /// Appends `raw`, the mail of outbox entry `id`, to the spool file (made on first use,
    /// and listed in `files` for the apply to sync); returns the value its record stores.
    /// One file takes the commits between two flushes: making a file costs ext4 far more
    /// than appending to one.
    pub(super) fn append(
        &mut self,
        dir: &Path,
        writer: &mut Option<Writer>,
        files: &mut Vec<PathBuf>,
        id: u64,
        raw: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let w = match writer {
            Some(w) => w,
            None => {
                let name = format!("{id:016x}{SPOOL_SUFFIX}");
                let path = dir.join(&name);
                private_dir(dir).map_err(file_err(dir))?;
                let file = private_file(&path).map_err(file_err(&path))?;
                writer.insert(Writer {
                    name,
                    path,
                    file,
                    len: 0,
                })
            }
        };
        if !files.contains(&w.path) {
            files.push(w.path.clone());
        }
        let at = w.len;
        (&w.file).write_all(raw).map_err(file_err(&w.path))?;
        w.len += raw.len() as u64;
        *self.live.entry(w.name.clone()).or_default() += 1;
        let mut value = SPOOL_MARK.to_vec();
        value.extend_from_slice(format!("{}:{at}:{}", w.name, raw.len()).as_bytes());
        Ok(value)
    }

    /// Counts a big mail's file of its own (`stored` names it).
    pub(super) fn add(&mut self, stored: &[u8]) {
        if let Some(name) = file_of(stored) {
            *self.live.entry(name.to_owned()).or_default() += 1;
        }
    }

    /// One mail of the file `stored` names no longer needs it (sent, or its bytes moved
    /// into its record).
    pub(super) fn release(&mut self, stored: &[u8]) {
        if let Some(n) = file_of(stored).and_then(|name| self.live.get_mut(name)) {
            *n = n.saturating_sub(1);
        }
    }

    /// The files no unsent mail needs (a file commits append to has at least the mail
    /// appended last).
    pub(super) fn idle(&self) -> Vec<String> {
        self.live
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Removes files [`Files::idle`] found, once the records that stopped naming them are
    /// durable. A file that cannot be removed stays for the next open to remove.
    pub(super) fn remove(&mut self, dir: &Path, names: Vec<String>) {
        for name in names {
            if self.live.get(&name) != Some(&0) {
                continue;
            }
            self.live.remove(&name);
            let path = dir.join(&name);
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e,
                        "store: a sent mail's file could not be removed; the next start removes it");
                }
            }
        }
    }
}

/// The mail of outbox entry `id`, whose record stores `after_mark` (what follows
/// [`SPOOL_MARK`]).
pub(super) fn read(dir: &Path, id: u64, after_mark: &[u8]) -> Result<Vec<u8>, StoreError> {
    let text = std::str::from_utf8(after_mark).map_err(|_| corrupt(id))?;
    let mut parts = text.split(':');
    let (Some(name), Some(at), Some(len), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(corrupt(id));
    };
    let (Ok(at), Ok(len), true) = (
        at.parse::<u64>(),
        len.parse::<usize>(),
        name.ends_with(SPOOL_SUFFIX) && is_own_name(name),
    ) else {
        return Err(corrupt(id));
    };
    let path = dir.join(name);
    let file = File::open(&path).map_err(file_err(&path))?;
    let mut raw = vec![0; len];
    file.read_exact_at(&mut raw, at).map_err(file_err(&path))?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spool_file_holds_each_mail_at_its_place_and_goes_when_none_needs_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("outbox");
        let mut files = Files::default();
        let (mut writer, mut synced) = (None, Vec::new());
        let a = files
            .append(&dir, &mut writer, &mut synced, 7, b"first mail")
            .unwrap();
        let b = files
            .append(&dir, &mut writer, &mut synced, 8, b"second")
            .unwrap();
        assert_eq!(synced, [dir.join("0000000000000007.spool")], "one file");
        assert_eq!(
            read(&dir, 7, &a[SPOOL_MARK.len()..]).unwrap(),
            b"first mail"
        );
        assert_eq!(read(&dir, 8, &b[SPOOL_MARK.len()..]).unwrap(), b"second");
        let name = "0000000000000007.spool".to_owned();
        assert!(files.idle().is_empty());
        files.release(&a);
        assert!(files.idle().is_empty(), "the second mail still needs it");
        files.release(&b);
        let idle = files.idle();
        assert_eq!(idle, std::slice::from_ref(&name));
        files.remove(&dir, idle);
        assert!(!dir.join(&name).exists());
    }

    #[test]
    fn a_start_keeps_the_files_unsent_mail_names_and_removes_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for name in [
            "00000000000000a1.spool",
            "00000000000000a2.spool",
            "00000000000000b1.eml",
            "00000000000000b2.eml",
            "00000000000000b3.eml.tmp",
            "notes.txt",
        ] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        let unsent = [
            [SPOOL_MARK, b"00000000000000a1.spool:0:1"].concat(),
            [RAW_FILE_MARK, b"00000000000000b1.eml"].concat(),
            b"a mail kept in its record".to_vec(),
        ];
        let files = Files::open(dir, unsent).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "00000000000000a1.spool",
                "00000000000000b1.eml",
                "notes.txt"
            ],
            "what no unsent mail names is gone; what the store did not write stays"
        );
        assert!(files.idle().is_empty());
    }

    #[test]
    fn a_record_naming_anything_but_a_spool_place_is_corrupt() {
        let tmp = tempfile::tempdir().unwrap();
        for bad in [
            &b"../../etc/passwd:0:4"[..],
            b"00000000000000a1.spool:0",
            b"00000000000000a1.spool:x:4",
            b"00000000000000a1.eml:0:4",
            b"00000000000000a1.spool:0:4:5",
        ] {
            assert!(
                matches!(read(tmp.path(), 1, bad), Err(StoreError::Corrupt { .. })),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let err = read(tmp.path(), 1, b"00000000000000a1.spool:0:4")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("00000000000000a1.spool"),
            "a missing file is named: {err}"
        );
    }
}
