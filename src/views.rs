//! The read side: tickets, outgoing mail and mail decisions as `tickets`, `show` and `outbox`
//! print them (text and JSON), built from the store. The CLI uses it on a stopped daemon's store,
//! the admin endpoint on the running daemon's, so both print the same.

use serde::{Deserialize, Serialize};

use crate::core::sla::{self, SlaStatus};
use crate::core::{Policy, Severity, State, Ticket, TicketId, TicketType};
use crate::store::{MailRecord, OutboxEntry, Store, StoreError};

pub(crate) fn rfc3339(secs: i64) -> String {
    humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64),
    )
    .to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketView {
    pub id: u64,
    pub tag: String,
    pub subject: String,
    pub state: String,
    pub reporter: String,
    #[serde(default)]
    pub reporter_name: String,
    pub participants: Vec<String>,
    pub language: String,
    /// SPEC §2.5: `question`, `bug`, `incident`, `improvement`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `blocker`, `critical`, `major`, `minor`, `trivial`.
    pub severity: String,
    pub environment: String,
    pub version: String,
    /// The staff member who owns the ticket (SPEC §2.6).
    pub owner: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub automated: bool,
    pub refers_to: Option<String>,
    /// Service levels (SPEC §2.7): empty when the ticket's severity has none.
    #[serde(default)]
    pub sla: Vec<SlaView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
}

/// Where a ticket stands with one service level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaView {
    /// `first_response` or `resolution`.
    pub kind: String,
    /// When it falls due at the current pace; absent once met, or while the clock is
    /// stopped (waiting for the customer, resolved, closed).
    pub due: Option<String>,
    pub met: bool,
    pub breached: bool,
}

impl SlaView {
    fn of(s: &SlaStatus) -> SlaView {
        SlaView {
            kind: s.kind.as_str().into(),
            due: s.due.map(rfc3339),
            met: s.met,
            breached: s.breached,
        }
    }
}

/// Which tickets `tickets` lists (`--state`, `--type`, `--severity`, `--owner`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    pub state: Option<State>,
    pub kind: Option<TicketType>,
    pub severity: Option<Severity>,
    /// An address, or `none` for the tickets nobody owns.
    pub owner: Option<String>,
}

impl TicketFilter {
    /// From the words an operator types (values in English or French); an unknown value is
    /// named with the values that exist.
    pub fn parse(
        state: Option<&str>,
        kind: Option<&str>,
        severity: Option<&str>,
        owner: Option<&str>,
    ) -> Result<TicketFilter, String> {
        fn nonempty(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        /// The value named `s`, or an error that lists the values there are.
        fn one_of<T: Copy, const N: usize>(
            what: &str,
            s: Option<&str>,
            all: [T; N],
            name: fn(T) -> &'static str,
            read: fn(&str) -> Option<T>,
        ) -> Result<Option<T>, String> {
            let Some(s) = nonempty(s) else {
                return Ok(None);
            };
            read(s).map(Some).ok_or_else(|| {
                let names: Vec<&str> = all.into_iter().map(name).collect();
                format!("unknown {what} '{s}' (one of: {})", names.join(", "))
            })
        }
        let state = one_of("state", state, State::ALL, State::as_str, State::parse)?;
        let kind = one_of(
            "type",
            kind,
            TicketType::ALL,
            TicketType::as_str,
            TicketType::read,
        )?;
        let severity = one_of(
            "severity",
            severity,
            Severity::ALL,
            Severity::as_str,
            Severity::read,
        )?;
        Ok(TicketFilter {
            state,
            kind,
            severity,
            owner: nonempty(owner).map(str::to_ascii_lowercase),
        })
    }

    pub fn matches(&self, t: &Ticket) -> bool {
        self.state.is_none_or(|s| t.state == s)
            && self.kind.is_none_or(|k| t.fields.kind == k)
            && self.severity.is_none_or(|s| t.fields.severity == s)
            && self.owner.as_deref().is_none_or(|o| match &t.owner {
                Some(owner) => owner == o,
                None => o == "none",
            })
    }

    /// As the admin API's query string (`state=open&owner=a%40b`).
    pub fn to_query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = self.state {
            q.append_pair("state", s.as_str());
        }
        if let Some(k) = self.kind {
            q.append_pair("type", k.as_str());
        }
        if let Some(s) = self.severity {
            q.append_pair("severity", s.as_str());
        }
        if let Some(o) = &self.owner {
            q.append_pair("owner", o);
        }
        q.finish()
    }

    /// From the admin API's query string.
    pub fn from_query(q: &str) -> Result<TicketFilter, String> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.as_str())
        };
        TicketFilter::parse(get("state"), get("type"), get("severity"), get("owner"))
    }

    pub fn is_empty(&self) -> bool {
        *self == TicketFilter::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub at: String,
    pub kind: String,
    pub from: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_state: Option<String>,
    pub message_id: Option<String>,
    pub attachments: Vec<String>,
    pub decision: Vec<String>,
}

/// A ticket as the CLI shows it; its service levels as they stand at `now`.
pub fn ticket_view(t: &Ticket, policy: &Policy, now: i64, with_events: bool) -> TicketView {
    TicketView {
        id: t.id.0,
        tag: policy.tag(t.id),
        subject: t.summary.clone(),
        state: t.state.as_str().into(),
        reporter: t.reporter.clone(),
        reporter_name: t.reporter_name.clone(),
        participants: t.participants.clone(),
        language: t.language.as_str().into(),
        kind: t.fields.kind.as_str().into(),
        severity: t.fields.severity.as_str().into(),
        environment: t.fields.environment.clone(),
        version: t.fields.version.clone(),
        owner: t.owner.clone(),
        sla: sla::status(t, policy, now)
            .iter()
            .map(SlaView::of)
            .collect(),
        created_at: rfc3339(t.created_at),
        updated_at: rfc3339(t.updated_at),
        automated: t.automated,
        refers_to: t.refers_to.map(|r| policy.tag(r)),
        events: with_events.then(|| {
            t.events
                .iter()
                .map(|e| EventView {
                    at: rfc3339(e.at),
                    kind: e.kind.as_str().into(),
                    from: e.from.clone(),
                    text: e.text.clone(),
                    from_state: e.from_state.map(|s| s.as_str().into()),
                    to_state: e.to_state.map(|s| s.as_str().into()),
                    message_id: e.message_id.clone(),
                    attachments: e.attachments.iter().map(|a| a.name.clone()).collect(),
                    decision: crate::core::decision::render(&e.decision),
                })
                .collect()
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxView {
    pub id: u64,
    pub status: String,
    pub kind: String,
    pub ticket: Option<u64>,
    pub message_id: String,
    pub to: Vec<String>,
    pub attempts: u32,
    pub created_at: String,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
}

/// The tickets `filter` lets through, as `tickets --json` prints them.
pub(crate) fn list_tickets(
    store: &dyn Store,
    policy: &Policy,
    filter: &TicketFilter,
    now: i64,
) -> Result<Vec<TicketView>, StoreError> {
    let mut views = Vec::new();
    visit_views(store, policy, filter, now, &mut |v| {
        views.push(v);
        Ok(())
    })?;
    Ok(views)
}

/// Why a listing written as it is read stopped: the store, or the writer (a client gone).
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the listing: {0}")]
    Write(#[source] std::io::Error),
}

/// [`list_tickets`] as the JSON array `tickets --json` reads, written to `out` as the tickets
/// are read: one ticket's view at a time, never every ticket at once (a listing of 100,000
/// tickets took hundreds of MiB that way). The admin endpoint's `out` sends the text to the
/// client in chunks, so the daemon does not hold the listing's text either.
pub fn write_tickets_json(
    store: &dyn Store,
    policy: &Policy,
    filter: &TicketFilter,
    now: i64,
    out: &mut dyn std::io::Write,
) -> Result<(), ListingError> {
    out.write_all(b"[").map_err(ListingError::Write)?;
    let mut failed = None;
    let mut first = true;
    let visited = visit_views(store, policy, filter, now, &mut |v| {
        let written = match std::mem::take(&mut first) {
            true => Ok(()),
            false => out.write_all(b","),
        }
        .and_then(|()| serde_json::to_writer(&mut *out, &v).map_err(std::io::Error::from));
        written.map_err(|e| {
            // The visit stops on an error of the store's kind; the writer's is kept aside.
            failed = Some(e);
            StoreError::Corrupt {
                tree: "listing",
                reason: "the writer failed".into(),
            }
        })
    });
    if let Some(e) = failed {
        return Err(ListingError::Write(e));
    }
    visited?;
    out.write_all(b"]").map_err(ListingError::Write)
}

/// The newest tickets `filter` lets through, at most `limit` of them (0: every one), and how
/// many more match: what `tickets` shows by default, like `git log -n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketPage {
    pub tickets: Vec<TicketView>,
    pub more: u64,
}

/// The `limit` of the admin API's query string, if it has one.
pub fn page_limit(q: &str) -> Result<Option<usize>, String> {
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "limit")
        .map(|(_, v)| {
            v.parse()
                .map_err(|_| format!("limit '{v}' is not a number of tickets"))
        })
        .transpose()
}

/// [`TicketPage`] from the store: the ids come from the index (by state, or every ticket's),
/// newest first, and only the tickets shown are read. With a state and nothing else to
/// filter on, only the newest ids are read and the rest counted by the store's counts;
/// another filter reads the tickets to count those that match.
pub fn list_newest(
    store: &dyn Store,
    policy: &Policy,
    filter: &TicketFilter,
    now: i64,
    limit: usize,
) -> Result<TicketPage, StoreError> {
    let by_index_alone = TicketFilter {
        state: filter.state,
        ..TicketFilter::default()
    } == *filter;
    let mut page = TicketPage {
        tickets: Vec::new(),
        more: 0,
    };
    if by_index_alone && limit != 0 {
        // The newest ids from the index's end, the rest counted by the store's counts.
        let ids = store.ticket_ids(filter.state, limit)?;
        for id in &ids {
            if let Some(t) = store.ticket(*id)? {
                page.tickets.push(ticket_view(&t, policy, now, false));
            }
        }
        let c = store.counts()?;
        let total: i64 = match filter.state {
            Some(s) => State::ALL
                .iter()
                .position(|x| *x == s)
                .map_or(0, |i| c.tickets[i]),
            None => c.tickets.iter().sum(),
        };
        page.more = (total.max(0) as u64).saturating_sub(ids.len() as u64);
        return Ok(page);
    }
    for id in store.ticket_ids(filter.state, 0)? {
        let Some(t) = store.ticket(id)? else {
            continue;
        };
        if !filter.matches(&t) {
            continue;
        }
        match limit != 0 && page.tickets.len() >= limit {
            true => page.more += 1,
            false => page.tickets.push(ticket_view(&t, policy, now, false)),
        }
    }
    Ok(page)
}

/// The views of the tickets `filter` lets through, one at a time: with a state, from the
/// store's index by state, the rest of the filter applied to each ticket read.
fn visit_views(
    store: &dyn Store,
    policy: &Policy,
    filter: &TicketFilter,
    now: i64,
    f: &mut dyn FnMut(TicketView) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut each = |t: &Ticket| match filter.matches(t) {
        true => f(ticket_view(t, policy, now, false)),
        false => Ok(()),
    };
    match filter.state {
        Some(s) => store.visit_tickets_in(s, &mut |t| each(&t)),
        // The index gives the newest first; the listing is in id order.
        None => store
            .ticket_ids(None, 0)?
            .into_iter()
            .rev()
            .try_for_each(|id| store.ticket(id)?.map_or(Ok(()), |t| each(&t))),
    }
}

/// One ticket with its events, as `show --json` prints it.
pub(crate) fn show_ticket(
    store: &dyn Store,
    policy: &Policy,
    id: TicketId,
    now: i64,
) -> Result<Option<TicketView>, StoreError> {
    Ok(store
        .ticket(id)?
        .map(|t| ticket_view(&t, policy, now, true)))
}

/// Pending and dead outgoing mail (and sent mail with `all`), as `outbox --json` prints it.
pub(crate) fn list_outbox(store: &dyn Store, all: bool) -> Result<Vec<OutboxView>, StoreError> {
    let entries = match all {
        true => store.outbox()?,
        // Only the index's entries: a store keeps every mail it ever sent.
        false => store.outbox_unsent()?,
    };
    Ok(entries
        .into_iter()
        .map(|e: OutboxEntry| OutboxView {
            id: e.id,
            status: e.status.as_str().into(),
            ticket: e.ticket,
            created_at: rfc3339(e.created_at),
            next_attempt_at: rfc3339(e.next_attempt_at),
            attempts: e.attempts,
            kind: e.kind,
            message_id: e.message_id,
            to: e.to,
            last_error: e.last_error,
        })
        .collect())
}

/// What the gateway decided about one mail, as `show <Message-ID> --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailView {
    pub message_id: String,
    pub at: String,
    /// `ticket`, `ignored` or `quarantined`.
    pub outcome: String,
    pub ticket: Option<String>,
    pub decision: Vec<String>,
}

/// The decision record of a mail by its Message-ID (angle brackets optional).
pub(crate) fn show_mail(
    store: &dyn Store,
    policy: &Policy,
    message_id: &str,
) -> Result<Option<MailView>, StoreError> {
    let mid = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    Ok(store.mail_record(mid)?.map(|r| MailView {
        message_id: mid.to_string(),
        at: rfc3339(r.at),
        outcome: r.outcome.to_string(),
        ticket: r.ticket.map(|n| policy.tag(TicketId(n))),
        decision: r.decision,
    }))
}

/// What `ingest` prints about a mail: the decision made now, or, for a mail processed
/// before (the same Message-ID or content), that nothing was done now, and what was decided
/// then and when.
pub(crate) fn ingest_report(record: &MailRecord, duplicate: bool, policy: &Policy) -> Vec<String> {
    if !duplicate {
        return record.decision.clone();
    }
    let what = match (record.outcome, record.ticket) {
        (crate::core::MailOutcome::Ticket, Some(n)) => {
            format!("ticket {}", policy.tag(TicketId(n)))
        }
        (outcome, Some(n)) => format!("{outcome} ({})", policy.tag(TicketId(n))),
        (outcome, None) => outcome.to_string(),
    };
    let mut out = vec![format!(
        "already processed as {what} on {}; nothing done now. Decided then:",
        rfc3339(record.at)
    )];
    out.extend(record.decision.iter().map(|d| format!("  {d}")));
    out
}

/// A Message-ID as one URL path segment (hex: Message-IDs may hold `/`, `%`, `?` …).
pub(crate) fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Option<String> {
    if s.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_filter_by_state_type_severity_and_owner_also_through_the_api() {
        let f = TicketFilter::parse(
            None,
            Some("Anomalie"),
            Some("critique"),
            Some("Paul@X.test"),
        )
        .unwrap();
        assert_eq!(f.kind, Some(TicketType::Bug));
        assert_eq!(f.severity, Some(Severity::Critical));
        assert_eq!(f.owner.as_deref(), Some("paul@x.test"));
        assert_eq!(
            f.to_query(),
            "type=bug&severity=critical&owner=paul%40x.test"
        );
        assert_eq!(TicketFilter::from_query(&f.to_query()).unwrap(), f);
        let mut t = crate::core::Ticket {
            id: TicketId(1),
            summary: "x".into(),
            state: State::Open,
            reporter: "a@x.test".into(),
            reporter_name: String::new(),
            participants: vec![],
            fields: crate::core::Fields {
                kind: TicketType::Bug,
                severity: Severity::Critical,
                ..Default::default()
            },
            owner: Some("paul@x.test".into()),
            language: crate::core::Lang::En,
            created_at: 0,
            updated_at: 0,
            state_since: 0,
            reminded: false,
            automated: false,
            refers_to: None,
            thread: vec![],
            sent: vec![],
            events: vec![],
        };
        assert!(f.matches(&t));
        let none = TicketFilter::parse(None, None, None, Some("none")).unwrap();
        assert!(!none.matches(&t));
        t.owner = None;
        assert!(none.matches(&t) && !f.matches(&t));
        assert_eq!(
            TicketFilter::parse(None, None, Some("urgent"), None).unwrap_err(),
            "unknown severity 'urgent' (one of: blocker, critical, major, minor, trivial)"
        );
        assert!(TicketFilter::parse(Some("shut"), None, None, None).is_err());
    }

    /// A ticket as the listing tests store it: `ticket <id>`, owned by paul@ when `owned`.
    fn listed(id: u64, state: State, owned: bool) -> crate::core::Ticket {
        crate::core::Ticket {
            id: TicketId(id),
            summary: format!("ticket {id}"),
            state,
            reporter: "a@x.test".into(),
            participants: vec![],
            reporter_name: String::new(),
            fields: Default::default(),
            owner: owned.then(|| "paul@x.test".to_string()),
            language: crate::core::Lang::En,
            created_at: 1,
            updated_at: 2,
            state_since: 3,
            reminded: false,
            automated: false,
            refers_to: None,
            thread: vec![],
            sent: vec![],
            events: vec![],
        }
    }

    /// The whole listing [`write_tickets_json`] writes.
    fn listing_json(store: &dyn Store, policy: &Policy, filter: &TicketFilter) -> Vec<u8> {
        let mut out = Vec::new();
        write_tickets_json(store, policy, filter, 10, &mut out).unwrap();
        out
    }

    /// Takes `room` bytes, then fails as a socket whose reader went away.
    struct Gone {
        room: usize,
    }

    impl std::io::Write for Gone {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room < buf.len() {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            self.room -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_listing_stops_at_the_first_write_that_fails() {
        use crate::store::SledStore;
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        for id in 1..=3 {
            store_ticket(&store, listed(id, State::Open, false));
        }
        let policy = Policy::for_tests();
        let all = TicketFilter::parse(None, None, None, None).unwrap();
        let whole = listing_json(&store, &policy, &all).len();
        for room in [0, 1, whole / 2, whole - 1] {
            let r = write_tickets_json(&store, &policy, &all, 10, &mut Gone { room });
            match r {
                Err(ListingError::Write(e)) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "room {room}")
                }
                other => panic!("room {room}: {other:?}"),
            }
        }
        write_tickets_json(&store, &policy, &all, 10, &mut Gone { room: whole }).unwrap();
    }

    fn store_ticket(store: &crate::store::SledStore, ticket: crate::core::Ticket) {
        use crate::store::{Commit, Store as _};
        let commit = Commit {
            ticket: Some(ticket),
            ..Default::default()
        };
        store.commit(commit).unwrap();
    }

    #[test]
    fn the_listing_as_json_is_the_listing_written_ticket_by_ticket() {
        use crate::store::SledStore;
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        for (id, state) in [(1, State::Open), (2, State::Resolved), (3, State::Open)] {
            let mut ticket = listed(id, state, id == 3);
            ticket.participants = vec!["b@x.test".into()];
            store_ticket(&store, ticket);
        }
        let policy = Policy::for_tests();
        let filter = |state: Option<&str>, owner: Option<&str>| {
            TicketFilter::parse(state, None, None, owner).unwrap()
        };
        let tags = |f: &TicketFilter| {
            let views = list_tickets(&store, &policy, f, 10).unwrap();
            let json = listing_json(&store, &policy, f);
            let read: Vec<TicketView> = serde_json::from_slice(&json).unwrap();
            assert_eq!(read, views, "{f:?}");
            views.into_iter().map(|v| v.tag).collect::<Vec<_>>()
        };
        let prefix = policy.tag_prefix.clone();
        let tag = |n: u64| TicketId(n).tag(&prefix);
        assert_eq!(tags(&filter(Some("open"), None)), [tag(1), tag(3)]);
        assert_eq!(tags(&filter(None, None)), [tag(1), tag(2), tag(3)]);
        // With a state, the index by state is read and the rest of the filter applies.
        assert_eq!(tags(&filter(Some("open"), Some("paul@x.test"))), [tag(3)]);
        assert_eq!(tags(&filter(Some("open"), Some("none"))), [tag(1)]);
        assert!(tags(&filter(Some("closed"), None)).is_empty());
        assert_eq!(
            listing_json(&store, &policy, &filter(Some("closed"), None)),
            b"[]"
        );
    }

    #[test]
    fn a_limited_listing_shows_the_newest_and_counts_the_rest() {
        use crate::store::SledStore;
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        for id in 1..=7u64 {
            let state = if id % 2 == 0 {
                State::Resolved
            } else {
                State::Open
            };
            store_ticket(&store, listed(id, state, id <= 3));
        }
        let policy = Policy::for_tests();
        let page = |state: Option<&str>, owner: Option<&str>, limit| {
            let f = TicketFilter::parse(state, None, None, owner).unwrap();
            let p = list_newest(&store, &policy, &f, 10, limit).unwrap();
            let ids: Vec<u64> = p.tickets.iter().map(|t| t.id).collect();
            (ids, p.more)
        };
        // Newest first; the rest counted from the index (by state, or of every ticket).
        assert_eq!(page(Some("open"), None, 2), (vec![7, 5], 2));
        assert_eq!(page(None, None, 3), (vec![7, 6, 5], 4));
        // 0 is every ticket; a limit above the count leaves nothing more.
        assert_eq!(page(Some("open"), None, 0), (vec![7, 5, 3, 1], 0));
        assert_eq!(page(Some("resolved"), None, 9), (vec![6, 4, 2], 0));
        // Another filter counts only the tickets that match it.
        assert_eq!(page(Some("open"), Some("paul@x.test"), 1), (vec![3], 1));
        assert_eq!(page(None, Some("none"), 2), (vec![7, 6], 2));
        assert_eq!(page(Some("closed"), None, 2), (vec![], 0));
        // The admin API's `limit`.
        assert_eq!(page_limit("state=open&limit=20"), Ok(Some(20)));
        assert_eq!(page_limit("state=open"), Ok(None));
        assert!(page_limit("limit=all").is_err());
    }

    #[test]
    fn a_mail_processed_before_says_so_and_what_was_decided() {
        let record = MailRecord {
            message_id: Some("m@x".into()),
            at: 0,
            ticket: Some(3),
            outcome: crate::core::MailOutcome::Ticket,
            decision: vec!["new ticket SUP-3".into(), "acknowledgement to a@x".into()],
            fingerprint: None,
        };
        assert_eq!(
            ingest_report(&record, false, &Policy::for_tests()),
            record.decision
        );
        assert_eq!(
            ingest_report(&record, true, &Policy::for_tests()),
            [
                "already processed as ticket SUP-3 on 1970-01-01T00:00:00Z; nothing done now. Decided then:",
                "  new ticket SUP-3",
                "  acknowledgement to a@x",
            ]
        );
        let quarantined = MailRecord {
            ticket: None,
            outcome: crate::core::MailOutcome::Quarantined,
            decision: vec!["no From".into()],
            ..record
        };
        assert!(ingest_report(&quarantined, true, &Policy::for_tests())[0]
            .starts_with("already processed as quarantined on "));
    }
}
