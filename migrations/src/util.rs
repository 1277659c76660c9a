//! Short builders so each migration reads like the schema it creates.
use sea_orm_migration::prelude::*;

pub fn name(s: &str) -> Alias {
    Alias::new(s)
}

pub fn id() -> ColumnDef {
    ColumnDef::new(name("id"))
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

pub fn int(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).integer().not_null().to_owned()
}

pub fn int_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).integer().null().to_owned()
}

pub fn big(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

pub fn text(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).string().not_null().to_owned()
}

pub fn text_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).string().null().to_owned()
}

pub fn long_text(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).text().not_null().to_owned()
}

pub fn long_text_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).text().null().to_owned()
}

pub fn double(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).double().not_null().to_owned()
}

pub fn double_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).double().null().to_owned()
}

pub fn boolean(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

pub fn date(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).date().not_null().to_owned()
}

pub fn date_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).date().null().to_owned()
}

pub fn ts(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

pub fn ts_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

pub fn fk(table: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(name(table), name(col))
        .to(name(to), name("id"))
        .to_owned()
}

pub fn table(
    t: &str,
    cols: Vec<ColumnDef>,
    fks: Vec<ForeignKeyCreateStatement>,
) -> TableCreateStatement {
    let mut stmt = Table::create();
    stmt.table(name(t)).if_not_exists();
    for mut c in cols {
        stmt.col(&mut c);
    }
    for mut f in fks {
        stmt.foreign_key(&mut f);
    }
    stmt.clone()
}

pub fn index(t: &str, idx: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(idx).table(name(t)).if_not_exists();
    for c in cols {
        stmt.col(name(c));
    }
    if unique {
        stmt.unique();
    }
    stmt.clone()
}

pub fn composite_pk(
    t: &str,
    cols: Vec<ColumnDef>,
    pk: &[&str],
    fks: Vec<ForeignKeyCreateStatement>,
) -> TableCreateStatement {
    let mut stmt = table(t, cols, fks);
    let mut p = Index::create();
    for c in pk {
        p.col(name(c));
    }
    stmt.primary_key(&mut p);
    stmt
}

pub async fn create_all(
    manager: &SchemaManager<'_>,
    tables: Vec<TableCreateStatement>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for t in tables {
        manager.create_table(t).await?;
    }
    for i in indexes {
        manager.create_index(i).await?;
    }
    Ok(())
}

pub async fn drop_all(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for t in tables {
        manager
            .drop_table(Table::drop().table(name(t)).if_exists().to_owned())
            .await?;
    }
    Ok(())
}
