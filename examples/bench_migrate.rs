//! Bench helper for `ticket-gateway migrate` (docs/benchmarks.md): fills a sled store with
//! COUNT tickets as a desk's would look (three events each, an attachment on the first,
//! two processed mails under two keys each, an acknowledgement sent and a status mail
//! pending, the answer and sender logs), then copies it into the empty database at URL
//! with the command's own code (`store::copy_to_postgres`) and times each part.
//!
//! ```text
//! cargo run --release --example bench_migrate -- DIR COUNT URL
//! ```
//!
//! Prints one JSON line: `{"tickets":N,"fill_s":..,"copy_s":..,"rows":{..}}`. Not part of
//! the product.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use ticket_gateway::core::{
    AttachmentInfo, Audience, Decision, Event, EventKind, Fields, Lang, MailOutcome, SentMail,
    State, Ticket, TicketId,
};
use ticket_gateway::dedupe::MailKey;
use ticket_gateway::store::{
    copy_to_postgres, Commit, DatabaseUrl, MailRecord, OutboxEntry, OutboxStatus, SledStore, Store,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, count, url] = args.as_slice() else {
        eprintln!("usage: bench_migrate DIR COUNT URL");
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<u64>() else {
        eprintln!("bench_migrate: COUNT must be a number, got {count}");
        return ExitCode::from(2);
    };
    match run(Path::new(dir), count, url) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_migrate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &Path, count: u64, url: &str) -> Result<String, String> {
    let url = DatabaseUrl::parse(url)?;
    let started = Instant::now();
    {
        let s = SledStore::open(dir).map_err(|e| e.to_string())?;
        for n in 1..=count {
            s.commit(desk_ticket(n)).map_err(|e| e.to_string())?;
            if n % 10_000 == 0 {
                s.flush().map_err(|e| e.to_string())?;
            }
        }
        s.flush().map_err(|e| e.to_string())?;
    }
    let fill = started.elapsed();
    let s = SledStore::open(dir).map_err(|e| e.to_string())?;
    let report = copy_to_postgres(&s, &url).map_err(|e| e.to_string())?;
    let rows: Vec<String> = report
        .rows
        .iter()
        .map(|(what, _, n)| format!("\"{what}\":{n}"))
        .collect();
    Ok(format!(
        "{{\"tickets\":{count},\"fill_s\":{:.2},\"copy_s\":{:.2},\"rows\":{{{}}}}}",
        fill.as_secs_f64(),
        report.elapsed.as_secs_f64(),
        rows.join(",")
    ))
}

/// Ticket `n` as the pipeline would commit it after a customer's mail and a staff answer.
fn desk_ticket(n: u64) -> Commit {
    let at = 1_764_000_000 + n as i64 * 60;
    let customer = format!("customer{}@example.org", n % 5_000);
    let (first, reply) = (
        format!("m{n}@client.example"),
        format!("r{n}@client.example"),
    );
    let ours = format!("tg.{n}.{:032x}@support.example", n);
    let event = |kind, from: &str, text: &str, to: Option<State>| Event {
        at,
        kind,
        from: from.into(),
        text: text.into(),
        from_state: None,
        to_state: to,
        message_id: None,
        attachments: vec![],
        decision: vec![
            Decision::Recorded(format!("matched SUP-{n} by tag")),
            Decision::Recorded("sender is the reporter".into()),
        ],
    };
    let mut created = event(
        EventKind::Created,
        &customer,
        "Hello,\nthe invoice export stops after 50 invoices since the update.\nRegards",
        Some(State::Open),
    );
    created.message_id = Some(first.clone());
    created.attachments = vec![AttachmentInfo {
        name: "screenshot.png".into(),
        content_type: "image/png".into(),
        size: 48_213,
        sha256: format!("{:064x}", n),
    }];
    let t = Ticket {
        id: TicketId(n),
        summary: format!("Invoice export stops at 50 ({n})"),
        state: State::WaitingForFeedback,
        reporter: customer.clone(),
        participants: vec![format!("colleague{}@example.org", n % 700)],
        language: Lang::En,
        created_at: at,
        updated_at: at + 600,
        state_since: at + 600,
        reminded: false,
        automated: false,
        refers_to: None,
        thread: vec![first.clone(), ours.clone(), reply.clone()],
        sent: vec![SentMail {
            message_id: ours.clone(),
            outbox: n * 2,
            audience: Audience::Customers,
            to: None,
        }],
        events: vec![
            created,
            event(
                EventKind::Comment,
                &customer,
                "It also fails with 10.",
                None,
            ),
            event(
                EventKind::StaffComment,
                "alice@support.example",
                "Which version do you run?",
                Some(State::WaitingForFeedback),
            ),
        ],
        reporter_name: "A Customer".into(),
        fields: Fields::default(),
        owner: Some("alice@support.example".into()),
    };
    let record = |mid: &str| MailRecord {
        message_id: Some(mid.into()),
        at,
        ticket: Some(n),
        outcome: MailOutcome::Ticket,
        decision: vec![format!("matched SUP-{n}"), "no keyword".into()],
        fingerprint: Some(format!("fp:{mid}")),
    };
    let entry = |id: u64, status| OutboxEntry {
        id,
        message_id: ours.clone(),
        ticket: Some(n),
        kind: "acknowledgement".into(),
        from: "support@support.example".into(),
        to: vec![customer.clone()],
        created_at: at,
        attempts: 1,
        next_attempt_at: at,
        status,
        last_error: None,
        sent_at: (status == OutboxStatus::Sent).then_some(at + 1),
        size: 1_200,
    };
    // One commit holds both mails' records: the copy sees the same rows either way.
    Commit {
        mail_keys: vec![
            MailKey::message_id(&first),
            MailKey::message_id(&format!("fp:{first}")),
        ],
        mail: Some(record(&first)),
        ticket: Some(t),
        outbox: vec![
            (entry(n * 2, OutboxStatus::Sent), vec![b'a'; 1_200]),
            (entry(n * 2 + 1, OutboxStatus::Pending), vec![b'b'; 1_200]),
        ],
        replies: vec![(customer.clone(), at, n * 2)],
        senders: vec![(customer, at)],
        ..Default::default()
    }
}
