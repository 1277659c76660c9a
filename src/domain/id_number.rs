//! Vietnamese personal ID numbers as household registers hold them: the 9-digit CMND (chứng
//! minh nhân dân, still found in older registers) and the 12-digit CCCD (căn cước công dân,
//! personal identification number). A CCCD reads `PPP S YY NNNNNN`: PPP the province where the
//! number was issued (the 63 pre-2025 province codes, Circular 07/2016/TT-BCA), S the sex and
//! century digit (0/1 a man/woman born in the 20th century, 2/3 the 21st, 4/5 the 22nd, …), YY
//! the last two digits of the birth year, then six random digits. Pure functions, no I/O.

/// The province codes a CCCD may start with (the 63 provinces before the 2025 reform; numbers
/// issued since keep them).
pub const CCCD_PROVINCES: [(&str, &str); 63] = [
    ("001", "Hà Nội"),
    ("002", "Hà Giang"),
    ("004", "Cao Bằng"),
    ("006", "Bắc Kạn"),
    ("008", "Tuyên Quang"),
    ("010", "Lào Cai"),
    ("011", "Điện Biên"),
    ("012", "Lai Châu"),
    ("014", "Sơn La"),
    ("015", "Yên Bái"),
    ("017", "Hòa Bình"),
    ("019", "Thái Nguyên"),
    ("020", "Lạng Sơn"),
    ("022", "Quảng Ninh"),
    ("024", "Bắc Giang"),
    ("025", "Phú Thọ"),
    ("026", "Vĩnh Phúc"),
    ("027", "Bắc Ninh"),
    ("030", "Hải Dương"),
    ("031", "Hải Phòng"),
    ("033", "Hưng Yên"),
    ("034", "Thái Bình"),
    ("035", "Hà Nam"),
    ("036", "Nam Định"),
    ("037", "Ninh Bình"),
    ("038", "Thanh Hóa"),
    ("040", "Nghệ An"),
    ("042", "Hà Tĩnh"),
    ("044", "Quảng Bình"),
    ("045", "Quảng Trị"),
    ("046", "Thừa Thiên Huế"),
    ("048", "Đà Nẵng"),
    ("049", "Quảng Nam"),
    ("051", "Quảng Ngãi"),
    ("052", "Bình Định"),
    ("054", "Phú Yên"),
    ("056", "Khánh Hòa"),
    ("058", "Ninh Thuận"),
    ("060", "Bình Thuận"),
    ("062", "Kon Tum"),
    ("064", "Gia Lai"),
    ("066", "Đắk Lắk"),
    ("067", "Đắk Nông"),
    ("068", "Lâm Đồng"),
    ("070", "Bình Phước"),
    ("072", "Tây Ninh"),
    ("074", "Bình Dương"),
    ("075", "Đồng Nai"),
    ("077", "Bà Rịa - Vũng Tàu"),
    ("079", "Hồ Chí Minh"),
    ("080", "Long An"),
    ("082", "Tiền Giang"),
    ("083", "Bến Tre"),
    ("084", "Trà Vinh"),
    ("086", "Vĩnh Long"),
    ("087", "Đồng Tháp"),
    ("089", "An Giang"),
    ("091", "Kiên Giang"),
    ("092", "Cần Thơ"),
    ("093", "Hậu Giang"),
    ("094", "Sóc Trăng"),
    ("095", "Bạc Liêu"),
    ("096", "Cà Mau"),
];

/// The province a CCCD's first three digits name.
pub fn province_of(code: &str) -> Option<&'static str> {
    CCCD_PROVINCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// Why an ID number is refused: a stable code (the catalogue key `import.code.<code>`) and
/// what the message needs, as `(name, value)` pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdProblem {
    pub code: &'static str,
    pub details: Vec<(&'static str, String)>,
    pub message: String,
}

impl IdProblem {
    fn new(code: &'static str, details: Vec<(&'static str, String)>, message: String) -> Self {
        IdProblem {
            code,
            details,
            message,
        }
    }
}

/// The birth year a CCCD encodes (from its century digit and two year digits). `id` must be
/// 12 ASCII digits.
pub fn cccd_birth_year(id: &str) -> Option<i32> {
    let b = id.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let century = i32::from(b[3] - b'0') / 2;
    let yy = i32::from(b[4] - b'0') * 10 + i32::from(b[5] - b'0');
    Some(1900 + century * 100 + yy)
}

/// Checks an ID number: 9 digits (CMND) or 12 digits (CCCD with a known province code and, when
/// the birth year is known, the century and year digits agreeing with it). Answers the number.
pub fn check(raw: &str, birth_year: Option<i32>) -> Result<String, IdProblem> {
    let s = raw.trim();
    let length = s.chars().count();
    if !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(IdProblem::new(
            "id_number_not_digits",
            vec![("value", s.to_string())],
            format!("the ID number `{s}` must be digits only: 12 digits for a CCCD (e.g. 051090012345) or 9 for an old CMND"),
        ));
    }
    match length {
        9 => Ok(s.to_string()),
        12 => {
            let province = &s[..3];
            if province_of(province).is_none() {
                return Err(IdProblem::new(
                    "id_number_unknown_province",
                    vec![("value", s.to_string()), ("province", province.to_string())],
                    format!("CCCD {s} starts with {province}, which is no province code (001 Hà Nội … 096 Cà Mau; 051 is Quảng Ngãi)"),
                ));
            }
            if let (Some(born), Some(encoded)) = (birth_year, cccd_birth_year(s)) {
                if born != encoded {
                    return Err(IdProblem::new(
                        "id_number_birth_year_mismatch",
                        vec![
                            ("value", s.to_string()),
                            ("id_year", encoded.to_string()),
                            ("birth_year", born.to_string()),
                        ],
                        format!("CCCD {s} is of someone born in {encoded} (digits 4 to 6), but the register gives the birth year {born}"),
                    ));
                }
            }
            Ok(s.to_string())
        }
        n => Err(IdProblem::new(
            "id_number_length",
            vec![("value", s.to_string()), ("length", n.to_string())],
            format!("the ID number `{s}` has {n} digits; a CCCD has 12 digits (e.g. 051090012345), an old CMND 9"),
        )),
    }
}

/// A number read from a numeric spreadsheet cell, which loses its leading zeros: padded back to
/// 12 (CCCD, from 10 or 11 digits) or 9 (CMND, from 7 or 8) digits. The caller checks the
/// result with [`check`] and keeps it only when valid.
pub fn pad_lost_zeros(digits: &str) -> Option<String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let target = match digits.len() {
        10 | 11 => 12,
        7 | 8 => 9,
        _ => return None,
    };
    Some(format!("{digits:0>target$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_three_distinct_province_codes() {
        let mut codes: Vec<&str> = CCCD_PROVINCES.iter().map(|p| p.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 63);
        assert_eq!(codes.first(), Some(&"001"));
        assert_eq!(codes.last(), Some(&"096"));
        assert_eq!(province_of("051"), Some("Quảng Ngãi"));
        assert_eq!(province_of("003"), None);
    }

    #[test]
    fn valid_cccd_and_cmnd() {
        assert_eq!(check("051090012345", None).as_deref(), Ok("051090012345"));
        assert_eq!(check(" 001203012345 ", None).as_deref(), Ok("001203012345"));
        assert_eq!(check("212345678", None).as_deref(), Ok("212345678"));
        // Every sex/century digit is a digit; with no birth year only that is checked.
        for d in 0..=9 {
            assert!(check(&format!("051{d}90012345"), None).is_ok(), "{d}");
        }
        assert_eq!(
            check("051090012345", Some(1990)).as_deref(),
            Ok("051090012345")
        );
        assert_eq!(
            check("051105012345", Some(1905)).as_deref(),
            Ok("051105012345")
        );
        assert_eq!(
            check("079303012345", Some(2003)).as_deref(),
            Ok("079303012345")
        );
        assert_eq!(
            check("079403012345", Some(2103)).as_deref(),
            Ok("079403012345")
        );
        assert_eq!(cccd_birth_year("051290000001"), Some(2090));
    }

    #[test]
    fn invalid_numbers_say_why() {
        let code = |s: &str, y: Option<i32>| check(s, y).map_err(|e| e.code);
        assert_eq!(code("05109001234", None), Err("id_number_length"));
        assert_eq!(code("0510900123456", None), Err("id_number_length"));
        assert_eq!(code("12345", None), Err("id_number_length"));
        assert_eq!(code("05109001234x", None), Err("id_number_not_digits"));
        assert_eq!(code("051 090 012345", None), Err("id_number_not_digits"));
        assert_eq!(
            code("003090012345", None),
            Err("id_number_unknown_province")
        );
        assert_eq!(
            code("097090012345", None),
            Err("id_number_unknown_province")
        );
        assert_eq!(
            code("123456789012", None),
            Err("id_number_unknown_province")
        );
        assert_eq!(
            code("051090012345", Some(1991)),
            Err("id_number_birth_year_mismatch")
        );
        // Born in 1990 but the century digit says 21st century.
        assert_eq!(
            code("051290012345", Some(1990)),
            Err("id_number_birth_year_mismatch")
        );
        let e = check("003090012345", None).unwrap_err();
        assert_eq!(e.details[1], ("province", "003".to_string()));
    }

    #[test]
    fn lost_leading_zeros_come_back_only_as_a_valid_number() {
        let fixed = |s: &str, y| pad_lost_zeros(s).and_then(|p| check(&p, y).ok());
        assert_eq!(fixed("51090012345", None).as_deref(), Some("051090012345"));
        assert_eq!(fixed("1090012345", None).as_deref(), Some("001090012345"));
        assert_eq!(fixed("12345678", None).as_deref(), Some("012345678"));
        // 0 + 97… is no province code; the year disagrees with 1970.
        assert_eq!(fixed("97090012345", None), None);
        assert_eq!(fixed("51090012345", Some(1970)), None);
        assert_eq!(pad_lost_zeros("051090012345"), None);
        assert_eq!(pad_lost_zeros("123"), None);
    }
}
