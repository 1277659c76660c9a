//! Extractors that turn axum's plain-text rejections into the JSON error envelope.
use axum::extract::{FromRequest, FromRequestParts};

use crate::error::AppError;

/// A JSON body, refused with a 422 when a string holds U+0000: PostgreSQL cannot store it and
/// SQLite would, so both refuse it here alike.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let (parts, body) = req.into_parts();
        // `Bytes` keeps the body limit; the body is then handed to axum's own JSON reader so
        // its content-type and syntax errors stay as they are.
        let bytes = axum::body::Bytes::from_request(
            axum::extract::Request::from_parts(parts.clone(), body),
            state,
        )
        .await
        .map_err(|r| match r.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(
                "the request body is larger than this endpoint accepts".into(),
            ),
            _ => AppError::BadRequest(format!("the body cannot be read: {}", r.body_text())),
        })?;
        if json_has_nul(&bytes) {
            return Err(AppError::invalid(
                "nul_character",
                crate::error::NUL_MESSAGE,
            ));
        }
        let req = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

/// Whether a JSON text holds the escape `\u0000` (a raw NUL is not valid JSON anyway). Escapes
/// are followed one by one, so an escaped backslash before `u0000` is plain text.
fn json_has_nul(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Content types a raw-body upload takes besides `application/octet-stream`, per kind of file.
/// None of them is one an HTML form on another site can send without a CORS preflight.
pub mod upload {
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    /// GeoJSON or a zipped Shapefile (parcel import, project boundary).
    pub const GEO: &[&str] = &[
        "application/geo+json",
        "application/json",
        "application/zip",
        "application/x-zip-compressed",
    ];
    /// A CSV or XLSX register (Windows labels CSV files `application/vnd.ms-excel`).
    pub const REGISTER: &[&str] = &["text/csv", XLSX, "application/vnd.ms-excel"];
    /// An XLSX workbook.
    pub const WORKBOOK: &[&str] = &[XLSX, "application/vnd.ms-excel"];
}

/// Refuses (415) a raw-body upload whose `Content-Type` is missing or not
/// `application/octet-stream` or one of `accepted`: `text/plain`, form encodings and a missing
/// type are what a cross-site HTML form sends, so an upload never runs on a forged form post.
pub fn require_upload_type(
    headers: &axum::http::HeaderMap,
    accepted: &[&str],
) -> Result<(), AppError> {
    let sent = headers
        .get(axum::http::header::CONTENT_TYPE)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|t| !t.is_empty());
    if let Some(t) = &sent {
        if t == "application/octet-stream" || accepted.contains(&t.as_str()) {
            return Ok(());
        }
    }
    let got = match &sent {
        Some(t) => format!("`{}`", t.chars().take(100).collect::<String>()),
        None => "no Content-Type".to_string(),
    };
    Err(AppError::UnsupportedMediaType(format!(
        "send the file itself as the body with `Content-Type: application/octet-stream` or one of {} (got {got})",
        accepted
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// The version a client read, from `If-Match` (`3`, `"3"` or `W/"3"`): 428 without it, 400 when
/// it is not a version. `what` names the resource in the messages ("parcel", "household"…).
pub fn if_match(headers: &axum::http::HeaderMap, what: &str) -> Result<i32, AppError> {
    let raw = match headers.get(axum::http::header::IF_MATCH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| AppError::BadRequest("If-Match must be ASCII, e.g. \"3\"".into()))?,
        ),
    };
    parse_if_match(raw, what)
}

/// [`if_match`] on the header's text.
pub fn parse_if_match(raw: Option<&str>, what: &str) -> Result<i32, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(AppError::PreconditionRequired(format!(
            "send `If-Match` with the {what}'s version (its ETag, e.g. If-Match: \"3\") to change it"
        )));
    };
    let v = raw.strip_prefix("W/").unwrap_or(raw).trim();
    let v = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v);
    v.trim().parse::<i32>().map_err(|_| {
        AppError::BadRequest(format!(
            "If-Match must be the {what}'s version, e.g. \"3\" (got `{raw}`)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_escape_is_found_and_an_escaped_backslash_is_not_one() {
        assert!(json_has_nul(br#"{"a":"x\u0000y"}"#));
        assert!(json_has_nul(br#"["\u0000"]"#));
        assert!(!json_has_nul(br#"{"a":"x\\u0000y"}"#));
        assert!(!json_has_nul(br#"{"a":"\u0001 \"0000"}"#));
        assert!(json_has_nul(br#"{"a":"\\\u0000"}"#));
    }

    #[test]
    fn uploads_take_octet_stream_and_their_types_and_refuse_what_a_form_sends() {
        use axum::http::{header::CONTENT_TYPE, HeaderMap, HeaderValue};
        let with = |t: Option<&'static str>| {
            let mut h = HeaderMap::new();
            if let Some(t) = t {
                h.insert(CONTENT_TYPE, HeaderValue::from_static(t));
            }
            h
        };
        for ok in [
            "application/octet-stream",
            "Application/Zip",
            "application/geo+json; charset=utf-8",
            "application/x-zip-compressed",
        ] {
            assert!(
                require_upload_type(&with(Some(ok)), upload::GEO).is_ok(),
                "{ok}"
            );
        }
        assert!(require_upload_type(&with(Some("text/csv")), upload::REGISTER).is_ok());
        assert!(
            require_upload_type(&with(Some("application/vnd.ms-excel")), upload::WORKBOOK).is_ok()
        );
        for bad in [
            Some("text/plain"),
            Some("text/plain;charset=UTF-8"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some(""),
            None,
        ] {
            for kind in [upload::GEO, upload::REGISTER, upload::WORKBOOK] {
                let e = require_upload_type(&with(bad), kind).unwrap_err();
                assert_eq!(
                    e.status_code(),
                    axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE
                );
                assert!(e.to_string().contains("application/octet-stream"), "{e}");
            }
        }
        // A type right for one kind is refused by another.
        assert!(require_upload_type(&with(Some("text/csv")), upload::GEO).is_err());
        assert!(require_upload_type(&with(Some("application/zip")), upload::WORKBOOK).is_err());
    }

    #[test]
    fn if_match_forms() {
        assert!(matches!(parse_if_match(Some("3"), "parcel"), Ok(3)));
        assert!(matches!(parse_if_match(Some("\"3\""), "parcel"), Ok(3)));
        assert!(matches!(parse_if_match(Some("W/\"3\""), "parcel"), Ok(3)));
        assert!(matches!(
            parse_if_match(None, "parcel"),
            Err(AppError::PreconditionRequired(_))
        ));
        assert!(matches!(
            parse_if_match(Some("*"), "parcel"),
            Err(AppError::BadRequest(_))
        ));
    }
}
