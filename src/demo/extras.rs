//! What the demo data set holds beyond parcels, households and visits: case stages with
//! deadlines, grievances, hot spots, splits after the cut-off, public information. Each feature
//! adds its own file and one call here; it runs after the counters are built.
//! `today` is the day the demo is built on (`--today`): every date here is relative to it.
use std::time::Instant;

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

#[tracing::instrument(skip_all, fields(project_id, %today))]
pub async fn load(
    db: &DatabaseConnection,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    // Timed one by one: at a million parcels a slow step is found here first.
    let step = |name: &'static str, started: Instant| {
        tracing::info!(
            step = name,
            ms = started.elapsed().as_millis() as u64,
            "demo extras"
        );
    };
    let t = Instant::now();
    super::cases::load(db, project_id, today).await?;
    step("cases", t);
    let t = Instant::now();
    super::public::load(db, project_id, today).await?;
    step("public", t);
    let t = Instant::now();
    super::field::load(db, project_id, today).await?;
    step("field", t);
    let t = Instant::now();
    super::compensation::load(db, project_id, today).await?;
    step("compensation", t);
    let t = Instant::now();
    super::privacy::load(db, project_id, today).await?;
    step("privacy", t);
    // Last: the hot spots it flags count the grievances loaded above.
    let t = Instant::now();
    super::alerts::load(db, project_id, today).await?;
    step("alerts", t);
    Ok(())
}
