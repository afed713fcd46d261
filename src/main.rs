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
