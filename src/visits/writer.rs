//! Group commit for visits: one task takes every pending visit, writes them in one
//! transaction and answers each request after the commit is durable. Under load this turns N
//! fsyncs into one; it also serialises idempotency checks, so 20 concurrent retries of one
//! `Idempotency-Key` store exactly one visit.
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement, Value};
use tokio::sync::{mpsc, oneshot};

use super::dto::NewVisit;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;

const MAX_BATCH: usize = 256;
const QUEUE: usize = 4096;

/// A visit checked by the handler and ready to store.
#[derive(Clone)]
pub struct VisitJob {
    pub visit: NewVisit,
    pub project_id: i32,
    pub client_id: Option<String>,
    pub created_by: Option<i32>,
    pub user_id: Option<i32>,
    pub actor: String,
}

#[derive(Clone, Debug)]
pub struct Stored {
    pub id: i32,
    /// True when the `Idempotency-Key` was seen before and nothing new was stored.
    pub replayed: bool,
    pub commitment_ids: Vec<i32>,
    pub created_at: DateTime<FixedOffset>,
}

type Reply = oneshot::Sender<Result<Stored, AppError>>;

#[derive(Clone)]
pub struct VisitWriter {
    tx: mpsc::Sender<(VisitJob, Reply)>,
}

impl VisitWriter {
    pub fn start(db: Db, metrics: Arc<Metrics>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, metrics, rx));
        VisitWriter { tx }
    }

    pub async fn submit(&self, job: VisitJob) -> AppResult<Stored> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((job, reply))
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("visit writer stopped")))?;
        answer
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("visit writer dropped a request")))?
    }
}

async fn run(db: Db, metrics: Arc<Metrics>, mut rx: mpsc::Receiver<(VisitJob, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let jobs: Vec<&VisitJob> = batch.iter().map(|(j, _)| j).collect();
        match write_batch(&db, &jobs).await {
            Ok(results) => {
                for ((_, reply), stored) in batch.into_iter().zip(results) {
                    count(&metrics, &stored);
                    let _ = reply.send(Ok(stored));
                }
            }
            Err(e) => {
                // One bad visit must not fail the others: retry each alone.
                tracing::warn!(error = %e, size = batch.len(), "visit batch failed; writing one by one");
                for (job, reply) in batch {
                    let result = write_batch(&db, &[&job]).await.map(|mut v| v.remove(0));
                    if let Ok(stored) = &result {
                        count(&metrics, stored);
                    }
                    let _ = reply.send(result.map_err(AppError::from));
                }
            }
        }
    }
}

fn count(metrics: &Metrics, stored: &Stored) {
    let counter = if stored.replayed {
        &metrics.visits_replayed
    } else {
        &metrics.visits_created
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

async fn write_batch(db: &Db, jobs: &[&VisitJob]) -> Result<Vec<Stored>, DbErr> {
    let tx = db.write().await?;
    let backend = tx.get_database_backend();
    let keys: Vec<Value> = jobs
        .iter()
        .filter_map(|j| j.client_id.clone())
        .map(Value::from)
        .collect();
    let mut seen: HashMap<String, Stored> = HashMap::new();
    if !keys.is_empty() {
        let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let rows = tx
            .query_all(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT id, client_id, created_at FROM visits WHERE client_id IN ({})",
                    placeholders.join(",")
                ),
                keys,
            ))
            .await?;
        for row in rows {
            let key: String = row.try_get("", "client_id")?;
            let stored = Stored {
                id: row.try_get("", "id")?,
                replayed: true,
                commitment_ids: Vec::new(),
                created_at: row.try_get("", "created_at")?,
            };
            seen.insert(key, stored);
        }
    }
    let now = Utc::now().fixed_offset();
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        if let Some(prev) = job.client_id.as_ref().and_then(|k| seen.get(k)) {
            out.push(Stored {
                replayed: true,
                ..prev.clone()
            });
            continue;
        }
        let stored = insert_visit(&*tx, job, now).await?;
        if let Some(k) = &job.client_id {
            seen.insert(k.clone(), stored.clone());
        }
        out.push(stored);
    }
    tx.commit().await?;
    Ok(out)
}

async fn insert_visit(
    conn: &impl ConnectionTrait,
    job: &VisitJob,
    now: DateTime<FixedOffset>,
) -> Result<Stored, DbErr> {
    let backend = conn.get_database_backend();
    let v = &job.visit;
    let row = conn
        .query_one(Statement::from_sql_and_values(
            backend,
            "INSERT INTO visits (project_id, household_id, working_group_id, visited_at, kind, participants, \
             topics, stance, concerns, next_visit_on, lon, lat, client_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            [
                Value::from(job.project_id),
                Value::from(v.household_id),
                Value::from(v.working_group_id),
                Value::from(crate::db::utc(v.visited_at)),
                Value::from(v.kind.as_str()),
                Value::from(json(&v.participants)),
                Value::from(json(&v.topics)),
                Value::from(v.stance.as_str()),
                Value::from(v.concerns.as_str()),
                Value::from(v.next_visit_on),
                Value::from(v.location.as_ref().map(|l| l.lon)),
                Value::from(v.location.as_ref().map(|l| l.lat)),
                Value::from(job.client_id.clone()),
                Value::from(job.created_by),
                Value::from(now),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    let id: i32 = row.try_get("", "id")?;

    let mut commitment_ids = Vec::with_capacity(v.commitments.len());
    for c in &v.commitments {
        let row = conn
            .query_one(Statement::from_sql_and_values(
                backend,
                "INSERT INTO commitments (visit_id, household_id, text, owner, due_date) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                [
                    Value::from(id),
                    Value::from(v.household_id),
                    Value::from(c.text.as_str()),
                    Value::from(c.owner.as_str()),
                    Value::from(c.due_date),
                ],
            ))
            .await?
            .ok_or_else(|| DbErr::RecordNotInserted)?;
        commitment_ids.push(row.try_get("", "id")?);
    }

    // The household's stance is that of its latest visit; a visit synced late from a phone
    // that went offline must not overwrite a newer one.
    let current = conn
        .query_one(Statement::from_sql_and_values(
            backend,
            "SELECT stance, last_visit_at FROM households WHERE id = $1",
            [Value::from(v.household_id)],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("household {}", v.household_id)))?;
    let old_stance: Option<String> = current.try_get("", "stance")?;
    let last: Option<DateTime<FixedOffset>> = current.try_get("", "last_visit_at")?;
    if last.is_none_or(|l| v.visited_at >= l) {
        conn.execute(Statement::from_sql_and_values(
            backend,
            "UPDATE households SET stance = $1, last_visit_at = $2, updated_at = $3 WHERE id = $4",
            [
                Value::from(v.stance.as_str()),
                Value::from(crate::db::utc(v.visited_at)),
                Value::from(now),
                Value::from(v.household_id),
            ],
        ))
        .await?;
        crate::progress::apply_stance_change(
            conn,
            job.project_id,
            old_stance.as_deref(),
            v.stance.as_str(),
        )
        .await?;
    }

    conn.execute(Statement::from_sql_and_values(
        backend,
        "INSERT INTO audit_events (at, user_id, actor, action, entity, entity_id, detail) \
         VALUES ($1, $2, $3, 'create', 'visit', $4, $5)",
        [
            Value::from(now),
            Value::from(job.user_id),
            Value::from(job.actor.as_str()),
            Value::from(id.to_string()),
            Value::from(
                serde_json::json!({"household_id": v.household_id, "client_id": job.client_id})
                    .to_string(),
            ),
        ],
    ))
    .await?;
    Ok(Stored {
        id,
        replayed: false,
        commitment_ids,
        created_at: now,
    })
}

/// The small JSON columns (lists of names and topics).
fn json<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap_or_else(|_| "[]".to_string())
}
