//! Compensation (issue 17): what a household has (inventory, kiểm đếm), what the province
//! pays for it (price tables), what the project adds (entitlement settings with their
//! decisions), what the household is offered (plan versions and their lines) and what it was
//! paid (payments and deposits). Money is integer đồng; quantities are hundredths of their
//! unit (m², trees, persons × months), so no amount is ever a float.
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_compensation"
    }
}

fn money(col: &str) -> ColumnDef {
    big(col)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                // A province's price table (land prices and their adjustment coefficient, unit
                // prices of structures, crops, trees, graves, moving): one row per version.
                table(
                    "price_tables",
                    vec![
                        id(),
                        // Province code of the issuing province (`51` Quảng Ngãi).
                        text("province_code"),
                        text("name"),
                        // `QĐ 45/2025/QĐ-UBND`: the decision that issued it.
                        text("legal_basis"),
                        date_null("issued_on"),
                        date("valid_from"),
                        date_null("valid_until"),
                        // The land price adjustment coefficient × 10 000 (1.15 → 11 500).
                        int("land_coefficient"),
                        text_null("coefficient_basis"),
                        int("version"),
                        int_null("supersedes_id"),
                        int_null("created_by"),
                        ts("created_at"),
                    ],
                    vec![],
                ),
                table(
                    "price_items",
                    vec![
                        id(),
                        int("price_table_id"),
                        // land | structure | crop | tree | grave | livestock | moving | other
                        text("category"),
                        // Land-use code (`LUC`), structure kind (`nha_cap_4`), species …
                        text("code"),
                        text("name"),
                        text("unit"),
                        money("unit_price"),
                        // Structure grade, tree age class, land position or zone: null = any.
                        text_null("grade"),
                        text_null("age_class"),
                        text_null("zone"),
                    ],
                    vec![fk("price_items", "price_table_id", "price_tables")],
                ),
                // Province- and project-set values of the entitlement rules, each with the
                // decision that set it (job-change multiple, rice price, bonus, …).
                table(
                    "compensation_settings",
                    vec![
                        id(),
                        int("project_id"),
                        text("code"),
                        money("value"),
                        text_null("decision_no"),
                        date_null("decided_on"),
                        int_null("updated_by"),
                        ts("updated_at"),
                    ],
                    vec![fk("compensation_settings", "project_id", "projects")],
                ),
                table(
                    "inventories",
                    vec![
                        id(),
                        int("project_id"),
                        int("household_id"),
                        text("record_no"),
                        date("inventoried_on"),
                        int_null("inventoried_by"),
                        // Household members counted for life-stabilisation support.
                        int("members_counted"),
                        boolean("relocating"),
                        // Moving to an area with hard socio-economic conditions.
                        boolean("hard_area"),
                        // Farmland the household uses in all, for the share lost (0: unknown,
                        // taken as the recovered farmland).
                        big("farmland_held_centi"),
                        // Unpaid land obligations, deducted from land compensation only.
                        money("obligations"),
                        // Average after-tax yearly income of a business on the land.
                        money("business_income"),
                        long_text_null("note"),
                        text_null("client_key"),
                        int("version"),
                        ts("created_at"),
                        ts("updated_at"),
                    ],
                    vec![
                        fk("inventories", "household_id", "households"),
                        fk("inventories", "project_id", "projects"),
                    ],
                ),
                table(
                    "inventory_items",
                    vec![
                        id(),
                        int("inventory_id"),
                        int("household_id"),
                        int_null("parcel_id"),
                        // land | structure | crop | tree | grave | livestock | investment | other
                        text("category"),
                        text("code"),
                        text_null("description"),
                        text("unit"),
                        big("quantity_centi"),
                        text_null("grade"),
                        int_null("year_built"),
                        text_null("age_class"),
                        // Structures: the remaining quality in percent.
                        int_null("remaining_percent"),
                        // Remaining investment (Decree 88 Art. 17): P1+P2+P3+P4 and T1, T2.
                        money("cost"),
                        int_null("term_total"),
                        int_null("term_remaining"),
                    ],
                    vec![fk("inventory_items", "inventory_id", "inventories")],
                ),
                table(
                    "compensation_plans",
                    vec![
                        id(),
                        int("project_id"),
                        int("household_id"),
                        // 1, 2, …: the household's plan versions in order.
                        int("number"),
                        // draft | posted | approved | superseded
                        text("status"),
                        // The approved plan a revision replaces.
                        int_null("revision_of"),
                        int("price_table_id"),
                        date("computed_on"),
                        date_null("posted_on"),
                        date_null("posting_ends_on"),
                        text_null("posting_rule"),
                        date_null("approved_on"),
                        text_null("decision_no"),
                        text_null("approving_body"),
                        text_null("approver_rule"),
                        date_null("payment_due_on"),
                        money("gross"),
                        money("deductions"),
                        money("resettlement_fee"),
                        money("net"),
                        int_null("created_by"),
                        ts("created_at"),
                        int("version"),
                    ],
                    vec![
                        fk("compensation_plans", "household_id", "households"),
                        fk("compensation_plans", "project_id", "projects"),
                        fk("compensation_plans", "price_table_id", "price_tables"),
                    ],
                ),
                table(
                    "plan_lines",
                    vec![
                        id(),
                        int("plan_id"),
                        int("household_id"),
                        int("line_no"),
                        // land | assets | moving | investment | support | resettlement | deduction
                        text("grp"),
                        // Stable across versions (`land:LUC:12`), so versions compare line by line.
                        text("code"),
                        text("label"),
                        int_null("parcel_id"),
                        int_null("inventory_item_id"),
                        big("quantity_centi"),
                        text("unit"),
                        money("unit_price"),
                        // Coefficient, percentage or share × 10 000 (10 000 = × 1).
                        int("factor"),
                        money("amount"),
                        text("article"),
                        long_text_null("note"),
                    ],
                    vec![fk("plan_lines", "plan_id", "compensation_plans")],
                ),
                table(
                    "payments",
                    vec![
                        id(),
                        int("project_id"),
                        int("household_id"),
                        int("plan_id"),
                        // payment | deposit
                        text("kind"),
                        money("amount"),
                        date("paid_on"),
                        // cash | transfer | deposit
                        text("method"),
                        text("receipt_no"),
                        text_null("bank"),
                        long_text_null("note"),
                        int("days_late"),
                        // Late-payment interest owed on this amount (LĐĐ Art. 94(3)).
                        money("interest"),
                        int_null("recorded_by"),
                        ts("created_at"),
                        text_null("client_key"),
                    ],
                    vec![
                        fk("payments", "plan_id", "compensation_plans"),
                        fk("payments", "household_id", "households"),
                    ],
                ),
            ],
            vec![
                index(
                    "price_items",
                    "idx_price_items_table",
                    &["price_table_id"],
                    false,
                ),
                index(
                    "compensation_settings",
                    "idx_compensation_settings_code",
                    &["project_id", "code"],
                    true,
                ),
                index(
                    "inventories",
                    "idx_inventories_household",
                    &["household_id"],
                    true,
                ),
                index(
                    "inventories",
                    "idx_inventories_client_key",
                    &["client_key"],
                    true,
                ),
                index(
                    "inventory_items",
                    "idx_inventory_items_inventory",
                    &["inventory_id"],
                    false,
                ),
                index(
                    "compensation_plans",
                    "idx_compensation_plans_number",
                    &["household_id", "number"],
                    true,
                ),
                index(
                    "compensation_plans",
                    "idx_compensation_plans_project",
                    &["project_id", "status"],
                    false,
                ),
                index(
                    "plan_lines",
                    "idx_plan_lines_plan",
                    &["plan_id", "line_no"],
                    true,
                ),
                index("payments", "idx_payments_plan", &["plan_id"], false),
                index("payments", "idx_payments_client_key", &["client_key"], true),
            ],
        )
        .await?;
        // An objection in a grievance can point at the plan line it disputes.
        manager
            .alter_table(
                Table::alter()
                    .table(name("grievances"))
                    .add_column(int_null("plan_line_id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("grievances"))
                    .drop_column(name("plan_line_id"))
                    .to_owned(),
            )
            .await?;
        drop_all(
            manager,
            &[
                "payments",
                "plan_lines",
                "compensation_plans",
                "inventory_items",
                "inventories",
                "compensation_settings",
                "price_items",
                "price_tables",
            ],
        )
        .await
    }
}
