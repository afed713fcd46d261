//! A commit as one pipeline: its savepoint, every statement that writes it and the release
//! go to the server together, and their answers come back together — one round trip for the
//! commit instead of one per statement (the time of a backlog is in round trips, not in the
//! server's work).
//!
//! The server runs the statements in the order sent. When one fails, the transaction is
//! aborted and those after it fail too, the release with them; the caller rolls back to the
//! savepoint, so the commit is whole or not at all.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use futures::future::{maybe_done, poll_fn};
use tokio_postgres::types::ToSql;

use super::session::Session;
use super::{clean_ticket, cleaned, flood_record, id, sql};
use crate::core::{FloodItem, Ticket, TicketId};
use crate::dedupe::MailKey;
use crate::store::schema::{
    FloodItemRecord, FloodRecord, OutboxEntry, TicketRecord, REPLY_LOG_KEEP_SECS,
    SENDER_LOG_KEEP_SECS,
};
use crate::store::{Commit, StoreError};

/// One parameter of a statement, owned by the pipeline until its answer is in.
pub(super) type Param = Box<dyn ToSql + Sync + Send>;

/// The parameters of one statement, each moved into the pipeline.
macro_rules! params {
    ($($p:expr),* $(,)?) => {
        vec![$(Box::new($p) as Param),*]
    };
}

/// One message of a pipeline.
enum Step {
    /// Transaction control, without parameters (a simple query).
    Control(&'static str),
    /// A prepared statement and its parameters.
    Statement(&'static str, Vec<Param>),
}

/// Statements sent at once, answered in order.
#[derive(Default)]
pub(super) struct Pipeline {
    steps: Vec<Step>,
}

impl Pipeline {
    pub(super) fn control(&mut self, sql: &'static str) {
        self.steps.push(Step::Control(sql));
    }

    pub(super) fn push(&mut self, sql: &'static str, params: Vec<Param>) {
        self.steps.push(Step::Statement(sql, params));
    }

    /// Sends every step, then waits for all their answers: the first error, in the order
    /// sent, is the pipeline's. Statements are prepared first (once per connection).
    pub(super) fn run(self, s: &mut Session) -> Result<(), StoreError> {
        let mut prepared = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            prepared.push(match step {
                Step::Statement(sql, _) => Some(s.statement(sql)?),
                Step::Control(_) => None,
            });
        }
        let client = &s.client;
        type Answer<'a> =
            Pin<Box<dyn Future<Output = Result<(), tokio_postgres::Error>> + Send + 'a>>;
        let mut answers: Vec<_> = self
            .steps
            .iter()
            .zip(&prepared)
            .map(|(step, statement)| {
                let answer: Answer<'_> = match (step, statement) {
                    (Step::Statement(_, params), Some(st)) => Box::pin(async move {
                        let params: Vec<&(dyn ToSql + Sync)> =
                            params.iter().map(|p| p.as_ref() as _).collect();
                        client.execute(st, &params).await.map(|_| ())
                    }),
                    (Step::Control(sql), _) | (Step::Statement(sql, _), None) => {
                        Box::pin(client.batch_execute(sql))
                    }
                };
                maybe_done(answer)
            })
            .collect();
        // Each answer is polled first in the order of the steps: a query is sent when it is
        // first polled, so the server receives them in that order, without waiting.
        s.driver.wait(poll_fn(|cx| {
            let mut done = true;
            for a in answers.iter_mut() {
                done &= Pin::new(a).poll(cx).is_ready();
            }
            if done {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        for a in &mut answers {
            if let Some(Err(e)) = Pin::new(a).take_output() {
                return Err(StoreError::Postgres(e));
            }
        }
        Ok(())
    }
}

/// The pipeline of one commit, between its savepoint `c` and the release. Staff notices held
/// for a summary are read first (on `s`, under the savepoint, sent on its own then): they are
/// added to those the sender has. `new`: the ticket is new, and inserted (a ticket already at
/// its id fails the commit instead of being overwritten).
pub(super) fn plan(s: &mut Session, c: &Commit, new: bool) -> Result<Pipeline, StoreError> {
    let mut p = Pipeline::default();
    if c.flood.is_empty() {
        p.control("SAVEPOINT c");
    } else {
        s.batch("SAVEPOINT c")?;
        let mut held: BTreeMap<&str, Vec<&FloodItem>> = BTreeMap::new();
        for item in &c.flood {
            held.entry(&item.sender).or_default().push(item);
        }
        for (sender, items) in held {
            let mut r = match s.query_opt(sql::HELD, &[&sender])? {
                Some(row) => flood_record(row.get(0), row.get(1))?,
                None => FloodRecord::default(),
            };
            for item in items {
                r.add(FloodItemRecord::from(item));
            }
            let items = serde_json::to_string(&r.items).expect("records serialise to JSON");
            p.push(
                sql::UPSERT_HELD,
                params![sender.to_string(), items, r.more as i32],
            );
        }
    }
    if let Some(t) = &c.ticket {
        ticket(&mut p, t, new);
        let index = new_ids(c, t);
        if !index.is_empty() {
            p.push(sql::INDEX_IDS, params![index, id(t.id.0)]);
        }
    }
    if let (Some(m), false) = (&c.mail, c.mail_keys.is_empty()) {
        let keys: Vec<String> = c.mail_keys.iter().map(|k| cleaned(k)).collect();
        p.push(
            sql::INSERT_MAIL,
            params![
                m.message_id.clone(),
                m.at,
                m.ticket.map(id),
                m.outcome.as_str(),
                m.decision.clone(),
                m.fingerprint.clone(),
                keys,
            ],
        );
    }
    for (e, raw) in &c.outbox {
        outbox(&mut p, e, raw);
    }
    if !c.replies.is_empty() {
        let addrs: Vec<String> = c.replies.iter().map(|r| r.0.clone()).collect();
        let at: Vec<i64> = c.replies.iter().map(|r| r.1).collect();
        let ids: Vec<i64> = c.replies.iter().map(|r| id(r.2)).collect();
        p.push(
            sql::INSERT_ANSWERS,
            params![addrs, at, ids, REPLY_LOG_KEEP_SECS],
        );
    }
    for (addr, until) in &c.bounces {
        p.push(sql::UPSERT_BOUNCE, params![addr.clone(), (*until).max(0)]);
    }
    if !c.senders.is_empty() {
        let addrs: Vec<String> = c.senders.iter().map(|r| r.0.clone()).collect();
        let at: Vec<i64> = c.senders.iter().map(|r| r.1).collect();
        p.push(
            sql::INSERT_SENDERS,
            params![addrs, at, SENDER_LOG_KEEP_SECS],
        );
    }
    for sender in &c.flood_sent {
        p.push(sql::DELETE_HELD, params![sender.clone()]);
    }
    p.control("RELEASE SAVEPOINT c");
    Ok(p)
}

/// The ids of the ticket's thread to index: only new ones, and only those nothing else finds
/// (see `ticket_by_message_id`).
fn new_ids(c: &Commit, t: &Ticket) -> Vec<String> {
    let recorded = c
        .mail
        .as_ref()
        .filter(|m| m.ticket == Some(t.id.0))
        .and_then(|m| m.message_id.as_deref());
    t.thread
        .iter()
        .skip(c.known_ids)
        .filter(|mid| {
            let derived = TicketId::of_message_id(mid) == Some(t.id)
                || (recorded == Some(mid.as_str())
                    && c.mail_keys
                        .iter()
                        .any(|k| MailKey::message_id_of(k) == Some(mid)));
            !derived
        })
        .map(|m| cleaned(m))
        .collect()
}

/// The attachments of a ticket's events, column by column (one statement writes them all).
#[derive(Default)]
struct Files {
    seq: Vec<i32>,
    n: Vec<i32>,
    name: Vec<String>,
    content_type: Vec<String>,
    size: Vec<i64>,
    sha256: Vec<String>,
}

/// A ticket, its events and their attachments' metadata: inserted when `new`, else written
/// over what the store has.
fn ticket(p: &mut Pipeline, t: &Ticket, new: bool) {
    let mut r = TicketRecord::from(t);
    clean_ticket(&mut r);
    let sent = serde_json::to_string(&r.sent).expect("records serialise to JSON");
    let ticket_id = id(r.id);
    p.push(
        if new {
            sql::INSERT_TICKET
        } else {
            sql::UPSERT_TICKET
        },
        params![
            ticket_id,
            r.summary,
            r.state,
            r.reporter,
            r.participants,
            r.language,
            r.created_at,
            r.updated_at,
            r.state_since,
            r.reminded,
            r.automated,
            r.refers_to.map(id),
            r.thread,
            sent,
            r.reporter_name,
            r.fields.kind,
            r.fields.severity,
            r.fields.environment,
            r.fields.version,
            r.owner,
        ],
    );
    if r.events.is_empty() {
        return;
    }
    let n = r.events.len();
    let (mut seq, mut at, mut kind, mut from, mut text) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut from_state, mut to_state, mut message_id, mut decision) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut files = Files::default();
    for (i, e) in r.events.into_iter().enumerate() {
        seq.push(i as i32);
        at.push(e.at);
        kind.push(e.kind);
        from.push(e.from);
        text.push(e.text);
        from_state.push(e.from_state);
        to_state.push(e.to_state);
        message_id.push(e.message_id);
        decision.push(serde_json::to_string(&e.decision).expect("strings serialise to JSON"));
        for (k, a) in e.attachments.into_iter().enumerate() {
            files.seq.push(i as i32);
            files.n.push(k as i32);
            files.name.push(a.name);
            files.content_type.push(a.content_type);
            files.size.push(a.size as i64);
            files.sha256.push(a.sha256);
        }
    }
    p.push(
        if new {
            sql::INSERT_EVENTS
        } else {
            sql::UPSERT_EVENTS
        },
        params![ticket_id, seq, at, kind, from, text, from_state, to_state, message_id, decision,],
    );
    if !files.seq.is_empty() {
        p.push(
            sql::INSERT_ATTACHMENTS,
            params![
                ticket_id,
                files.seq,
                files.n,
                files.name,
                files.content_type,
                files.size,
                files.sha256,
            ],
        );
    }
}

fn outbox(p: &mut Pipeline, e: &OutboxEntry, raw: &[u8]) {
    p.push(
        sql::INSERT_OUTBOX,
        params![
            id(e.id),
            e.message_id.clone(),
            e.ticket.map(id),
            e.kind.clone(),
            e.from.clone(),
            e.to.clone(),
            e.created_at,
            e.attempts as i32,
            e.next_attempt_at,
            e.status.as_str(),
            e.last_error.clone(),
            e.sent_at,
            e.size as i64,
            raw.to_vec(),
        ],
    );
}
