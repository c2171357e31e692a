//! The schema editor's forms: each parses its form and calls the operation of
//! `crate::app` that `kith object|field|option` and `/api/objects…` call, then redirects
//! to the schema page with the operation's sentence and undo as a toast. The retype
//! page shows the operation's dry run before the button that confirms it.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::form::{FormPairs, query_pairs};
use super::layout::{Active, Chrome, page};
use super::undo::{Undo, redirect_with};
use super::{AppState, WebError};
use crate::app::schema_change::{Placement, Step};
use crate::app::{AppError, Changed, fields, objects, options, retype};

/// Redirects to the schema page with what `op` did.
async fn answer(
    state: &AppState,
    op: impl FnOnce(&mut kith_core::Workspace) -> Result<Changed, AppError> + Send + 'static,
) -> Result<Redirect, WebError> {
    let done = state.ws.call(op).await??;
    let undo = done.undo.as_deref().and_then(Undo::decode);
    Ok(redirect_with("/schema", &done.message, undo.as_ref()))
}

/// A form value, trimmed, when given and not empty.
fn given(form: &FormPairs, name: &str) -> Option<String> {
    form.get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// `up` or `down` as a step.
fn step(action: &str) -> Option<Step> {
    match action {
        "up" => Some(Step::Up),
        "down" => Some(Step::Down),
        _ => None,
    }
}

/// POST /schema/object: `label` (and `key`, from the label when not given).
pub(crate) async fn add_object(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let request = objects::AddObjectRequest {
        key: given(&form, "key"),
        label: given(&form, "label"),
    };
    answer(&state, move |ws| objects::add(ws, &request)).await
}

/// POST /schema/object/change: `object`, `action` = rename (with `label`), archive,
/// restore.
pub(crate) async fn change_object(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let object = form.require("object")?.to_string();
    match form.require("action")? {
        "rename" => {
            let request = objects::RenameObjectRequest {
                object,
                label: Some(form.require("label")?.to_string()),
                key: None,
            };
            answer(&state, move |ws| objects::rename(ws, &request)).await
        }
        action @ ("archive" | "restore") => {
            let archived = action == "archive";
            let request = objects::ObjectRequest { object };
            answer(&state, move |ws| objects::set_archived(ws, &request, archived)).await
        }
        other => Err(WebError::BadRequest(format!("unknown action '{other}'"))),
    }
}

/// POST /schema/field: `object`, `label`, `kind` (a type, or formula, lookup or rollup
/// with `definition`), `options` (for selects, separated by `;`).
pub(crate) async fn add_field(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let kind = form.require("kind")?;
    let computed = fields::Definition::of_kind(kind, form.get("definition").unwrap_or_default());
    let kind = match computed {
        Some(_) => None,
        None => Some(
            kind.parse()
                .map_err(|_| WebError::BadRequest("unknown field type".into()))?,
        ),
    };
    let request = fields::AddFieldRequest {
        object: form.require("object")?.to_string(),
        key: None,
        label: Some(form.require("label")?.to_string()),
        kind,
        computed: computed.unwrap_or_default(),
        required: false,
        unique: false,
        options: form
            .get("options")
            .unwrap_or_default()
            .split(';')
            .map(str::to_string)
            .collect(),
        target: None,
        many: false,
        currency: None,
        max_rating: None,
    };
    answer(&state, move |ws| fields::add(ws, &request)).await
}

/// POST /schema/field/change: `object`, `field`, `action` = rename (with `label`), up,
/// down, archive, restore, retype (with `kind`, and `target` for a relation), compute (with `kind` and
/// `definition`), required or unique (with `value` = true or false).
pub(crate) async fn change_field(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let object = form.require("object")?.to_string();
    let field = form.require("field")?.to_string();
    let action = form.require("action")?.to_string();
    let flag = || form.get("value").is_some_and(|v| v == "true");
    match action.as_str() {
        "rename" => {
            let request = fields::RenameFieldRequest {
                object,
                field,
                label: Some(form.require("label")?.to_string()),
                key: None,
            };
            answer(&state, move |ws| fields::rename(ws, &request)).await
        }
        "up" | "down" => {
            let request = fields::ReorderFieldRequest {
                object,
                field,
                to: Placement::step(step(&action).unwrap_or(Step::Up)),
            };
            answer(&state, move |ws| fields::reorder(ws, &request)).await
        }
        "archive" | "restore" => {
            let request = fields::FieldRequest { object, field };
            answer(&state, move |ws| {
                fields::set_archived(ws, &request, action == "archive")
            })
            .await
        }
        "retype" => {
            let request = retype::RetypeRequest {
                object,
                field,
                kind: form
                    .require("kind")?
                    .parse()
                    .map_err(|_| WebError::BadRequest("unknown field type".into()))?,
                target: given(&form, "target"),
                dry_run: false,
            };
            answer(&state, move |ws| {
                let done = retype::retype(ws, &request)?;
                Ok(Changed {
                    id: done.id,
                    message: done.message,
                    undo: done.undo,
                })
            })
            .await
        }
        "compute" => {
            let definition =
                fields::Definition::of_kind(form.require("kind")?, form.get("definition").unwrap_or_default())
                    .ok_or_else(|| WebError::BadRequest("say formula, lookup or rollup".into()))?;
            let request = fields::EditComputedRequest {
                object,
                field,
                definition,
            };
            answer(&state, move |ws| fields::edit_computed(ws, &request)).await
        }
        "required" | "unique" => {
            let value = Some(flag());
            let request = fields::FieldSettingsRequest {
                object,
                field,
                required: value.filter(|_| action == "required"),
                unique: value.filter(|_| action == "unique"),
            };
            answer(&state, move |ws| fields::set(ws, &request)).await
        }
        other => Err(WebError::BadRequest(format!("unknown action '{other}'"))),
    }
}

/// POST /schema/option: `object`, `field`, and `add` (a new option), or `option` with
/// `color`, or `option` with `action` = rename (with `label`), up, down, archive or
/// restore.
pub(crate) async fn change_option(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let object = form.require("object")?.to_string();
    let field = form.require("field")?.to_string();
    if let Some(label) = given(&form, "add") {
        let request = options::AddOptionsRequest {
            object,
            field,
            labels: vec![label],
        };
        return answer(&state, move |ws| options::add(ws, &request)).await;
    }
    let option = options::OptionRequest {
        object,
        field,
        option: form
            .get("option")
            .ok_or_else(|| WebError::BadRequest("name an option to add or change".into()))?
            .to_string(),
    };
    if let Some(color) = form.get("color") {
        let request = options::RecolorOptionRequest {
            option,
            color: color.to_string(),
        };
        return answer(&state, move |ws| options::recolor(ws, &request)).await;
    }
    let action = form.require("action")?.to_string();
    match action.as_str() {
        "rename" => {
            let request = options::RenameOptionRequest {
                option,
                label: form.require("label")?.to_string(),
            };
            answer(&state, move |ws| options::rename(ws, &request)).await
        }
        "up" | "down" => {
            let request = options::ReorderOptionRequest {
                option,
                to: Placement::step(step(&action).unwrap_or(Step::Up)),
            };
            answer(&state, move |ws| options::reorder(ws, &request)).await
        }
        "archive" | "restore" => {
            answer(&state, move |ws| {
                options::set_archived(ws, &option, action == "archive")
            })
            .await
        }
        other => Err(WebError::BadRequest(format!("unknown action '{other}'"))),
    }
}

/// GET /schema/retype?object=&field=&kind=: the retype's dry run (what converts, and
/// the values that do not), and a button to confirm.
pub(crate) async fn retype_preview(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw.as_deref());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let request = retype::RetypeRequest {
        object: get("object"),
        field: get("field"),
        kind: get("kind")
            .parse()
            .map_err(|_| WebError::BadRequest("unknown field type".into()))?,
        target: None,
        dry_run: true,
    };
    let token = state.session();
    let (chrome, label, report, targets) = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            let (_, def) = fields::named(ws, &request.object, &request.field)?;
            let report = retype::retype(ws, &request)?;
            // A relation can point at one object; the choice goes with the confirmation.
            let targets: Vec<(String, String)> = ws
                .schema()
                .active_objects()
                .map(|o| (o.id.to_string(), o.label.clone()))
                .collect();
            Ok((Chrome::read(ws, &token), def.label, report, targets))
        })
        .await??;
    let (object, field) = (get("object"), get("field"));
    let more = report.unconverted_count - report.unconverted.len();
    let body = html! {
        h1 { "Change the type of “" (label) "”" }
        p { "From " strong { (report.from.as_str()) } " to " strong { (report.kind.as_str()) } ". "
            (report.converted) " values convert; " (report.unconverted_count) " do not and will be kept as they are (shown with ⚠ until fixed or retyped back)." }
        @if !report.unconverted.is_empty() {
            table.records { thead { tr { th { "Record" } th { "Value that does not convert" } } } tbody {
                @for u in &report.unconverted { tr { td { a href={"/r/" (u.id)} { (u.record) } } td { (u.value) } } }
            } }
            @if more > 0 { p.muted { "… and " (more) " more." } }
        }
        form method="post" action="/schema/field/change" {
            (chrome.token_field())
            input type="hidden" name="object" value=(object);
            input type="hidden" name="field" value=(field);
            input type="hidden" name="action" value="retype";
            input type="hidden" name="kind" value=(report.kind.as_str());
            @if report.kind == kith_core::FieldKind::Relation {
                label { "Pointing at " select name="target" {
                    option value="" { "any object" }
                    @for (id, name) in &targets { option value=(id) { (name) } }
                } } " "
            }
            button type="submit" { "Change the type" } " "
            a href="/schema" { "Cancel" }
        }
    };
    Ok(page(&chrome, "Change a field's type", Active::Schema, None, body).into_response())
}
