//! Group commit for visits: one task (four on PostgreSQL, a household always on the same one)
//! takes every pending visit, writes them in one transaction and answers each request after the commit is durable. Under load this turns N
//! fsyncs into one; it also serialises idempotency checks, so 20 concurrent retries of one
//! `Idempotency-Key` store exactly one visit. Across servers sharing a PostgreSQL database
//! the unique index on `visits.client_id` decides: the batch that loses the race is written
//! again, finds the winner's visit and answers with it (`Idempotent-Replayed`).
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder, QuerySelect, Set};
use tokio::sync::{mpsc, oneshot};

use super::dto::NewVisit;
use super::service::vocabulary;
use crate::db::Db;
use crate::domain::Stance;
use crate::entities::audit_events;
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::scoped::{self, commitments, households, visits, HouseholdId, Scoped};

const MAX_BATCH: usize = 256;
const QUEUE: usize = 4096;
/// Writer tasks on PostgreSQL. It flushes concurrent commits together, so several batches in
/// flight on their own connections beat one batch after another; SQLite has one writer anyway.
const POSTGRES_WRITERS: usize = 4;

/// A visit checked by the handler and ready to store.
#[derive(Clone)]
pub struct VisitJob {
    pub visit: NewVisit,
    /// The visit's household, admitted through the caller's scope.
    pub household: Scoped<HouseholdId>,
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
    /// One queue per writer task; a household's visits always go to the same one, so its
    /// visits (and the retries of one `Idempotency-Key`) are written in order by one task.
    txs: Arc<[mpsc::Sender<(VisitJob, Reply)>]>,
}

impl VisitWriter {
    pub fn start(db: Db, metrics: Arc<Metrics>) -> Self {
        let writers = match db.backend() {
            sea_orm::DatabaseBackend::Postgres => POSTGRES_WRITERS,
            _ => 1,
        };
        let txs = (0..writers)
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE);
                tokio::spawn(run(db.clone(), metrics.clone(), rx));
                tx
            })
            .collect();
        VisitWriter { txs }
    }

    pub async fn submit(&self, job: VisitJob) -> AppResult<Stored> {
        let (reply, answer) = oneshot::channel();
        let writer =
            usize::try_from(job.household.id().unsigned_abs()).unwrap_or(0) % self.txs.len();
        self.txs[writer]
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
        let mut written = write_batch(&db, &jobs).await;
        if matches!(&written, Err(e) if crate::error::unique_violation(e)) {
            // Another server of the database (PostgreSQL) stored one of these
            // `Idempotency-Key`s after this batch looked: the batch again finds it and replays it.
            tracing::info!(
                size = jobs.len(),
                "visit batch met a key stored meanwhile; retrying"
            );
            written = write_batch(&db, &jobs).await;
        }
        match written {
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

/// The visits already stored under the batch's `Idempotency-Key`s.
async fn stored_keys(
    conn: &impl ConnectionTrait,
    jobs: &[&VisitJob],
) -> Result<HashMap<String, Stored>, DbErr> {
    let keys: Vec<String> = jobs.iter().filter_map(|j| j.client_id.clone()).collect();
    let mut seen = HashMap::new();
    if keys.is_empty() {
        return Ok(seen);
    }
    let rows: Vec<(i32, Option<String>, DateTime<FixedOffset>)> =
        scoped::visits_with_client_ids(keys)
            .select_only()
            .column(visits::Column::Id)
            .column(visits::Column::ClientId)
            .column(visits::Column::CreatedAt)
            .into_tuple()
            .all(conn)
            .await?;
    for (id, key, created_at) in rows {
        if let Some(key) = key {
            seen.insert(
                key,
                Stored {
                    id,
                    replayed: true,
                    commitment_ids: Vec::new(),
                    created_at,
                },
            );
        }
    }
    Ok(seen)
}

async fn write_batch(db: &Db, jobs: &[&VisitJob]) -> Result<Vec<Stored>, DbErr> {
    let tx = db.write().await?;
    let seen = stored_keys(&*tx, jobs).await?;
    let now = Utc::now().fixed_offset();
    let mut households = load_households(&*tx, jobs).await?;
    // Per job: a visit stored before (replayed), or the index of the new visit it writes; a
    // key sent twice in one batch is written once and replayed the second time.
    let mut plan: Vec<Result<usize, Stored>> = Vec::with_capacity(jobs.len());
    let mut fresh: Vec<&VisitJob> = Vec::new();
    let mut new_keys: HashMap<&str, usize> = HashMap::new();
    for job in jobs {
        let key = job.client_id.as_deref();
        if let Some(prev) = key.and_then(|k| seen.get(k)) {
            plan.push(Err(prev.clone()));
        } else if let Some(&i) = key.and_then(|k| new_keys.get(k)) {
            plan.push(Ok(i));
        } else {
            if let Some(k) = key {
                new_keys.insert(k, fresh.len());
            }
            plan.push(Ok(fresh.len()));
            fresh.push(job);
        }
    }
    let written = insert_visits(&*tx, &fresh, now).await?;
    for job in &fresh {
        // The household's stance is that of its latest visit; a visit synced late from a
        // phone that went offline must not overwrite a newer one.
        let visited = crate::db::utc(job.visit.visited_at);
        if let Some(h) = households.get_mut(&job.household.id()) {
            if h.last_visit_at.is_none_or(|l| visited >= l) {
                h.last_visit_at = Some(visited);
                h.stance = Some(job.visit.stance);
            }
        }
    }
    update_households(&*tx, &households, now).await?;
    let audited: Vec<(&VisitJob, i32)> = fresh
        .iter()
        .copied()
        .zip(written.iter().map(|s| s.id))
        .collect();
    insert_audit(&*tx, &audited, now).await?;
    tx.commit().await?;
    let mut first_use = vec![true; written.len()];
    Ok(plan
        .into_iter()
        .map(|p| match p {
            Err(prev) => Stored {
                replayed: true,
                ..prev
            },
            Ok(i) => {
                let replayed = !std::mem::replace(&mut first_use[i], false);
                Stored {
                    replayed,
                    ..written[i].clone()
                }
            }
        })
        .collect())
}

/// A household as the batch found it and as its visits leave it.
struct HouseholdState {
    household: Scoped<HouseholdId>,
    project_id: i32,
    old_stance: Option<Stance>,
    stance: Option<Stance>,
    old_last_visit_at: Option<DateTime<FixedOffset>>,
    last_visit_at: Option<DateTime<FixedOffset>>,
}

async fn load_households(
    conn: &impl ConnectionTrait,
    jobs: &[&VisitJob],
) -> Result<HashMap<i32, HouseholdState>, DbErr> {
    let mut ids: Vec<Scoped<HouseholdId>> = jobs.iter().map(|j| j.household).collect();
    ids.sort_unstable_by_key(|h| h.id());
    ids.dedup();
    // Locked until the batch commits (PostgreSQL; SQLite has one writer anyway), in id order:
    // another server's batch for the same household waits and then reads this one's stance,
    // so the stance counters never apply two changes from the same old stance.
    let rows = scoped::household_rows(&ids)
        .order_by_asc(households::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?;
    let mut map = HashMap::with_capacity(rows.len());
    for (household, row) in ids
        .into_iter()
        .filter_map(|h| rows.iter().find(|r| r.id == h.id()).map(|r| (h, r)))
    {
        let stance: Option<Stance> = row.stance.as_deref().map(vocabulary).transpose()?;
        map.insert(
            household.id(),
            HouseholdState {
                household,
                project_id: row.project_id,
                old_stance: stance,
                stance,
                old_last_visit_at: row.last_visit_at,
                last_visit_at: row.last_visit_at,
            },
        );
    }
    Ok(map)
}

/// One UPDATE for the households whose latest visit changed, and the net stance counter
/// changes.
async fn update_households(
    conn: &impl ConnectionTrait,
    households: &HashMap<i32, HouseholdState>,
    now: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    let mut changed: Vec<&HouseholdState> = households
        .values()
        .filter(|h| h.last_visit_at != h.old_last_visit_at || h.stance != h.old_stance)
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    changed.sort_unstable_by_key(|h| h.household.id());
    let ids: Vec<Scoped<HouseholdId>> = changed.iter().map(|h| h.household).collect();
    let mut stmt = scoped::update_households(&ids);
    stmt.value(
        households::Column::Stance,
        scoped::per_household(
            households::Column::Stance,
            changed
                .iter()
                .map(|h| (h.household, h.stance.map(|s| s.as_str().to_string()))),
        ),
    )
    .value(
        households::Column::LastVisitAt,
        scoped::per_household(
            households::Column::LastVisitAt,
            changed.iter().map(|h| (h.household, h.last_visit_at)),
        ),
    )
    .value(households::Column::UpdatedAt, now);
    conn.execute(conn.get_database_backend().build(&stmt))
        .await?;
    // By project in id order: two writers' batches lock counter rows in the same order.
    let mut deltas: std::collections::BTreeMap<i32, std::collections::BTreeMap<String, i64>> =
        std::collections::BTreeMap::new();
    for h in changed.iter().filter(|h| h.stance != h.old_stance) {
        let d = deltas.entry(h.project_id).or_default();
        let old = h
            .old_stance
            .map_or(crate::progress::counters::NO_STANCE, |s| s.as_str());
        *d.entry(old.to_string()).or_default() -= 1;
        if let Some(new) = h.stance {
            *d.entry(new.as_str().to_string()).or_default() += 1;
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
        let rows = chunk.iter().map(|(job, id)| audit_events::ActiveModel {
            at: Set(now),
            user_id: Set(job.user_id),
            actor: Set(job.actor.clone()),
            action: Set("create".into()),
            entity: Set("visit".into()),
            entity_id: Set(Some(id.to_string())),
            detail: Set(serde_json::json!({"household_id": job.visit.household_id, "client_id": job.client_id})
                .to_string()),
            ..Default::default()
        });
        audit_events::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// The batch's new visits and their commitments, in two multi-row INSERTs (or a few).
async fn insert_visits(
    conn: &impl ConnectionTrait,
    jobs: &[&VisitJob],
    now: DateTime<FixedOffset>,
) -> Result<Vec<Stored>, DbErr> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let rows = jobs
        .iter()
        .map(|job| {
            let v = &job.visit;
            let row = visits::ActiveModel {
                project_id: Set(job.project_id),
                working_group_id: Set(v.working_group_id),
                visited_at: Set(crate::db::utc(v.visited_at)),
                kind: Set(v.kind.as_str().to_string()),
                participants: Set(json(&v.participants)),
                topics: Set(json(&v.topics)),
                stance: Set(v.stance.as_str().to_string()),
                concerns: Set(v.concerns.clone()),
                next_visit_on: Set(v.next_visit_on),
                lon: Set(v.location.as_ref().map(|l| l.lon)),
                lat: Set(v.location.as_ref().map(|l| l.lat)),
                client_id: Set(job.client_id.clone()),
                created_by: Set(job.created_by),
                created_at: Set(now),
                ..Default::default()
            };
            (job.household, row)
        })
        .collect();
    let ids = scoped::insert_visits(conn, rows).await?;
    let mut promised = Vec::new();
    for (job, visit) in jobs.iter().zip(&ids) {
        for c in &job.visit.commitments {
            let row = commitments::ActiveModel {
                text: Set(c.text.clone()),
                owner: Set(c.owner.clone()),
                due_date: Set(c.due_date),
                ..Default::default()
            };
            promised.push((job.household, *visit, row));
        }
    }
    let mut commitment_ids = scoped::insert_commitments(conn, promised)
        .await?
        .into_iter()
        .map(Scoped::<scoped::CommitmentId>::id);
    Ok(jobs
        .iter()
        .zip(ids)
        .map(|(job, visit)| Stored {
            id: visit.id(),
            replayed: false,
            commitment_ids: commitment_ids
                .by_ref()
                .take(job.visit.commitments.len())
                .collect(),
            created_at: now,
        })
        .collect())
}

/// The small JSON columns (lists of names and topics).
fn json<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap_or_else(|_| "[]".to_string())
}
