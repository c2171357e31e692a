//! The JSON API's routes for export, validation rules, automations, reports and
//! dashboards (the others are in `api` and `schema_routes`; these use `api`'s helpers): each parses its request,
//! calls the operation in `crate::app` and answers with its response, the same JSON the
//! `kith` command named beside it prints with `--json`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::Value as Json_;

use super::{ApiError, ApiResult, AppState, MAX_PAGE, WebError, body_with, call, param, query_pairs};
use crate::app::{automations, dashboards, reports, rules};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/objects/{object}/export", get(export))
        .route("/objects/{object}/rules", post(add_rule))
        .route("/rules", get(rule_list))
        .route("/rules/{rule}", patch(edit_rule))
        .route("/rules/{rule}/enable", post(enable_rule))
        .route("/rules/{rule}/disable", post(disable_rule))
        .route("/rules/{rule}/remove", post(remove_rule))
        .route("/automations", get(automation_list).post(add_automation))
        .route("/automations/runs", get(automation_runs))
        .route("/automations/runs/{run}/revert", post(revert_automation_run))
        .route("/automations/{automation}", get(automation_show).patch(edit_automation))
        .route("/automations/{automation}/enable", post(enable_automation))
        .route("/automations/{automation}/disable", post(disable_automation))
        .route("/automations/{automation}/remove", post(remove_automation))
        .route("/records/{record}/automations/{automation}/test", get(test_automation))
        .route("/records/{record}/automations/{automation}/run", post(run_automation))
        .route("/reports", get(report_list).post(add_report))
        .route("/reports/{report}", get(report_show).patch(edit_report))
        .route("/reports/{report}/remove", post(remove_report))
        .route("/reports/{report}/run", get(run_report))
        .route("/dashboards", get(dashboard_list).post(add_dashboard))
        .route("/dashboards/{dashboard}", get(dashboard_show).patch(edit_dashboard))
        .route("/dashboards/{dashboard}/remove", post(remove_dashboard))
}

/// GET /api/objects/{object}/export?format=csv|json&filter=&sort=&columns=a,b (`kith
/// export`): the records themselves, streamed; `filter` may repeat (ANDed).
async fn export(
    State(state): State<Arc<AppState>>,
    Path(object): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<axum::response::Response, ApiError> {
    let pairs = query_pairs(raw.as_deref());
    let format = match param(raw.as_deref(), "format").as_deref() {
        None | Some("csv") => crate::ExportFormat::Csv,
        Some("json") => crate::ExportFormat::Json,
        Some(other) => return Err(WebError::BadRequest(format!("format={other}: csv or json")).into()),
    };
    let request = crate::app::export::ExportRequest {
        object,
        filters: pairs
            .iter()
            .filter(|(k, _)| k == "filter")
            .map(|(_, v)| v.clone())
            .collect(),
        sort: param(raw.as_deref(), "sort"),
        columns: param(raw.as_deref(), "columns")
            .map(|c| c.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        format,
    };
    Ok(crate::web::export::stream_export(&state, request, None).await?)
}

/// GET /api/rules?object=&all=true (`kith rule list`).
async fn rule_list(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let request = rules::RulesRequest {
        object: param(raw.as_deref(), "object"),
        all: matches!(
            param(raw.as_deref(), "all").as_deref(),
            Some("true" | "1" | "on" | "yes")
        ),
    };
    call(&state, move |ws| rules::list(ws, &request)).await
}

/// POST /api/objects/{object}/rules with `{"when", "message", "fields"?: [key…]}` (`kith
/// rule add`).
async fn add_rule(
    State(state): State<Arc<AppState>>,
    Path(object): Path<String>,
    Json(body): Json<Json_>,
) -> ApiResult {
    let request: rules::AddRuleRequest = body_with(
        body,
        &[("object", object)],
        "expected {\"when\", \"message\", \"fields\"?}",
    )?;
    call(&state, move |ws| rules::add(ws, &request)).await
}

/// PATCH /api/rules/{rule} with `{"when"?, "message"?, "fields"?: [key…]}` (`kith rule
/// edit`).
async fn edit_rule(State(state): State<Arc<AppState>>, Path(rule): Path<String>, Json(body): Json<Json_>) -> ApiResult {
    let request: rules::EditRuleRequest = body_with(
        body,
        &[("rule", rule)],
        "expected {\"when\"?, \"message\"?, \"fields\"?}",
    )?;
    call(&state, move |ws| rules::edit(ws, &request)).await
}

/// POST /api/rules/{rule}/enable (`kith rule enable`).
async fn enable_rule(State(state): State<Arc<AppState>>, Path(rule): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        rules::set_enabled(ws, &rules::RuleRequest { rule }, true)
    })
    .await
}

/// POST /api/rules/{rule}/disable (`kith rule disable`).
async fn disable_rule(State(state): State<Arc<AppState>>, Path(rule): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        rules::set_enabled(ws, &rules::RuleRequest { rule }, false)
    })
    .await
}

/// POST /api/rules/{rule}/remove (`kith rule remove`).
async fn remove_rule(State(state): State<Arc<AppState>>, Path(rule): Path<String>) -> ApiResult {
    call(&state, move |ws| rules::remove(ws, &rules::RuleRequest { rule })).await
}

/// GET /api/automations (`kith automation list`).
async fn automation_list(State(state): State<Arc<AppState>>) -> ApiResult {
    call(&state, |ws| automations::list(ws)).await
}

/// GET /api/automations/{automation} (`kith automation show`): by name or id.
async fn automation_show(State(state): State<Arc<AppState>>, Path(automation): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        automations::show(ws, &automations::AutomationRequest { automation })
    })
    .await
}

/// POST /api/automations with `{"name", "definition": {…}}` (`kith automation add`).
async fn add_automation(State(state): State<Arc<AppState>>, Json(body): Json<Json_>) -> ApiResult {
    let request: automations::AddAutomationRequest = serde_json::from_value(body).map_err(|e| {
        WebError::BadRequest(format!(
            "expected {{\"name\", \"definition\": {{…}}}} (docs/logic.md): {e}"
        ))
    })?;
    call(&state, move |ws| automations::add(ws, &request)).await
}

/// PATCH /api/automations/{automation} with `{"name"?, "definition"?}` (`kith automation
/// edit`).
async fn edit_automation(
    State(state): State<Arc<AppState>>,
    Path(automation): Path<String>,
    Json(body): Json<Json_>,
) -> ApiResult {
    let request: automations::EditAutomationRequest = body_with(
        body,
        &[("automation", automation)],
        "expected {\"name\"?, \"definition\"?}",
    )?;
    call(&state, move |ws| automations::edit(ws, &request)).await
}

/// POST /api/automations/{automation}/enable (`kith automation enable`).
async fn enable_automation(State(state): State<Arc<AppState>>, Path(automation): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        automations::set_enabled(ws, &automations::AutomationRequest { automation }, true)
    })
    .await
}

/// POST /api/automations/{automation}/disable (`kith automation disable`).
async fn disable_automation(State(state): State<Arc<AppState>>, Path(automation): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        automations::set_enabled(ws, &automations::AutomationRequest { automation }, false)
    })
    .await
}

/// POST /api/automations/{automation}/remove (`kith automation remove`).
async fn remove_automation(State(state): State<Arc<AppState>>, Path(automation): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        automations::remove(ws, &automations::AutomationRequest { automation })
    })
    .await
}

/// GET /api/automations/runs?automation=&limit= (`kith automation runs`).
async fn automation_runs(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let raw = raw.as_deref();
    let request = automations::RunsRequest {
        automation: param(raw, "automation"),
        limit: param(raw, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(automations::DEFAULT_RUNS)
            .clamp(1, MAX_PAGE),
    };
    call(&state, move |ws| automations::runs(ws, &request)).await
}

/// POST /api/automations/runs/{run}/revert, optional body `{"force": true}` (`kith
/// automation revert`).
async fn revert_automation_run(
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let force = if body.iter().all(u8::is_ascii_whitespace) {
        false
    } else {
        let body: Json_ =
            serde_json::from_slice(&body).map_err(|e| WebError::BadRequest(format!("the body is not JSON: {e}")))?;
        body.get("force").and_then(Json_::as_bool).unwrap_or(false)
    };
    call(&state, move |ws| {
        automations::revert_run(ws, &automations::RevertRunRequest { run, force })
    })
    .await
}

/// GET /api/records/{record}/automations/{automation}/test (`kith automation test`): a
/// dry run, nothing written.
async fn test_automation(
    State(state): State<Arc<AppState>>,
    Path((record, automation)): Path<(String, String)>,
) -> ApiResult {
    call(&state, move |ws| {
        automations::test(ws, &automations::OnRecordRequest { automation, record })
    })
    .await
}

/// POST /api/records/{record}/automations/{automation}/run (`kith automation run`; the
/// record page's button).
async fn run_automation(
    State(state): State<Arc<AppState>>,
    Path((record, automation)): Path<(String, String)>,
) -> ApiResult {
    call(&state, move |ws| {
        automations::run(ws, &automations::OnRecordRequest { automation, record })
    })
    .await
}

/// GET /api/reports (`kith report list`).
async fn report_list(State(state): State<Arc<AppState>>) -> ApiResult {
    call(&state, |ws| reports::list(ws)).await
}

/// GET /api/reports/{report} (`kith report show`): the definition and its changes.
async fn report_show(State(state): State<Arc<AppState>>, Path(report): Path<String>) -> ApiResult {
    call(&state, move |ws| reports::show(ws, &reports::ReportRequest { report })).await
}

/// POST /api/reports with `{"name", "object", "filter"?, "group_by"?: [...],
/// "measures"?: [...], "chart"?}` (`kith report add`).
async fn add_report(State(state): State<Arc<AppState>>, Json(body): Json<Json_>) -> ApiResult {
    let request: reports::AddReportRequest = serde_json::from_value(body).map_err(|e| {
        WebError::BadRequest(format!(
            "expected {{\"name\", \"object\", \"filter\"?, \"group_by\"?, \"measures\"?, \"chart\"?}}: {e}"
        ))
    })?;
    call(&state, move |ws| reports::add(ws, &request)).await
}

/// PATCH /api/reports/{report} with any of `{"name", "object", "filter", "group_by",
/// "measures", "chart"}` (`kith report edit`).
async fn edit_report(
    State(state): State<Arc<AppState>>,
    Path(report): Path<String>,
    Json(body): Json<Json_>,
) -> ApiResult {
    let request: reports::EditReportRequest = body_with(
        body,
        &[("report", report)],
        "expected {\"name\"?, \"object\"?, \"filter\"?, \"group_by\"?, \"measures\"?, \"chart\"?}",
    )?;
    call(&state, move |ws| reports::edit(ws, &request)).await
}

/// POST /api/reports/{report}/remove (`kith report remove`).
async fn remove_report(State(state): State<Arc<AppState>>, Path(report): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        reports::remove(ws, &reports::ReportRequest { report })
    })
    .await
}

/// GET /api/reports/{report}/run?format=json|csv|svg (`kith report run`, `--csv`,
/// `--svg`).
async fn run_report(
    State(state): State<Arc<AppState>>,
    Path(report): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header::CONTENT_TYPE;
    use axum::response::IntoResponse;
    let format = param(raw.as_deref(), "format").unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv" | "svg") {
        return Err(WebError::BadRequest(format!("format={format}: json, csv or svg")).into());
    }
    let run = state
        .ws
        .call(move |ws| reports::run(ws, &reports::ReportRequest { report }))
        .await??;
    Ok(match format.as_str() {
        "csv" => ([(CONTENT_TYPE, "text/csv; charset=utf-8")], run.csv()).into_response(),
        "svg" => ([(CONTENT_TYPE, "image/svg+xml")], run.svg()).into_response(),
        _ => Json(serde_json::to_value(&run).map_err(|e| WebError::BadRequest(e.to_string()))?).into_response(),
    })
}

/// GET /api/dashboards (`kith dashboard list`).
async fn dashboard_list(State(state): State<Arc<AppState>>) -> ApiResult {
    call(&state, |ws| dashboards::list(ws)).await
}

/// GET /api/dashboards/{dashboard} (`kith dashboard show`): every report run.
async fn dashboard_show(State(state): State<Arc<AppState>>, Path(dashboard): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        dashboards::show(ws, &dashboards::DashboardRequest { dashboard })
    })
    .await
}

/// POST /api/dashboards with `{"name", "reports": [report…]}` (`kith dashboard add`).
async fn add_dashboard(State(state): State<Arc<AppState>>, Json(body): Json<Json_>) -> ApiResult {
    let request: dashboards::AddDashboardRequest = serde_json::from_value(body)
        .map_err(|e| WebError::BadRequest(format!("expected {{\"name\", \"reports\": [...]}}: {e}")))?;
    call(&state, move |ws| dashboards::add(ws, &request)).await
}

/// PATCH /api/dashboards/{dashboard} with `{"name"?, "reports"?: [report…]}` (`kith
/// dashboard edit`).
async fn edit_dashboard(
    State(state): State<Arc<AppState>>,
    Path(dashboard): Path<String>,
    Json(body): Json<Json_>,
) -> ApiResult {
    let request: dashboards::EditDashboardRequest = body_with(
        body,
        &[("dashboard", dashboard)],
        "expected {\"name\"?, \"reports\"?: [...]}",
    )?;
    call(&state, move |ws| dashboards::edit(ws, &request)).await
}

/// POST /api/dashboards/{dashboard}/remove (`kith dashboard remove`).
async fn remove_dashboard(State(state): State<Arc<AppState>>, Path(dashboard): Path<String>) -> ApiResult {
    call(&state, move |ws| {
        dashboards::remove(ws, &dashboards::DashboardRequest { dashboard })
    })
    .await
}
