use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One refused feature or row of an import file.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportProblem {
    /// Parcels: 0-based position of the feature in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Households: the row number as the spreadsheet shows it (the header row included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// Parcels: `commune/map sheet/parcel number` as far as the feature gives them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Households: the column header at fault, as written in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Stable code, e.g. `missing_parcel_no`, `invalid_id_number`, `overlap`.
    pub code: String,
    /// What is wrong and what to fix (English, for logs and API clients; pages show `code`
    /// with `details` through their catalogue).
    pub reason: String,
    /// The values the message names, e.g. `{"value": "003090012345", "province": "003"}`.
    #[serde(default)]
    pub details: BTreeMap<String, String>,
}

/// A parcel linked to the parcel(s) it came from.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LineageLink {
    /// `commune/map sheet/parcel number` of the new or updated parcel.
    pub parcel: String,
    /// The parcel it came from.
    pub parent: String,
    /// `split` or `merge`.
    pub kind: String,
}

/// What an import did (or, with `dry_run`, would do). All or nothing: with any error nothing
/// is stored and `errors` lists every refused feature or row.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// `parcels` or `households`.
    pub kind: String,
    pub project: String,
    pub file: String,
    pub dry_run: bool,
    /// Whether the import was stored.
    pub committed: bool,
    /// Parcels: the CRS of the file (`EPSG:5898`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_crs: Option<String>,
    /// Features or rows read.
    pub total: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Parcels: split/merge links recorded.
    pub lineage: Vec<LineageLink>,
    pub errors: Vec<ImportProblem>,
    /// What was read but changed on the way in (households: an ID number whose leading zeros
    /// Excel dropped, padded back). Warnings do not stop an import.
    #[serde(default)]
    pub warnings: Vec<ImportProblem>,
    /// The import batch id when stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<i32>,
    /// Seconds taken.
    pub seconds: f64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check and report only; store nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Parcels: `EPSG:4326`, `EPSG:5898`, `EPSG:9216` or `vn2000:<central meridian>` when the
    /// file does not say.
    pub crs: Option<String>,
    /// The file's name (its extension tells the format when the Content-Type does not).
    pub filename: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `vi` (default) or `en`: the language of the title and headers.
    pub lang: Option<String>,
}
