//! Upgrades of stores written by older versions: each a step that runs once, at open, marked
//! done under its own `meta` key (an interrupted step runs again, and is written so that
//! running twice changes nothing).

use std::collections::BTreeMap;

use super::schema::*;
use super::{corrupt, has_timers, reply_log, SledStore, Store as _, StoreError, T};

impl SledStore {
    /// Runs every upgrade step this store has not had yet.
    pub(super) fn upgrade(&self) -> Result<(), StoreError> {
        let meta = self.tree(T::Meta);
        if meta.get(META_TIMED_INDEX)?.is_none() {
            // Stores written before the index existed: build it once.
            for t in self.tickets()? {
                if has_timers(t.state) {
                    self.tree(T::Timed).insert(u64_key(t.id.0), &[])?;
                }
            }
            meta.insert(META_TIMED_INDEX, &[1])?;
            self.db.flush()?;
        }
        if meta.get(META_REPLY_LOGS)?.is_none() {
            // Stores written before the logs: their rows of the last two days become logs,
            // once, and every row goes (years of them, so neither pass holds them all). Logs
            // are written before rows are removed: an interrupted run merges again next time.
            let replies = self.tree(T::Replies);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let recent = now - REPLY_LOG_KEEP_SECS;
            let mut logs: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
            for kv in replies.iter() {
                let (k, _) = kv?;
                if let Some((addr, at, id)) = legacy_reply_key(&k).filter(|r| r.1 >= recent) {
                    logs.entry(addr.to_string()).or_default().push((at, id));
                }
            }
            for (addr, answers) in logs {
                let mut log = reply_log(replies.get(addr.as_bytes())?.as_deref())?;
                log.add(answers);
                replies.insert(addr.as_bytes(), encode(&log))?;
            }
            for kv in replies.iter() {
                let (k, _) = kv?;
                if legacy_reply_key(&k).is_some() {
                    replies.remove(k)?;
                }
            }
            meta.insert(META_REPLY_LOGS, &[1])?;
            self.db.flush()?;
        }
        if meta.get(META_CUSTOMER_INDEX)?.is_none() {
            // Stores written before the index: every ticket's customers, once.
            for t in self.tickets()? {
                for c in t.customers() {
                    self.tree(T::ByCustomer)
                        .insert(customer_key(&c, t.id.0), &[])?;
                }
            }
            meta.insert(META_CUSTOMER_INDEX, &[1])?;
            self.db.flush()?;
        }
        if meta.get(META_SENT_BUILT)?.is_none() {
            self.build_sent_records()?;
            meta.insert(META_SENT_BUILT, &[1])?;
            self.db.flush()?;
        }
        Ok(())
    }

    /// Stores written before tickets kept their sent mails: each ticket gets the outbox
    /// entries of its own, once (a delivery report counts only for a mail the gateway sent,
    /// and customers are shown only the ids of mails they could have seen).
    fn build_sent_records(&self) -> Result<(), StoreError> {
        let mut by_ticket: BTreeMap<u64, Vec<OutboxEntry>> = BTreeMap::new();
        for kv in self.tree(T::Outbox).iter() {
            let (_, v) = kv?;
            let (e, _) = decode_outbox(&v).map_err(corrupt(TREE_OUTBOX))?;
            if let Some(t) = e.ticket {
                by_ticket.entry(t).or_default().push(e);
            }
        }
        let tickets = self.tree(T::Tickets);
        for (id, entries) in by_ticket {
            let key = u64_key(id);
            let Some(v) = tickets.get(key)? else { continue };
            let mut r: TicketRecord = decode(&v).map_err(corrupt(TREE_TICKETS))?;
            for e in entries {
                if !r.sent.iter().any(|s| s.message_id == e.message_id) {
                    r.sent.push(SentRecord::of_entry(&e, &r.reporter));
                }
            }
            tickets.insert(key, encode(&r))?;
        }
        Ok(())
    }
}
