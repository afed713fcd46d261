#![forbid(unsafe_code)]
//! The binary: CLI -> config -> tracing -> run. Nothing else.

use std::process::ExitCode;

use clap::Parser;
use ticket_gateway::cli::{self, Cli, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = ticket_gateway::telemetry::init_tracing(cli.log_format == LogFormat::Json) {
        eprintln!("ticket-gateway: cannot set up logging: {e}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ticket-gateway: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(cli::execute(cli));
    ticket_gateway::telemetry::flush_log();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ticket-gateway: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// mimalloc instead of glibc's allocator: the daemon's CPU for a 10,000-mail backlog fell by
/// a fifth (glibc's malloc, free and the page faults of its trimmed heap were ~15% of the
/// deciding thread). Built without transparent huge pages (they alone added ~40 MiB to the
/// peak), and the systemd unit sets `MIMALLOC_PURGE_DELAY=0` so freed pages go back to the
/// system at once (docs/benchmarks.md, memory).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
