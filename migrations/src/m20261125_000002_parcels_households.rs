use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000002_parcels_households"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                table(
                    "parcels",
                    vec![
                        id(),
                        int("project_id"),
                        int("commune_id"),
                        text("map_sheet"),
                        text("parcel_no"),
                        text("land_use"),
                        double("area_m2"),
                        double("recovered_area_m2"),
                        // WGS84 GeoJSON geometry, plus the geometry as imported and its CRS.
                        long_text("geometry"),
                        text("source_crs"),
                        long_text_null("source_geometry"),
                        double("min_lon"),
                        double("min_lat"),
                        double("max_lon"),
                        double("max_lat"),
                        int_null("parent_parcel_id"),
                        text("status"),
                        int("version"),
                        ts("created_at"),
                        ts("updated_at"),
                    ],
                    vec![
                        fk("parcels", "project_id", "projects"),
                        fk("parcels", "commune_id", "admin_units"),
                    ],
                ),
                // Splits (one parent, many children) and merges (many parents) alike.
                composite_pk(
                    "parcel_lineage",
                    vec![
                        int("parcel_id"),
                        int("parent_id"),
                        text("kind"),
                        ts("recorded_at"),
                    ],
                    &["parcel_id", "parent_id"],
                    vec![
                        fk("parcel_lineage", "parcel_id", "parcels"),
                        fk("parcel_lineage", "parent_id", "parcels"),
                    ],
                ),
                table(
                    "households",
                    vec![
                        id(),
                        int("project_id"),
                        text("code"),
                        text("head_name"),
                        // Folded (no diacritics, đ→d, lower case) name, members and id number.
                        long_text("search_key"),
                        text_null("id_number"),
                        text_null("phone"),
                        text("address"),
                        int("commune_id"),
                        long_text("members"),
                        text("vulnerable"),
                        int_null("split_from_id"),
                        text_null("stance"),
                        ts_null("last_visit_at"),
                        ts("created_at"),
                        ts("updated_at"),
                    ],
                    vec![
                        fk("households", "project_id", "projects"),
                        fk("households", "commune_id", "admin_units"),
                    ],
                ),
                composite_pk(
                    "household_parcels",
                    vec![
                        int("household_id"),
                        int("parcel_id"),
                        double("share"),
                        text("role"),
                    ],
                    &["household_id", "parcel_id"],
                    vec![
                        fk("household_parcels", "household_id", "households"),
                        fk("household_parcels", "parcel_id", "parcels"),
                    ],
                ),
            ],
            vec![
                index(
                    "parcels",
                    "idx_parcels_key",
                    &["project_id", "commune_id", "map_sheet", "parcel_no"],
                    true,
                ),
                index(
                    "parcels",
                    "idx_parcels_project_status",
                    &["project_id", "status", "id"],
                    false,
                ),
                index(
                    "parcels",
                    "idx_parcels_project_commune",
                    &["project_id", "commune_id", "id"],
                    false,
                ),
                index(
                    "parcels",
                    "idx_parcels_bbox",
                    &["project_id", "min_lon", "max_lon", "min_lat", "max_lat"],
                    false,
                ),
                index(
                    "households",
                    "idx_households_project",
                    &["project_id", "commune_id", "id"],
                    false,
                ),
                index(
                    "households",
                    "idx_households_commune",
                    &["commune_id", "id"],
                    false,
                ),
                index(
                    "households",
                    "idx_households_code",
                    &["project_id", "code"],
                    true,
                ),
                index(
                    "household_parcels",
                    "idx_household_parcels_parcel",
                    &["parcel_id"],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(
            manager,
            &[
                "household_parcels",
                "households",
                "parcel_lineage",
                "parcels",
            ],
        )
        .await
    }
}
