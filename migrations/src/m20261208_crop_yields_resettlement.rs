//! Crops by yield and resettlement per household (issue 17, item 3): an annual crop records
//! the yields of its previous three harvest years (kg on the inventoried area; the plan pays
//! the highest, LĐĐ 2024 Art. 103, NĐ 88/2024 Art. 14a), and a household's inventory may
//! record its own resettlement plot or house instead of the project's default one (LĐĐ 2024
//! Art. 111; NĐ 88/2024 Art. 23, 24).
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_crop_yields_resettlement"
    }
}

fn big_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).big_integer().null().to_owned()
}

/// `(table, column)`, one `ALTER TABLE` each (SQLite takes one change per statement).
fn columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        ("inventory_items", big_null("yield_1_kg")),
        ("inventory_items", big_null("yield_2_kg")),
        ("inventory_items", big_null("yield_3_kg")),
        // `plot` or `house`; null: the project's default plot.
        ("inventories", text_null("resettlement_kind")),
        ("inventories", text_null("resettlement_code")),
        ("inventories", big_null("resettlement_area_centi")),
        ("inventories", big_null("resettlement_price")),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (t, mut c) in columns() {
            manager
                .alter_table(Table::alter().table(name(t)).add_column(&mut c).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (t, c) in columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(name(t))
                        .drop_column(name(&c.get_column_name()))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
