//! The `vetting` binary: parses the command line, sets up logging, and calls into the library.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use vetting::cli::{self, Cli, Command, LogFormat};

/// sled allocates and frees a node's worth of small buffers on every write; mimalloc makes a
/// bulk import a quarter faster and a check about as much (see the README's figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Without `RUST_LOG`: info, but rustls only at error. rustls warns of what a client sent (a
/// stray alert, a malformed extension), a line each time: a hostile client could flood the log.
const DEFAULT_LOG: &str = "info,rustls=error";

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG));
    // Colours only for a terminal: a log file or collector gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return ExitCode::from(if usage { cli::EXIT_USAGE as u8 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Serve(args) => {
            init_tracing(args.log_format);
            match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(cli::run_serve(args)),
                Err(e) => Err(cli::Failure {
                    code: cli::EXIT_FAILURE,
                    message: format!("cannot start the runtime: {e}"),
                }),
            }
        }
        other => {
            init_tracing(LogFormat::Text);
            cli::run_offline(other)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("vetting: {}", f.message);
            ExitCode::from(u8::try_from(f.code).unwrap_or(1))
        }
    }
}
