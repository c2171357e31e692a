//! One error type for the web layer; every handler returns it and it renders as a short
//! page (or JSON under /api) with a fitting status code.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// What can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WebError {
    #[error("{0}")]
    Core(#[from] kith_core::Error),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the workspace thread has stopped")]
    WorkspaceGone,
    /// An application-layer operation refused (`crate::app`): the pages and `/api` call
    /// the same operations and show the same sentence.
    #[error(transparent)]
    App(crate::app::AppError),
}

impl From<crate::app::AppError> for WebError {
    fn from(e: crate::app::AppError) -> Self {
        match e {
            crate::app::AppError::Kith(core) => WebError::Core(*core),
            other => WebError::App(other),
        }
    }
}

impl WebError {
    pub(crate) fn status(&self) -> StatusCode {
        use kith_core::Error as E;
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::WorkspaceGone => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Core(E::RecordNotFound(_) | E::ChangeNotFound(_) | E::GroupNotFound(_)) => StatusCode::NOT_FOUND,
            WebError::Core(E::Store(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::Core(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::App(crate::app::AppError::Invalid(_)) => StatusCode::BAD_REQUEST,
            WebError::App(crate::app::AppError::NotFound(_)) => StatusCode::NOT_FOUND,
            WebError::App(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = self.to_string();
        let body = maud::html! {
            (maud::DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "Kith: " (status.as_str()) } link rel="stylesheet" href="/static/app.css"; }
                body.error-page { main { h1 { "Something went wrong" } p.error { (message) } p { a href="/" { "Back to the start" } } } }
            }
        };
        (status, Html(body.into_string())).into_response()
    }
}
