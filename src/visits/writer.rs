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
    let mut households = load_households(&*tx, jobs).await?;
    let mut out = Vec::with_capacity(jobs.len());
    let mut stored_jobs = Vec::new();
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
        // The household's stance is that of its latest visit; a visit synced late from a
        // phone that went offline must not overwrite a newer one.
        let visited = crate::db::utc(job.visit.visited_at);
        if let Some(h) = households.get_mut(&job.visit.household_id) {
            if h.last_visit_at.is_none_or(|l| visited >= l) {
                h.last_visit_at = Some(visited);
                h.stance = Some(job.visit.stance.as_str().to_string());
            }
        }
        stored_jobs.push((*job, stored.id));
        out.push(stored);
    }
    update_households(&*tx, &households, now).await?;
    insert_audit(&*tx, &stored_jobs, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// A household as the batch found it and as its visits leave it.
struct HouseholdState {
    project_id: i32,
    old_stance: Option<String>,
    stance: Option<String>,
    old_last_visit_at: Option<DateTime<FixedOffset>>,
    last_visit_at: Option<DateTime<FixedOffset>>,
}

async fn load_households(
    conn: &impl ConnectionTrait,
    jobs: &[&VisitJob],
) -> Result<HashMap<i32, HouseholdState>, DbErr> {
    let mut ids: Vec<i32> = jobs.iter().map(|j| j.visit.household_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let rows = conn
        .query_all(Statement::from_string(
            conn.get_database_backend(),
            format!(
                "SELECT id, project_id, stance, last_visit_at FROM households WHERE id IN ({})",
                list.join(",")
            ),
        ))
        .await?;
    let mut map = HashMap::with_capacity(rows.len());
    for row in rows {
        let stance: Option<String> = row.try_get("", "stance")?;
        let last: Option<DateTime<FixedOffset>> = row.try_get("", "last_visit_at")?;
        map.insert(
            row.try_get::<i32>("", "id")?,
            HouseholdState {
                project_id: row.try_get("", "project_id")?,
                old_stance: stance.clone(),
                stance,
                old_last_visit_at: last,
                last_visit_at: last,
            },
        );
    }
    Ok(map)
}

/// One UPDATE per household whose latest visit changed, and the net stance counter changes.
async fn update_households(
    conn: &impl ConnectionTrait,
    households: &HashMap<i32, HouseholdState>,
    now: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    let mut deltas: HashMap<i32, std::collections::BTreeMap<String, i64>> = HashMap::new();
    for (id, h) in households {
        if h.last_visit_at == h.old_last_visit_at && h.stance == h.old_stance {
            continue;
        }
        conn.execute(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "UPDATE households SET stance = $1, last_visit_at = $2, updated_at = $3 WHERE id = $4",
            [
                Value::from(h.stance.clone()),
                Value::from(h.last_visit_at),
                Value::from(now),
                Value::from(*id),
            ],
        ))
        .await?;
        if h.stance != h.old_stance {
            let d = deltas.entry(h.project_id).or_default();
            let old = h
                .old_stance
                .clone()
                .unwrap_or_else(|| crate::progress::counters::NO_STANCE.to_string());
            *d.entry(old).or_default() -= 1;
            if let Some(new) = &h.stance {
                *d.entry(new.clone()).or_default() += 1;
            }
        }
    }
    for (project_id, d) in deltas {
        crate::progress::counters::apply_stance_deltas(conn, project_id, &d).await?;
    }
    Ok(())
}

/// The audit rows of a batch in multi-row INSERTs.
async fn insert_audit(
    conn: &impl ConnectionTrait,
    stored: &[(&VisitJob, i32)],
    now: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    for chunk in stored.chunks(500) {
        let mut values = Vec::with_capacity(chunk.len() * 5);
        let mut rows = Vec::with_capacity(chunk.len());
        for (job, id) in chunk {
            let n = values.len();
            rows.push(format!(
                "(${}, ${}, ${}, 'create', 'visit', ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5
            ));
            values.extend([
                Value::from(now),
                Value::from(job.user_id),
                Value::from(job.actor.as_str()),
                Value::from(id.to_string()),
                Value::from(
                    serde_json::json!({"household_id": job.visit.household_id, "client_id": job.client_id})
                        .to_string(),
                ),
            ]);
        }
        conn.execute(Statement::from_sql_and_values(
            conn.get_database_backend(),
            format!(
                "INSERT INTO audit_events (at, user_id, actor, action, entity, entity_id, detail) VALUES {}",
                rows.join(", ")
            ),
            values,
        ))
        .await?;
    }
    Ok(())
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
