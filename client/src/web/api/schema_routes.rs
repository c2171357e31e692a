//! `/api/objects…` routes that edit the schema: objects, field order, settings,
//! computed definitions, retypes and select options. Each takes the names in its path
//! (key, label or id each) and the rest as a JSON body with the request's fields (see
//! docs/api-http.md), and answers what `kith object|field|option … --json` prints.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde_json::Value as Json_;

use super::{ApiResult, AppState, WebError, call};
use crate::app::{fields, objects, options, retype};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/objects", get(list_objects).post(add_object))
        .route("/objects/{object}/rename", post(rename_object))
        .route("/objects/{object}/archive", post(archive_object))
        .route("/objects/{object}/restore", post(restore_object))
        .route("/objects/{object}/fields/{field}/reorder", post(reorder_field))
        .route("/objects/{object}/fields/{field}/settings", post(field_settings))
        .route("/objects/{object}/fields/{field}/definition", post(edit_definition))
        .route("/objects/{object}/fields/{field}/retype", post(retype_field))
        .route(
            "/objects/{object}/fields/{field}/options",
            get(list_options).post(add_options),
        )
        .route(
            "/objects/{object}/fields/{field}/options/{option}/rename",
            post(rename_option),
        )
        .route(
            "/objects/{object}/fields/{field}/options/{option}/color",
            post(recolor_option),
        )
        .route(
            "/objects/{object}/fields/{field}/options/{option}/reorder",
            post(reorder_option),
        )
        .route(
            "/objects/{object}/fields/{field}/options/{option}/archive",
            post(archive_option),
        )
        .route(
            "/objects/{object}/fields/{field}/options/{option}/restore",
            post(restore_option),
        )
}

/// The request: the JSON body (none is `{}`) with the names from the path added.
fn request<T: DeserializeOwned>(path: &[(&str, &String)], body: &Bytes) -> Result<T, WebError> {
    let value: Json_ = if body.iter().all(u8::is_ascii_whitespace) {
        Json_::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(body).map_err(|e| WebError::BadRequest(format!("the body is not JSON: {e}")))?
    };
    let path: Vec<(&str, String)> = path.iter().map(|(name, text)| (*name, (*text).clone())).collect();
    super::body_with(value, &path, "the request does not fit")
}

/// GET /api/objects (`kith object list`).
async fn list_objects(State(state): State<Arc<AppState>>) -> ApiResult {
    call(&state, |ws| objects::list(ws)).await
}

/// POST /api/objects with `{"key"?, "label"?}` (`kith object add`).
async fn add_object(State(state): State<Arc<AppState>>, body: Bytes) -> ApiResult {
    let req: objects::AddObjectRequest = request(&[], &body)?;
    call(&state, move |ws| objects::add(ws, &req)).await
}

/// POST /api/objects/{object}/rename with `{"label"?, "key"?}` (`kith object rename`).
async fn rename_object(State(state): State<Arc<AppState>>, Path(object): Path<String>, body: Bytes) -> ApiResult {
    let req: objects::RenameObjectRequest = request(&[("object", &object)], &body)?;
    call(&state, move |ws| objects::rename(ws, &req)).await
}

/// POST /api/objects/{object}/archive (`kith object archive`).
async fn archive_object(State(state): State<Arc<AppState>>, Path(object): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        objects::set_archived(ws, &objects::ObjectRequest { object }, true)
    })
    .await
}

/// POST /api/objects/{object}/restore (`kith object restore`).
async fn restore_object(State(state): State<Arc<AppState>>, Path(object): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        objects::set_archived(ws, &objects::ObjectRequest { object }, false)
    })
    .await
}

/// GET /api/objects/{object}/fields?all=true (`kith field list [--all]`).
pub(super) async fn list_fields(
    State(state): State<Arc<AppState>>,
    Path(object): Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> ApiResult {
    let all = super::param(raw.as_deref(), "all").is_some_and(|v| v == "true");
    call(&state, move |ws| {
        fields::list(ws, &fields::ListFieldsRequest { object, all })
    })
    .await
}

/// POST /api/objects/{object}/fields/{field}/reorder with `{"position": n}` (1 is
/// first) or `{"step": "up"|"down"}` (`kith field reorder`).
async fn reorder_field(
    State(state): State<Arc<AppState>>,
    Path((object, field)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let req: fields::ReorderFieldRequest = request(&[("object", &object), ("field", &field)], &body)?;
    call(&state, move |ws| fields::reorder(ws, &req)).await
}

/// POST /api/objects/{object}/fields/{field}/settings with `{"required"?: bool,
/// "unique"?: bool}` (`kith field set`).
async fn field_settings(
    State(state): State<Arc<AppState>>,
    Path((object, field)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let req: fields::FieldSettingsRequest = request(&[("object", &object), ("field", &field)], &body)?;
    call(&state, move |ws| fields::set(ws, &req)).await
}

/// POST /api/objects/{object}/fields/{field}/definition with `{"formula"}`,
/// `{"lookup"}` or `{"rollup"}` (`kith field edit`).
async fn edit_definition(
    State(state): State<Arc<AppState>>,
    Path((object, field)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let req: fields::EditComputedRequest = request(&[("object", &object), ("field", &field)], &body)?;
    call(&state, move |ws| fields::edit_computed(ws, &req)).await
}

/// POST /api/objects/{object}/fields/{field}/retype with `{"kind", "target"?,
/// "dry_run"?}` (`kith field retype [--dry-run]`).
async fn retype_field(
    State(state): State<Arc<AppState>>,
    Path((object, field)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let req: retype::RetypeRequest = request(&[("object", &object), ("field", &field)], &body)?;
    call(&state, move |ws| retype::retype(ws, &req)).await
}

/// GET /api/objects/{object}/fields/{field}/options (`kith option list`).
async fn list_options(State(state): State<Arc<AppState>>, Path((object, field)): Path<(String, String)>) -> ApiResult {
    call(&state, move |ws| {
        options::list(ws, &options::FieldOptionsRequest { object, field })
    })
    .await
}

/// POST /api/objects/{object}/fields/{field}/options with `{"labels": [...]}` (`kith
/// option add`).
async fn add_options(
    State(state): State<Arc<AppState>>,
    Path((object, field)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let req: options::AddOptionsRequest = request(&[("object", &object), ("field", &field)], &body)?;
    call(&state, move |ws| options::add(ws, &req)).await
}

type OptionPath = Path<(String, String, String)>;

/// The body with the object, field and option of the path.
fn option_request<T: DeserializeOwned>(path: &(String, String, String), body: &Bytes) -> Result<T, WebError> {
    let (object, field, option) = path;
    request(&[("object", object), ("field", field), ("option", option)], body)
}

/// POST …/options/{option}/rename with `{"label"}` (`kith option rename`).
async fn rename_option(State(state): State<Arc<AppState>>, Path(path): OptionPath, body: Bytes) -> ApiResult {
    let req: options::RenameOptionRequest = option_request(&path, &body)?;
    call(&state, move |ws| options::rename(ws, &req)).await
}

/// POST …/options/{option}/color with `{"color"}` (`kith option color`).
async fn recolor_option(State(state): State<Arc<AppState>>, Path(path): OptionPath, body: Bytes) -> ApiResult {
    let req: options::RecolorOptionRequest = option_request(&path, &body)?;
    call(&state, move |ws| options::recolor(ws, &req)).await
}

/// POST …/options/{option}/reorder with `{"position": n}` or `{"step": "up"|"down"}`
/// (`kith option reorder`).
async fn reorder_option(State(state): State<Arc<AppState>>, Path(path): OptionPath, body: Bytes) -> ApiResult {
    let req: options::ReorderOptionRequest = option_request(&path, &body)?;
    call(&state, move |ws| options::reorder(ws, &req)).await
}

/// POST …/options/{option}/archive (`kith option archive`).
async fn archive_option(State(state): State<Arc<AppState>>, Path(path): OptionPath, body: Bytes) -> ApiResult {
    let req: options::OptionRequest = option_request(&path, &body)?;
    call(&state, move |ws| options::set_archived(ws, &req, true)).await
}

/// POST …/options/{option}/restore (`kith option restore`).
async fn restore_option(State(state): State<Arc<AppState>>, Path(path): OptionPath, body: Bytes) -> ApiResult {
    let req: options::OptionRequest = option_request(&path, &body)?;
    call(&state, move |ws| options::set_archived(ws, &req, false)).await
}
