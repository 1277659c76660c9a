//! The money of a project over a date range, by commune: what was approved, paid and
//! deposited in the range, and what was left unpaid past the 30-day limit at its end. The
//! period report, the dashboard and the public page read these sums (never a household).
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calc::Dong;
use crate::auth::Scope;
use crate::domain::{PaymentKind, PlanStatus};
use crate::error::AppResult;
use crate::scoped::{self, compensation_plans as plans, households, payments};

/// Sums of one commune (or the whole project).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Net amounts approved in the range (a revision adds its difference from the plan it
    /// revises).
    pub approved: Dong,
    pub paid: Dong,
    pub deposited: Dong,
    /// At the end of the range: the net of the plans in force, and what of it is still owed.
    pub approved_total: Dong,
    pub outstanding: Dong,
    /// At the end of the range: money past its 30-day limit, and the plans it belongs to.
    pub overdue: Dong,
    pub plans_overdue: i64,
}

impl Money {
    pub fn add(&mut self, o: &Money) {
        self.approved += o.approved;
        self.paid += o.paid;
        self.deposited += o.deposited;
        self.approved_total += o.approved_total;
        self.outstanding += o.outstanding;
        self.overdue += o.overdue;
        self.plans_overdue += o.plans_overdue;
    }
}

/// id, household, revision of, approved on, payment due on, net.
type PlanRow = (i32, i32, Option<i32>, NaiveDate, Option<NaiveDate>, Dong);

/// The project's money from `from` to `to` (inclusive) by commune id, as `scope` may see it.
pub async fn by_commune(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<HashMap<i32, Money>> {
    let approved = [
        PlanStatus::Approved.as_str(),
        PlanStatus::Superseded.as_str(),
    ];
    let plan_rows: Vec<PlanRow> = scoped::compensation_plans(scope)
        .select_only()
        .column(plans::Column::Id)
        .column(plans::Column::HouseholdId)
        .column(plans::Column::RevisionOf)
        .column(plans::Column::ApprovedOn)
        .column(plans::Column::PaymentDueOn)
        .column(plans::Column::Net)
        .filter(plans::Column::ProjectId.eq(project_id))
        .filter(plans::Column::Status.is_in(approved))
        .filter(plans::Column::ApprovedOn.is_not_null())
        .filter(plans::Column::ApprovedOn.lte(to))
        .into_tuple()
        .all(conn)
        .await?;
    if plan_rows.is_empty() {
        return Ok(HashMap::new());
    }
    let communes: HashMap<i32, i32> = scoped::households(scope)
        .select_only()
        .column(households::Column::Id)
        .column(households::Column::CommuneId)
        .filter(households::Column::ProjectId.eq(project_id))
        .into_tuple::<(i32, i32)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let pay_rows: Vec<(i32, String, Dong, NaiveDate)> = scoped::payments(scope)
        .select_only()
        .column(payments::Column::HouseholdId)
        .column(payments::Column::Kind)
        .column(payments::Column::Amount)
        .column(payments::Column::PaidOn)
        .filter(payments::Column::ProjectId.eq(project_id))
        .filter(payments::Column::PaidOn.lte(to))
        .into_tuple()
        .all(conn)
        .await?;
    let net_of: HashMap<i32, Dong> = plan_rows.iter().map(|p| (p.0, p.5)).collect();
    let mut out: HashMap<i32, Money> = HashMap::new();
    // The plan in force at the end of the range, per household: the latest approved.
    let mut in_force: HashMap<i32, (NaiveDate, Option<NaiveDate>, Dong)> = HashMap::new();
    for &(_, household, revision_of, approved_on, due, net) in &plan_rows {
        let Some(&commune) = communes.get(&household) else {
            continue;
        };
        if approved_on >= from {
            let before = revision_of
                .and_then(|r| net_of.get(&r))
                .copied()
                .unwrap_or(0);
            out.entry(commune).or_default().approved += net - before;
        }
        let e = in_force.entry(household).or_insert((approved_on, due, net));
        if approved_on >= e.0 {
            *e = (approved_on, due, net);
        }
    }
    let mut settled: HashMap<i32, Dong> = HashMap::new();
    for (household, kind, amount, on) in pay_rows {
        let Some(&commune) = communes.get(&household) else {
            continue;
        };
        *settled.entry(household).or_default() += amount;
        if on >= from {
            let m = out.entry(commune).or_default();
            if kind == PaymentKind::Deposit.as_str() {
                m.deposited += amount;
            } else {
                m.paid += amount;
            }
        }
    }
    for (household, (_, due, net)) in in_force {
        let Some(&commune) = communes.get(&household) else {
            continue;
        };
        let left = (net - settled.get(&household).copied().unwrap_or(0)).max(0);
        let m = out.entry(commune).or_default();
        m.approved_total += net;
        m.outstanding += left;
        if left > 0 && due.is_some_and(|d| d < to) {
            m.overdue += left;
            m.plans_overdue += 1;
        }
    }
    Ok(out)
}

/// The project's sums over every commune.
pub fn total(by_commune: &HashMap<i32, Money>) -> Money {
    let mut t = Money::default();
    for m in by_commune.values() {
        t.add(m);
    }
    t
}
