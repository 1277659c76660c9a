//! What one gpmb server tells the others that share its PostgreSQL database: parcels it
//! changed (their tiles), projects it rewrote in bulk, sessions and tokens it ended. Sent with
//! `pg_notify` after the write commits; every server LISTENs and applies what the others sent
//! to its in-memory state (tile index, credential cache).
//!
//! SQLite has no such channel and needs none for a single server; another process writing to a
//! SQLite file (CLI import, demo) is caught by the tile index's change stamp. On PostgreSQL that
//! stamp is still checked, as a safety net for a notification lost between a commit and its
//! `pg_notify` (a crash) — it catches status changes, not every attribute.
use std::fmt::Write as _;
use std::future::Future;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Value};
use sqlx::postgres::{PgListener, PgNotification};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::dialect::{self, Sql};

/// The channel every gpmb server of one database listens on.
pub const CHANNEL: &str = "gpmb_changes";
/// PostgreSQL refuses payloads of 8000 bytes or more; ids are sent in chunks well below.
const IDS_PER_MESSAGE: usize = 500;
/// Longest wait between two attempts to reconnect the listener.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

const NOTIFY: Sql = Sql::new("SELECT pg_notify($1, $2)");

/// A change another server must apply to its in-memory state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// These parcels were added or changed: re-read them into the tile index.
    Parcels(Vec<i32>),
    /// Parcels of this project were rewritten in bulk: reload it on its next tile.
    Project(i32),
    /// A session or token (by its secret's hash) ended: drop it from the credential cache.
    Credential(String),
    /// A user's sessions ended or their role changed.
    User(i32),
    /// An API token was revoked.
    Token(i32),
    /// Many scopes changed at once (working groups, areas): drop every cached credential.
    AllCredentials,
    /// Not sent: the listener lost its connection, so notifications may have been missed.
    /// Everything cached is to be read again.
    Missed,
}

impl Change {
    /// The payloads that carry this change, each tagged with the sending server.
    fn payloads(&self, origin: u64) -> Vec<String> {
        let one = |body: String| vec![format!("{origin:x} {body}")];
        match self {
            Change::Parcels(ids) => ids
                .chunks(IDS_PER_MESSAGE)
                .map(|chunk| {
                    let mut s = format!("{origin:x} p ");
                    for (i, id) in chunk.iter().enumerate() {
                        if i > 0 {
                            s.push(',');
                        }
                        let _ = write!(s, "{id}");
                    }
                    s
                })
                .collect(),
            Change::Project(id) => one(format!("P {id}")),
            Change::Credential(hash) => one(format!("c {hash}")),
            Change::User(id) => one(format!("u {id}")),
            Change::Token(id) => one(format!("t {id}")),
            Change::AllCredentials => one("a".into()),
            Change::Missed => Vec::new(),
        }
    }

    /// A payload back to the sender and its change; `None` for a malformed one.
    fn parse(payload: &str) -> Option<(u64, Change)> {
        let mut parts = payload.splitn(3, ' ');
        let origin = u64::from_str_radix(parts.next()?, 16).ok()?;
        let kind = parts.next()?;
        let rest = parts.next().unwrap_or("");
        let change = match kind {
            "p" => Change::Parcels(
                rest.split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .ok()?,
            ),
            "P" => Change::Project(rest.parse().ok()?),
            "c" if !rest.is_empty() => Change::Credential(rest.to_string()),
            "u" => Change::User(rest.parse().ok()?),
            "t" => Change::Token(rest.parse().ok()?),
            "a" => Change::AllCredentials,
            _ => return None,
        };
        Some((origin, change))
    }
}

/// Sends this server's changes to the others (PostgreSQL); does nothing on SQLite. Cheap to
/// clone.
#[derive(Clone)]
pub struct Notifier {
    conn: Option<DatabaseConnection>,
    /// Tags this server's messages so its own listener skips them.
    origin: u64,
}

impl Notifier {
    pub fn new(conn: &DatabaseConnection) -> Self {
        Notifier {
            conn: (conn.get_database_backend() == DatabaseBackend::Postgres).then(|| conn.clone()),
            origin: rand::random(),
        }
    }

    /// A notifier that sends nothing (one process on its own).
    pub fn silent() -> Self {
        Notifier {
            conn: None,
            origin: 0,
        }
    }

    pub fn origin(&self) -> u64 {
        self.origin
    }

    /// The pool to listen on, on PostgreSQL.
    pub fn pool(&self) -> Option<&PgPool> {
        self.conn
            .as_ref()
            .map(DatabaseConnection::get_postgres_connection_pool)
    }

    /// Tells the other servers. Never fails the caller, whose write is committed: a failure
    /// is logged, and the other servers' change stamp check remains.
    pub async fn send(&self, change: &Change) {
        let Some(conn) = &self.conn else {
            return;
        };
        for payload in change.payloads(self.origin) {
            let stmt = dialect::statement(
                DatabaseBackend::Postgres,
                NOTIFY,
                [Value::from(CHANNEL), Value::from(payload)],
            );
            if let Err(e) = conn.execute(stmt).await {
                tracing::warn!(error = %e, ?change, "could not notify the other servers");
                return;
            }
        }
    }

    /// [`send`](Self::send) from a background task, for callers that cannot wait.
    pub fn send_later(&self, change: Change) {
        if self.conn.is_none() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move { this.send(&change).await });
    }
}

/// Listens for the other servers' changes until `stop` is cancelled and hands each to
/// `apply`; after a lost connection it hands over [`Change::Missed`] once listening again.
/// Reconnects with a growing pause (up to 30 s) while the database is unreachable. `ready`
/// turns true once it listens.
pub async fn listen<F, Fut>(
    pool: PgPool,
    origin: u64,
    stop: CancellationToken,
    ready: tokio::sync::watch::Sender<bool>,
    apply: F,
) where
    F: Fn(Change) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let mut backoff = Duration::from_millis(250);
    let mut connected_before = false;
    loop {
        let listener = tokio::select! {
            () = stop.cancelled() => return,
            l = subscribe(&pool) => l,
        };
        match listener {
            Ok(mut listener) => {
                if connected_before {
                    tracing::info!("listening to the other servers again");
                    apply(Change::Missed).await;
                }
                connected_before = true;
                ready.send_replace(true);
                backoff = Duration::from_millis(250);
                loop {
                    let next = tokio::select! {
                        () = stop.cancelled() => return,
                        n = listener.try_recv() => n,
                    };
                    match next {
                        Ok(Some(n)) => {
                            if let Some(change) = received(&n, origin) {
                                apply(change).await;
                            }
                        }
                        // The connection dropped and sqlx listens again already: whatever
                        // was sent in between is lost.
                        Ok(None) => {
                            tracing::warn!("lost the notification connection; reloading caches");
                            apply(Change::Missed).await;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "notification listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64,
                    "cannot listen to the other servers' changes");
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// The change a notification carries, unless this server sent it.
fn received(n: &PgNotification, origin: u64) -> Option<Change> {
    let Some((from, change)) = Change::parse(n.payload()) else {
        tracing::warn!(payload = n.payload(), "ignored a malformed notification");
        return None;
    };
    (from != origin).then_some(change)
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn payloads_round_trip_and_stay_under_the_limit() {
        let ids: Vec<i32> = (i32::MAX - 1_234..i32::MAX).collect();
        let sent = Change::Parcels(ids.clone()).payloads(u64::MAX);
        assert_eq!(sent.len(), 3);
        let mut back = Vec::new();
        for p in &sent {
            assert!(p.len() < 8000, "{} bytes", p.len());
            let (origin, change) = Change::parse(p).unwrap();
            assert_eq!(origin, u64::MAX);
            let Change::Parcels(part) = change else {
                panic!("{change:?}")
            };
            back.extend(part);
        }
        assert_eq!(back, ids);
        for c in [
            Change::Project(7),
            Change::Credential("ab12".into()),
            Change::User(3),
            Change::Token(9),
            Change::AllCredentials,
        ] {
            let p = c.payloads(42);
            assert_eq!(p.len(), 1);
            assert_eq!(Change::parse(&p[0]), Some((42, c)));
        }
        assert!(Change::Missed.payloads(1).is_empty());
        for bad in ["", "zz p 1", "1 p 1,x", "1 q 2", "1 c "] {
            assert_eq!(Change::parse(bad), None, "{bad}");
        }
    }
}
