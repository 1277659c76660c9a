//! `GET /api/v1/land-types`: the official land-type codes with their names and groups
//! (`domain::land_types`), for the map legend, the field app and API clients.
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::land_types::TABLE;
use crate::domain::{LandGroup, LandUse};
use crate::extract::ApiQuery;
use crate::i18n::Lang;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LandTypeQuery {
    /// Language of `name`: `vi` (default) or `en`.
    pub lang: Option<String>,
}

/// One land-type code.
#[derive(Debug, Serialize, ToSchema)]
pub struct LandTypeDto {
    /// The code as cadastral files write it, e.g. `LUC`.
    pub code: LandUse,
    /// The name in the language asked for.
    pub name: &'static str,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    pub group: LandGroup,
    /// Where the type is defined (`LĐĐ 2024 Art. 9(2)(a)`), or the circulars an old code
    /// comes from.
    pub basis: &'static str,
    /// False for a code from before 2024; `replaced_by` is then the code recorded instead.
    pub current: bool,
    pub replaced_by: Option<LandUse>,
}

/// One of the three groups of LĐĐ 2024 Art. 9.
#[derive(Debug, Serialize, ToSchema)]
pub struct LandGroupDto {
    pub group: LandGroup,
    pub name: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LandTypeList {
    pub groups: Vec<LandGroupDto>,
    /// Every code: the current ones (LĐĐ 2024 Art. 9, Circular 08/2024/TT-BTNMT) by group,
    /// then the older codes still found in files.
    pub items: Vec<LandTypeDto>,
}

fn group_name(g: LandGroup, lang: Lang) -> &'static str {
    match (g, lang) {
        (LandGroup::Agricultural, Lang::Vi) => "Nhóm đất nông nghiệp",
        (LandGroup::Agricultural, Lang::En) => "Agricultural land",
        (LandGroup::NonAgricultural, Lang::Vi) => "Nhóm đất phi nông nghiệp",
        (LandGroup::NonAgricultural, Lang::En) => "Non-agricultural land",
        (LandGroup::Unused, Lang::Vi) => "Nhóm đất chưa sử dụng",
        (LandGroup::Unused, Lang::En) => "Unused land",
    }
}

/// The land-type table.
pub fn table(lang: Lang) -> LandTypeList {
    LandTypeList {
        groups: LandGroup::ALL
            .iter()
            .map(|&group| LandGroupDto {
                group,
                name: group_name(group, lang),
            })
            .collect(),
        items: TABLE
            .iter()
            .map(|t| LandTypeDto {
                code: t.code,
                name: t.name(lang),
                name_vi: t.name_vi,
                name_en: t.name_en,
                group: t.group,
                basis: t.basis,
                current: t.replaced_by.is_none(),
                replaced_by: t.replaced_by,
            })
            .collect(),
    }
}

/// The official land-type codes, their names (`?lang=en` for English) and groups
/// (agricultural, non-agricultural, unused: the notice before recovery depends on it), and
/// the pre-2024 codes imports accept and record as their current code.
#[utoipa::path(get, path = "/api/v1/land-types", tag = "land-types", params(LandTypeQuery),
    responses((status = 200, body = LandTypeList), (status = 400, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn list(ApiQuery(q): ApiQuery<LandTypeQuery>) -> Json<LandTypeList> {
    Json(table(Lang::parse(q.lang.as_deref())))
}
