//! `/api/views…`: saved views (list, show, save, edit, remove) and the records of one.
//! Each calls the operation in `crate::app::views` and answers what `kith view … --json`
//! prints. A view in the path is its name or its id.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value as Json_;

use super::{ApiResult, AppState, MAX_PAGE, WebError, body_with, call, param};
use crate::app::records::DEFAULT_LIMIT;
use crate::app::views::{self, EditViewRequest, RunViewRequest, SaveViewRequest, ViewRequest};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/views", get(list).post(save))
        .route("/views/{view}", get(show).patch(edit).delete(remove))
        .route("/views/{view}/records", get(records))
}

/// GET /api/views (`kith view list`): the workspace's views and this user's own.
async fn list(State(state): State<Arc<AppState>>) -> ApiResult {
    call(&state, |ws| views::list(ws)).await
}

/// GET /api/views/{view} (`kith view show`): the view and its changes.
async fn show(State(state): State<Arc<AppState>>, Path(view): Path<String>) -> ApiResult {
    call(&state, move |ws| views::show(ws, &ViewRequest { view })).await
}

/// POST /api/views with `{"name", "object", "kind"?, "filter"?, "sort"?, "field"?,
/// "mine"?}` (`kith view save`).
async fn save(State(state): State<Arc<AppState>>, Json(body): Json<Json_>) -> ApiResult {
    let request: SaveViewRequest = serde_json::from_value(body).map_err(|e| {
        WebError::BadRequest(format!(
            "expected {{\"name\", \"object\", \"kind\"?, \"filter\"?, \"sort\"?, \"field\"?, \"mine\"?}}: {e}"
        ))
    })?;
    call(&state, move |ws| views::save(ws, &request)).await
}

/// PATCH /api/views/{view} with any of `{"name", "object", "kind", "filter", "sort",
/// "field", "mine", "columns"}` (`kith view edit`).
async fn edit(State(state): State<Arc<AppState>>, Path(view): Path<String>, Json(body): Json<Json_>) -> ApiResult {
    let request: EditViewRequest = body_with(
        body,
        &[("view", view)],
        "expected {\"name\"?, \"object\"?, \"kind\"?, \"filter\"?, \"sort\"?, \"field\"?, \"mine\"?, \"columns\"?}",
    )?;
    call(&state, move |ws| views::edit(ws, &request)).await
}

/// DELETE /api/views/{view} (`kith view remove`): archived; the answer's `undo` brings
/// it back.
async fn remove(State(state): State<Arc<AppState>>, Path(view): Path<String>) -> ApiResult {
    call(&state, move |ws| views::remove(ws, &ViewRequest { view })).await
}

/// GET /api/views/{view}/records?after=&limit= (`kith view run`): a page of the view's
/// records, as `GET /api/objects/{object}/records` answers.
async fn records(State(state): State<Arc<AppState>>, Path(view): Path<String>, RawQuery(raw): RawQuery) -> ApiResult {
    let raw = raw.as_deref();
    let request = RunViewRequest {
        view,
        after: param(raw, "after"),
        limit: Some(
            param(raw, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(DEFAULT_LIMIT)
                .clamp(1, MAX_PAGE),
        ),
    };
    call(&state, move |ws| views::run(ws, &request)).await
}
