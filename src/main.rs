#![forbid(unsafe_code)]
//! The binary: CLI -> config -> tracing -> run. Nothing else.

use std::process::ExitCode;

use clap::Parser;
use ticket_gateway::cli::{self, Cli, Command, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Run) {
        allocator_settings();
    }
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
/// peak), and the daemon runs with `MIMALLOC_PURGE_DELAY=0` so freed pages go back to the
/// system at once (see [`allocator_settings`]; docs/benchmarks.md, memory).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The allocator settings the daemon needs, which mimalloc reads from the environment when the
/// process loads, before `main`; setting them from Rust would take `unsafe` foreign calls. When
/// `MIMALLOC_PURGE_DELAY` is not set (the systemd unit sets it; a terminal or a container may
/// not), the daemon executes itself again, same PID and arguments, with it set to 0: mimalloc's
/// default keeps freed pages for a second, ~30 MiB more at the peak of a backlog with big
/// attachments. An operator's own value is kept. If the re-execution fails the daemon goes on
/// with mimalloc's default and says so.
fn allocator_settings() {
    use std::os::unix::process::CommandExt;
    const VAR: &str = "MIMALLOC_PURGE_DELAY";
    if std::env::var_os(VAR).is_some() {
        return;
    }
    let mut args = std::env::args_os();
    let arg0 = args.next();
    let error = match std::env::current_exe() {
        Ok(exe) => {
            let mut command = std::process::Command::new(exe);
            if let Some(arg0) = arg0 {
                command.arg0(arg0);
            }
            // Returns only when the execution failed.
            command.args(args).env(VAR, "0").exec().to_string()
        }
        Err(e) => e.to_string(),
    };
    eprintln!("ticket-gateway: cannot set {VAR}=0 for the allocator ({error}); going on without");
}
