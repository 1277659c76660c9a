//! The command line: thin tasks over the same services the HTTP handlers call.
use std::io::Write;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::app;
use crate::config::{parse_addr, Settings, DEFAULT_ADDR};
use crate::demo::{self, DemoOptions};
use crate::domain::Role;
use crate::state::AppState;
use crate::{auth, db};

#[derive(Parser, Debug)]
#[command(
    name = "gpmb",
    version,
    about = "Land-clearance mobilisation case tracker"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server.
    Serve {
        #[arg(long, default_value = DEFAULT_ADDR, value_parser = parse_addr)]
        addr: std::net::SocketAddr,
        /// Load the demo data set into an empty database and print the demo logins.
        #[arg(long)]
        demo: bool,
        /// Parcels in the demo data set (with --demo).
        #[arg(long, default_value_t = 2000)]
        demo_parcels: usize,
        /// Pin "today" (YYYY-MM-DD): the demo is built on that day and deadlines are counted
        /// against it (default: today's date in Vietnam).
        #[arg(long, value_parser = parse_day)]
        today: Option<chrono::NaiveDate>,
    },
    /// Create or upgrade the database schema.
    Migrate,
    /// Build the deterministic demo data set (project HPDQ2 around Dung Quất).
    Demo {
        #[arg(long, default_value_t = 2000)]
        parcels: usize,
        /// Random seed; the same seed gives the same data set.
        #[arg(long)]
        seed: Option<u64>,
        /// The day the demo is built on (YYYY-MM-DD): its year of work ends there
        /// (default: today's date in Vietnam).
        #[arg(long, value_parser = parse_day)]
        today: Option<chrono::NaiveDate>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import parcels (GeoJSON, zipped Shapefile) or households (CSV, XLSX).
    Import(crate::imports::cli::ImportArgs),
    /// Export parcels, households, visits or grievances.
    Export(crate::exports::cli::ExportArgs),
    /// Write the periodic report of a project (quarter, half-year, year).
    Report(crate::reports::cli::ReportArgs),
    /// Administrative units: import an updated list (CSV).
    AdminUnits {
        #[command(subcommand)]
        command: crate::admin_units::import::AdminUnitsCommand,
    },
    /// Copy the whole database to FILE.
    Backup { file: std::path::PathBuf },
    /// Replace the database with the copy in FILE.
    Restore {
        file: std::path::PathBuf,
        /// Replace a database that already holds data.
        #[arg(long)]
        force: bool,
    },
    /// Print the OpenAPI document (JSON) that the server serves at /api/v1/openapi.json.
    Openapi {
        /// Print instead the OpenAPI 3.0 description of the OGC API (served at /ogc/api).
        #[arg(long)]
        ogc: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from --password or GPMB_PASSWORD.
    Create {
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long, env = "GPMB_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// Disable a user: they cannot log in and every session of theirs ends at once.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
    /// Set a new password (at least 12 characters, from --password or GPMB_PASSWORD); every
    /// session of the user ends.
    Password {
        username: String,
        #[arg(long, env = "GPMB_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// End every session of a user (a lost phone), changing nothing else.
    EndSessions { username: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a project board; prints the token alone on its last line.
    Create {
        #[arg(long)]
        project: String,
        #[arg(long, value_parser = ["read", "write"], default_value = "read")]
        scope: String,
        #[arg(long, default_value = "project board")]
        name: String,
    },
    /// Revoke an API token at once (by the id `token create` printed).
    Revoke { id: i32 },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {s}; one of {}", all.join(", "))
    })
}

pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("GPMB_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=error,sea_orm=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub(crate) fn progress_bar() -> impl Fn(&str, u64, u64) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    move |stage: &str, done: u64, total: u64| {
        if bar.length() != Some(total) {
            bar.set_length(total);
        }
        bar.set_message(stage.to_string());
        bar.set_position(done);
        if done >= total {
            bar.println(format!("{stage}: {total}"));
        }
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "the command dispatch: one arm per command, each a call into a service"
)]
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command {
        Command::Migrate => {
            db::open(&settings.database_url, settings.sqlite_sync).await?;
            println!("database is up to date");
        }
        Command::Demo {
            parcels,
            seed,
            today,
        } => {
            let db = db::open(&settings.database_url, settings.sqlite_sync).await?;
            let started = std::time::Instant::now();
            let defaults = DemoOptions::default();
            let opts = DemoOptions {
                parcels,
                seed: seed.unwrap_or(defaults.seed),
                today: today.unwrap_or(defaults.today),
            };
            let summary = demo::load_demo(&db.conn, &opts, &progress_bar()).await?;
            print_demo_summary(&summary, started.elapsed());
        }
        Command::Serve {
            addr,
            demo: with_demo,
            demo_parcels,
            today,
        } => {
            if let Some(day) = today {
                crate::legal::pin_today(day);
            }
            let started = std::time::Instant::now();
            let db = db::open(&settings.database_url, settings.sqlite_sync).await?;
            if with_demo {
                if crate::projects::service::any_project(&db.conn).await? {
                    println!("database already holds data; demo data not loaded again");
                } else {
                    let opts = DemoOptions {
                        parcels: demo_parcels,
                        // Pinned above when --today is given.
                        today: crate::legal::today_vn(),
                        ..DemoOptions::default()
                    };
                    let summary = demo::load_demo(&db.conn, &opts, &|_, _, _| {}).await?;
                    print_demo_summary(&summary, started.elapsed());
                }
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let local = listener.local_addr()?;
            let state = AppState::new(db, settings);
            if !state.listening(std::time::Duration::from_secs(10)).await {
                tracing::warn!(
                    "not yet listening to the other servers' changes; tiles and sessions \
                     follow them through the change stamp until it does"
                );
            }
            println!(
                "gpmb listening on http://{local} (ready in {:.2} s)",
                started.elapsed().as_secs_f64()
            );
            let _ = std::io::stdout().flush();
            app::serve(listener, state, app::shutdown_signal()).await?;
        }
        Command::User { command } => {
            let db = db::open(&settings.database_url, settings.sqlite_sync).await?;
            let said = match command {
                UserCommand::Create {
                    username,
                    role,
                    password,
                    display_name,
                } => {
                    let user = auth::service::create_user(
                        &db.conn,
                        &username,
                        &password,
                        role,
                        &display_name,
                    )
                    .await?;
                    crate::audit::record_system(
                        &db.conn,
                        "create",
                        "user",
                        Some(user.id.to_string()),
                        serde_json::json!({"username": user.username, "role": user.role}),
                    )
                    .await?;
                    format!("created user {} ({})", user.username, user.role)
                }
                UserCommand::Disable { username } => {
                    crate::users::cli::set_disabled(&db.conn, &username, true).await?
                }
                UserCommand::Enable { username } => {
                    crate::users::cli::set_disabled(&db.conn, &username, false).await?
                }
                UserCommand::Password { username, password } => {
                    crate::users::cli::set_password(&db.conn, &username, &password).await?
                }
                UserCommand::EndSessions { username } => {
                    crate::users::cli::end_all_sessions(&db.conn, &username).await?
                }
            };
            println!("{said}");
        }
        Command::Token {
            command: TokenCommand::Revoke { id },
        } => {
            let db = db::open(&settings.database_url, settings.sqlite_sync).await?;
            println!("{}", crate::users::cli::revoke_token(&db.conn, id).await?);
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    project,
                    scope,
                    name,
                },
        } => {
            let db = db::open(&settings.database_url, settings.sqlite_sync).await?;
            let (token, secret) =
                auth::service::create_token(&db.conn, &project, scope == "write", &name).await?;
            crate::audit::record_system(
                &db.conn,
                "create",
                "api_token",
                Some(token.id.to_string()),
                serde_json::json!({"project": project, "scope": scope}),
            )
            .await?;
            println!(
                "token {} for project {project}, scope {scope} (shown once; store it now):",
                token.id
            );
            println!("{secret}");
        }
        Command::Import(args) => crate::imports::cli::run(&settings, args).await?,
        Command::Export(args) => crate::exports::cli::run(&settings, args).await?,
        Command::Report(args) => crate::reports::cli::run(&settings, args).await?,
        Command::AdminUnits { command } => {
            crate::admin_units::import::run(&settings, command).await?;
        }
        Command::Backup { file } => crate::backup::cli::backup(&settings, &file).await?,
        Command::Restore { file, force } => {
            crate::backup::cli::restore(&settings, &file, force).await?;
        }
        Command::Openapi { ogc: false } => {
            let (_, doc) = crate::app::api();
            println!("{}", doc.to_pretty_json()?);
        }
        Command::Openapi { ogc: true } => {
            let doc = crate::ogc::openapi::document("http://127.0.0.1:8080");
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
    }
    Ok(())
}

fn print_demo_summary(s: &demo::DemoSummary, took: std::time::Duration) {
    println!(
        "demo project {}: {} parcels, {} households, {} visits in {:.1} s",
        s.project_code,
        s.parcels,
        s.households,
        s.visits,
        took.as_secs_f64()
    );
    println!("demo logins (password in brackets):");
    for (user, pw) in &s.logins {
        println!("  {user} ({pw})");
    }
}

/// `--today YYYY-MM-DD`.
fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date: write YYYY-MM-DD, e.g. 2026-12-04"))
}
