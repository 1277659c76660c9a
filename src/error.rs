//! The one error type of the service: each variant knows its HTTP status and stable code, and
//! becomes the JSON envelope `{"error": {"code", "message"}}`. Server errors are logged with
//! their source chain and never shown to the client.
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{0}")]
    PreconditionRequired(String),
    /// 412: the `If-Match` version is stale; `details` say who changed it and when.
    #[error("{message}")]
    PreconditionFailed {
        code: &'static str,
        message: String,
        details: Option<serde_json::Value>,
    },
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: a raw-body upload sent without a content type it accepts.
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        details: Option<serde_json::Value>,
    },
    /// Too many attempts (failed logins): try again after `retry_after` seconds.
    #[error("{message}")]
    TooManyRequests { retry_after: u64, message: String },
    #[error("database error")]
    Db(#[from] DbErr),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// The error envelope every 4xx/5xx answer carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `not_found`, `version_conflict`, `invalid_geometry`.
    pub code: String,
    /// What went wrong and what to fix.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl AppError {
    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Unprocessable {
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            AppError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Db(e) if unique_violation(e) => StatusCode::CONFLICT,
            AppError::Db(e) if nul_in_text(e) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict { code, .. } => code,
            AppError::PreconditionRequired(_) => "precondition_required",
            AppError::PreconditionFailed { code, .. } => code,
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unprocessable { code, .. } => code,
            AppError::TooManyRequests { .. } => "too_many_attempts",
            AppError::Db(e) if unique_violation(e) => "duplicate",
            AppError::Db(e) if nul_in_text(e) => "nul_character",
            AppError::Db(_) | AppError::Internal(_) => "internal",
        }
    }
}

/// Whether the database refused a row for a unique index (e.g. an `Idempotency-Key` another
/// server stored a moment earlier).
pub fn unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Whether PostgreSQL refused a text holding U+0000 (SQLite stores it). The request and import
/// readers refuse or drop the character first; this keeps any path they miss a 422, not a 500.
pub fn nul_in_text(e: &DbErr) -> bool {
    let text = e.to_string();
    text.contains("invalid byte sequence") && text.contains("0x00")
}

/// The message for text holding U+0000, which no column stores.
pub const NUL_MESSAGE: &str =
    "text must not contain the NUL character (U+0000, `\\u0000` in JSON, `%00` in an address): remove it and send again";

/// Builds the envelope response; also used for errors raised outside handlers.
pub fn envelope(
    status: StatusCode,
    code: &str,
    message: &str,
    details: Option<serde_json::Value>,
) -> Response {
    let body = ErrorEnvelope {
        error: ErrorBody {
            code: code.to_string(),
            message: message.to_string(),
            details,
        },
    };
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let code = self.code();
        let message = match &self {
            AppError::Db(e) if unique_violation(e) => {
                "a record with the same key already exists".to_string()
            }
            AppError::Db(e) if nul_in_text(e) => NUL_MESSAGE.to_string(),
            AppError::Db(e) => {
                tracing::error!(error = %e, source = ?std::error::Error::source(e), "database error");
                "internal server error; the incident was logged".to_string()
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal server error; the incident was logged".to_string()
            }
            other => other.to_string(),
        };
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let details = match self {
            AppError::Unprocessable { details, .. }
            | AppError::PreconditionFailed { details, .. } => details,
            AppError::TooManyRequests { retry_after, .. } => {
                Some(serde_json::json!({ "retry_after": retry_after }))
            }
            _ => None,
        };
        let mut response = envelope(status, code, &message, details);
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(
                "the request body is larger than this endpoint accepts".into(),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::BadRequest(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY => AppError::Unprocessable {
                code: "invalid_body",
                message: format!(
                    "the JSON body does not have the expected fields or types: {}",
                    r.body_text()
                ),
                details: None,
            },
            _ => AppError::BadRequest(format!("the body is not valid JSON: {}", r.body_text())),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::BadRequest(format!("invalid query string: {}", r.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::BadRequest(format!("invalid path: {}", r.body_text()))
    }
}
