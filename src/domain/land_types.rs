//! The official land-type codes (mã loại đất), one table for imports, tiles, the map legend,
//! exports and the legal rules.
//!
//! Sources:
//! - the land types of the Land Law 2024 (Luật Đất đai 31/2024/QH15) Art. 9: agricultural
//!   (clause 2), non-agricultural (clause 3) and unused land (clause 4);
//! - their codes and names as the annex of Circular 08/2024/TT-BTNMT (land statistics,
//!   inventory and land-use status maps, in force 1 Aug 2024) lists them; cadastral maps and
//!   cadastral databases use the same codes since;
//! - the codes of Circular 25/2014/TT-BTNMT (cadastral maps) and 28/2014/TT-BTNMT (statistics
//!   and inventory), and a few of Circular 08/2007/TT-BTNMT, still found in files made before
//!   2024, each mapped to the code that replaced it.
//!
//! The table was written from those texts; names are the circular's, English names are ours.
//! Group codes (`LUA` rice land, `CHN` annual crops, `NNP` agricultural land, …) are totals
//! of statistics, not a parcel's type: they are refused, with their member codes suggested.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::UnknownValue;

/// The three groups of Art. 9(1); the notice before recovery depends on it (Art. 85(1)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LandGroup {
    /// Nhóm đất nông nghiệp (Art. 9(2)).
    Agricultural,
    /// Nhóm đất phi nông nghiệp (Art. 9(3)).
    NonAgricultural,
    /// Nhóm đất chưa sử dụng (Art. 9(4)).
    Unused,
}

impl LandGroup {
    pub const ALL: &'static [LandGroup] = &[
        LandGroup::Agricultural,
        LandGroup::NonAgricultural,
        LandGroup::Unused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LandGroup::Agricultural => "agricultural",
            LandGroup::NonAgricultural => "non_agricultural",
            LandGroup::Unused => "unused",
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct LandType {
    pub code: LandUse,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    /// The group of the land type; for an old code, that of the code replacing it.
    pub group: LandGroup,
    /// Where the type is defined: `LĐĐ 2024 Art. 9(2)(a)`, or for an old code the circulars
    /// that used it.
    pub basis: &'static str,
    /// For a code from before 2024: the current code that replaced it.
    pub replaced_by: Option<LandUse>,
}

impl LandType {
    /// The name in `lang`.
    pub fn name(&self, lang: crate::i18n::Lang) -> &'static str {
        match lang {
            crate::i18n::Lang::Vi => self.name_vi,
            crate::i18n::Lang::En => self.name_en,
        }
    }
}

macro_rules! land_types {
    ($($variant:ident = $code:tt, $group:ident, $vi:literal, $en:literal, $basis:expr, $replaced:ident;)+) => {
        vocabulary! {
            /// The land-type codes gpmb knows: every current official code, then the older codes
            /// still found in files (each with its replacement, [`LandUse::current`]).
            LandUse { $($variant = $code),+ }
        }

        /// Every code, in [`LandUse::ALL`]'s order.
        pub static TABLE: &[LandType] = &[$(LandType {
            code: LandUse::$variant,
            name_vi: $vi,
            name_en: $en,
            group: LandGroup::$group,
            basis: $basis,
            replaced_by: land_types!(@replaced $replaced),
        }),+];
    };
    (@replaced Now) => { None };
    (@replaced $to:ident) => { Some(LandUse::$to) };
}

const TT_2014: &str = "TT 25/2014/TT-BTNMT, TT 28/2014/TT-BTNMT";
const TT_2007: &str = "TT 08/2007/TT-BTNMT";

land_types! {
    // Agricultural land, LĐĐ 2024 Art. 9(2).
    Luc = "LUC", Agricultural, "Đất chuyên trồng lúa", "Specialised rice land", "LĐĐ 2024 Art. 9(2)(a)", Now;
    Luk = "LUK", Agricultural, "Đất trồng lúa còn lại", "Other rice land", "LĐĐ 2024 Art. 9(2)(a)", Now;
    Hnk = "HNK", Agricultural, "Đất trồng cây hằng năm khác", "Other annual crop land", "LĐĐ 2024 Art. 9(2)(a)", Now;
    Cln = "CLN", Agricultural, "Đất trồng cây lâu năm", "Perennial crop land", "LĐĐ 2024 Art. 9(2)(b)", Now;
    Rdd = "RDD", Agricultural, "Đất rừng đặc dụng", "Special-use forest land", "LĐĐ 2024 Art. 9(2)(c)", Now;
    Rph = "RPH", Agricultural, "Đất rừng phòng hộ", "Protection forest land", "LĐĐ 2024 Art. 9(2)(c)", Now;
    Rsx = "RSX", Agricultural, "Đất rừng sản xuất", "Production forest land", "LĐĐ 2024 Art. 9(2)(c)", Now;
    Nts = "NTS", Agricultural, "Đất nuôi trồng thủy sản", "Aquaculture land", "LĐĐ 2024 Art. 9(2)(d)", Now;
    Cnt = "CNT", Agricultural, "Đất chăn nuôi tập trung", "Concentrated livestock farming land", "LĐĐ 2024 Art. 9(2)(đ)", Now;
    Lmu = "LMU", Agricultural, "Đất làm muối", "Salt-making land", "LĐĐ 2024 Art. 9(2)(e)", Now;
    Nkh = "NKH", Agricultural, "Đất nông nghiệp khác", "Other agricultural land", "LĐĐ 2024 Art. 9(2)(g)", Now;
    // Non-agricultural land, LĐĐ 2024 Art. 9(3).
    Ont = "ONT", NonAgricultural, "Đất ở tại nông thôn", "Rural residential land", "LĐĐ 2024 Art. 9(3)(a)", Now;
    Odt = "ODT", NonAgricultural, "Đất ở tại đô thị", "Urban residential land", "LĐĐ 2024 Art. 9(3)(a)", Now;
    Tsc = "TSC", NonAgricultural, "Đất xây dựng trụ sở cơ quan", "Government office land", "LĐĐ 2024 Art. 9(3)(b)", Now;
    Cqp = "CQP", NonAgricultural, "Đất quốc phòng", "Defence land", "LĐĐ 2024 Art. 9(3)(c)", Now;
    Can = "CAN", NonAgricultural, "Đất an ninh", "Security land", "LĐĐ 2024 Art. 9(3)(c)", Now;
    Dvh = "DVH", NonAgricultural, "Đất xây dựng cơ sở văn hóa", "Cultural facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Dxh = "DXH", NonAgricultural, "Đất xây dựng cơ sở xã hội", "Social facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Dyt = "DYT", NonAgricultural, "Đất xây dựng cơ sở y tế", "Health facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Dgd = "DGD", NonAgricultural, "Đất xây dựng cơ sở giáo dục và đào tạo", "Education and training facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Dtt = "DTT", NonAgricultural, "Đất xây dựng cơ sở thể dục, thể thao", "Sports facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Dkh = "DKH", NonAgricultural, "Đất xây dựng cơ sở khoa học và công nghệ", "Science and technology facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Dmt = "DMT", NonAgricultural, "Đất xây dựng cơ sở môi trường", "Environmental facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Dkt = "DKT", NonAgricultural, "Đất xây dựng cơ sở khí tượng thủy văn", "Hydro-meteorological facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Dng = "DNG", NonAgricultural, "Đất xây dựng cơ sở ngoại giao", "Diplomatic facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Dsk = "DSK", NonAgricultural, "Đất xây dựng công trình sự nghiệp khác", "Other public-service facility land", "LĐĐ 2024 Art. 9(3)(d)", Now;
    Skk = "SKK", NonAgricultural, "Đất khu công nghiệp", "Industrial park land", "LĐĐ 2024 Art. 9(3)(đ)", Now;
    Skn = "SKN", NonAgricultural, "Đất cụm công nghiệp", "Industrial cluster land", "LĐĐ 2024 Art. 9(3)(đ)", Now;
    Tmd = "TMD", NonAgricultural, "Đất thương mại, dịch vụ", "Commercial and service land", "LĐĐ 2024 Art. 9(3)(đ)", Now;
    Skc = "SKC", NonAgricultural, "Đất cơ sở sản xuất phi nông nghiệp", "Non-agricultural production facility land", "LĐĐ 2024 Art. 9(3)(đ)", Now;
    Sks = "SKS", NonAgricultural, "Đất sử dụng cho hoạt động khoáng sản", "Mining land", "LĐĐ 2024 Art. 9(3)(đ)", Now;
    Dgt = "DGT", NonAgricultural, "Đất công trình giao thông", "Transport land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Dtl = "DTL", NonAgricultural, "Đất công trình thủy lợi", "Irrigation land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Dct = "DCT", NonAgricultural, "Đất công trình cấp nước, thoát nước", "Water supply and drainage land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Dpc = "DPC", NonAgricultural, "Đất công trình phòng, chống thiên tai", "Disaster prevention works land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Ddd = "DDD", NonAgricultural, "Đất có di tích lịch sử - văn hóa, danh lam thắng cảnh, di sản thiên nhiên", "Historical and cultural relic, scenic spot and natural heritage land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Dra = "DRA", NonAgricultural, "Đất công trình xử lý chất thải", "Waste treatment land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Dnl = "DNL", NonAgricultural, "Đất công trình năng lượng, chiếu sáng công cộng", "Energy and public lighting land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Dbv = "DBV", NonAgricultural, "Đất công trình hạ tầng bưu chính, viễn thông, công nghệ thông tin", "Postal, telecommunication and IT infrastructure land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Dch = "DCH", NonAgricultural, "Đất chợ dân sinh, chợ đầu mối", "Market land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Dkv = "DKV", NonAgricultural, "Đất khu vui chơi, giải trí công cộng, sinh hoạt cộng đồng", "Public recreation and community activity land", "LĐĐ 2024 Art. 9(3)(e)", Now;
    Ton = "TON", NonAgricultural, "Đất tôn giáo", "Religious land", "LĐĐ 2024 Art. 9(3)(g)", Now;
    Tin = "TIN", NonAgricultural, "Đất tín ngưỡng", "Belief (worship) land", "LĐĐ 2024 Art. 9(3)(g)", Now;
    Ntd = "NTD", NonAgricultural, "Đất nghĩa trang, nhà tang lễ, cơ sở hỏa táng; đất cơ sở lưu giữ tro cốt", "Cemetery, funeral home, crematorium and ash repository land", "LĐĐ 2024 Art. 9(3)(h)", Now;
    Son = "SON", NonAgricultural, "Đất có mặt nước dạng sông, ngòi, kênh, rạch, suối", "River, canal and stream land", "LĐĐ 2024 Art. 9(3)(i)", Now;
    Mnc = "MNC", NonAgricultural, "Đất có mặt nước chuyên dùng dạng ao, hồ, đầm, phá", "Special-use water surface (pond, lake, lagoon)", "LĐĐ 2024 Art. 9(3)(i)", Now;
    Pnk = "PNK", NonAgricultural, "Đất phi nông nghiệp khác", "Other non-agricultural land", "LĐĐ 2024 Art. 9(3)(k)", Now;
    // Unused land, LĐĐ 2024 Art. 9(4).
    Bcs = "BCS", Unused, "Đất bằng chưa sử dụng", "Unused flat land", "LĐĐ 2024 Art. 9(4)", Now;
    Dcs = "DCS", Unused, "Đất đồi núi chưa sử dụng", "Unused hill and mountain land", "LĐĐ 2024 Art. 9(4)", Now;
    Ncs = "NCS", Unused, "Núi đá không có rừng cây", "Rocky mountain without forest", "LĐĐ 2024 Art. 9(4)", Now;
    Mcs = "MCS", Unused, "Đất có mặt nước chưa sử dụng", "Unused water surface", "LĐĐ 2024 Art. 9(4)", Now;
    // Codes from before 2024 and what replaced them.
    Lun = "LUN", Agricultural, "Đất trồng lúa nương", "Upland rice land (old code)", TT_2014, Luk;
    Bhk = "BHK", Agricultural, "Đất bằng trồng cây hàng năm khác", "Flat land for other annual crops (old code)", TT_2014, Hnk;
    Nhk = "NHK", Agricultural, "Đất nương rẫy trồng cây hàng năm khác", "Shifting-cultivation land for other annual crops (old code)", TT_2014, Hnk;
    Coc = "COC", Agricultural, "Đất cỏ dùng vào chăn nuôi", "Grassland for livestock (old code)", TT_2007, Hnk;
    Lnc = "LNC", Agricultural, "Đất trồng cây công nghiệp lâu năm", "Perennial industrial crop land (old code)", TT_2007, Cln;
    Lnq = "LNQ", Agricultural, "Đất trồng cây ăn quả lâu năm", "Perennial fruit tree land (old code)", TT_2007, Cln;
    Lnk = "LNK", Agricultural, "Đất trồng cây lâu năm khác", "Other perennial crop land (old code)", TT_2007, Cln;
    Dts = "DTS", NonAgricultural, "Đất xây dựng trụ sở của tổ chức sự nghiệp", "Public-service organisation office land (old code)", TT_2014, Dsk;
    Ddt = "DDT", NonAgricultural, "Đất có di tích lịch sử - văn hóa", "Historical and cultural relic land (old code)", TT_2014, Ddd;
    Ddl = "DDL", NonAgricultural, "Đất danh lam thắng cảnh", "Scenic spot land (old code)", TT_2014, Ddd;
    Dsh = "DSH", NonAgricultural, "Đất sinh hoạt cộng đồng", "Community activity land (old code)", TT_2014, Dkv;
    // No named successor in Art. 9(3)(e)'s closed list: other non-agricultural land, (k).
    Dck = "DCK", NonAgricultural, "Đất công trình công cộng khác", "Other public works land (old code)", TT_2014, Pnk;
    Skt = "SKT", NonAgricultural, "Đất khu chế xuất", "Export processing zone land (old code)", TT_2014, Skk;
    Skx = "SKX", NonAgricultural, "Đất sản xuất vật liệu xây dựng, làm đồ gốm", "Building material and pottery production land (old code)", TT_2014, Skc;
}

/// Statistics' group codes and the parcel codes they total: offered when a file names one.
const GROUP_CODES: &[(&str, &[LandUse])] = {
    #[allow(
        clippy::enum_glob_use,
        reason = "a table of codes, read as the circular writes them"
    )]
    use LandUse::*;
    &[
        ("LUA", &[Luc, Luk]),
        ("CHN", &[Luc, Luk, Hnk]),
        ("SXN", &[Luc, Luk, Hnk, Cln]),
        ("LNP", &[Rdd, Rph, Rsx]),
        ("OTC", &[Ont, Odt]),
        ("OCT", &[Ont, Odt]),
        ("CQA", &[Cqp, Can]),
        ("DSN", &[Dvh, Dxh, Dyt, Dgd, Dtt, Dkh, Dmt, Dkt, Dng, Dsk]),
        ("CSK", &[Skk, Skn, Tmd, Skc, Sks]),
        ("CCC", &[Dgt, Dtl, Dct, Dpc, Ddd, Dra, Dnl, Dbv, Dch, Dkv]),
        ("TVC", &[Son, Mnc]),
        ("SMN", &[Son, Mnc]),
        ("CSD", &[Bcs, Dcs, Ncs, Mcs]),
    ]
};

/// At most this many codes are suggested for an unknown one.
pub const MAX_SUGGESTIONS: usize = 5;

impl LandUse {
    /// The table's row for this code.
    pub fn info(self) -> &'static LandType {
        // TABLE is built in ALL's order (checked by a test).
        &TABLE[self as usize]
    }

    /// The code to record: the code itself, or for an old code the one that replaced it.
    #[must_use]
    pub fn current(self) -> LandUse {
        self.info().replaced_by.unwrap_or(self)
    }

    pub fn is_current(self) -> bool {
        self.info().replaced_by.is_none()
    }

    pub fn group(self) -> LandGroup {
        self.info().group
    }

    /// The codes in force, in the table's order.
    pub fn current_codes() -> impl Iterator<Item = LandUse> {
        LandUse::ALL.iter().copied().filter(|l| l.is_current())
    }
}

/// A code as a file writes it: surrounding blanks and case do not matter (`luc ` is LUC).
fn normalise(raw: &str) -> String {
    raw.trim().to_uppercase()
}

/// A code that is not in the table, with the nearest codes in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLandUse {
    /// The code as given (trimmed).
    pub value: String,
    /// Current codes close to it, nearest first (empty when none is close).
    pub suggestions: Vec<&'static str>,
}

impl UnknownLandUse {
    /// `unknown land use `LUX`; did you mean LUC, LUK?` (English, for logs and API clients).
    pub fn reason(&self) -> String {
        if self.suggestions.is_empty() {
            format!(
                "unknown land use `{}`: not an official land-type code (Circular 08/2024/TT-BTNMT); GET /api/v1/land-types lists them",
                self.value
            )
        } else {
            format!(
                "unknown land use `{}`: not an official land-type code; did you mean {}?",
                self.value,
                self.suggestions.join(", ")
            )
        }
    }
}

/// The code `raw` names, as given: current or old (see [`LandUse::current`]).
pub fn lookup(raw: &str) -> Result<LandUse, UnknownLandUse> {
    let code = normalise(raw);
    LandUse::parse(&code).ok_or_else(|| UnknownLandUse {
        value: raw.trim().to_string(),
        suggestions: suggest(&code),
    })
}

/// The current codes nearest to an unknown `code`: a group code's members (`LUA` → LUC,
/// LUK), else the codes one edit away (`LUX` → LUC, LUK), else two edits away with the same
/// first letter; at most [`MAX_SUGGESTIONS`], nearest first.
pub fn suggest(code: &str) -> Vec<&'static str> {
    let code = normalise(code);
    if let Some((_, members)) = GROUP_CODES.iter().find(|(g, _)| *g == code) {
        return members
            .iter()
            .take(MAX_SUGGESTIONS)
            .map(|l| l.as_str())
            .collect();
    }
    if code.is_empty() || code.chars().count() > 8 {
        return Vec::new();
    }
    let first = code.chars().next();
    // An old code one edit away counts as its current code.
    let mut scored: Vec<(usize, usize, LandUse)> = LandUse::ALL
        .iter()
        .enumerate()
        .filter_map(|(order, l)| {
            let d = distance(&code, l.as_str());
            let close = d <= 1 || (d == 2 && l.as_str().chars().next() == first);
            close.then_some((d, order, l.current()))
        })
        .collect();
    scored.sort_by_key(|(d, order, _)| (*d, *order));
    let mut out: Vec<&'static str> = Vec::new();
    for (_, _, l) in scored {
        if !out.contains(&l.as_str()) && out.len() < MAX_SUGGESTIONS {
            out.push(l.as_str());
        }
    }
    out
}

/// Optimal string alignment distance (Levenshtein with adjacent swaps: `LCU` is one from LUC).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_table_follows_the_vocabulary_one_row_per_code() {
        assert_eq!(TABLE.len(), LandUse::ALL.len());
        for (row, code) in TABLE.iter().zip(LandUse::ALL) {
            assert_eq!(row.code, *code);
            assert!(!row.name_vi.is_empty() && !row.name_en.is_empty());
            assert_eq!(code.info().code, *code);
        }
        let texts: HashSet<&str> = LandUse::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(texts.len(), LandUse::ALL.len(), "codes are unique");
        assert!(LandUse::ALL
            .iter()
            .all(|l| l.as_str().len() == 3 && l.as_str().chars().all(|c| c.is_ascii_uppercase())));
    }

    #[test]
    fn every_group_of_article_9_has_its_codes() {
        let count = |g: LandGroup| LandUse::current_codes().filter(|l| l.group() == g).count();
        assert_eq!(count(LandGroup::Agricultural), 11);
        assert_eq!(count(LandGroup::NonAgricultural), 36);
        assert_eq!(count(LandGroup::Unused), 4);
        for code in ["LUC", "LUK", "HNK", "CNT", "RSX", "NTS", "LMU", "NKH"] {
            assert_eq!(
                lookup(code).map(LandUse::group),
                Ok(LandGroup::Agricultural)
            );
        }
        for code in [
            "ONT", "ODT", "DGT", "DTL", "TMD", "SKC", "NTD", "SON", "MNC", "PNK",
        ] {
            assert_eq!(
                lookup(code).map(LandUse::group),
                Ok(LandGroup::NonAgricultural)
            );
        }
        for code in ["BCS", "DCS", "NCS", "MCS"] {
            assert_eq!(lookup(code).map(LandUse::group), Ok(LandGroup::Unused));
        }
    }

    #[test]
    fn old_codes_map_to_current_codes_of_the_same_group() {
        for l in LandUse::ALL {
            let now = l.current();
            assert!(now.is_current(), "{l} maps to an old code");
            assert_eq!(l.group(), now.group(), "{l} changes group");
        }
        assert_eq!(lookup("BHK").map(LandUse::current), Ok(LandUse::Hnk));
        assert_eq!(lookup("nhk").map(LandUse::current), Ok(LandUse::Hnk));
        assert_eq!(lookup(" LUN ").map(LandUse::current), Ok(LandUse::Luk));
        assert_eq!(lookup("DDT").map(LandUse::current), Ok(LandUse::Ddd));
        assert!(!LandUse::Bhk.is_current() && LandUse::Luc.is_current());
    }

    #[test]
    fn unknown_codes_get_the_nearest_current_ones() {
        let e = lookup("LUX").unwrap_err();
        assert_eq!(e.value, "LUX");
        assert_eq!(&e.suggestions[..2], &["LUC", "LUK"]);
        assert!(e.reason().contains("LUC, LUK"));
        // A swap is one edit; an old code one edit away is offered as its current code.
        assert_eq!(suggest("LCU").first(), Some(&"LUC"));
        assert!(suggest("BHX").contains(&"HNK"));
        // Group codes offer their members.
        assert_eq!(suggest("LUA"), vec!["LUC", "LUK"]);
        assert_eq!(lookup("OTC").unwrap_err().suggestions, vec!["ONT", "ODT"]);
        // Nothing close: nothing suggested, no more than the cap otherwise.
        assert!(suggest("QQQ").is_empty());
        assert!(suggest("ĐẤT Ở TẠI NÔNG THÔN").is_empty());
        assert!(suggest("DXX").len() <= MAX_SUGGESTIONS);
        assert!(suggest("").is_empty());
    }
}
