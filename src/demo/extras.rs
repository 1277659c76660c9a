//! What the demo data set holds beyond parcels, households and visits: case stages with
//! deadlines, grievances, hot spots, splits after the cut-off, public information. Each feature
//! adds its own file and one call here; it runs after the counters are built.
//! `today` is the day the demo is built on (`--today`): every date here is relative to it.
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

#[tracing::instrument(skip_all, fields(project_id, %today))]
pub async fn load(
    db: &DatabaseConnection,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    super::cases::load(db, project_id, today).await?;
    super::public::load(db, project_id, today).await?;
    super::field::load(db, project_id, today).await?;
    super::compensation::load(db, project_id, today).await?;
    super::privacy::load(db, project_id, today).await?;
    // Last: the hot spots it flags count the grievances loaded above.
    super::alerts::load(db, project_id, today).await?;
    Ok(())
}
