//! Big outgoing mails (a forwarded attachment) in files of their own under
//! `<store>/outbox/`, named by the outbox record that carries them.

use std::path::{Path, PathBuf};

use super::files::{private_dir, private_file};
use super::schema::TREE_OUTBOX;
use super::StoreError;

/// Outgoing mails bigger than this (a forwarded attachment) are kept in a file of their own
/// under `<store>/outbox/`, and sled holds [`RAW_FILE_MARK`] and the file's name: sled
/// copies a value several times on its way to disk and keeps it in its page cache, which
/// for a 14 MB mail was a large part of the daemon's peak memory (docs/benchmarks.md).
pub(super) const RAW_IN_FILE_BYTES: usize = 256 * 1024;

/// Starts the stored bytes of an outgoing mail that names a file instead (a mail never starts
/// with NUL).
pub(super) const RAW_FILE_MARK: &[u8] = b"\0file\0";

/// Writes a big outgoing mail to `<raw_dir>/<id>.eml`; returns the value that names it and
/// its path, which the commit's writes carry: the store's `apply` syncs the file (and the
/// directory, [`sync`]) before sled sees a write that names it. The deciding thread does not
/// wait for the disk; the flush, which runs beside it, does.
pub(super) fn write(raw_dir: &Path, id: u64, raw: &[u8]) -> Result<(Vec<u8>, PathBuf), StoreError> {
    use std::io::Write as _;
    let name = format!("{id:016x}.eml");
    let path = raw_dir.join(&name);
    let err = |source| StoreError::File {
        path: path.display().to_string(),
        source,
    };
    private_dir(raw_dir).map_err(err)?;
    let tmp = raw_dir.join(format!("{name}.tmp"));
    let mut f = private_file(&tmp).map_err(err)?;
    f.write_all(raw).map_err(err)?;
    std::fs::rename(&tmp, &path).map_err(err)?;
    let mut value = RAW_FILE_MARK.to_vec();
    value.extend_from_slice(name.as_bytes());
    Ok((value, path))
}

/// Syncs files that writes about to reach sled name, and their directory.
pub(super) fn sync(raw_dir: &Path, files: &[PathBuf]) -> Result<(), StoreError> {
    let err = |path: &Path| {
        let path = path.display().to_string();
        move |source| StoreError::File { path, source }
    };
    for f in files {
        std::fs::File::open(f)
            .and_then(|f| f.sync_data())
            .map_err(err(f))?;
    }
    if !files.is_empty() {
        std::fs::File::open(raw_dir)
            .and_then(|d| d.sync_all())
            .map_err(err(raw_dir))?;
    }
    Ok(())
}

/// The mail of outbox entry `id`, kept in the file its record names.
pub(super) fn read(raw_dir: &Path, id: u64, name: &[u8]) -> Result<Vec<u8>, StoreError> {
    // Only ever a name this store wrote: never a path elsewhere.
    let name = std::str::from_utf8(name)
        .ok()
        .filter(|n| {
            n.strip_suffix(".eml")
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .ok_or_else(|| StoreError::Corrupt {
            tree: TREE_OUTBOX,
            reason: format!("outgoing mail {id} names a bad file"),
        })?;
    let path = raw_dir.join(name);
    std::fs::read(&path).map_err(|source| StoreError::File {
        path: path.display().to_string(),
        source,
    })
}
