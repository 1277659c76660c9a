//! The public transparency page of a project, server-rendered (askama), no personal data and
//! no login (issue 4): what the project is, who is responsible for what, the timeline,
//! progress numbers, the progress chart and a status map drawn as inline SVG, so it works
//! without JavaScript.
pub mod service;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::i18n::{Catalogue, Lang};
use crate::state::AppState;
use service::PublicProject;

pub fn routes() -> Router<AppState> {
    Router::new().route("/public/projects/{code}", get(page))
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "public/project.html")]
struct ProjectPage<'a> {
    t: &'a Catalogue,
    lang: &'a str,
    other_lang: &'a str,
    p: &'a PublicProject,
}

#[derive(Template)]
#[template(path = "public/not_found.html")]
struct NotFoundPage<'a> {
    t: &'a Catalogue,
    lang: &'a str,
    code: &'a str,
}

fn html(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        Ok(b) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=60"),
            ],
            b,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "public page template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "internal server error; the incident was logged",
            )
                .into_response()
        }
    }
}

#[tracing::instrument(skip_all, fields(project = %code))]
async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = Lang::parse(q.lang.as_deref());
    let t = crate::dashboard::service::catalogue(lang);
    match service::load(&state.db.conn, &code, t).await {
        Ok(Some(p)) => html(
            StatusCode::OK,
            ProjectPage {
                t,
                lang: lang.code(),
                other_lang: if lang == Lang::En { "vi" } else { "en" },
                p: &p,
            }
            .render(),
        ),
        Ok(None) => html(
            StatusCode::NOT_FOUND,
            NotFoundPage {
                t,
                lang: lang.code(),
                code: &code,
            }
            .render(),
        ),
        Err(e) => e.into_response(),
    }
}
