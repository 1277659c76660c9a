//! Hot spots (điểm nóng), flagged by the rules of LEGAL.md with thresholds from the settings:
//! a grievance with many signers, a household filing again after a decision, a commune with more
//! than N open grievances on one project. `refresh` recomputes one project's flags and writes
//! only the difference (opens new rows, closes rows no longer flagged), so it is cheap to call
//! after every grievance write and before every read.
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, JoinType, Order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::dto::{CommuneRef, HotSpotDto};
use crate::auth::Scope;
use crate::config::Settings;
use crate::entities::hot_spots;
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::scoped::{self, Personal};

pub const MANY_SIGNERS: &str = "many_signers";
pub const REPEAT_FILING: &str = "repeat_filing";
pub const COMMUNE_OPEN: &str = "commune_open_grievances";

/// The thresholds (settings `GPMB_HOT_SPOT_SIGNERS`, `GPMB_HOT_SPOT_COMMUNE_OPEN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// A grievance signed by at least this many households.
    pub signers: i64,
    /// More than this many open grievances in one commune.
    pub commune_open: i64,
}

impl From<&Settings> for Rules {
    fn from(s: &Settings) -> Self {
        Rules {
            signers: s.hot_spot_signers,
            commune_open: s.hot_spot_commune_open,
        }
    }
}

/// One flag as the rules see it now.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    pub kind: &'static str,
    pub commune_id: i32,
    pub household_id: Option<i32>,
    pub grievance_id: Option<i32>,
    /// Numbers the reason is built from (`signers`, `open`, `threshold`, `previous`).
    pub detail: serde_json::Value,
    /// Since when the situation holds (the grievance received; for a commune, the last of its
    /// open grievances received), so a hot spot found on a later read shows its real age.
    pub since: Option<NaiveDate>,
}

impl Flag {
    /// What was flagged; a refresh keeps a row while its key is still flagged.
    pub fn key(&self) -> String {
        match self.kind {
            MANY_SIGNERS => format!("signers:{}", self.grievance_id.unwrap_or(0)),
            REPEAT_FILING => format!(
                "repeat:{}:{}",
                self.grievance_id.unwrap_or(0),
                self.household_id.unwrap_or(0)
            ),
            _ => format!("commune:{}", self.commune_id),
        }
    }

    /// The reason in Vietnamese, as stored (the API renders it in the language asked for).
    pub fn reason_vi(&self) -> String {
        reason(
            super::service::catalogue(crate::i18n::Lang::Vi),
            self.kind,
            &self.detail,
        )
    }
}

/// The reason of a hot spot of `kind` with `detail`, from the catalogue.
pub fn reason(cat: &crate::i18n::Catalogue, kind: &str, detail: &serde_json::Value) -> String {
    let get = |k: &str| {
        detail
            .get(k)
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_default()
    };
    let vars = [
        ("signers", get("signers")),
        ("open", get("open")),
        ("threshold", get("threshold")),
        ("previous", get("previous")),
        ("grievance", get("grievance")),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    cat.fill(&format!("alerts.hot_spot.{kind}"), &vars)
}

/// The flags the rules raise on `project_id` now.
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn compute(
    conn: &impl ConnectionTrait,
    project_id: i32,
    rules: Rules,
) -> Result<Vec<Flag>, DbErr> {
    let mut flags = Vec::new();

    // A grievance with many signers: the households listed, or the count written on it.
    for r in scoped::hot_spot_signers(conn, project_id).await? {
        let n = r.n.max(r.signers.unwrap_or(0));
        if n >= rules.signers {
            if let Some(commune_id) = r.commune_id {
                flags.push(Flag {
                    kind: MANY_SIGNERS,
                    commune_id,
                    household_id: r.household_id,
                    grievance_id: Some(r.id),
                    detail: json!({"signers": n, "threshold": rules.signers, "grievance": r.id}),
                    since: r.received_on,
                });
            }
        }
    }

    // The same household filing again after a decision (or a second-round complaint).
    let rows = scoped::hot_spot_repeats(conn, project_id).await?;
    let parents: BTreeMap<i32, i32> = scoped::open_second_rounds(conn, project_id)
        .await?
        .into_iter()
        .collect();
    for r in rows {
        let previous = r.previous.or_else(|| parents.get(&r.grievance_id).copied());
        if let Some(previous) = previous {
            flags.push(Flag {
                kind: REPEAT_FILING,
                commune_id: r.commune_id,
                household_id: Some(r.household_id),
                grievance_id: Some(r.grievance_id),
                detail: json!({"previous": previous, "grievance": r.grievance_id}),
                since: Some(r.received_on),
            });
        }
    }

    // A commune with more than N open grievances on this project.
    for r in scoped::hot_spot_communes(conn, project_id, rules.commune_open).await? {
        flags.push(Flag {
            kind: COMMUNE_OPEN,
            commune_id: r.commune_id,
            household_id: None,
            grievance_id: None,
            detail: json!({"open": r.n, "threshold": rules.commune_open}),
            since: r.latest,
        });
    }
    Ok(flags)
}

#[derive(FromQueryResult)]
struct OpenRow {
    id: i32,
    flag_key: String,
    detail: String,
}

async fn open_rows(conn: &impl ConnectionTrait, project_id: i32) -> Result<Vec<OpenRow>, DbErr> {
    hot_spots::Entity::find()
        .select_only()
        .column(hot_spots::Column::Id)
        .column(hot_spots::Column::FlagKey)
        .column(hot_spots::Column::Detail)
        .filter(hot_spots::Column::ProjectId.eq(project_id))
        .filter(hot_spots::Column::ResolvedOn.is_null())
        .into_model::<OpenRow>()
        .all(conn)
        .await
}

/// What a refresh would change: flags to open, rows to close, rows whose numbers moved.
struct Diff {
    open: Vec<Flag>,
    close: Vec<i32>,
    update: Vec<(i32, Flag)>,
}

impl Diff {
    fn is_empty(&self) -> bool {
        self.open.is_empty() && self.close.is_empty() && self.update.is_empty()
    }
}

fn diff(flags: Vec<Flag>, current: Vec<OpenRow>) -> Diff {
    let mut by_key: BTreeMap<String, OpenRow> = current
        .into_iter()
        .map(|r| (r.flag_key.clone(), r))
        .collect();
    let mut out = Diff {
        open: Vec::new(),
        close: Vec::new(),
        update: Vec::new(),
    };
    for f in flags {
        match by_key.remove(&f.key()) {
            None => out.open.push(f),
            Some(row) => {
                if serde_json::from_str::<serde_json::Value>(&row.detail).ok()
                    != Some(f.detail.clone())
                {
                    out.update.push((row.id, f));
                }
            }
        }
    }
    out.close = by_key.into_values().map(|r| r.id).collect();
    out
}

/// Counts of what a refresh did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    pub opened: usize,
    pub closed: usize,
    pub updated: usize,
}

/// Recomputes the hot spots of `project_id` and writes the difference; run it inside the
/// transaction that changed grievances (or any write transaction).
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn refresh(
    conn: &impl ConnectionTrait,
    project_id: i32,
    rules: Rules,
    today: NaiveDate,
) -> Result<Refreshed, DbErr> {
    let flags = compute(conn, project_id, rules).await?;
    let d = diff(flags, open_rows(conn, project_id).await?);
    apply(conn, project_id, d, today).await
}

/// Whether the stored hot spots of `project_id` differ from what the rules say now.
pub async fn is_stale(
    conn: &impl ConnectionTrait,
    project_id: i32,
    rules: Rules,
) -> Result<bool, DbErr> {
    let flags = compute(conn, project_id, rules).await?;
    Ok(!diff(flags, open_rows(conn, project_id).await?).is_empty())
}

async fn apply(
    conn: &impl ConnectionTrait,
    project_id: i32,
    d: Diff,
    today: NaiveDate,
) -> Result<Refreshed, DbErr> {
    let done = Refreshed {
        opened: d.open.len(),
        closed: d.close.len(),
        updated: d.update.len(),
    };
    for f in d.open {
        hot_spots::ActiveModel {
            project_id: Set(project_id),
            commune_id: Set(f.commune_id),
            household_id: Set(f.household_id),
            grievance_id: Set(f.grievance_id),
            kind: Set(f.kind.to_string()),
            flag_key: Set(f.key()),
            reason: Set(f.reason_vi()),
            detail: Set(f.detail.to_string()),
            flagged_on: Set(f.since.map_or(today, |d| d.min(today))),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    for (id, f) in d.update {
        hot_spots::Entity::update_many()
            .col_expr(hot_spots::Column::Reason, Expr::value(f.reason_vi()))
            .col_expr(hot_spots::Column::Detail, Expr::value(f.detail.to_string()))
            .col_expr(hot_spots::Column::CommuneId, Expr::value(f.commune_id))
            .filter(hot_spots::Column::Id.eq(id))
            .exec(conn)
            .await?;
    }
    if !d.close.is_empty() {
        hot_spots::Entity::update_many()
            .col_expr(hot_spots::Column::ResolvedOn, Expr::value(today))
            .filter(hot_spots::Column::Id.is_in(d.close))
            .exec(conn)
            .await?;
    }
    Ok(done)
}

/// Brings the hot spots of these projects up to date if the rules say otherwise: a read-only
/// check first, a write transaction only when something changed.
#[tracing::instrument(skip_all)]
pub async fn ensure_current(
    db: &crate::db::Db,
    project_ids: &[i32],
    rules: Rules,
    today: NaiveDate,
) -> Result<(), DbErr> {
    for &project_id in project_ids {
        if is_stale(&db.conn, project_id, rules).await? {
            let tx = db.write().await?;
            match refresh(&*tx, project_id, rules, today).await {
                Ok(_) => tx.commit().await?,
                // Another request refreshed the same flags first (PostgreSQL has no writer lock).
                Err(e)
                    if matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
                {
                    drop(tx);
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

// ---- the open hot spots of a project, for the map and the dashboard ----------------------

/// The households each hot spot concerns: every signer (inside the scope) of a grievance
/// with many signers, or the one household.
async fn owners_of(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    rows: &[hot_spots::Model],
) -> AppResult<HashMap<i32, Vec<i32>>> {
    let grievances: Vec<i32> = rows
        .iter()
        .filter(|r| r.kind == MANY_SIGNERS)
        .filter_map(|r| r.grievance_id)
        .collect();
    let mut signers: HashMap<i32, Vec<i32>> = HashMap::new();
    if !grievances.is_empty() {
        let pairs: Vec<(i32, i32)> = scoped::grievance_households(scope)
            .select_only()
            .column(scoped::grievance_households::Column::GrievanceId)
            .column(scoped::grievance_households::Column::HouseholdId)
            .filter(scoped::grievance_households::Column::GrievanceId.is_in(grievances))
            .into_tuple()
            .all(conn)
            .await?;
        for (g, h) in pairs {
            signers.entry(g).or_default().push(h);
        }
    }
    Ok(rows
        .iter()
        .map(|r| {
            let hs = match (r.kind.as_str(), r.grievance_id, r.household_id) {
                (MANY_SIGNERS, Some(g), _) => signers.get(&g).cloned().unwrap_or_default(),
                (_, _, Some(h)) => vec![h],
                _ => Vec::new(),
            };
            (r.id, hs)
        })
        .collect())
}

#[derive(FromQueryResult)]
struct ParcelCentre {
    owner: i32,
    id: i32,
    lon: f64,
    lat: f64,
}

/// The centres of the parcels each of these households (inside the scope) holds.
async fn parcel_centres(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    households: Vec<i32>,
) -> AppResult<HashMap<i32, Vec<(i32, f64, f64)>>> {
    let mut parcels: HashMap<i32, Vec<(i32, f64, f64)>> = HashMap::new();
    if households.is_empty() {
        return Ok(parcels);
    }
    let centre = |lo: &'static str, hi: &'static str| {
        Expr::col(scoped::column("x", lo))
            .add(Expr::col(scoped::column("x", hi)))
            .div(2)
    };
    let mut stmt = scoped::select_from(scope, Personal::HouseholdParcels, "hp");
    stmt.join_as(
        JoinType::InnerJoin,
        crate::entities::parcels::Entity,
        Alias::new("x"),
        Expr::col(scoped::column("x", "id")).equals(scoped::column("hp", "parcel_id")),
    )
    .expr_as(
        Expr::col(scoped::column("hp", "household_id")),
        Alias::new("owner"),
    )
    .expr_as(Expr::col(scoped::column("x", "id")), Alias::new("id"))
    .expr_as(centre("min_lon", "max_lon"), Alias::new("lon"))
    .expr_as(centre("min_lat", "max_lat"), Alias::new("lat"))
    .and_where(Expr::col(scoped::column("hp", "household_id")).is_in(households))
    .order_by(scoped::column("x", "id"), Order::Asc);
    let rows = ParcelCentre::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await?;
    for p in rows {
        parcels
            .entry(p.owner)
            .or_default()
            .push((p.id, p.lon, p.lat));
    }
    Ok(parcels)
}

/// The open hot spots of a project inside the scope, placed at the centre of the parcels
/// concerned (or of the commune), with their reason in `lang`.
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn open_of_project(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    lang: Lang,
) -> AppResult<Vec<HotSpotDto>> {
    let rows = hot_spots::Entity::find()
        .filter(hot_spots::Column::ProjectId.eq(project_id))
        .filter(hot_spots::Column::ResolvedOn.is_null())
        .filter(scoped::area_rows(scope, "hot_spots"))
        .order_by_asc(hot_spots::Column::Id)
        .all(conn)
        .await?;
    let owners = owners_of(conn, scope, &rows).await?;
    let mut households: Vec<i32> = owners.values().flatten().copied().collect();
    households.sort_unstable();
    households.dedup();
    let parcels = parcel_centres(conn, scope, households).await?;
    let units: HashMap<i32, crate::entities::admin_units::Model> =
        crate::entities::admin_units::Entity::find()
            .filter(
                crate::entities::admin_units::Column::Id
                    .is_in(rows.iter().map(|r| r.commune_id).collect::<Vec<_>>()),
            )
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
    let personal = scope.sees_personal_data();
    let cat = super::service::catalogue(lang);
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut ps: Vec<(i32, f64, f64)> = owners
                .get(&r.id)
                .into_iter()
                .flatten()
                .flat_map(|h| parcels.get(h).cloned().unwrap_or_default())
                .collect();
            ps.sort_by_key(|p| p.0);
            ps.dedup_by_key(|p| p.0);
            let unit = units.get(&r.commune_id);
            let (lon, lat) = if ps.is_empty() {
                (unit.and_then(|u| u.lon), unit.and_then(|u| u.lat))
            } else {
                let n = ps.len() as f64;
                (
                    Some(ps.iter().map(|p| p.1).sum::<f64>() / n),
                    Some(ps.iter().map(|p| p.2).sum::<f64>() / n),
                )
            };
            let detail: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
            HotSpotDto {
                id: r.id,
                reason: reason(cat, &r.kind, &detail),
                kind: r.kind,
                commune: unit.map(|u| CommuneRef {
                    id: u.id,
                    code: u.code.clone(),
                    name: u.name.clone(),
                }),
                // A grievance signed across areas names its first signer, who may be outside
                // the caller's: only a household among those the caller sees is named.
                household_id: r
                    .household_id
                    .filter(|h| personal && owners.get(&r.id).is_some_and(|o| o.contains(h))),
                grievance_id: r.grievance_id,
                parcel_ids: ps.iter().map(|p| p.0).collect(),
                lon,
                lat,
                flagged_on: r.flagged_on.to_string(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(kind: &'static str, g: i32, n: i64) -> Flag {
        Flag {
            kind,
            commune_id: 1,
            household_id: Some(7),
            grievance_id: Some(g),
            detail: json!({"signers": n}),
            since: None,
        }
    }

    #[test]
    fn diff_opens_closes_and_updates_by_key() {
        let current = vec![
            OpenRow {
                id: 1,
                flag_key: "signers:10".into(),
                detail: json!({"signers": 5}).to_string(),
            },
            OpenRow {
                id: 2,
                flag_key: "signers:11".into(),
                detail: json!({"signers": 6}).to_string(),
            },
        ];
        let d = diff(
            vec![flag(MANY_SIGNERS, 10, 6), flag(MANY_SIGNERS, 12, 5)],
            current,
        );
        assert_eq!(d.open.len(), 1);
        assert_eq!(d.open[0].grievance_id, Some(12));
        assert_eq!(d.close, vec![2]);
        assert_eq!(d.update.len(), 1);
        assert_eq!(d.update[0].0, 1);
        assert!(diff(vec![], vec![]).is_empty());
    }

    #[test]
    fn keys_name_what_was_flagged() {
        assert_eq!(flag(MANY_SIGNERS, 3, 5).key(), "signers:3");
        assert_eq!(flag(REPEAT_FILING, 3, 5).key(), "repeat:3:7");
        assert_eq!(flag(COMMUNE_OPEN, 3, 5).key(), "commune:1");
    }
}
