//! Defences every request and response passes through: security headers, and the check that
//! a write made with a session cookie comes from gpmb's own pages (cross-site request forgery).
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Settings;
use crate::error::envelope;

/// No inline script anywhere; styles may be inline (MapLibre and the public page set them);
/// MapLibre runs its workers from blob: URLs; nothing may frame a page.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; \
worker-src 'self' blob:; child-src 'self' blob:; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every response; personal data in JSON is never cached.
pub async fn headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    let json = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if api && json && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Refuses an address holding `%00` (in its path or query) before any handler reads it: no
/// column can store U+0000 on PostgreSQL, and a search for it means nothing.
pub async fn no_nul_in_address(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let has_nul = |s: &str| s.contains("%00");
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        return envelope(
            StatusCode::BAD_REQUEST,
            "nul_character",
            crate::error::NUL_MESSAGE,
            None,
        );
    }
    next.run(req).await
}

/// Refuses a state-changing request that carries the session cookie but was sent by a page of
/// another site or another origin of the same host (another port). Browsers say where a
/// request comes from in `Sec-Fetch-Site` (and `Origin`); clients with a token send no cookie
/// and are not concerned.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if safe || !has_session_cookie(&req) {
        return next.run(req).await;
    }
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    let cross = match fetch_site {
        Some(site) => site != "same-origin" && site != "none",
        None => origin_differs(&req),
    };
    if cross {
        return envelope(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "this request came from another site or origin; gpmb accepts writes with a session only from its own pages",
            None,
        );
    }
    next.run(req).await
}

fn has_session_cookie(req: &Request) -> bool {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(';').any(|c| {
                c.trim()
                    .starts_with(&format!("{}=", crate::auth::SESSION_COOKIE))
            })
        })
}

/// True when an `Origin` header names another scheme/host/port than the `Host` asked for.
fn origin_differs(req: &Request) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return false;
    };
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let origin = origin.to_str().unwrap_or("null");
    let without_scheme = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    without_scheme != Some(host)
}

/// The base of the absolute links gpmb hands out (OGC API, GeoJSON `next`): the configured
/// public URL; without one, the request's `Host` (only when it is a plain host[:port]) with
/// the scheme a proxy states in `X-Forwarded-Proto`. `X-Forwarded-Host` is never trusted.
pub fn public_base(settings: &Settings, headers: &HeaderMap) -> Option<String> {
    if let Some(url) = &settings.public_url {
        return Some(url.clone());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })?;
    let proto = if forwarded_https(headers) {
        "https"
    } else {
        "http"
    };
    Some(format!("{proto}://{host}"))
}

/// A proxy in front of gpmb says the client reached it over TLS.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|p| p.to_str().ok())
        .and_then(|p| p.split(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// Whether the session cookie gets `Secure`: when asked for (`GPMB_SECURE_COOKIE`), when the
/// public URL is https, or when the request came through a proxy saying it was https.
pub fn secure_cookie(settings: &Settings, headers: &HeaderMap) -> bool {
    settings.secure_cookie
        || settings
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
        || forwarded_https(headers)
}
