// One audited foreign call sets an allocator option (`allocator_settings`); nothing else may
// use `unsafe` (the library forbids it outright).
#![deny(unsafe_code)]
//! The binary: CLI -> config -> tracing -> run. Nothing else.

use std::process::ExitCode;

use clap::Parser;
use ticket_gateway::cli::{self, Cli, LogFormat};

fn main() -> ExitCode {
    allocator_settings();
    // Packaging files (man pages, completions) keep the usual modes: before the umask.
    if let Some(dir) = cli::Assets::requested() {
        return exit(cli::Assets::write(&dir));
    }
    // Everything the daemon and the CLI create (the store, sled's files, attachments) is
    // theirs alone, whatever the umask they were started with (SPEC §4); the store also
    // sets its modes itself.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    if let Err(e) = ticket_gateway::telemetry::init_tracing(cli.log_format == LogFormat::Json) {
        eprintln!("ticket-gateway: cannot set up logging: {e}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
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
    // A query to a database that stopped answering (a network partition that swallows
    // packets) may hold a blocking thread for good: a daemon that lost its leases ends
    // anyway, so that systemd can start it again as a standby.
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    exit(result)
}

/// How long the end of `main` waits for blocking threads still running (a hung query).
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ticket-gateway: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The runtime's threads for blocking work (the ingest's batch, the store's flush, the
/// outbox's records, the admin endpoint's reads): few, because each thread's allocator keeps
/// pages of its own. With tokio's default of 512, the outbox's ten sends and the ingest
/// together ran 30 threads and the daemon's peak memory in the growth run was 213-308 MiB;
/// with four, 124 MiB (docs/benchmarks.md). Work beyond four waits its turn; the leases do
/// not share them (src/daemon/leases.rs).
const BLOCKING_THREADS: usize = 4;

/// mimalloc instead of glibc's allocator: the daemon's CPU for a 10,000-mail backlog fell by
/// a fifth (glibc's malloc, free and the page faults of its trimmed heap were ~15% of the
/// deciding thread). Built without transparent huge pages (they alone added ~40 MiB to the
/// peak); freed pages go back to the system at once ([`allocator_settings`]).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its place in mimalloc 3.x's `mi_option_t` (mimalloc.h); the
/// bindings name no constant for it. A test reads it back through the environment.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed pages go back to the system at once instead of a second later (mimalloc's default):
/// a backlog with 10 MiB attachments peaked at ~110 MiB with the default and ~80 MiB with 0
/// (docs/benchmarks.md, memory). A `MIMALLOC_PURGE_DELAY` the operator sets is kept: mimalloc
/// reads the environment when the process loads, and a default does not override it.
fn allocator_settings() {
    // SAFETY: plain integer arguments, no pointers. mimalloc's option setters are not thread
    // safe: this runs first thing in `main`, before the runtime or any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option's number is the one mimalloc reads `MIMALLOC_PURGE_DELAY` into: a child
    /// started with the variable reads it back under that number.
    #[test]
    fn the_purge_delay_option_is_the_one_the_environment_sets() {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "tests::child_prints_the_purge_delay",
                "--nocapture",
            ])
            .env("MIMALLOC_PURGE_DELAY", "1234")
            .env("TG_PRINT_PURGE_DELAY", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("PURGE_DELAY=1234"), "{text}");
    }

    #[test]
    fn child_prints_the_purge_delay() {
        // Only meaningful when started by the test above.
        if std::env::var_os("TG_PRINT_PURGE_DELAY").is_some() {
            allocator_settings();
            #[allow(unsafe_code)]
            // SAFETY: an integer read; the test does not change options meanwhile.
            let v = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
            println!("PURGE_DELAY={v}");
        }
    }

    #[test]
    fn without_the_variable_freed_pages_go_back_at_once() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        allocator_settings();
        #[allow(unsafe_code)]
        // SAFETY: an integer read.
        let v = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(v, 0);
    }
}
