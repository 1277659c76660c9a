//! How a CCCD number is shown: masked everywhere (lists, search, the case file, the field app,
//! exports) unless a reader who may see personal data asks for it, and that reveal is audited.

/// What may be asked for in full with `?reveal=`.
pub const REVEALABLE: &[&str] = &["id_number"];

/// `051090012345` → `051*******45`: the first 3 characters (the province of registration)
/// and the last 2 stay, every other one becomes `*`; a value of 5 characters or fewer is
/// all `*`.
pub fn mask_id_number(s: &str) -> String {
    let n = s.chars().count();
    if n <= 5 {
        return "*".repeat(n);
    }
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < 3 || i >= n - 2 { c } else { '*' })
        .collect()
}

/// `Some` masked, `None` stays `None`.
pub fn mask_opt(s: Option<String>) -> Option<String> {
    s.map(|s| mask_id_number(&s))
}

/// Whether `?reveal=` asks for the CCCD in full; anything else there is a 400.
pub fn wants_id_number(reveal: Option<&str>) -> crate::error::AppResult<bool> {
    match reveal.map(str::trim) {
        None | Some("") => Ok(false),
        Some(r) if REVEALABLE.contains(&r) => Ok(true),
        Some(r) => Err(crate::error::AppError::BadRequest(format!(
            "reveal=`{r}` is not offered; use reveal=id_number"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_three_and_last_two() {
        assert_eq!(mask_id_number("051090012345"), "051*******45");
        assert_eq!(mask_id_number("001234"), "001*34");
        assert_eq!(mask_id_number("12345"), "*****");
        assert_eq!(mask_id_number(""), "");
        assert_eq!(mask_opt(None), None);
    }

    #[test]
    fn masked_never_contains_the_middle() {
        let full = "051090012345";
        let masked = mask_id_number(full);
        assert_eq!(masked.chars().count(), full.chars().count());
        assert!(!masked.contains("0900123"));
    }

    #[test]
    fn only_id_number_can_be_revealed() {
        assert!(matches!(wants_id_number(Some("id_number")), Ok(true)));
        assert!(matches!(wants_id_number(None), Ok(false)));
        assert!(wants_id_number(Some("phone")).is_err());
    }
}
