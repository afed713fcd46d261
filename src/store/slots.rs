//! The sled store's slots (SPEC §5.4): each tag prefix's slot, given once and kept under
//! `queue_slot:<PREFIX>` in the meta tree, and each slot's next ticket id (slot 0 under the
//! key of a store made before queues existed).

use super::schema::{next_ticket_key, queue_slot_key, META_QUEUE_SLOT};
use super::{corrupt, key_u64, SledStore, Store as _, StoreError, T};
use crate::core::TicketId;

impl SledStore {
    pub(super) fn next_id_in(&self, slot: u32) -> Result<TicketId, StoreError> {
        Ok(TicketId(
            self.read(T::Meta, &next_ticket_key(slot), key_u64)?
                .flatten()
                .unwrap_or(TicketId::new(slot, 1).0),
        ))
    }

    pub(super) fn slot_of(&self, prefix: &str) -> Result<u32, StoreError> {
        let slots = self.slots()?;
        if let Some((slot, _)) = slots.iter().find(|(_, p)| p == prefix) {
            return Ok(*slot);
        }
        let slot = slots.iter().map(|(s, _)| s + 1).max().unwrap_or(0);
        if slot > TicketId::MAX_SLOT {
            return Err(StoreError::Corrupt {
                tree: "meta",
                reason: format!("no slot left for the tag prefix {prefix}"),
            });
        }
        let write = (
            T::Meta,
            queue_slot_key(prefix),
            Some(slot.to_be_bytes().to_vec()),
        );
        self.write(self.overlay(), vec![write])?;
        // Durable before any ticket of the slot can be.
        self.flush()?;
        Ok(slot)
    }

    pub(super) fn slots(&self) -> Result<Vec<(u32, String)>, StoreError> {
        let mut out = Vec::new();
        self.scan(T::Meta, META_QUEUE_SLOT, |k, v| {
            let prefix = String::from_utf8_lossy(&k[META_QUEUE_SLOT.len()..]).into_owned();
            let slot = <[u8; 4]>::try_from(v)
                .map_err(|_| corrupt("meta")(format!("queue slot of {prefix}")))?;
            out.push((u32::from_be_bytes(slot), prefix));
            Ok(())
        })?;
        out.sort();
        Ok(out)
    }
}
