//! The project a scoped row belongs to, so that a write into it can first ask whether the
//! project is still open (`projects::service::ensure_open_for`).
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect};

use super::{tables, CommitmentId, GrievanceId, HouseholdId, ParcelId, Scoped, VisitId};
use crate::entities::parcels;

/// A row that has passed the caller's scope and belongs to one project.
#[derive(Clone, Copy, Debug)]
pub enum InProject {
    Household(Scoped<HouseholdId>),
    Visit(Scoped<VisitId>),
    Commitment(Scoped<CommitmentId>),
    Grievance(Scoped<GrievanceId>),
    Parcel(Scoped<ParcelId>),
}

macro_rules! in_project_from {
    ($($id:ident => $variant:ident),+) => {$(
        impl From<Scoped<$id>> for InProject {
            fn from(id: Scoped<$id>) -> Self {
                InProject::$variant(id)
            }
        }
    )+};
}
in_project_from!(HouseholdId => Household, VisitId => Visit, CommitmentId => Commitment,
    GrievanceId => Grievance, ParcelId => Parcel);

/// The project of the row; `None` when it has gone.
pub async fn project_of(conn: &impl ConnectionTrait, row: InProject) -> Result<Option<i32>, DbErr> {
    match row {
        InProject::Household(h) => {
            tables::households::Entity::find_by_id(h.id())
                .select_only()
                .column(tables::households::Column::ProjectId)
                .into_tuple()
                .one(conn)
                .await
        }
        InProject::Visit(v) => {
            tables::visits::Entity::find_by_id(v.id())
                .select_only()
                .column(tables::visits::Column::ProjectId)
                .into_tuple()
                .one(conn)
                .await
        }
        InProject::Commitment(c) => {
            let household: Option<i32> = tables::commitments::Entity::find_by_id(c.id())
                .select_only()
                .column(tables::commitments::Column::HouseholdId)
                .into_tuple()
                .one(conn)
                .await?;
            match household {
                None => Ok(None),
                Some(h) => {
                    tables::households::Entity::find_by_id(h)
                        .select_only()
                        .column(tables::households::Column::ProjectId)
                        .into_tuple()
                        .one(conn)
                        .await
                }
            }
        }
        InProject::Grievance(g) => {
            tables::grievances::Entity::find_by_id(g.id())
                .select_only()
                .column(tables::grievances::Column::ProjectId)
                .into_tuple()
                .one(conn)
                .await
        }
        InProject::Parcel(p) => {
            parcels::Entity::find_by_id(p.id())
                .select_only()
                .column(parcels::Column::ProjectId)
                .into_tuple()
                .one(conn)
                .await
        }
    }
}
