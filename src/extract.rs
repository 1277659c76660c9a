//! Extractors that turn axum's plain-text rejections into the JSON error envelope.
use axum::extract::{FromRequest, FromRequestParts};

use crate::error::AppError;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

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
