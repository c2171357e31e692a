//! The JSON API under `/api`, for the page script and other local tools. GETs need no
//! token; anything that changes data needs the `x-kith-token` header (see security).
//!
//! Every route parses its request, calls the operation in `crate::app` on the workspace
//! thread and answers with the operation's response: the same JSON `--json` prints.
//! Records, history and conflicts are here; schema edits in `schema_routes`; export,
//! rules, automations, reports and dashboards in `logic_routes`; saved views in
//! `view_routes`.

mod logic_routes;
mod schema_routes;
mod view_routes;

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value as Json_, json};

use super::form::query_pairs;
use super::{AppState, WebError};
use crate::app::bulk::{BulkRequest, bulk_update};
use crate::app::config;
use crate::app::conflicts::{self, ConflictsRequest};
use crate::app::fields;
use crate::app::records::{self, AddRequest, GetRequest, ListRequest, RecordRequest, RestoreRequest, UpdateRequest};
use crate::app::resolve::{ResolveRequest, resolve};
use crate::app::revert::{RestoreAtRequest, RevertRequest, restore_at, revert};
use crate::app::schema::{self, SchemaRequest};
use crate::app::search::{DEFAULT_LIMIT, SearchRequest, search};
use crate::app::trash::{self, TrashRequest};
use crate::app::{AppError, history, import};
use crate::csv_io::CsvImportOptions;

/// Most records one page of `GET /api/objects/{object}/records` holds.
pub(super) const MAX_PAGE: usize = 500;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/schema", get(schema))
        .route("/schema/history", get(schema_history))
        .route("/objects/{object}/records", get(list).post(add))
        .route("/objects/{object}/import", post(import_csv))
        .route("/objects/{object}/bulk", post(bulk_edit))
        .route(
            "/objects/{object}/fields",
            get(schema_routes::list_fields).post(add_field),
        )
        .route("/objects/{object}/fields/{field}/rename", post(rename_field))
        .route("/objects/{object}/fields/{field}/archive", post(archive_field))
        .route("/objects/{object}/fields/{field}/restore", post(restore_field))
        .route("/records/{record}", get(record).patch(update))
        .route("/records/{record}/delete", post(delete))
        .route("/records/{record}/restore", post(restore))
        .route("/records/{record}/resolve", post(resolve_conflict))
        .route("/records/{record}/restore-at", post(restore_record_at))
        .route("/records/{record}/history", get(record_history))
        .route("/search", get(search_records))
        .route("/trash", get(trash_list))
        .route("/conflicts", get(conflicts_list))
        .route("/config", get(config_list))
        .route("/revert", post(revert_change))
        .merge(schema_routes::routes())
        .merge(logic_routes::routes())
        .merge(view_routes::routes())
}

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// Errors under /api are JSON: `{"error": "one sentence"}`, with the status the same
/// error gets on a page.
pub(crate) struct ApiError(axum::http::StatusCode, String);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        ApiError(e.status(), e.to_string())
    }
}

impl From<kith_core::Error> for ApiError {
    fn from(e: kith_core::Error) -> Self {
        WebError::from(e).into()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        use axum::http::StatusCode;
        match e {
            AppError::Kith(e) => (*e).into(),
            AppError::Invalid(m) => ApiError(StatusCode::BAD_REQUEST, m),
            AppError::NotFound(m) => ApiError(StatusCode::NOT_FOUND, m),
            e @ (AppError::Schema(_) | AppError::Query(_) | AppError::Csv(_)) => {
                ApiError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
        }
    }
}

pub(super) type ApiResult = Result<Json<Json_>, ApiError>;

/// Runs an operation on the workspace thread and answers with its response.
pub(super) async fn call<T: Serialize + Send + 'static>(
    state: &AppState,
    op: impl FnOnce(&mut kith_core::Workspace) -> Result<T, AppError> + Send + 'static,
) -> ApiResult {
    let response = state.ws.call(op).await??;
    let value = serde_json::to_value(response).map_err(|e| WebError::BadRequest(e.to_string()))?;
    Ok(Json(value))
}

/// A JSON body with names from the path added (`("object", key)`), read as a `T`. A body
/// that does not fit is refused with `what` and the reason.
pub(super) fn body_with<T: serde::de::DeserializeOwned>(
    mut body: Json_,
    path: &[(&str, String)],
    what: &str,
) -> Result<T, WebError> {
    let fields = body
        .as_object_mut()
        .ok_or_else(|| WebError::BadRequest(format!("{what}: the body must be a JSON object")))?;
    for (name, value) in path {
        fields.insert((*name).to_string(), Json_::String(value.clone()));
    }
    serde_json::from_value(body).map_err(|e| WebError::BadRequest(format!("{what}: {e}")))
}

/// A query parameter, when given and not empty.
pub(super) fn param(raw: Option<&str>, name: &str) -> Option<String> {
    query_pairs(raw)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// `{"values": {"key": "text", ...}}`: text parsed as the CLI parses `key=text`.
fn values(body: &Json_) -> Result<Vec<(String, String)>, ApiError> {
    Ok(body
        .get("values")
        .and_then(|v| v.as_object())
        .ok_or_else(|| WebError::BadRequest("expected {\"values\": {field: text}}".into()))?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect())
}

/// GET /api/schema?at= (`kith schema show`; `at` in ms since 1970).
async fn schema(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let at = at_param(raw.as_deref())?;
    call(&state, move |ws| schema::show(ws, &SchemaRequest { at })).await
}

/// GET /api/schema/history (`kith schema history`).
async fn schema_history(State(state): State<Arc<AppState>>) -> ApiResult {
    call(&state, |ws| schema::history(ws)).await
}

/// The `at=` parameter: a moment in milliseconds since 1970.
fn at_param(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    match param(raw, "at") {
        Some(at) => Ok(Some(at.parse().map_err(|_| {
            WebError::BadRequest(format!("at={at} is not milliseconds since 1970"))
        })?)),
        None => Ok(None),
    }
}

/// GET /api/objects/{object}/records?filter=&sort=&after=&limit= (`kith record list`).
async fn list(State(state): State<Arc<AppState>>, Path(object): Path<String>, RawQuery(raw): RawQuery) -> ApiResult {
    let raw = raw.as_deref();
    let limit = param(raw, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(records::DEFAULT_LIMIT)
        .clamp(1, MAX_PAGE);
    let request = ListRequest {
        object,
        filters: param(raw, "filter").into_iter().collect(),
        sort: param(raw, "sort"),
        after: param(raw, "after"),
        limit: Some(limit),
    };
    call(&state, move |ws| records::list(ws, &request)).await
}

/// POST /api/objects/{object}/records with `{"values": {...}}` (`kith record add`).
async fn add(State(state): State<Arc<AppState>>, Path(object): Path<String>, Json(body): Json<Json_>) -> ApiResult {
    let request = AddRequest {
        object,
        values: values(&body)?,
    };
    call(&state, move |ws| records::add(ws, &request)).await
}

/// POST /api/objects/{object}/fields with `{"key"?, "label"?, "kind", "required"?,
/// "unique"?, "options"?: [...], "target"?, "many"?, "currency"?, "max_rating"?}`
/// (`kith field add`; the schema editor's "Add field").
async fn add_field(
    State(state): State<Arc<AppState>>,
    Path(object): Path<String>,
    Json(body): Json<Json_>,
) -> ApiResult {
    let request: fields::AddFieldRequest = body_with(
        body,
        &[("object", object)],
        "a field needs at least a kind and a key or label",
    )?;
    call(&state, move |ws| fields::add(ws, &request)).await
}

/// POST /api/objects/{object}/fields/{field}/rename with `{"label"?, "key"?}` (`kith
/// field rename`).
async fn rename_field(
    State(state): State<Arc<AppState>>,
    Path((object, field)): Path<(String, String)>,
    Json(body): Json<Json_>,
) -> ApiResult {
    let text = |name: &str| body.get(name).and_then(Json_::as_str).map(str::to_string);
    let request = fields::RenameFieldRequest {
        object,
        field,
        label: text("label"),
        key: text("key"),
    };
    call(&state, move |ws| fields::rename(ws, &request)).await
}

/// POST /api/objects/{object}/fields/{field}/archive (`kith field archive`).
async fn archive_field(State(state): State<Arc<AppState>>, Path((object, field)): Path<(String, String)>) -> ApiResult {
    call(&state, move |ws| {
        fields::set_archived(ws, &fields::FieldRequest { object, field }, true)
    })
    .await
}

/// POST /api/objects/{object}/fields/{field}/restore (`kith field restore`).
async fn restore_field(State(state): State<Arc<AppState>>, Path((object, field)): Path<(String, String)>) -> ApiResult {
    call(&state, move |ws| {
        fields::set_archived(ws, &fields::FieldRequest { object, field }, false)
    })
    .await
}

/// POST /api/objects/{object}/bulk with `{"set": {field: text}}` and either `"ids":
/// [...]` (a selection) or `"filters": [...]` (every match; none: every record)
/// (`kith record update --object`; the table page's bulk edit).
async fn bulk_edit(
    State(state): State<Arc<AppState>>,
    Path(object): Path<String>,
    Json(body): Json<Json_>,
) -> ApiResult {
    let strings = |name: &str| -> Result<Vec<String>, ApiError> {
        match body.get(name) {
            None | Some(Json_::Null) => Ok(Vec::new()),
            Some(Json_::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| WebError::BadRequest(format!("\"{name}\" must be a list of texts")).into()),
            Some(_) => Err(WebError::BadRequest(format!("\"{name}\" must be a list of texts")).into()),
        }
    };
    let set = body
        .get("set")
        .and_then(|v| v.as_object())
        .ok_or_else(|| WebError::BadRequest("expected {\"set\": {field: text}}".into()))?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    let request = BulkRequest {
        object,
        filters: strings("filters")?,
        ids: strings("ids")?,
        set,
    };
    call(&state, move |ws| bulk_update(ws, &request)).await
}

/// POST /api/objects/{object}/import with the CSV file as the body (`kith import`); the
/// options are query parameters named as the command's flags: `map=column=field`
/// (repeatable), `strict`, `ignore_unknown`, `decimal_comma`, `add_options`,
/// `create_missing`, `create_fields`, `preview` (`=true`), `delimiter`, `encoding`.
async fn import_csv(
    State(state): State<Arc<AppState>>,
    Path(object): Path<String>,
    RawQuery(raw): RawQuery,
    body: axum::body::Bytes,
) -> ApiResult {
    let pairs = query_pairs(raw.as_deref());
    let flag = |name: &str| {
        pairs
            .iter()
            .any(|(k, v)| k == name && matches!(v.as_str(), "true" | "1" | "on" | "yes"))
    };
    let mut mappings = Vec::new();
    for (_, m) in pairs.iter().filter(|(k, _)| k == "map") {
        let (column, field) = m
            .split_once('=')
            .ok_or_else(|| WebError::BadRequest(format!("map={m} is not column=field (column= skips the column)")))?;
        mappings.push((column.trim().to_string(), field.trim().to_string()));
    }
    if flag("ignore_unknown") {
        mappings.push(("*".to_string(), String::new()));
    }
    let delimiter = match param(raw.as_deref(), "delimiter").as_deref() {
        None => None,
        Some("tab" | "\\t" | "\t") => Some(b'\t'),
        Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
        Some(d) => return Err(WebError::BadRequest(format!("delimiter={d} is not one character")).into()),
    };
    let options = CsvImportOptions {
        object,
        mappings,
        strict: flag("strict"),
        number_format: flag("decimal_comma").then_some(kith_core::NumberFormat::DECIMAL_COMMA),
        encoding: param(raw.as_deref(), "encoding"),
        delimiter,
        add_options: flag("add_options"),
        create_missing: flag("create_missing"),
        create_fields: flag("create_fields"),
        preview: flag("preview"),
        batch_rows: 0,
    };
    call(&state, move |ws| {
        import::import(ws, body.as_ref(), &options, &mut |_, _| {})
    })
    .await
}

/// GET /api/records/{id}?at= (`kith record get`; `at` in ms since 1970).
async fn record(State(state): State<Arc<AppState>>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult {
    let at = at_param(raw.as_deref())?;
    call(&state, move |ws| records::get(ws, &GetRequest { id, at })).await
}

/// PATCH /api/records/{id} with `{"values": {...}}` and optional `"skip_unchanged":
/// true` (`kith record update`; the record page's form skips unchanged fields).
async fn update(State(state): State<Arc<AppState>>, Path(id): Path<String>, Json(body): Json<Json_>) -> ApiResult {
    let request = UpdateRequest {
        id,
        values: values(&body)?,
        skip_unchanged: body.get("skip_unchanged").and_then(Json_::as_bool).unwrap_or(false),
    };
    call(&state, move |ws| records::update(ws, &request)).await
}

/// POST /api/records/{id}/resolve with `{"field": key, "pick": n}` or `{"field": key,
/// "value": text}` (`kith resolve`).
async fn resolve_conflict(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Json(body): Json<Json_>,
) -> ApiResult {
    let field = body
        .get("field")
        .and_then(Json_::as_str)
        .ok_or_else(|| {
            WebError::BadRequest("expected {\"field\": key, \"pick\": n} or {\"field\": key, \"value\": text}".into())
        })?
        .to_string();
    let pick = match body.get("pick") {
        None | Some(Json_::Null) => None,
        Some(n) => Some(
            n.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| WebError::BadRequest("\"pick\" must be a number from 1".into()))?,
        ),
    };
    let value = body.get("value").and_then(Json_::as_str).map(str::to_string);
    let request = ResolveRequest { id, field, pick, value };
    call(&state, move |ws| resolve(ws, &request)).await
}

/// POST /api/records/{id}/restore-at with `{"at": ms}` (`kith record restore --at`).
async fn restore_record_at(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Json(body): Json<Json_>,
) -> ApiResult {
    let at = body
        .get("at")
        .and_then(Json_::as_i64)
        .ok_or_else(|| WebError::BadRequest("expected {\"at\": milliseconds since 1970}".into()))?;
    call(&state, move |ws| restore_at(ws, &RestoreAtRequest { id, at })).await
}

/// POST /api/records/{id}/delete (`kith record delete`).
async fn delete(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    call(&state, move |ws| records::delete(ws, &RecordRequest { id })).await
}

/// POST /api/records/{id}/restore, optional body `{"values": {...}}` (`kith record restore`).
async fn restore(State(state): State<Arc<AppState>>, Path(id): Path<String>, body: axum::body::Bytes) -> ApiResult {
    let set = if body.iter().all(u8::is_ascii_whitespace) {
        Vec::new()
    } else {
        let body: Json_ =
            serde_json::from_slice(&body).map_err(|e| WebError::BadRequest(format!("the body is not JSON: {e}")))?;
        values(&body)?
    };
    call(&state, move |ws| records::restore(ws, &RestoreRequest { id, set })).await
}

/// GET /api/records/{id}/history (`kith history`).
async fn record_history(State(state): State<Arc<AppState>>, Path(record): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        history::record_history(ws, &history::HistoryRequest { record })
    })
    .await
}

/// GET /api/search?q=&object=&limit= (`kith search`).
async fn search_records(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let raw = raw.as_deref();
    let request = SearchRequest {
        text: param(raw, "q").unwrap_or_default(),
        object: param(raw, "object"),
        limit: param(raw, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(DEFAULT_LIMIT)
            .clamp(1, MAX_PAGE),
    };
    call(&state, move |ws| search(ws, &request)).await
}

/// GET /api/trash?object=&limit= (`kith trash list`).
async fn trash_list(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let raw = raw.as_deref();
    let request = TrashRequest {
        object: param(raw, "object"),
        limit: param(raw, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(trash::DEFAULT_LIMIT)
            .clamp(1, MAX_PAGE),
    };
    call(&state, move |ws| trash::list(ws, &request)).await
}

/// GET /api/conflicts?object= (`kith conflicts`).
async fn conflicts_list(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let request = ConflictsRequest {
        object: param(raw.as_deref(), "object"),
    };
    call(&state, move |ws| conflicts::list(ws, &request)).await
}

/// GET /api/config (`kith config list`).
async fn config_list(State(state): State<Arc<AppState>>) -> ApiResult {
    call(&state, |ws| config::list(ws)).await
}

/// POST /api/revert with `{"change": HASH}` or `{"group": ID}` (`kith revert`).
async fn revert_change(State(state): State<Arc<AppState>>, Json(body): Json<Json_>) -> ApiResult {
    let request: RevertRequest = serde_json::from_value(body)
        .map_err(|e| WebError::BadRequest(format!("expected {{\"change\": hash}} or {{\"group\": id}}: {e}")))?;
    call(&state, move |ws| revert(ws, &request)).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{WebError, body_with};
    use crate::app::rules::EditRuleRequest;

    #[test]
    fn a_body_gets_the_names_from_its_path_and_one_that_is_no_object_is_refused() {
        let request: EditRuleRequest = body_with(
            json!({"message": "Needs a date"}),
            &[("rule", "9c1d".into())],
            "expected a rule",
        )
        .unwrap();
        assert_eq!(request.rule, "9c1d");
        assert_eq!(request.message.as_deref(), Some("Needs a date"));
        match body_with::<EditRuleRequest>(json!(["message"]), &[("rule", "9c1d".into())], "expected a rule") {
            Err(WebError::BadRequest(m)) => assert_eq!(m, "expected a rule: the body must be a JSON object"),
            _ => panic!("an array is no request"),
        }
    }
}
