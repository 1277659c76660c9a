//! What the public page shows, gathered from aggregate figures and public tables only: the
//! project row, `project_parties`, `project_milestones`, the progress counters and parcel
//! geometry with status. No query here touches households.
use chrono::NaiveDate;
use geo::MultiPolygon;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::charts;
use crate::domain::ParcelStatus;
use crate::entities::{parcels, project_milestones, project_parties, projects};
use crate::error::AppResult;
use crate::i18n::{Catalogue, Lang};
use crate::progress::dto::Progress;

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
    pub status: ParcelStatus,
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
    /// Compensation as sums only (approved, paid or deposited), when plans are approved.
    pub money: Option<String>,
    /// Inline SVG made here from numbers and geometry only.
    pub chart_svg: String,
    pub map_svg: Option<String>,
}

/// "Approved X đ; paid Y đ (Z %)": the ledger's sums over the project, no household.
async fn money_line(
    conn: &impl ConnectionTrait,
    project_id: i32,
    t: &Catalogue,
    lang: Lang,
    today: NaiveDate,
) -> AppResult<Option<String>> {
    let by = crate::compensation::totals::by_commune(
        conn,
        &crate::auth::Scope::cli(),
        project_id,
        NaiveDate::MIN,
        today,
    )
    .await?;
    let m = crate::compensation::totals::total(&by);
    if m.approved_total == 0 {
        return Ok(None);
    }
    let settled = m.approved_total - m.outstanding;
    Ok(Some(t.fill(
        "public.money",
        &[
            ("approved", &money(lang, m.approved_total)),
            ("paid", &money(lang, settled)),
            // A share, not money: the only place the sums meet floating point.
            (
                "percent",
                &percent(lang, settled as f64, m.approved_total as f64),
            ),
        ],
    )))
}

/// Whole đồng as the page's language prints it: `1.234.567 đ`, `1,234,567 VND` (integers
/// end to end, never floating point).
pub fn money(lang: Lang, v: crate::compensation::calc::Dong) -> String {
    match lang {
        Lang::Vi => crate::compensation::calc::format_dong(v),
        Lang::En => {
            let dotted = crate::compensation::calc::format_dong(v);
            let digits = dotted.trim_end_matches(" đ").replace('.', ",");
            format!("{digits} VND")
        }
    }
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

/// The agencies responsible for the project, their role in the page's language.
async fn parties(
    conn: &impl ConnectionTrait,
    project_id: i32,
    lang: Lang,
) -> Result<Vec<Party>, DbErr> {
    Ok(project_parties::Entity::find()
        .filter(project_parties::Column::ProjectId.eq(project_id))
        .order_by_asc(project_parties::Column::SortOrder)
        .order_by_asc(project_parties::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|p| Party {
            role: if lang == Lang::En {
                p.role_en
            } else {
                p.role_vi
            },
            organisation: p.organisation,
            contact_person: p.contact_person.unwrap_or_default(),
            phone: p.phone.unwrap_or_default(),
            email: p.email.unwrap_or_default(),
        })
        .collect())
}

/// The project's milestones with its notice and target dates (unless a milestone falls on
/// the same day), in date order; those up to today are done.
async fn timeline(
    conn: &impl ConnectionTrait,
    project: &projects::Model,
    t: &Catalogue,
    today: NaiveDate,
) -> Result<Vec<Milestone>, DbErr> {
    let mut dated: Vec<(NaiveDate, String)> = project_milestones::Entity::find()
        .filter(project_milestones::Column::ProjectId.eq(project.id))
        .order_by_asc(project_milestones::Column::OnDate)
        .order_by_asc(project_milestones::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            let title = if t.lang() == Lang::En {
                m.title_en
            } else {
                m.title_vi
            };
            (m.on_date, title)
        })
        .collect();
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
    Ok(dated
        .into_iter()
        .map(|(d, title)| Milestone {
            date: dmy(d),
            title,
            done: d <= today,
        })
        .collect())
}

/// One line per status: parcels, area and share of all parcels.
fn status_lines(progress: &Progress, t: &Catalogue) -> Vec<StatusLine> {
    let lang = t.lang();
    let total = progress.parcels.total as f64;
    ParcelStatus::ALL
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
                status: *s,
                label: t.t(&format!("status.{}", s.as_str())).to_string(),
                colour: charts::status_colour(*s),
                parcels: number(lang, n, 0),
                area_ha: number(lang, a / 10_000.0, 2),
                share: percent(lang, n, total),
            }
        })
        .collect()
}

fn handed_over(counts: &crate::progress::dto::Counts) -> f64 {
    counts
        .by_status
        .get(ParcelStatus::HandedOver.as_str())
        .copied()
        .unwrap_or(0) as f64
}

/// Parcels and the share handed over, commune by commune.
fn commune_lines(progress: &Progress, lang: Lang) -> Vec<CommuneLine> {
    progress
        .by_commune
        .iter()
        .map(|c| {
            let h = handed_over(&c.parcels);
            CommuneLine {
                name: c.name.clone(),
                parcels: number(lang, c.parcels.total as f64, 0),
                handed_over: number(lang, h, 0),
                share: percent(lang, h, c.parcels.total as f64),
            }
        })
        .collect()
}

/// The status map, unless the project has too many parcels for an inline SVG.
async fn status_map(
    conn: &impl ConnectionTrait,
    project: &projects::Model,
    progress: &Progress,
    t: &Catalogue,
) -> AppResult<Option<String>> {
    if progress.parcels.total as usize > MAX_MAP_PARCELS {
        return Ok(None);
    }
    let parcels = parcel_shapes(conn, project.id).await?;
    let title = format!("{} — {}", t.t("public.map"), project.code);
    let svg = tokio::task::spawn_blocking(move || charts::status_map_svg(&parcels, 760, &title))
        .await
        .map_err(|e| anyhow::anyhow!("drawing the status map: {e}"))?;
    Ok(Some(svg))
}

/// The page's content, or None for an unknown project code. Everything comes from
/// aggregates and public tables: no principal, no scope, no personal row.
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn load(
    conn: &impl ConnectionTrait,
    code: &str,
    t: &Catalogue,
) -> AppResult<Option<PublicProject>> {
    let lang = t.lang();
    let Some(project) = crate::projects::service::by_code(conn, code).await? else {
        return Ok(None);
    };
    let progress = crate::progress::service::progress(conn, &project).await?;
    let today = crate::legal::today_vn();
    let total = progress.parcels.total as f64;
    let handed = handed_over(&progress.parcels);
    let headline = t.fill(
        "public.handed_over_share",
        &[
            ("parcels", &number(lang, handed, 0)),
            ("total", &number(lang, total, 0)),
            ("percent", &percent(lang, handed, total)),
        ],
    );
    let chart_svg = crate::dashboard::service::progress_chart(
        &progress,
        project.target_handover_date,
        t,
        false,
        (760, 380),
    );
    Ok(Some(PublicProject {
        parties: parties(conn, project.id, lang).await?,
        timeline: timeline(conn, &project, t, today).await?,
        statuses: status_lines(&progress, t),
        total_parcels: number(lang, total, 0),
        total_area_ha: number(lang, progress.area_m2.total / 10_000.0, 2),
        households: number(lang, progress.households.total as f64, 0),
        headline,
        as_of: t.fill("public.as_of", &[("date", &dmy(today))]),
        communes: commune_lines(&progress, lang),
        money: money_line(conn, project.id, t, lang, today).await?,
        chart_svg,
        map_svg: status_map(conn, &project, &progress, t).await?,
        code: project.code,
        name: project.name,
        investor: project.investor,
        agency: project.agency.unwrap_or_default(),
        contact: project.contact.unwrap_or_default(),
    }))
}

/// Geometry and status of every parcel of the project (no other column): parcels name
/// nobody, and the public page shows the whole project.
async fn parcel_shapes(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<(MultiPolygon<f64>, ParcelStatus)>, DbErr> {
    let rows: Vec<(String, String)> = parcels::Entity::find()
        .select_only()
        .column(parcels::Column::Geometry)
        .column(parcels::Column::Status)
        .filter(parcels::Column::ProjectId.eq(project_id))
        .filter(parcels::Column::RetiredAt.is_null())
        .order_by_asc(parcels::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(geometry, status)| {
            Some((multipolygon(&geometry)?, ParcelStatus::parse(&status)?))
        })
        .collect())
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
    fn money_is_whole_dong_in_both_languages() {
        assert_eq!(money(Lang::Vi, 1_234_567), "1.234.567 đ");
        assert_eq!(money(Lang::En, 1_234_567), "1,234,567 VND");
        // Above 2^53 a double would have lost the last đồng.
        assert_eq!(
            money(Lang::Vi, 9_007_199_254_740_993),
            "9.007.199.254.740.993 đ"
        );
        assert_eq!(money(Lang::En, -1_000), "-1,000 VND");
    }

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
