//! Builders of the grievance desk (web/grievances.*): a grievance signed by a household of
//! some communes, and the order "open and most overdue first".
use sea_orm::sea_query::{Alias, Condition, Expr, Query, SimpleExpr};

use super::tables;
use crate::domain::GrievanceStatus;

/// "The grievance under `alias` was signed by a household of one of these communes", to narrow
/// a select already limited to the scope.
pub fn grievance_signed_in(alias: &'static str, communes: &[i32]) -> Condition {
    use tables::grievance_households::Column as Gh;
    use tables::households::Column as H;
    let (gh, h) = (Alias::new("ghc"), Alias::new("hc"));
    let signed = Query::select()
        .column((gh.clone(), Gh::GrievanceId))
        .from_as(tables::grievance_households::Entity, gh.clone())
        .inner_join_as_households(&h, &gh)
        .and_where(Expr::col((h, H::CommuneId)).is_in(communes.iter().copied()))
        .to_owned();
    Condition::all()
        .add(Expr::col((Alias::new(alias), tables::grievances::Column::Id)).in_subquery(signed))
}

trait JoinHouseholds {
    fn inner_join_as_households(&mut self, h: &Alias, gh: &Alias) -> &mut Self;
}

impl JoinHouseholds for sea_orm::sea_query::SelectStatement {
    fn inner_join_as_households(&mut self, h: &Alias, gh: &Alias) -> &mut Self {
        use tables::grievance_households::Column as Gh;
        use tables::households::Column as H;
        self.join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            tables::households::Entity,
            h.clone(),
            Expr::col((h.clone(), H::Id)).equals((gh.clone(), Gh::HouseholdId)),
        )
    }
}

/// The open deadline of the grievance under `alias` (acceptance while received, else the
/// resolution); NULL once closed.
pub fn grievance_open_deadline(alias: &'static str) -> SimpleExpr {
    use tables::grievances::Column as G;
    let c = |col: G| Expr::col((Alias::new(alias), col));
    Expr::case(
        c(G::Status).eq(GrievanceStatus::Received.as_str()),
        sea_orm::sea_query::Func::coalesce([c(G::AcceptBy).into(), c(G::ResolveBy).into()]),
    )
    .case(
        c(G::Status).is_in(GrievanceStatus::OPEN.iter().map(|s| s.as_str())),
        c(G::ResolveBy),
    )
    .finally(SimpleExpr::Keyword(sea_orm::sea_query::Keyword::Null))
    .into()
}
