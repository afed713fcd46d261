//! Bench helper (profiling, docs/benchmarks.md): the daemon's per-batch work without IMAP.
//! Reads raw mails (one file each, sorted by name) from a directory and runs them through
//! `daemon::process_in_order` (parse on other cores, decide and commit in order) in batches
//! of 500 with one store flush per batch, as the ingest loop does between its `UID FETCH`
//! and its `UID MOVE`.
//!
//! ```text
//! cargo run --release --example bench_ingest -- CONFIG DIR [BATCH]
//! ```
//!
//! Prints one JSON line with the mails, the seconds spent processing and flushing, the
//! outbox entries queued and the peak resident memory. `TG_BENCH_SENT=1` marks each batch's
//! outgoing mail sent (a store whose mail goes out, for growth runs). Run it under `perf record` or `valgrind --tool=callgrind` to see
//! where the ingest time goes. Not part of the product.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The daemon's allocator (src/main.rs), so that a profile of this shows the daemon's costs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (config, dir, batch) = match args.as_slice() {
        [c, d] => (c, d, 500),
        [c, d, b] => match b.parse() {
            Ok(b) => (c, d, b),
            Err(_) => {
                eprintln!("bench_ingest: BATCH must be a number");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: bench_ingest CONFIG DIR [BATCH]");
            return ExitCode::from(2);
        }
    };
    match run(&PathBuf::from(config), &PathBuf::from(dir), batch) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_ingest: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: &std::path::Path, dir: &std::path::Path, batch: usize) -> Result<String, String> {
    // TG_BENCH_LOG=1: the daemon's JSON log on stderr (redirect it), to see what logging costs.
    if std::env::var_os("TG_BENCH_LOG").is_some() {
        ticket_gateway::telemetry::init_tracing(true)?;
    }
    let config = ticket_gateway::config::Config::load(config).map_err(|e| e.to_string())?;
    let gw = ticket_gateway::daemon::open_gateway(config, std::time::Duration::ZERO)
        .map(std::sync::Arc::new)
        .map_err(|e| e.to_string())?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let (mut process, mut flush) = (Duration::ZERO, Duration::ZERO);
    let mut queued = 0usize;
    // TG_BENCH_SENT=1: each batch's outgoing mail is marked sent, as the outbox would (the
    // growth of a store whose mail goes out).
    let sent = std::env::var_os("TG_BENCH_SENT").is_some();
    let started = Instant::now();
    let cancel = tokio_util::sync::CancellationToken::new();
    for (b, names) in files.chunks(batch.max(1)).enumerate() {
        // One batch in memory at a time, as the daemon holds one fetched batch.
        let chunk: std::sync::Arc<[(u32, Vec<u8>)]> = names
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let uid = (b * batch + i + 1) as u32;
                std::fs::read(p)
                    .map(|raw| (uid, raw))
                    .map_err(|e| format!("{}: {e}", p.display()))
            })
            .collect::<Result<_, _>>()?;
        let t = Instant::now();
        let done = ticket_gateway::daemon::process_in_order(&gw, 0, &chunk, &cancel, |_, _| {})
            .map_err(|e| e.to_string())?;
        queued += done.iter().map(|(_, p)| p.outbox.len()).sum::<usize>();
        if sent {
            for id in done.iter().flat_map(|(_, p)| &p.outbox) {
                if let Some(mut e) = gw.store.outbox_entry(*id).map_err(|e| e.to_string())? {
                    e.status = ticket_gateway::store::OutboxStatus::Sent;
                    e.sent_at = Some(e.created_at);
                    gw.store.outbox_update(&e).map_err(|e| e.to_string())?;
                }
            }
        }
        let t2 = Instant::now();
        gw.flush().map_err(|e| e.to_string())?;
        process += t2 - t;
        flush += t2.elapsed();
    }
    let total = started.elapsed();
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    Ok(format!(
        "{{\"mails\":{},\"seconds\":{:.3},\"process_s\":{:.3},\"flush_s\":{:.3},\"outbox\":{queued},\"per_mail_us\":{:.0},\"peak_rss_kib\":{hwm}}}",
        files.len(),
        total.as_secs_f64(),
        process.as_secs_f64(),
        flush.as_secs_f64(),
        total.as_secs_f64() * 1e6 / files.len().max(1) as f64,
    ))
}
