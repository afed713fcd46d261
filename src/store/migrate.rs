//! What the sled backend does to a store when it opens it, before anything reads it: refuses
//! a newer layout, brings an older one up to date (each step once, marked in `meta`), and folds
//! the sends recorded since the last flush into the outbox.

use std::collections::BTreeMap;

use super::schema::*;
use super::{corrupt, reply_log, sendlog, StoreError, T};

/// Brings the store's trees (in the order of [`super::TREE_NAMES`]) up to this build's
/// layout and marks the recorded `sends` as sent; durable when it returns.
pub(super) fn upgrade(
    db: &sled::Db,
    trees: &[sled::Tree],
    path: &str,
    sends: &[sendlog::SentRecord],
) -> Result<(), StoreError> {
    let tree = |t: T| &trees[t as usize];
    let meta = tree(T::Meta);
    let found = match meta.get(META_SCHEMA)? {
        None => SCHEMA_VERSION,
        Some(v) => v
            .as_ref()
            .try_into()
            .map(u32::from_be_bytes)
            .unwrap_or(u32::MAX),
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_string(),
            found,
        });
    }
    if meta.get(META_REPLY_LOGS)?.is_none() {
        reply_logs(tree(T::Replies))?;
        meta.insert(META_REPLY_LOGS, &[1])?;
        db.flush()?;
    }
    if meta.get(META_SENT_BUILT)?.is_none() {
        sent_records(tree(T::Outbox), tree(T::Tickets))?;
        meta.insert(META_SENT_BUILT, &[1])?;
        db.flush()?;
    }
    if meta.get(META_CUSTOMER_INDEX)?.is_none() {
        customer_index(tree(T::Tickets), tree(T::ByCustomer))?;
        meta.insert(META_CUSTOMER_INDEX, &[1])?;
        db.flush()?;
    }
    if meta.get(META_STATE_INDEX)?.is_none() {
        state_index(db, trees)?;
    }
    if meta.get(META_UNSENT_INDEX)?.is_none() {
        unsent_index(tree(T::Outbox), tree(T::OutboxUnsent))?;
        meta.insert(META_UNSENT_INDEX, &[1])?;
        db.flush()?;
    }
    if !sends.is_empty() {
        fold_sends(tree(T::Outbox), tree(T::OutboxUnsent), meta, sends)?;
    }
    if found != SCHEMA_VERSION || meta.get(META_SCHEMA)?.is_none() {
        meta.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())?;
    }
    db.flush()?;
    Ok(())
}

/// Stores written before the reply logs: their rows of the last two days become logs, once,
/// and every row goes (years of them, so neither pass holds them all). Logs are written
/// before rows are removed: an interrupted run merges again next time.
fn reply_logs(replies: &sled::Tree) -> Result<(), StoreError> {
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
    Ok(())
}

/// Stores written before tickets kept their sent mails: each ticket gets the outbox entries
/// of its own, once (a delivery report counts only for a mail the gateway sent, and
/// customers are shown only the ids of mails they could have seen).
fn sent_records(outbox: &sled::Tree, tickets: &sled::Tree) -> Result<(), StoreError> {
    let mut by_ticket: BTreeMap<u64, Vec<OutboxEntry>> = BTreeMap::new();
    for kv in outbox.iter() {
        let (_, v) = kv?;
        let (e, _) = decode_outbox(&v).map_err(corrupt(TREE_OUTBOX))?;
        if let Some(t) = e.ticket {
            by_ticket.entry(t).or_default().push(e);
        }
    }
    for (id, entries) in by_ticket {
        let key = u64_key(id);
        let Some(v) = tickets.get(key)? else { continue };
        let mut r = decode_ticket(&v).map_err(corrupt(TREE_TICKETS))?;
        for e in entries {
            if !r.sent.iter().any(|s| s.message_id == e.message_id) {
                r.sent.push(SentRecord::of_entry(&e, &r.reporter));
            }
        }
        let t = crate::core::Ticket::try_from(r).map_err(corrupt(TREE_TICKETS))?;
        tickets.insert(key, encode_ticket(&t))?;
    }
    Ok(())
}

/// Stores written before the index of a customer's tickets: every ticket's customers, once.
fn customer_index(tickets: &sled::Tree, index: &sled::Tree) -> Result<(), StoreError> {
    for kv in tickets.iter() {
        let (_, v) = kv?;
        let r = decode_ticket(&v).map_err(corrupt(TREE_TICKETS))?;
        let t = crate::core::Ticket::try_from(r).map_err(corrupt(TREE_TICKETS))?;
        for c in t.customers() {
            index.insert(customer_key(&c, t.id.0), &[])?;
        }
    }
    Ok(())
}

/// Stores written before the index by state and the counts: both are built from one pass
/// over the tickets and the outbox, and the index of timed tickets they replace goes.
fn state_index(db: &sled::Db, trees: &[sled::Tree]) -> Result<(), StoreError> {
    let tree = |t: T| &trees[t as usize];
    let mut counts = Counts::default();
    for kv in tree(T::Tickets).iter() {
        let (k, v) = kv?;
        let (Some(id), Ok(head)) = (key_u64(&k), ticket_head(&v)) else {
            return Err(corrupt(TREE_TICKETS)("unreadable ticket".into()));
        };
        tree(T::ByState).insert(state_key(head.state, id), &[])?;
        counts.head(head, 1);
    }
    for kv in tree(T::Outbox).iter() {
        let (_, v) = kv?;
        let (e, _) = decode_outbox(&v).map_err(corrupt(TREE_OUTBOX))?;
        counts.outbox(e.status, 1);
    }
    let meta = tree(T::Meta);
    meta.insert(META_COUNTS, counts.encode())?;
    meta.insert(META_STATE_INDEX, &[1])?;
    db.drop_tree(TREE_TIMED)?;
    db.flush()?;
    Ok(())
}

/// Stores written before the index of unsent outbox entries: built from one pass over the
/// outbox.
fn unsent_index(outbox: &sled::Tree, unsent: &sled::Tree) -> Result<(), StoreError> {
    for kv in outbox.iter() {
        let (k, v) = kv?;
        let (e, _) = decode_outbox(&v).map_err(corrupt(TREE_OUTBOX))?;
        if e.status != OutboxStatus::Sent {
            unsent.insert(k, &[])?;
        }
    }
    Ok(())
}

/// Marks the outbox entries of recorded sends as sent, and counts them out of the pending.
fn fold_sends(
    outbox: &sled::Tree,
    unsent: &sled::Tree,
    meta: &sled::Tree,
    sends: &[sendlog::SentRecord],
) -> Result<(), StoreError> {
    let mut counts = Counts::decode(&meta.get(META_COUNTS)?.unwrap_or_default());
    for s in sends {
        let key = u64_key(s.id);
        let Some(v) = outbox.get(key)? else { continue };
        let (mut e, _) = decode_outbox(&v).map_err(corrupt(TREE_OUTBOX))?;
        if e.status == OutboxStatus::Sent {
            continue;
        }
        counts.outbox(e.status, -1);
        unsent.remove(key)?;
        e.status = OutboxStatus::Sent;
        e.sent_at = Some(s.at);
        e.attempts = e.attempts.max(s.attempts);
        e.last_error = None;
        // A sent mail's bytes are not needed again: the record keeps the entry alone.
        outbox.insert(key, encode(&e))?;
    }
    meta.insert(META_COUNTS, counts.encode())?;
    Ok(())
}
