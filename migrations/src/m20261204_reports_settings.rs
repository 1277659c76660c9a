//! What a project's printed report says about who issues it (issue 13.7): the parent agency
//! line above the issuing agency and the document symbol (`BC-BCĐ`, …). One optional row per
//! project; without it the report takes the agency that decides land recovery from
//! `project_parties` and the catalogue's symbol. Kept beside `projects` so that table stays as
//! it is.
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_reports_settings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![table(
                "project_report_settings",
                vec![
                    id(),
                    int("project_id"),
                    // `UBND HUYỆN BÌNH SƠN`: the agency the issuing one belongs to.
                    text_null("parent_agency"),
                    // `BC-BCĐ`: the symbol after `Số: …/` (Decree 30/2020/NĐ-CP).
                    text_null("doc_symbol"),
                ],
                vec![fk("project_report_settings", "project_id", "projects")],
            )],
            vec![index(
                "project_report_settings",
                "idx_project_report_settings_project",
                &["project_id"],
                true,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &["project_report_settings"]).await
    }
}
