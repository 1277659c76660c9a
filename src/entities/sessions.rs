use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub token_hash: String,
    pub user_id: i32,
    pub created_at: DateTimeWithTimeZone,
    pub expires_at: DateTimeWithTimeZone,
    /// When the session was last used (written at most once a minute); NULL until then.
    pub last_seen_at: Option<DateTimeWithTimeZone>,
    /// The field app's key for this session's offline copy of households (base64 of 256
    /// random bits), made at its first `GET /api/v1/field/key`; it ends with the session.
    pub field_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
