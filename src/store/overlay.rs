//! The sled backend's overlay: committed writes not yet handed to sled, which every read
//! consults first (group commit: few sled transactions instead of one a mail).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{T, TREE_COUNT};

/// Committed writes not yet in sled: the ones being applied (`frozen`) and the newer ones.
#[derive(Default)]
pub(super) struct Overlay {
    pub(super) active: Writes,
    pub(super) frozen: Option<Arc<Writes>>,
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
