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
