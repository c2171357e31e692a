//! The JSON API under `/api`, for the page script and other local tools. GETs need no
//! token; anything that changes data needs the `x-kith-token` header (see security).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use kith_core::{Query, RecordId};
use serde_json::{Value as Json_, json};

use super::form::query_pairs;
use super::record::parse_id;
use super::undo::last_change;
use super::{AppState, WebError};

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/schema", get(schema))
        .route("/objects/{object}/records", get(records))
        .route("/records/{record}", get(record).patch(update))
        .route("/records/{record}/history", get(history))
        .route("/search", get(search))
        .route("/revert", post(revert))
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

type ApiResult = Result<Json<Json_>, ApiError>;

async fn schema(State(state): State<Arc<AppState>>) -> ApiResult {
    let objects = state
        .ws
        .call(|ws| {
            ws.schema()
                .active_objects()
                .map(|o| {
                    json!({
                        "id": o.id.to_string(), "key": o.key, "label": o.label,
                        "fields": o.active_fields().map(|f| json!({
                            "id": f.id.to_string(), "key": f.key, "label": f.label, "type": f.kind.as_str(),
                            "required": f.required, "unique": f.unique,
                            "options": f.options.iter().filter(|o| !o.archived).map(|o| json!({"label": o.label, "color": o.color})).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(Json(json!({ "objects": objects })))
}

/// GET /api/objects/{object}/records?filter=&sort=&after=&limit=
async fn records(State(state): State<Arc<AppState>>, Path(key): Path<String>, RawQuery(raw): RawQuery) -> ApiResult {
    let pairs = query_pairs(raw.as_deref());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let (filter, sort, after) = (get("filter"), get("sort"), get("after"));
    let limit = get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50usize)
        .clamp(1, 500);
    let out = state
        .ws
        .call(move |ws| -> Result<Json_, ApiError> {
            let object = ws.object_named(&key).map_err(kith_core::Error::from)?.id;
            let mut q = Query::new(object);
            q.filter = filter.map(|f| ws.parse_filter(object, &f)).transpose()?;
            q.sort = sort.map(|s| ws.parse_sort(object, &s)).transpose()?.unwrap_or_default();
            q.limit = limit;
            q.after = after;
            let page = ws.query(&q)?;
            let count = ws.count(object, q.filter.as_ref())?;
            let records: Vec<Json_> = page
                .ids
                .iter()
                .filter_map(|id| ws.record(*id).ok())
                .map(record_json)
                .collect();
            Ok(json!({ "count": count, "records": records, "next": page.next }))
        })
        .await??;
    Ok(Json(out))
}

fn record_json(r: kith_core::RecordView) -> Json_ {
    let mut values = serde_json::Map::new();
    for c in &r.cells {
        values.insert(c.key.clone(), c.json.clone());
    }
    json!({
        "id": r.id.to_string(), "object": r.object_key, "created_at": r.created_at,
        "updated_at": r.updated_at, "deleted_at": r.deleted_at, "values": values,
    })
}

async fn record(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id)?;
    let r = state.ws.call(move |ws| ws.record(id)).await??;
    Ok(Json(record_json(r)))
}

/// PATCH /api/records/{record} with `{"values": {"key": "text", ...}}`; answers with the
/// record and `undo` (the change to revert to take it back).
async fn update(State(state): State<Arc<AppState>>, Path(id): Path<String>, Json(body): Json<Json_>) -> ApiResult {
    let id: RecordId = parse_id(&id)?;
    let inputs: Vec<(String, String)> = body
        .get("values")
        .and_then(|v| v.as_object())
        .ok_or_else(|| WebError::BadRequest("expected {\"values\": {field: text}}".into()))?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    let out = state
        .ws
        .call(move |ws| -> Result<Json_, ApiError> {
            let object = ws.record(id)?.object;
            let changes = ws.parse_values(object, &inputs)?;
            ws.update_record(id, changes)?;
            let undo = last_change(ws, id).map(|u| u.encode());
            Ok(json!({ "record": record_json(ws.record(id)?), "undo": undo }))
        })
        .await??;
    Ok(Json(out))
}

async fn history(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id)?;
    let h = state.ws.call(move |ws| ws.record_history(id)).await??;
    Ok(Json(serde_json::to_value(h).unwrap_or(Json_::Null)))
}

/// GET /api/search?q=: `[{"id", "name", "object"}]`
async fn search(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let q = query_pairs(raw.as_deref())
        .into_iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let hits = state.ws.call(move |ws| super::pages::search_hits(ws, &q)).await?;
    Ok(Json(json!(
        hits.iter()
            .map(|(id, name, object)| json!({"id": id.to_string(), "name": name, "object": object}))
            .collect::<Vec<_>>()
    )))
}

/// POST /api/revert with `{"change": HASH}` or `{"group": ID}`.
async fn revert(State(state): State<Arc<AppState>>, Json(body): Json<Json_>) -> ApiResult {
    let change = body.get("change").and_then(|v| v.as_str()).map(str::to_string);
    let group = body.get("group").and_then(|v| v.as_str()).map(str::to_string);
    let report = state
        .ws
        .call(move |ws| -> Result<kith_core::RevertReport, ApiError> {
            match (change, group) {
                (Some(c), _) => Ok(ws.revert_change(&c, false)?),
                (None, Some(g)) => Ok(ws.revert_group(
                    g.parse().map_err(|_| WebError::BadRequest("bad group id".into()))?,
                    false,
                )?),
                _ => Err(WebError::BadRequest("expected {\"change\": hash} or {\"group\": id}".into()).into()),
            }
        })
        .await??;
    Ok(Json(serde_json::to_value(report).unwrap_or(Json_::Null)))
}
