//! The shape of the house, checked on the source: resources depend on `state`, not on the
//! composition root; personal-data tables are named only in `scoped`; no SQL text is built
//! with `format!`.
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `.rs` file under `src/` with its path relative to `src/` and its text without
/// `#[cfg(test)]` modules (tests may set up rows directly).
fn files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    sources(&root, &mut paths);
    assert!(
        paths.len() > 50,
        "found the sources under {}",
        root.display()
    );
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .map(|r| r.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => &text[..i],
                None => &text[..],
            };
            // Comments may name tables; only code counts.
            let code: Vec<&str> = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            (rel, code.join("\n"))
        })
        .collect()
}

#[test]
fn no_resource_depends_on_the_composition_root() {
    let allowed = ["app.rs", "cli.rs", "main.rs", "lib.rs", "architecture.rs"];
    let offenders: Vec<String> = files()
        .into_iter()
        .filter(|(f, text)| !allowed.contains(&f.as_str()) && text.contains("crate::app"))
        .map(|(f, _)| f)
        .collect();
    assert!(
        offenders.is_empty(),
        "import crate::state instead of crate::app in {offenders:?}"
    );
}

const PERSONAL_TABLES: &[&str] = &[
    "households",
    "household_parcels",
    "visits",
    "visit_revisions",
    "commitments",
    "next_visit_assignments",
    "grievances",
    "grievance_households",
    "case_stage_events",
    "household_revisions",
    "privacy_notices",
    "privacy_requests",
];

/// Whether `text` names `table` as a table in SQL (after FROM, JOIN, INTO, UPDATE) or as a
/// sea-query identifier (`Alias::new("table")`).
fn names_table(text: &str, table: &str) -> bool {
    let lower = text.to_lowercase();
    ["from ", "join ", "into ", "update "].iter().any(|kw| {
        lower.match_indices(&format!("{kw}{table}")).any(|(i, m)| {
            let end = i + m.len();
            !lower[end..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        })
    }) || lower.contains(&format!("alias::new(\"{table}\")"))
}

#[test]
fn personal_tables_are_named_only_in_scoped() {
    let mut offenders = Vec::new();
    for (f, text) in files() {
        if f.starts_with("scoped/") || f == "architecture.rs" {
            continue;
        }
        for t in PERSONAL_TABLES {
            if names_table(&text, t) {
                offenders.push(format!("{f}: {t}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "personal-data tables queried outside crate::scoped: {offenders:#?}"
    );
}

#[test]
fn the_table_check_sees_what_it_should() {
    assert!(names_table("SELECT * FROM households h", "households"));
    assert!(names_table("LEFT JOIN visits v ON", "visits"));
    assert!(names_table(
        "Query::select().from(Alias::new(\"grievances\"))",
        "grievances"
    ));
    assert!(!names_table("FROM households_backup", "households"));
    assert!(!names_table("the households of the area", "households"));
}
