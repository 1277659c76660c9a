//! Diacritic-insensitive search keys for Vietnamese names and addresses.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds `s` into a search key: "ĐẶNG  Thị Ánh" → "dang thi anh".
///
/// Field staff often type names without diacritics (or with a different input
/// method), so both the stored key and the query go through this function.
///
/// Steps: lower-case, compatibility-decompose (NFKD), drop combining marks,
/// map đ → d, collapse whitespace runs to one space, trim. NFKD rather than NFD
/// so that full-width letters and ligatures from some phone keyboards and
/// pasted documents fold to plain letters too; for Vietnamese text the two agree.
pub fn fold(s: &str) -> String {
    // Lower-casing first: some capitals lower-case into a letter plus a combining
    // mark (İ → i̇), which the decomposition below then drops.
    let lowered = s.to_lowercase();
    let mut out = String::with_capacity(lowered.len());
    let mut pending_space = false;
    for c in lowered.nfkd().flat_map(char::to_lowercase) {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        let c = match c {
            // đ has no decomposition; ð (Icelandic eth) shows up in legacy-encoded
            // Vietnamese text where Đ was meant.
            'đ' | 'ð' => 'd',
            // A few symbols (e.g. 🅐) are upper-case with no lower-case form; they
            // carry nothing useful for a name search.
            c if c.is_uppercase() => continue,
            c => c,
        };
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_vietnamese_names() {
        assert_eq!(fold("Nguyễn Văn A"), "nguyen van a");
        assert_eq!(fold("ĐẶNG  Thị Ánh"), "dang thi anh");
        assert_eq!(fold("Phạm Thị Hường"), "pham thi huong");
        assert_eq!(fold("Trần Đức Lưỡng"), "tran duc luong");
        assert_eq!(fold("Bình Sơn, Quảng Ngãi"), "binh son, quang ngai");
    }

    #[test]
    fn decomposed_input_folds_like_precomposed() {
        let nfd: String = "Nguyễn Văn Ánh".nfd().collect();
        assert_eq!(fold(&nfd), "nguyen van anh");
    }

    #[test]
    fn whitespace_is_collapsed_and_trimmed() {
        assert_eq!(fold("  Lê\t\tVăn \n Tám  "), "le van tam");
        assert_eq!(fold("\u{00A0}Hồ\u{3000}Thị\u{00A0}"), "ho thi");
        assert_eq!(fold(""), "");
        assert_eq!(fold("   "), "");
    }

    #[test]
    fn compatibility_forms_and_legacy_letters() {
        assert_eq!(fold("ＮＧＵＹＥＮ"), "nguyen");
        assert_eq!(fold("Ðặng"), "dang");
        assert_eq!(fold("İ"), "i");
    }

    #[test]
    fn plain_ascii_is_only_lowercased() {
        assert_eq!(fold("HP-DQ2 thua 123/45"), "hp-dq2 thua 123/45");
    }

    fn check_folded(f: &str) -> Result<(), TestCaseError> {
        prop_assert_eq!(fold(f), f.to_string());
        prop_assert!(!f.chars().any(char::is_uppercase), "uppercase in {:?}", f);
        prop_assert!(!f.chars().any(is_combining_mark), "mark in {:?}", f);
        prop_assert!(!f.contains("  ") && f.trim() == f, "spacing in {:?}", f);
        Ok(())
    }

    proptest! {
        #[test]
        fn idempotent_on_any_text(s in "\\PC{0,40}") {
            check_folded(&fold(&s))?;
        }

        #[test]
        fn idempotent_on_any_chars(s in any::<String>()) {
            check_folded(&fold(&s))?;
        }

        #[test]
        fn idempotent_on_vietnamese_text(
            s in "[ a-zA-ZàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ\t]{0,40}"
        ) {
            let f = fold(&s);
            check_folded(&f)?;
            // Vietnamese letters fold to plain ASCII.
            prop_assert!(f.is_ascii(), "{:?}", f);
        }
    }
}
