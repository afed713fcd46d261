//! The sled backend's overlay: committed writes not yet handed to sled, which every read
//! consults first (group commit: few sled transactions instead of one a mail).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::schema::{Counts, META_COUNTS};
use super::{spool, SledStore, StoreError, T, TREE_COUNT};

/// Committed writes not yet in sled: the ones being applied (`frozen`) and the newer ones.
#[derive(Default)]
pub(super) struct Overlay {
    pub(super) active: Writes,
    pub(super) frozen: Option<Arc<Writes>>,
    /// The outgoing-mail files, and how many unsent mails each holds.
    pub(super) files: spool::Files,
    /// The spool file commits append their outgoing mail to, until the next flush.
    pub(super) spool: Option<spool::Writer>,
}

impl Overlay {
    /// The newest write of `key`, if it is in the overlay (`Some(None)`: removed).
    pub(super) fn get(&self, t: T, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        let t = t as usize;
        self.active.trees[t]
            .get(key)
            .or_else(|| self.frozen.as_ref().and_then(|f| f.trees[t].get(key)))
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.active.is_empty() && self.frozen.is_none()
    }
}

/// Per tree, key → value (`None`: removed).
#[derive(Default)]
pub(super) struct Writes {
    pub(super) trees: [BTreeMap<Vec<u8>, Option<Vec<u8>>>; TREE_COUNT],
    pub(super) bytes: usize,
    /// Files the writes name, to be synced before sled sees the writes.
    pub(super) files: Vec<PathBuf>,
}

impl Writes {
    pub(super) fn put(&mut self, t: T, key: impl Into<Vec<u8>>, value: Option<Vec<u8>>) {
        let key = key.into();
        let size = |k: usize, v: &Option<Vec<u8>>| k + v.as_ref().map_or(0, Vec::len);
        let (klen, added) = (key.len(), size(key.len(), &value));
        // A key written again (the counts, at every commit) counts once.
        let replaced = self.trees[t as usize]
            .insert(key, value)
            .map_or(0, |old| size(klen, &old));
        self.bytes = self.bytes + added - replaced;
    }

    pub(super) fn is_empty(&self) -> bool {
        self.trees.iter().all(BTreeMap::is_empty)
    }
}

/// An overlay this large is handed to sled before the next flush (one transaction, so a
/// commit is never split). Small on purpose: sled's transaction holds several copies of what
/// it applies, and a whole batch at once (~2.6 MB for 500 mails) raised the daemon's peak
/// memory by 35 MiB; at 256 KiB the cost per write is the same (docs/benchmarks.md).
pub(super) const OVERLAY_SPILL_BYTES: usize = 256 * 1024;

/// Reads through the overlay: every read of the sled backend looks at the overlay first.
impl SledStore {
    /// Reads one key, the overlay first, and hands the bytes to `f`.
    pub(super) fn read<R>(
        &self,
        t: T,
        key: &[u8],
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>, StoreError> {
        {
            let o = self.overlay();
            if let Some(v) = o.get(t, key) {
                return Ok(v.as_deref().map(f));
            }
        }
        // Not in the overlay: a flush applies frozen writes to sled before it drops them,
        // so a key is always in one of the two.
        Ok(self.tree(t).get(key)?.as_deref().map(f))
    }

    /// Like [`SledStore::read`] with the overlay already held (inside a commit).
    pub(super) fn read_locked(
        &self,
        o: &Overlay,
        t: T,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.peek_locked(o, t, key, <[u8]>::to_vec)
    }

    /// Like [`SledStore::read_locked`], handing the bytes to `f` instead of copying them.
    pub(super) fn peek_locked<R>(
        &self,
        o: &Overlay,
        t: T,
        key: &[u8],
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>, StoreError> {
        match o.get(t, key) {
            Some(v) => Ok(v.as_deref().map(f)),
            None => Ok(self.tree(t).get(key)?.as_deref().map(f)),
        }
    }

    /// The counts as the overlay and sled hold them (inside a commit).
    pub(super) fn read_counts(&self, o: &Overlay) -> Result<Counts, StoreError> {
        Ok(self
            .peek_locked(o, T::Meta, META_COUNTS, Counts::decode)?
            .unwrap_or_default())
    }

    /// The keys of a tree that start with `prefix`, last first, the overlay's writes merged
    /// over sled's, until `f` says to stop: the newest of an index without its whole length.
    pub(super) fn scan_keys_rev(
        &self,
        t: T,
        prefix: &[u8],
        mut f: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let pending: Vec<(Vec<u8>, bool)> = {
            let o = self.overlay();
            let mut merged: BTreeMap<&Vec<u8>, &Option<Vec<u8>>> = BTreeMap::new();
            for layer in o.frozen.as_deref().into_iter().chain([&o.active]) {
                let tree = &layer.trees[t as usize];
                merged.extend(
                    tree.range(prefix.to_vec()..)
                        .take_while(|(k, _)| k.starts_with(prefix)),
                );
            }
            merged
                .into_iter()
                .map(|(k, v)| (k.clone(), v.is_some()))
                .collect()
        };
        let mut pending = pending.into_iter().rev().peekable();
        for kv in self.tree(t).scan_prefix(prefix).rev() {
            let (k, _) = kv?;
            let mut shadowed = false;
            while let Some((pk, live)) = pending.next_if(|(pk, _)| pk.as_slice() >= &*k) {
                shadowed |= pk.as_slice() == &*k;
                if live && !f(&pk) {
                    return Ok(());
                }
            }
            if !shadowed && !f(&k) {
                return Ok(());
            }
        }
        for (pk, live) in pending {
            if live && !f(&pk) {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Visits every key of a tree that starts with `prefix`, in key order, the overlay's
    /// writes merged over sled's.
    pub(super) fn scan(
        &self,
        t: T,
        prefix: &[u8],
        mut f: impl FnMut(&[u8], &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let pending: Vec<(Vec<u8>, Option<Vec<u8>>)> = {
            let o = self.overlay();
            let mut merged: BTreeMap<&Vec<u8>, &Option<Vec<u8>>> = BTreeMap::new();
            let layers = o.frozen.as_deref().into_iter().chain([&o.active]);
            for layer in layers {
                // The active layer comes last: its writes are the newer ones.
                let tree = &layer.trees[t as usize];
                merged.extend(
                    tree.range(prefix.to_vec()..)
                        .take_while(|(k, _)| k.starts_with(prefix)),
                );
            }
            merged
                .into_iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let mut pending = pending.into_iter().peekable();
        for kv in self.tree(t).scan_prefix(prefix) {
            let (k, v) = kv?;
            let mut shadowed = false;
            while let Some((pk, pv)) = pending.next_if(|(pk, _)| pk.as_slice() <= &*k) {
                // Written over or removed in the overlay: the overlay's version counts.
                shadowed |= pk.as_slice() == &*k;
                if let Some(pv) = pv {
                    f(&pk, &pv)?;
                }
            }
            if !shadowed {
                f(&k, &v)?;
            }
        }
        for (pk, pv) in pending {
            if let Some(pv) = pv {
                f(&pk, &pv)?;
            }
        }
        Ok(())
    }
}
