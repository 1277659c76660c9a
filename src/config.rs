//! Run-time settings: defaults < environment (`GPMB_*`, `DATABASE_URL`) < command-line flags.
use std::net::SocketAddr;

use crate::db::SqliteSync;

#[derive(Clone, Debug, clap::Args)]
pub struct Settings {
    /// Database URL; without it gpmb uses the SQLite file `gpmb.db` in the working directory.
    #[arg(long, env = "DATABASE_URL", default_value = crate::db::DEFAULT_SQLITE_URL, global = true)]
    pub database_url: String,
    /// SQLite commit durability: `full` fsyncs every commit.
    #[arg(
        long,
        env = "GPMB_SQLITE_SYNC",
        value_enum,
        default_value = "full",
        global = true
    )]
    pub sqlite_sync: SqliteSync,
    /// How long a login session lasts, in hours.
    #[arg(long, env = "GPMB_SESSION_HOURS", default_value_t = 12, global = true)]
    pub session_hours: i64,
    /// A session unused for this many minutes ends (beside the absolute `session_hours`).
    #[arg(
        long,
        env = "GPMB_SESSION_IDLE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub session_idle_minutes: i64,
    /// Largest request body accepted, in bytes (larger ones get 413).
    #[arg(long, env = "GPMB_BODY_LIMIT", default_value_t = 2 * 1024 * 1024, global = true)]
    pub body_limit: usize,
    /// The address users and GIS tools reach gpmb at, e.g. `https://gpmb.quangngai.gov.vn`
    /// (a path prefix is kept). Absolute links (OGC API, GeoJSON `next`) are built from it
    /// instead of the request's `Host`; an `https` one also makes the session cookie `Secure`.
    #[arg(long, env = "GPMB_PUBLIC_URL", value_parser = parse_public_url, global = true)]
    pub public_url: Option<String>,
    /// Always mark the session cookie `Secure`; it is anyway when `public_url` is https or
    /// the request came through a proxy saying `X-Forwarded-Proto: https`.
    #[arg(
        long,
        env = "GPMB_SECURE_COOKIE",
        default_value_t = false,
        global = true
    )]
    pub secure_cookie: bool,
    /// A household not visited for this many days is due a visit ("My work") and an alert.
    #[arg(
        long,
        env = "GPMB_NOT_VISITED_DAYS",
        default_value_t = 30,
        global = true
    )]
    pub not_visited_days: i64,
    /// The field app deletes its offline copy of households (and its keys) when it has not
    /// been opened for this many days.
    #[arg(long, env = "GPMB_FIELD_WIPE_DAYS", default_value_t = 7, global = true)]
    pub field_wipe_days: i64,
    /// A grievance signed by at least this many households is a hot spot.
    #[arg(
        long,
        env = "GPMB_HOT_SPOT_SIGNERS",
        default_value_t = 5,
        global = true
    )]
    pub hot_spot_signers: i64,
    /// A commune with more than this many open grievances on one project is a hot spot.
    #[arg(
        long,
        env = "GPMB_HOT_SPOT_COMMUNE_OPEN",
        default_value_t = 10,
        global = true
    )]
    pub hot_spot_commune_open: i64,
    /// A grievance whose acceptance or resolution deadline is this many days away or less is due.
    #[arg(
        long,
        env = "GPMB_GRIEVANCE_NEAR_DAYS",
        default_value_t = 5,
        global = true
    )]
    pub grievance_near_days: i64,
    /// Seconds between two checks of a loaded project's change stamp by the tile index, which
    /// catches parcel writes by other processes that do not notify (CLI import, demo). On
    /// PostgreSQL the servers of one database tell each other at once (LISTEN/NOTIFY); the
    /// stamp is then only a safety net.
    #[arg(long, env = "GPMB_TILE_CHECK_SECS", default_value_t = 1, global = true)]
    pub tile_check_secs: u64,
    /// Days to answer a petition or feedback (kiến nghị, phản ánh): set by the province.
    #[arg(
        long,
        env = "GPMB_PETITION_DAYS",
        default_value_t = crate::legal::rules::PETITION_ANSWER.days(),
        global = true
    )]
    pub petition_days: i64,
    /// A project's tile index not used for this many minutes is dropped from memory and
    /// loaded again on its next tile.
    #[arg(
        long,
        env = "GPMB_TILE_EVICT_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub tile_evict_minutes: u64,
}

/// Lets code outside the CLI (tests, benches) build `Settings` from the same defaults.
#[derive(clap::Parser)]
struct DefaultsOnly {
    #[command(flatten)]
    settings: Settings,
}

impl Settings {
    /// Every setting at its default (or its environment variable), on the given database.
    pub fn with_url(url: &str) -> Settings {
        use clap::Parser;
        let mut settings = match DefaultsOnly::try_parse_from(["gpmb"]) {
            Ok(parsed) => parsed.settings,
            // Only a malformed GPMB_* environment variable gets here; say which and stop.
            Err(err) => err.exit(),
        };
        settings.database_url = url.to_string();
        settings
    }
}

/// `http(s)://host[:port][/prefix]` without a trailing slash, query or fragment.
pub fn parse_public_url(s: &str) -> Result<String, String> {
    let trimmed = s.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| format!("{s} is not a public URL like https://gpmb.example.gov.vn"))?;
    let host = rest.split('/').next().unwrap_or("");
    let bad = |c: char| c.is_whitespace() || matches!(c, '?' | '#' | '@' | '"' | '<' | '>' | '\\');
    if host.is_empty() || rest.contains(bad) {
        return Err(format!(
            "{s} is not a public URL like https://gpmb.example.gov.vn (a host, an optional path, no query)"
        ));
    }
    Ok(trimmed.to_string())
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

pub fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    s.parse()
        .map_err(|e| format!("{s} is not an address like 127.0.0.1:8080: {e}"))
}

#[cfg(test)]
mod tests {
    use super::parse_public_url;

    #[test]
    fn public_url_is_a_plain_http_base() {
        assert_eq!(
            parse_public_url("https://gpmb.example.gov.vn/").as_deref(),
            Ok("https://gpmb.example.gov.vn")
        );
        assert_eq!(
            parse_public_url("http://10.0.0.5:8080/gpmb").as_deref(),
            Ok("http://10.0.0.5:8080/gpmb")
        );
        for bad in [
            "gpmb.example.gov.vn",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x/?q=1",
            "https://u@x",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }
}
