//! Test harness: every test gets its own fresh database (a SQLite file in a temp dir, or a new
//! PostgreSQL database when `GPMB_TEST_POSTGRES` names a server) with a small demo data set,
//! and a real server on 127.0.0.1:0 that it talks to over HTTP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use gpmb::app;
use gpmb::config::Settings;
use gpmb::db::{self, Db, SqliteSync};
use gpmb::demo::{self, DemoOptions};
use gpmb::state::AppState;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

pub const DEMO_PARCELS: usize = 240;

pub struct TestApp {
    pub base: String,
    /// The test's own database, for other processes to open.
    pub database_url: String,
    pub db: Db,
    pub state: AppState,
    _dir: tempfile::TempDir,
    _shutdown: oneshot::Sender<()>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn init_logs() {
    if std::env::var("TEST_LOG").is_ok() {
        gpmb::cli::init_tracing();
    }
}

/// A database URL for one test: SQLite by default, PostgreSQL when GPMB_TEST_POSTGRES is set
/// (`postgres://user@127.0.0.1:port`; a database is created for the test).
async fn fresh_database_url(dir: &tempfile::TempDir) -> String {
    match std::env::var("GPMB_TEST_POSTGRES") {
        Ok(server) if !server.is_empty() => {
            let name = format!(
                "gpmb_t_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                rand_suffix()
            );
            let admin = format!("{server}/postgres");
            let client = connect_pg(&admin).await;
            client.execute(&format!("CREATE DATABASE {name}")).await;
            format!("{server}/{name}")
        }
        _ => format!("sqlite://{}", dir.path().join("gpmb.db").display()),
    }
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

struct PgAdmin(sea_orm::DatabaseConnection);

impl PgAdmin {
    async fn execute(&self, sql: &str) {
        use sea_orm::ConnectionTrait;
        self.0
            .execute_unprepared(sql)
            .await
            .expect("create test database");
    }
}

async fn connect_pg(url: &str) -> PgAdmin {
    PgAdmin(
        sea_orm::Database::connect(url)
            .await
            .expect("connect to test PostgreSQL server"),
    )
}

pub fn settings(url: &str) -> Settings {
    Settings {
        // Tests need isolation, not power-loss durability.
        sqlite_sync: SqliteSync::Normal,
        body_limit: 256 * 1024,
        ..Settings::with_url(url)
    }
}

impl TestApp {
    /// A server over a fresh database holding the demo data set (small).
    pub async fn spawn() -> TestApp {
        Self::spawn_with(DEMO_PARCELS).await
    }

    pub async fn spawn_with(parcels: usize) -> TestApp {
        Self::spawn_on(parcels, DemoOptions::default().today).await
    }

    /// A server whose demo data set is built on `today` (`gpmb demo --today`).
    pub async fn spawn_on(parcels: usize, today: chrono::NaiveDate) -> TestApp {
        Self::spawn_configured(parcels, today, |_| {}).await
    }

    /// A server whose settings `configure` changes (e.g. a public URL).
    pub async fn spawn_configured(
        parcels: usize,
        today: chrono::NaiveDate,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        init_logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database_url(&dir).await;
        let mut settings = settings(&url);
        configure(&mut settings);
        let db = db::open(&url, settings.sqlite_sync)
            .await
            .expect("open database");
        if parcels > 0 {
            demo::load_demo(
                &db.conn,
                &DemoOptions {
                    parcels,
                    today,
                    ..DemoOptions::default()
                },
                &|_, _, _| {},
            )
            .await
            .expect("load demo data");
        }
        let state = AppState::new(db.clone(), settings);
        assert!(
            state.listening(std::time::Duration::from_secs(30)).await,
            "the server listens to the other servers' changes"
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            let _ = app::serve(listener, serve_state, async {
                let _ = rx.await;
            })
            .await;
        });
        TestApp {
            base: format!("http://{addr}"),
            database_url: url,
            db,
            state,
            _dir: dir,
            _shutdown: tx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client with no session.
    pub fn anonymous(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }

    /// A client logged in as a demo user (password `demo`).
    /// A project board's client: a fresh API token of HPDQ2 (read, or read and write).
    pub async fn board(&self, write: bool) -> Client {
        let (_, token) = gpmb::auth::service::create_token(&self.db.conn, "HPDQ2", write, "board")
            .await
            .unwrap();
        bearer(&token)
    }

    pub async fn login(&self, username: &str) -> Client {
        let client = self.anonymous();
        let res = client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": username, "password": "demo"}))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), StatusCode::OK, "login as {username}");
        client
    }

    pub async fn get_json(&self, client: &Client, path: &str) -> (StatusCode, Value) {
        json_of(client.get(self.url(path)).send().await.expect("request")).await
    }

    pub async fn post_json(
        &self,
        client: &Client,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        json_of(
            client
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Runs a scalar SQL query (COUNT etc.) against the test database.
    pub async fn count(&self, sql: &str) -> i64 {
        use sea_orm::{ConnectionTrait, Statement};
        let row = self
            .db
            .conn
            .query_one(Statement::from_string(self.db.backend(), sql.to_string()))
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("an integer")
    }
}

/// A client that sends `Authorization: Bearer <token>` on every request.
pub fn bearer(token: &str) -> Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    Client::builder().default_headers(h).build().unwrap()
}

pub async fn json_of(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Asserts the error envelope `{"error": {"code", "message"}}` with the given status.
pub fn assert_error(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "body: {body}");
    let code = body["error"]["code"].as_str().unwrap_or("");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(
        !code.is_empty() && !message.is_empty(),
        "no error envelope in {body}"
    );
}

impl TestApp {
    /// Every item of a list, following `next_cursor` page by page; `path` may carry a query.
    pub async fn all_pages(&self, client: &Client, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let sep = if path.contains('?') { '&' } else { '?' };
        for _ in 0..10_000 {
            let url = match &cursor {
                Some(c) => format!("{path}{sep}cursor={c}"),
                None => path.to_string(),
            };
            let (status, page) = self.get_json(client, &url).await;
            assert_eq!(status, StatusCode::OK, "{url}: {page}");
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return items,
            }
        }
        panic!("pagination does not end");
    }
}

/// The day the test's demo is built on (today in Vietnam, as `DemoOptions::default()`).
pub fn demo_today() -> chrono::NaiveDate {
    gpmb::legal::today_vn()
}

/// The demo project's notice date: 352 days before the day the demo is built.
pub fn demo_notice_date() -> chrono::NaiveDate {
    demo_today() - chrono::Duration::days(352)
}

/// The demo project's target handover date: 179 days after the day the demo is built.
pub fn demo_target_date() -> chrono::NaiveDate {
    demo_today() + chrono::Duration::days(179)
}

/// A reporting quarter well inside the demo's year of visits: the one holding today − 200
/// days (the visits run from about 335 to 13 days before today).
pub fn demo_quarter() -> gpmb::reports::period::Period {
    use chrono::Datelike;
    let d = demo_today() - chrono::Duration::days(200);
    gpmb::reports::period::Period::parse(&format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1))
        .expect("a quarter")
}

/// `dd/mm/yyyy`.
pub fn vn_date(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}
