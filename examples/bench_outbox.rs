//! Bench helper for `scripts/bench` (outbound): fills the store's outbox with N status mails
//! (`staff_update`: "your ticket is now in progress", English and French alternately),
//! rendered and composed by the gateway's own pipeline ([`Gateway::execute`]), so that the
//! daemon's outbox task then sends exactly what it would send in production.
//!
//! ```text
//! cargo run --release --example bench_outbox -- CONFIG COUNT TO
//! ```
//!
//! Prints one JSON line: `{"count":N,"bytes":B,"avg_size":A,"min_size":..,"max_size":..}`;
//! `avg_size` is what `smtp-source -l` gets for the reference run. Not part of the product.

use std::path::PathBuf;
use std::process::ExitCode;

use ticket_gateway::core::{
    Decision, Effect, Lang, Notice, NoticeKind, Outcome, State, TicketId, TicketSnapshot,
};
use ticket_gateway::pipeline::now_secs;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [config, count, to] = args.as_slice() else {
        eprintln!("usage: bench_outbox CONFIG COUNT TO");
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<u64>() else {
        eprintln!("bench_outbox: COUNT must be a number, got {count}");
        return ExitCode::from(2);
    };
    match fill(&PathBuf::from(config), count, to) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_outbox: {e}");
            ExitCode::FAILURE
        }
    }
}

fn fill(config: &std::path::Path, count: u64, to: &str) -> Result<String, String> {
    let config = ticket_gateway::config::Config::load(config).map_err(|e| e.to_string())?;
    let gw = ticket_gateway::daemon::open_gateway(config, std::time::Duration::ZERO)
        .map_err(|e| e.to_string())?;
    let now = now_secs();
    let (mut bytes, mut min, mut max) = (0u64, u64::MAX, 0u64);
    for i in 0..count {
        let lang = if i % 2 == 0 { Lang::En } else { Lang::Fr };
        let (summary, text) = match lang {
            Lang::En => (
                format!("Printer on 3rd floor not working ({i})"),
                "We replaced the toner cartridge; please tell us if it prints again.",
            ),
            Lang::Fr => (
                format!("Imprimante du 2ᵉ étage hors service ({i})"),
                "Nous avons remplacé la cartouche ; dites-nous si l'impression fonctionne.",
            ),
        };
        let notice = Notice {
            text: text.into(),
            from_state: Some(State::Open),
            to_state: Some(State::InProgress),
            keyword: Some("progress".into()),
            in_reply_to: Some(format!("bench.{i}@customer.test")),
            ..Notice::new(
                NoticeKind::StaffUpdate,
                vec![to.to_string()],
                lang,
                TicketSnapshot {
                    id: TicketId(i + 1),
                    summary,
                    state: State::InProgress,
                    reporter: to.to_string(),
                    reporter_name: String::new(),
                    participants: vec![],
                    language: lang,
                    fields: Default::default(),
                    owner: None,
                    description: "The printer shows error 503 after login.".into(),
                    thread: vec![format!("bench.{i}@customer.test")],
                    public_thread: vec![format!("bench.{i}@customer.test")],
                },
                "staff@gateway.test",
            )
        };
        let outcome = Outcome {
            effects: vec![Effect::Notify(notice)],
            decision: vec![Decision::Recorded("bench: status mail".into())],
        };
        let p = gw
            .execute(
                outcome,
                ticket_gateway::pipeline::Mail {
                    keys: vec![],
                    mail: None,
                },
                None,
                now,
            )
            .map_err(|e| e.to_string())?;
        for id in p.outbox {
            let raw = gw
                .store
                .outbox_raw(id)
                .map_err(|e| e.to_string())?
                .ok_or("outbox entry vanished")?;
            let n = raw.len() as u64;
            bytes += n;
            min = min.min(n);
            max = max.max(n);
        }
    }
    gw.store.flush().map_err(|e| e.to_string())?;
    let queued = gw.store.outbox_pending().map_err(|e| e.to_string())?.len();
    if queued as u64 != count {
        return Err(format!(
            "{queued} mails pending in the outbox, expected {count}"
        ));
    }
    Ok(format!(
        "{{\"count\":{count},\"bytes\":{bytes},\"avg_size\":{},\"min_size\":{},\"max_size\":{max}}}",
        bytes / count.max(1),
        if count == 0 { 0 } else { min },
    ))
}
