//! The commune filter of lists (`?commune_id=` or `?commune=`): the unit asked for and the
//! pre-2025 units merged into it, so old records still report under the new commune. Units
//! are named by id, or by code *and* validity: the pre-2025 Bình Trị and the post-2025
//! Vạn Tường share the code 21061, so `21061` alone is refused (422 `ambiguous_code`) and
//! `21061@2025-07-01` names Vạn Tường; a code only one unit has needs no day.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entities::admin_units;
use crate::error::AppResult;

/// The admin-unit ids a commune filter selects; empty when no unit matches (the list is then
/// empty, as for a commune without rows). `id` wins over `code`; `code` may be `CODE` (when
/// one unit has it) or `CODE@YYYY-MM-DD` (the unit in force that day).
pub async fn commune_filter(
    conn: &impl ConnectionTrait,
    id: Option<i32>,
    code: Option<&str>,
) -> AppResult<Option<Vec<i32>>> {
    let unit = match (id, code.map(str::trim).filter(|c| !c.is_empty())) {
        (Some(id), _) => admin_units::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|u| u.id),
        (None, Some(spec)) => super::routes::resolve_code(conn, spec).await?.map(|u| u.id),
        (None, None) => return Ok(None),
    };
    let Some(unit) = unit else {
        return Ok(Some(Vec::new()));
    };
    let mut ids: Vec<i32> = admin_units::Entity::find()
        .select_only()
        .column(admin_units::Column::Id)
        .filter(admin_units::Column::SuccessorId.eq(unit))
        .into_tuple()
        .all(conn)
        .await?;
    ids.push(unit);
    ids.sort_unstable();
    Ok(Some(ids))
}
