//! The history of household edits (`household_revisions`: the content of a household before
//! each edit, who made it and when). The table names people, so its entity is private here;
//! every function takes a household that has passed the caller's scope.
use chrono::{DateTime, FixedOffset};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
};

use super::{HouseholdId, Scoped};

mod household_revisions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "household_revisions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub household_id: i32,
        pub version: i32,
        #[sea_orm(column_type = "Text")]
        pub content: String,
        pub fields: String,
        pub edited_by: Option<i32>,
        pub edited_at: DateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "crate::entities::users::Entity",
            from = "Column::EditedBy",
            to = "crate::entities::users::Column::Id"
        )]
        Editor,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// One edit of a household: the version it replaced, the content before it, the fields it
/// changed (JSON list), who and when.
#[derive(Clone, Debug, FromQueryResult)]
pub struct HouseholdRevisionRow {
    pub id: i32,
    pub version: i32,
    pub content: String,
    pub fields: String,
    pub edited_at: DateTime<FixedOffset>,
    pub editor: Option<String>,
}

/// Keeps the household's content before an edit.
pub async fn insert_household_revision(
    conn: &impl ConnectionTrait,
    h: Scoped<HouseholdId>,
    version: i32,
    content: String,
    fields: String,
    edited_by: Option<i32>,
    edited_at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    household_revisions::ActiveModel {
        household_id: Set(h.id()),
        version: Set(version),
        content: Set(content),
        fields: Set(fields),
        edited_by: Set(edited_by),
        edited_at: Set(edited_at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The edits of the household, newest first.
pub async fn household_revisions_of(
    conn: &impl ConnectionTrait,
    h: Scoped<HouseholdId>,
) -> Result<Vec<HouseholdRevisionRow>, DbErr> {
    use household_revisions::{Column as C, Entity, Relation};
    Entity::find()
        .select_only()
        .columns([C::Id, C::Version, C::Content, C::Fields, C::EditedAt])
        .column_as(crate::entities::users::Column::Username, "editor")
        .join(sea_orm::JoinType::LeftJoin, Relation::Editor.def())
        .filter(C::HouseholdId.eq(h.id()))
        .order_by_desc(C::Id)
        .into_model::<HouseholdRevisionRow>()
        .all(conn)
        .await
}

/// The ids of the households inside the scope that have reached (recorded) `stage`, as a
/// subquery.
pub fn households_at_stage(
    scope: &crate::auth::Scope,
    stage: crate::domain::CaseStage,
) -> sea_orm::sea_query::SelectStatement {
    use super::tables::case_stage_events::Column as C;
    use sea_orm::sea_query::{Alias, Expr};
    let e = Alias::new("se");
    let mut stmt = super::select_from(scope, super::Personal::CaseStageEvents, "se");
    stmt.column((e.clone(), C::HouseholdId))
        .and_where(Expr::col((e, C::Stage)).eq(stage.as_str()));
    stmt
}
