//! API tokens in the `Authorization` header: `Bearer <token>`, or HTTP Basic with the token
//! as the password and any user name — QGIS's authentication configurations and GDAL's
//! `GDAL_HTTP_AUTH=BASIC` send only Basic. And the challenge a 401 carries, so such clients
//! know to send it.
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;

use crate::error::AppError;

/// The longest `Authorization` value read: a token is ~50 characters, so 1 KiB leaves room for
/// any user name a GIS tool sends and never decodes megabytes from someone not logged in.
pub const MAX_AUTHORIZATION_LEN: usize = 1024;

/// The challenge for clients that can answer it with a dialog or a stored configuration.
pub const BASIC_CHALLENGE: &str = "Basic realm=\"gpmb\"";
pub const BEARER_CHALLENGE: &str = "Bearer realm=\"gpmb\"";

/// The API token the `Authorization` header carries (Bearer, or Basic's password), `None` when
/// there is no such header or it names another scheme (then the session cookie is looked at).
/// A header too long, not base64, or with an empty password is a 401.
pub fn token(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    if value.len() > MAX_AUTHORIZATION_LEN {
        return Err(AppError::Unauthorized(format!(
            "the Authorization header is longer than {MAX_AUTHORIZATION_LEN} bytes"
        )));
    }
    let Ok(value) = value.to_str() else {
        return Err(AppError::Unauthorized(
            "the Authorization header is not plain ASCII".into(),
        ));
    };
    let value = value.trim();
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Ok(None);
    };
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Some(rest.to_string()));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let bad = || {
        AppError::Unauthorized(
            "the Basic credentials are not base64 of `user:token`; send the API token as the password".into(),
        )
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (_user, password) = decoded.split_once(':').ok_or_else(bad)?;
    if password.is_empty() {
        return Err(AppError::Unauthorized(
            "the Basic password is empty; send the API token as the password".into(),
        ));
    }
    Ok(Some(password.to_string()))
}

/// Adds `WWW-Authenticate` to every 401 that has none: Basic (so QGIS and GDAL, which only
/// answer a challenge, send the token) and Bearer. Requests made by a page's script
/// (`Sec-Fetch-Mode` other than `navigate`) get the Bearer challenge alone: a Basic one would
/// make the browser pop up its own login dialog over the web app's login form.
pub async fn challenge(req: Request, next: Next) -> Response {
    let scripted = req
        .headers()
        .get("sec-fetch-mode")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| !m.eq_ignore_ascii_case("navigate"));
    let mut response = next.run(req).await;
    if response.status() != StatusCode::UNAUTHORIZED
        || response.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        return response;
    }
    let headers = response.headers_mut();
    if !scripted {
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(BASIC_CHALLENGE),
        );
    }
    headers.append(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(BEARER_CHALLENGE),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    fn basic(user_pass: &str) -> HeaderMap {
        with(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        ))
    }

    #[test]
    fn bearer_and_basic_give_the_token() {
        assert_eq!(
            token(&with("Bearer gpmb_abc")).unwrap().unwrap(),
            "gpmb_abc"
        );
        assert_eq!(
            token(&with("bearer gpmb_abc")).unwrap().unwrap(),
            "gpmb_abc"
        );
        assert_eq!(token(&basic("qgis:gpmb_abc")).unwrap().unwrap(), "gpmb_abc");
        // Any user name, even none; a colon in the token stays in it.
        assert_eq!(token(&basic(":gpmb_abc")).unwrap().unwrap(), "gpmb_abc");
        assert_eq!(token(&basic("x:a:b")).unwrap().unwrap(), "a:b");
        assert!(token(&HeaderMap::new()).unwrap().is_none());
        assert!(token(&with("Digest x")).unwrap().is_none());
    }

    #[test]
    fn bad_basic_credentials_are_401() {
        for h in [
            basic("no-colon"),
            basic("user:"),
            with("Basic %%%not-base64"),
            with(&format!("Basic {}", "A".repeat(MAX_AUTHORIZATION_LEN))),
            with(&format!("Bearer {}", "A".repeat(MAX_AUTHORIZATION_LEN))),
        ] {
            assert!(matches!(token(&h), Err(AppError::Unauthorized(_))), "{h:?}");
        }
    }
}
