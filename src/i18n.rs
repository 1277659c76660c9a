//! The server side of the i18n catalogue: the same JSON files the web pages load
//! (`web/i18n/<lang>/<namespace>.json`), for server-rendered pages, reports and exports.
use std::collections::HashMap;

use crate::web::Assets;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// `en` picks English; anything else (or nothing) is Vietnamese.
    pub fn parse(value: Option<&str>) -> Lang {
        match value {
            Some(v) if v.eq_ignore_ascii_case("en") || v.starts_with("en-") => Lang::En,
            _ => Lang::Vi,
        }
    }
}

/// All keys of every namespace of one language. Build it once and keep it (AppState or a
/// local in a CLI command); it is cheap to clone behind an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    lang: Lang,
    texts: HashMap<String, String>,
}

impl Catalogue {
    pub fn load(lang: Lang) -> Catalogue {
        let prefix = format!("i18n/{}/", lang.code());
        let mut texts = HashMap::new();
        for path in Assets::iter().filter(|p| p.starts_with(&prefix) && p.ends_with(".json")) {
            let Some(file) = Assets::get(&path) else {
                continue;
            };
            match serde_json::from_slice::<HashMap<String, String>>(&file.data) {
                Ok(map) => texts.extend(map),
                Err(err) => {
                    tracing::error!(%path, %err, "i18n catalogue is not a flat JSON object");
                }
            }
        }
        Catalogue { lang, texts }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The text for `key`, or the key itself so a missing entry is visible, not blank.
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts.get(key).map_or(key, String::as_str)
    }

    /// `t` with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, vars: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in vars {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let vi = Catalogue::load(Lang::Vi);
        let en = Catalogue::load(Lang::En);
        let mut missing: Vec<_> = vi
            .texts
            .keys()
            .filter(|k| !en.texts.contains_key(*k))
            .collect();
        missing.extend(en.texts.keys().filter(|k| !vi.texts.contains_key(*k)));
        assert!(missing.is_empty(), "keys in one language only: {missing:?}");
        assert_eq!(vi.t("nav.map"), "Bản đồ");
        assert_eq!(en.t("nav.map"), "Map");
        assert_eq!(vi.t("no.such.key"), "no.such.key");
    }
}
