//! `ssp`: the SSP portal server and its administration commands.
//!
//! ```text
//! ssp serve                      # the portal at http://127.0.0.1:3000
//! ssp migrate                    # bring the database schema up to date
//! ssp --config ssp.toml serve    # settings from a file (see README)
//! ```

mod cli;

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::{
    Server,
    config::{Config, Overrides},
    db,
};
use std::{path::PathBuf, process::ExitCode};

// Rendering a page allocates and frees many small strings on every worker
// thread at once: mimalloc's per-thread heaps do that without the lock
// contention glibc's malloc showed in profiles.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ssp", version, about = "SSP: the device self-service portal", long_about = None)]
struct Cli {
    /// TOML configuration file (its values are overridden by SSP_* variables and flags)
    #[arg(long, short, global = true, env = "SSP_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    overrides: Overrides,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal (migrates the database first)
    Serve,
    /// Bring the database schema up to date, then exit
    Migrate,
    /// Manage local users
    #[command(subcommand)]
    User(cli::UserCommand),
    /// Manage devices
    #[command(subcommand)]
    Device(cli::DeviceCommand),
    /// Fill an empty database with demo users and devices (secrets are printed once)
    Demo,
    /// Add sample policies, configurations, apps and books assigned to the
    /// ownership labels (those already there are kept)
    Samples,
    /// Set how people sign in (password, certificate or both): the way
    /// back in when certificate sign-in stops working
    SignInMethods {
        #[arg(value_parser = ["password", "certificate", "both"])]
        methods: String,
    },
    /// Write a demo CA, a server certificate and smart-card style user
    /// certificates into a folder, to try HTTPS and certificate sign-in
    DemoCertificates {
        /// Where the files go (made if missing)
        dir: PathBuf,
        /// Host names and addresses the server certificate is for
        #[arg(long = "host", default_values = ["localhost", "127.0.0.1"])]
        hosts: Vec<String>,
        /// Users to make a certificate for (UPN and e-mail NAME@DOMAIN)
        #[arg(long = "user", default_values = ["admin", "alice", "bob", "carol"])]
        users: Vec<String>,
        #[arg(long, default_value = "example.com")]
        domain: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ssp: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One readable line per cause, no backtrace: this is for the operator.
            eprintln!("ssp: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::disallowed_methods)] // `ssp demo-certificates` starts its certificates now
async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref(), std::env::vars(), &cli.overrides)
        .context("invalid configuration")?;
    server::telemetry::init(config.log_format, &config.log_level)
        .map_err(anyhow::Error::msg)
        .context("cannot start logging")?;

    match cli.command {
        Command::Serve => {
            let server = Server::bind(&config).await?;
            let addr = server.local_addr()?;
            let scheme = if server.serves_https() {
                "https"
            } else {
                "http"
            };
            tracing::info!(%addr, "SSP portal listening on {scheme}://{addr}");
            server.run(shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            let db = open(&config).await?;
            tracing::info!(
                backend = db::backend_name(&db),
                "database schema is up to date"
            );
        }
        Command::User(command) => cli::run(&open(&config).await?, command).await?,
        Command::Device(command) => cli::run_device(&open(&config).await?, command).await?,
        Command::Demo => cli::demo(&open(&config).await?).await?,
        Command::Samples => cli::samples(&open(&config).await?).await?,
        Command::SignInMethods { methods } => {
            cli::sign_in_methods(&open(&config).await?, &methods).await?
        }
        Command::DemoCertificates {
            dir,
            hosts,
            users,
            domain,
        } => {
            let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
            let users: Vec<&str> = users.iter().map(String::as_str).collect();
            let written =
                server::pki::write_demo(&dir, &hosts, &users, &domain, chrono::Utc::now())?;
            for path in written {
                println!("{}", path.display());
            }
        }
    }
    Ok(())
}

/// The database, migrated, for a one-off command.
async fn open(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = db::connect(&config.database_url, 2).await?;
    db::migrate(&db).await?;
    Ok(db)
}

/// Ctrl-C or SIGTERM: stop accepting connections and finish what is in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
