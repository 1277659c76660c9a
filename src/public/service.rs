//! What the public page shows, gathered from aggregate figures and public tables only: the
//! project row, `project_parties`, `project_milestones`, the progress counters and parcel
//! geometry with status. No query here touches households.
use chrono::NaiveDate;
use geo::MultiPolygon;
use sea_orm::{ConnectionTrait, DbErr, Statement, Value};

use crate::auth::Principal;
use crate::charts;
use crate::domain::ParcelStatus;
use crate::error::AppResult;
use crate::i18n::{Catalogue, Lang};
use crate::state::AppState;

/// Above this many parcels the inline map would weigh megabytes: the page shows the
/// figures by commune instead.
pub const MAX_MAP_PARCELS: usize = 20_000;

pub struct Party {
    pub role: String,
    pub organisation: String,
    pub contact_person: String,
    pub phone: String,
    pub email: String,
}

pub struct Milestone {
    pub date: String,
    pub title: String,
    pub done: bool,
}

pub struct StatusLine {
    pub status: String,
    pub label: String,
    pub colour: &'static str,
    pub parcels: String,
    pub area_ha: String,
    pub share: String,
}

pub struct CommuneLine {
    pub name: String,
    pub parcels: String,
    pub handed_over: String,
    pub share: String,
}

pub struct PublicProject {
    pub code: String,
    pub name: String,
    pub investor: String,
    pub agency: String,
    pub contact: String,
    pub parties: Vec<Party>,
    pub timeline: Vec<Milestone>,
    pub statuses: Vec<StatusLine>,
    pub total_parcels: String,
    pub total_area_ha: String,
    pub households: String,
    pub headline: String,
    pub as_of: String,
    pub communes: Vec<CommuneLine>,
    /// Inline SVG made here from numbers and geometry only.
    pub chart_svg: String,
    pub map_svg: Option<String>,
}

fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Grouped thousands and a decimal comma in Vietnamese, point in English.
pub fn number(lang: Lang, x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let (group, point) = if lang == Lang::Vi {
        ('.', ',')
    } else {
        (',', '.')
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    if x < 0.0 && x.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) {
        out.insert(0, '-');
    }
    out
}

fn percent(lang: Lang, part: f64, whole: f64) -> String {
    if whole <= 0.0 {
        return number(lang, 0.0, 1);
    }
    number(lang, 100.0 * part / whole, 1)
}

fn text(r: &sea_orm::QueryResult, col: &str) -> Result<String, DbErr> {
    Ok(r.try_get::<Option<String>>("", col)?.unwrap_or_default())
}

/// The page's content, or None for an unknown project code.
pub async fn load(state: &AppState, code: &str, t: &Catalogue) -> AppResult<Option<PublicProject>> {
    let conn = &state.db.conn;
    let lang = t.lang();
    let Some(project) = crate::projects::service::by_code(conn, code).await? else {
        return Ok(None);
    };
    // Aggregates only; the system principal reads the same counters `/progress` does.
    let progress =
        crate::dashboard::service::progress(state, &Principal::cli(), &project.code).await?;
    let backend = conn.get_database_backend();

    let role_col = if lang == Lang::En {
        "role_en"
    } else {
        "role_vi"
    };
    let parties = conn
        .query_all(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT {role_col} AS role, organisation, contact_person, phone, email \
                 FROM project_parties WHERE project_id = $1 ORDER BY sort_order, id"
            ),
            [Value::from(project.id)],
        ))
        .await?
        .iter()
        .map(|r| {
            Ok(Party {
                role: text(r, "role")?,
                organisation: text(r, "organisation")?,
                contact_person: text(r, "contact_person")?,
                phone: text(r, "phone")?,
                email: text(r, "email")?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;

    let title_col = if lang == Lang::En {
        "title_en"
    } else {
        "title_vi"
    };
    let mut dated: Vec<(NaiveDate, String)> = Vec::new();
    for r in conn
        .query_all(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT on_date, {title_col} AS title FROM project_milestones \
                 WHERE project_id = $1 ORDER BY on_date, id"
            ),
            [Value::from(project.id)],
        ))
        .await?
    {
        dated.push((r.try_get("", "on_date")?, text(&r, "title")?));
    }
    for (date, key) in [
        (project.notice_date, "public.notice"),
        (project.target_handover_date, "public.target"),
    ] {
        if let Some(d) = date {
            if !dated.iter().any(|(x, _)| *x == d) {
                dated.push((d, t.t(key).to_string()));
            }
        }
    }
    dated.sort_by_key(|(d, _)| *d);
    let today = crate::legal::today_vn();
    let timeline = dated
        .into_iter()
        .map(|(d, title)| Milestone {
            date: dmy(d),
            title,
            done: d <= today,
        })
        .collect();

    let total = progress.parcels.total as f64;
    let statuses = ParcelStatus::ALL
        .iter()
        .map(|s| {
            let n = progress
                .parcels
                .by_status
                .get(s.as_str())
                .copied()
                .unwrap_or(0) as f64;
            let a = progress
                .area_m2
                .by_status
                .get(s.as_str())
                .copied()
                .unwrap_or(0.0);
            StatusLine {
                status: s.as_str().to_string(),
                label: t.t(&format!("status.{}", s.as_str())).to_string(),
                colour: charts::status_colour(*s),
                parcels: number(lang, n, 0),
                area_ha: number(lang, a / 10_000.0, 2),
                share: percent(lang, n, total),
            }
        })
        .collect();
    let handed = progress
        .parcels
        .by_status
        .get(ParcelStatus::HandedOver.as_str())
        .copied()
        .unwrap_or(0) as f64;
    let headline = t.fill(
        "public.handed_over_share",
        &[
            ("parcels", &number(lang, handed, 0)),
            ("total", &number(lang, total, 0)),
            ("percent", &percent(lang, handed, total)),
        ],
    );
    let communes = progress
        .by_commune
        .iter()
        .map(|c| {
            let h = c
                .parcels
                .by_status
                .get(ParcelStatus::HandedOver.as_str())
                .copied()
                .unwrap_or(0) as f64;
            CommuneLine {
                name: c.name.clone(),
                parcels: number(lang, c.parcels.total as f64, 0),
                handed_over: number(lang, h, 0),
                share: percent(lang, h, c.parcels.total as f64),
            }
        })
        .collect();
    let chart_svg = crate::dashboard::service::progress_chart(
        &progress,
        project.target_handover_date,
        t,
        false,
        (760, 380),
    );
    let map_svg = if progress.parcels.total as usize <= MAX_MAP_PARCELS {
        let parcels = parcel_shapes(conn, project.id).await?;
        let title = format!("{} — {}", t.t("public.map"), project.code);
        Some(
            tokio::task::spawn_blocking(move || charts::status_map_svg(&parcels, 760, &title))
                .await
                .map_err(|e| anyhow::anyhow!("drawing the status map: {e}"))?,
        )
    } else {
        None
    };

    Ok(Some(PublicProject {
        code: project.code,
        name: project.name,
        investor: project.investor,
        agency: project.agency.unwrap_or_default(),
        contact: project.contact.unwrap_or_default(),
        parties,
        timeline,
        statuses,
        total_parcels: number(lang, total, 0),
        total_area_ha: number(lang, progress.area_m2.total / 10_000.0, 2),
        households: number(lang, progress.households.total as f64, 0),
        headline,
        as_of: t.fill("public.as_of", &[("date", &dmy(today))]),
        communes,
        chart_svg,
        map_svg,
    }))
}

/// Geometry and status of every parcel of the project (no other column).
async fn parcel_shapes(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<(MultiPolygon<f64>, ParcelStatus)>, DbErr> {
    let rows = conn
        .query_all(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT geometry, status FROM parcels WHERE project_id = $1 ORDER BY id",
            [Value::from(project_id)],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let geometry: String = r.try_get("", "geometry")?;
        let status: String = r.try_get("", "status")?;
        let (Some(status), Some(mp)) = (ParcelStatus::parse(&status), multipolygon(&geometry))
        else {
            continue;
        };
        out.push((mp, status));
    }
    Ok(out)
}

fn multipolygon(geojson_text: &str) -> Option<MultiPolygon<f64>> {
    let g: geojson::Geometry = geojson_text.parse::<geojson::Geometry>().ok()?;
    match geo::Geometry::<f64>::try_from(g).ok()? {
        geo::Geometry::Polygon(p) => Some(MultiPolygon(vec![p])),
        geo::Geometry::MultiPolygon(mp) => Some(mp),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(number(Lang::Vi, 1234567.891, 2), "1.234.567,89");
        assert_eq!(number(Lang::En, 1234567.891, 2), "1,234,567.89");
        assert_eq!(number(Lang::Vi, 12.0, 0), "12");
        assert_eq!(percent(Lang::En, 1.0, 3.0), "33.3");
        assert_eq!(percent(Lang::Vi, 1.0, 0.0), "0,0");
        let mp = multipolygon(
            r#"{"type":"Polygon","coordinates":[[[108.8,15.38],[108.81,15.38],[108.81,15.39],[108.8,15.38]]]}"#,
        );
        assert_eq!(mp.map(|m| m.0.len()), Some(1));
        assert!(multipolygon("nonsense").is_none());
    }
}
