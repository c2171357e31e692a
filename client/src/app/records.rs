//! Records: list (a page, with the count), get (with the records pointing at it), add,
//! update, delete, restore. `kith record …` and `/api/…records…`.

use kith_core::time_fmt::format_datetime;
use kith_core::{Filter, ObjectId, Op, Query, RecordId, RecordView, Workspace};
use serde::{Deserialize, Serialize};

use super::{AppError, Changed};
use crate::output::JsonObject;
use crate::record_json::record_json;

/// Records per page when not told.
pub(crate) const DEFAULT_LIMIT: usize = 50;

/// A page of an object's records: `filters` (ANDed, in the filter language), `sort`
/// (`-amount,name`), `after` (the `next` of the previous page), `limit`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListRequest {
    pub(crate) object: String,
    #[serde(default)]
    pub(crate) filters: Vec<String>,
    pub(crate) sort: Option<String>,
    pub(crate) after: Option<String>,
    pub(crate) limit: Option<usize>,
}

/// `{"count", "records", "next"}`: how many match in all, this page, the cursor of the
/// next page (`null` on the last).
#[derive(Debug, Serialize)]
pub(crate) struct RecordPage {
    pub(crate) count: u64,
    pub(crate) records: Vec<JsonObject>,
    pub(crate) next: Option<String>,
    /// The page's records as read, for text tables.
    #[serde(skip)]
    pub(crate) views: Vec<RecordView>,
}

/// `--filter` arguments (or `filter=` parameters) ANDed together.
pub(crate) fn combined_filter(ws: &Workspace, object: ObjectId, texts: &[String]) -> Result<Option<Filter>, AppError> {
    let mut filters = texts
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|f| ws.parse_filter(object, f).map_err(AppError::from))
        .collect::<Result<Vec<Filter>, _>>()?;
    Ok(match filters.len() {
        0 => None,
        1 => filters.pop(),
        _ => Some(Filter::All(filters)),
    })
}

pub(crate) fn list(ws: &Workspace, req: &ListRequest) -> Result<RecordPage, AppError> {
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 {
        return Err(AppError::Invalid("--limit must be at least 1".into()));
    }
    let object = ws.object_named(&req.object)?.id;
    let mut query = Query::new(object);
    query.filter = combined_filter(ws, object, &req.filters)?;
    query.sort = match req.sort.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => ws.parse_sort(object, s)?,
        None => Vec::new(),
    };
    query.limit = limit;
    query.after = req.after.clone().filter(|a| !a.is_empty());
    let page = ws.query(&query)?;
    let count = ws.count(object, query.filter.as_ref())?;
    let views = page
        .ids
        .iter()
        .map(|id| ws.record(*id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordPage {
        count,
        records: views.iter().map(|v| record_json(ws, v)).collect(),
        next: page.next,
        views,
    })
}

/// How many records match, without reading a page.
pub(crate) fn count(ws: &Workspace, object: &str, filters: &[String]) -> Result<u64, AppError> {
    let object = ws.object_named(object)?.id;
    let filter = combined_filter(ws, object, filters)?;
    Ok(ws.count(object, filter.as_ref())?)
}

/// A record by id or short id; `at` (ms since 1970): as it was then.
#[derive(Debug, Deserialize)]
pub(crate) struct GetRequest {
    pub(crate) id: String,
    pub(crate) at: Option<i64>,
}

/// A record in the shared shape, with `related` (records pointing at it: `{object,
/// field, id, name}`) and, when asked for a moment, `at`.
#[derive(Debug, Serialize)]
pub(crate) struct RecordDetail {
    #[serde(flatten)]
    pub(crate) record: JsonObject,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) at: Option<String>,
    pub(crate) related: Vec<Related>,
    #[serde(skip)]
    pub(crate) view: RecordView,
    #[serde(skip)]
    pub(crate) groups: Vec<Referrers>,
}

/// One record pointing at the one shown.
#[derive(Debug, Serialize)]
pub(crate) struct Related {
    pub(crate) object: String,
    pub(crate) field: String,
    pub(crate) id: String,
    pub(crate) name: String,
}

pub(crate) fn get(ws: &Workspace, req: &GetRequest) -> Result<RecordDetail, AppError> {
    let id = ws.find_record_id(req.id.trim())?;
    let (view, groups) = match req.at {
        Some(time) => (ws.record_at(id, time)?, Vec::new()),
        None => {
            let view = ws.record(id)?;
            let groups = referrers(ws, id, view.object)?;
            (view, groups)
        }
    };
    let related = groups
        .iter()
        .flat_map(|group| {
            group.records.iter().map(|(rid, name)| Related {
                object: group.object.clone(),
                field: group.field.clone(),
                id: rid.to_string(),
                name: name.clone(),
            })
        })
        .collect();
    Ok(RecordDetail {
        record: record_json(ws, &view),
        at: req.at.map(format_datetime),
        related,
        view,
        groups,
    })
}

/// Records of one relation field that point to a record.
#[derive(Debug)]
pub(crate) struct Referrers {
    pub(crate) object: String,
    pub(crate) field: String,
    pub(crate) label: String,
    /// The first few, with their names.
    pub(crate) records: Vec<(RecordId, String)>,
    pub(crate) total: u64,
}

/// How many referrers of each field a record shows.
const REFERRERS_SHOWN: usize = 20;

/// Every record, in any object, whose relation fields point to `id`.
fn referrers(ws: &Workspace, id: RecordId, object: ObjectId) -> Result<Vec<Referrers>, AppError> {
    let mut out = Vec::new();
    for obj in ws.schema().active_objects() {
        for field in obj.active_fields() {
            if field.kind != kith_core::FieldKind::Relation || field.target.is_some_and(|t| t != object) {
                continue;
            }
            let filter = Filter::Cond {
                field: field.id,
                op: Op::RelatedTo(id),
            };
            let mut query = Query::new(obj.id);
            query.filter = Some(filter.clone());
            query.limit = REFERRERS_SHOWN;
            let page = ws.query(&query)?;
            if page.ids.is_empty() {
                continue;
            }
            let total = if page.next.is_some() {
                ws.count(obj.id, Some(&filter))?
            } else {
                page.ids.len() as u64
            };
            let records = page.ids.iter().map(|r| (*r, ws.record_name(*r))).collect();
            out.push(Referrers {
                object: obj.key.clone(),
                field: field.key.clone(),
                label: field.label.clone(),
                records,
                total,
            });
        }
    }
    Ok(out)
}

/// A new record of `object` with `values` (field key or label → text, parsed as typed).
#[derive(Debug, Deserialize)]
pub(crate) struct AddRequest {
    pub(crate) object: String,
    pub(crate) values: Vec<(String, String)>,
}

pub(crate) fn add(ws: &mut Workspace, req: &AddRequest) -> Result<Changed, AppError> {
    let object = ws.object_named(&req.object)?.id;
    let values = ws.parse_values(object, &req.values)?;
    let id = ws.create_record(object, values)?;
    Ok(Changed {
        id: id.to_string(),
        message: format!("added {} {}", ws.record_name(id), id),
        undo: Some(format!("delete:{id}")),
    })
}

/// New values for some fields of a record (an empty text clears the field).
/// `skip_unchanged` drops the values equal to the record's current ones first (a form
/// that posts every field); when none is left nothing is written and `undo` is `null`.
#[derive(Debug, Deserialize)]
pub(crate) struct UpdateRequest {
    pub(crate) id: String,
    pub(crate) values: Vec<(String, String)>,
    #[serde(default)]
    pub(crate) skip_unchanged: bool,
}

pub(crate) fn update(ws: &mut Workspace, req: &UpdateRequest) -> Result<Changed, AppError> {
    if req.values.is_empty() {
        return Err(AppError::Invalid(
            "give the new values as field=value after the record id".into(),
        ));
    }
    let id = ws.find_record_id(req.id.trim())?;
    let object = ws.row(id)?.object;
    let mut changes = ws.parse_values(object, &req.values)?;
    if req.skip_unchanged {
        let current = ws.record(id)?;
        changes
            .retain(|(field, value)| current.cells.iter().find(|c| c.field == *field).map(|c| &c.value) != Some(value));
        if changes.is_empty() {
            return Ok(Changed {
                id: id.to_string(),
                message: "nothing changed".into(),
                undo: None,
            });
        }
    }
    ws.update_record(id, changes)?;
    Ok(Changed {
        id: id.to_string(),
        message: format!("updated {id}"),
        undo: last_change(ws, id),
    })
}

/// The newest change of a record, as an undo: what reverts a single edit. An edit that
/// triggered automations is undone with everything they did (its change group).
fn last_change(ws: &Workspace, id: RecordId) -> Option<String> {
    let history = ws.record_history(id).ok()?;
    let last = history.last()?;
    let mut parts = last.message.split(':');
    match (parts.next(), parts.next()) {
        (Some("edit" | "automation"), Some(group)) if group.parse::<kith_core::GroupId>().is_ok() => {
            Some(format!("group:{group}"))
        }
        _ => Some(format!("change:{}", last.change)),
    }
}

/// A record named by id or short id.
#[derive(Debug, Deserialize)]
pub(crate) struct RecordRequest {
    pub(crate) id: String,
}

/// Moves a record to the trash.
pub(crate) fn delete(ws: &mut Workspace, req: &RecordRequest) -> Result<Changed, AppError> {
    let id = ws.find_record_id(req.id.trim())?;
    ws.delete_record(id)?;
    let short = ws.short_record_id(id).unwrap_or_else(|_| id.to_string());
    Ok(Changed {
        id: id.to_string(),
        message: format!("moved {id} to the trash (`kith record restore {short}` brings it back)"),
        undo: Some(format!("restore:{id}")),
    })
}

/// Takes a record out of the trash, with `set` changes made on the way back (a unique
/// value another record took meanwhile, say).
#[derive(Debug, Deserialize)]
pub(crate) struct RestoreRequest {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) set: Vec<(String, String)>,
}

pub(crate) fn restore(ws: &mut Workspace, req: &RestoreRequest) -> Result<Changed, AppError> {
    let id = ws.find_record_id(req.id.trim())?;
    let row = ws.row(id)?;
    let short = ws.short_record_id(id).unwrap_or_else(|_| id.to_string());
    if row.deleted_at.is_none() {
        return Err(kith_core::Error::NotInTrash(short).into());
    }
    let changes = ws.parse_values(row.object, &req.set)?;
    ws.restore_record_with(id, changes)?;
    Ok(Changed {
        id: id.to_string(),
        message: format!("restored {short} ({}) from the trash", ws.record_name(id)),
        undo: Some(format!("delete:{id}")),
    })
}
