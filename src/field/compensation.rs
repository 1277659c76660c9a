//! The compensation summary the field app carries for each household (issue 17 item 4): the
//! inventory's record, the newest plan version with its group totals, and the approved plan's
//! ledger, so the working group explains numbers, not impressions. Read for a whole page of
//! households at once: at most five queries whatever the number of households, each through
//! the caller's scope.
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, Func, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect};

use super::dto::{CompensationSummaryDto, InventoryRefDto, PlanBriefDto};
use crate::auth::Scope;
use crate::compensation::calc::Dong;
use crate::compensation::dto::GroupTotal;
use crate::compensation::service::ledger_of;
use crate::domain::{PlanGroup, PlanStatus};
use crate::scoped::{
    self, compensation_plans as plans, inventories, inventory_items as items, payments,
    plan_lines as lines,
};

/// The summaries of the households `ids` inside the scope, by household id; a household with
/// neither an inventory nor a plan has none. `today` dates the days overdue.
pub async fn summaries(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[i32],
    today: NaiveDate,
) -> Result<HashMap<i32, CompensationSummaryDto>, DbErr> {
    let mut out: HashMap<i32, CompensationSummaryDto> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let empty = || CompensationSummaryDto {
        inventory: None,
        plan: None,
        approved: None,
    };
    for (household, inventory) in inventory_refs(conn, scope, ids).await? {
        out.entry(household).or_insert_with(empty).inventory = Some(inventory);
    }
    let chosen = newest_and_approved(conn, scope, ids).await?;
    if chosen.is_empty() {
        return Ok(out);
    }
    let plan_ids: Vec<i32> = chosen
        .values()
        .flat_map(|(n, a)| std::iter::once(n.id).chain(a.as_ref().map(|a| a.id)))
        .collect();
    let sums = group_totals(conn, scope, plan_ids).await?;
    let paying: Vec<i32> = chosen
        .iter()
        .filter(|(_, (n, a))| a.is_some() || n.status == PlanStatus::Approved.as_str())
        .map(|(h, _)| *h)
        .collect();
    let paid = payments_of(conn, scope, paying).await?;
    let brief = |p: plans::Model| {
        let status = PlanStatus::parse(&p.status).unwrap_or(PlanStatus::Draft);
        let ledger = (status == PlanStatus::Approved).then(|| {
            let rows = paid.get(&p.household_id).map_or(&[][..], Vec::as_slice);
            ledger_of(&p, rows, today)
        });
        let groups = sums.get(&p.id);
        PlanBriefDto {
            id: p.id,
            number: p.number,
            status,
            net: p.net,
            totals: PlanGroup::ALL
                .iter()
                .filter_map(|g| {
                    let amount = *groups?.get(g.as_str())?;
                    Some(GroupTotal { group: *g, amount })
                })
                .collect(),
            posted_on: p.posted_on,
            posting_ends_on: p.posting_ends_on,
            approved_on: p.approved_on,
            decision_no: p.decision_no,
            approving_body: p.approving_body,
            payment_due_on: p.payment_due_on,
            ledger,
        }
    };
    for (household, (newest, approved)) in chosen {
        let entry = out.entry(household).or_insert_with(empty);
        entry.plan = Some(brief(newest));
        entry.approved = approved.map(brief);
    }
    Ok(out)
}

/// Each household's inventory record with how many lines it counts (two queries).
async fn inventory_refs(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[i32],
) -> Result<Vec<(i32, InventoryRefDto)>, DbErr> {
    let invs = scoped::inventories(scope)
        .filter(inventories::Column::HouseholdId.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    if invs.is_empty() {
        return Ok(Vec::new());
    }
    let counts: HashMap<i32, i64> = scoped::inventory_items(scope)
        .select_only()
        .column(items::Column::InventoryId)
        .column_as(items::Column::Id.count(), "n")
        .filter(items::Column::InventoryId.is_in(invs.iter().map(|i| i.id)))
        .group_by(items::Column::InventoryId)
        .into_tuple::<(i32, i64)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(invs
        .into_iter()
        .map(|inv| {
            let r = InventoryRefDto {
                items: counts.get(&inv.id).copied().unwrap_or(0),
                record_no: inv.record_no,
                inventoried_on: inv.inventoried_on,
                version: inv.version,
            };
            (inv.household_id, r)
        })
        .collect())
}

/// Each household's newest plan version, and the approved one still paid when the newest is
/// a revision in the works (one query). A superseded version is never either.
async fn newest_and_approved(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[i32],
) -> Result<HashMap<i32, (plans::Model, Option<plans::Model>)>, DbErr> {
    let all = scoped::compensation_plans(scope)
        .filter(plans::Column::HouseholdId.is_in(ids.iter().copied()))
        .filter(plans::Column::Status.ne(PlanStatus::Superseded.as_str()))
        .order_by_asc(plans::Column::HouseholdId)
        .order_by_desc(plans::Column::Number)
        .all(conn)
        .await?;
    let approved = PlanStatus::Approved.as_str();
    let mut chosen: HashMap<i32, (plans::Model, Option<plans::Model>)> = HashMap::new();
    for p in all {
        match chosen.get_mut(&p.household_id) {
            None => {
                chosen.insert(p.household_id, (p, None));
            }
            Some((newest, paid)) => {
                if paid.is_none() && newest.status != approved && p.status == approved {
                    *paid = Some(p);
                }
            }
        }
    }
    Ok(chosen)
}

/// Each plan's totals per group of lines, summed by the database (one query).
async fn group_totals(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    plan_ids: Vec<i32>,
) -> Result<HashMap<i32, HashMap<String, Dong>>, DbErr> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL: back to BIGINT for an i64.
    let sum = SimpleExpr::from(Func::cast_as(
        Func::sum(Expr::col(lines::Column::Amount)),
        Alias::new("BIGINT"),
    ));
    let mut by_plan: HashMap<i32, HashMap<String, Dong>> = HashMap::new();
    for (plan_id, group, amount) in scoped::plan_lines(scope)
        .select_only()
        .column(lines::Column::PlanId)
        .column(lines::Column::Grp)
        .column_as(sum, "total")
        .filter(lines::Column::PlanId.is_in(plan_ids))
        .group_by(lines::Column::PlanId)
        .group_by(lines::Column::Grp)
        .into_tuple::<(i32, String, Option<Dong>)>()
        .all(conn)
        .await?
    {
        by_plan
            .entry(plan_id)
            .or_default()
            .insert(group, amount.unwrap_or(0));
    }
    Ok(by_plan)
}

/// The payments and deposits of the households, oldest first (one query).
async fn payments_of(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    households: Vec<i32>,
) -> Result<HashMap<i32, Vec<payments::Model>>, DbErr> {
    let mut paid: HashMap<i32, Vec<payments::Model>> = HashMap::new();
    if households.is_empty() {
        return Ok(paid);
    }
    for row in scoped::payments(scope)
        .filter(payments::Column::HouseholdId.is_in(households))
        .order_by_asc(payments::Column::PaidOn)
        .order_by_asc(payments::Column::Id)
        .all(conn)
        .await?
    {
        paid.entry(row.household_id).or_default().push(row);
    }
    Ok(paid)
}
