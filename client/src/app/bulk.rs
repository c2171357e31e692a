//! Bulk edit: the same values set on many records as one change group, either every
//! record matching filters (`kith record update --object … --set …`) or a chosen
//! selection (the table page's checked rows). `POST /api/objects/{object}/bulk`.

use kith_core::{FieldChange, GroupId, ObjectDef, RecordId, Workspace};
use serde::{Deserialize, Serialize};

use super::AppError;
use super::records::combined_filter;

/// `set` (field → text, parsed as typed) on `ids` when given, otherwise on every record
/// of `object` matching `filters` (ANDed; none: every record).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct BulkRequest {
    pub(crate) object: String,
    #[serde(default)]
    pub(crate) filters: Vec<String>,
    #[serde(default)]
    pub(crate) ids: Vec<String>,
    pub(crate) set: Vec<(String, String)>,
}

/// `{"records", "group"}`: how many changed and their change group (`null` when none
/// matched); reverting the group takes the whole edit back.
#[derive(Debug, Serialize)]
pub(crate) struct BulkUpdated {
    pub(crate) records: usize,
    pub(crate) group: Option<String>,
}

pub(crate) fn bulk_update(ws: &mut Workspace, req: &BulkRequest) -> Result<BulkUpdated, AppError> {
    if req.set.is_empty() {
        return Err(AppError::Invalid(
            "give the values to set on every matching record with --set field=value".into(),
        ));
    }
    let obj = ws.object_named(&req.object)?.clone();
    let changes = ws.parse_values(obj.id, &req.set)?;
    if req.ids.is_empty() {
        let filter = combined_filter(ws, obj.id, &req.filters)?;
        if ws.count(obj.id, filter.as_ref())? == 0 {
            return Ok(BulkUpdated {
                records: 0,
                group: None,
            });
        }
        let report = ws.bulk_update(obj.id, filter.as_ref(), changes)?;
        return Ok(BulkUpdated {
            records: report.records,
            group: Some(report.group.to_string()),
        });
    }
    let ids = req
        .ids
        .iter()
        .map(|text| ws.find_record_id(text.trim()))
        .collect::<Result<Vec<RecordId>, _>>()?;
    check_selection(ws, &obj, &ids, &changes)?;
    // One change group: every record's commit carries `bulk:<group>`.
    let group = GroupId::new();
    for id in &ids {
        ws.update_record_with(*id, changes.clone(), &format!("bulk:{group}"))?;
    }
    Ok(BulkUpdated {
        records: ids.len(),
        group: Some(group.to_string()),
    })
}

/// Refuses, before anything is written, a bulk edit some selected record would refuse:
/// a record that is gone, in the trash or of another object, one unique value for
/// several records, or no value for a required field. (Each record is then its own
/// transaction in one change group; these checks keep a refusal from leaving half.)
fn check_selection(ws: &Workspace, obj: &ObjectDef, ids: &[RecordId], changes: &[FieldChange]) -> Result<(), AppError> {
    for id in ids {
        let row = ws.row(*id)?;
        if row.object != obj.id {
            return Err(AppError::Invalid(format!("record {id} is not one of {}", obj.label)));
        }
        if row.deleted_at.is_some() {
            return Err(kith_core::Error::RecordDeleted(id.to_string()).into());
        }
    }
    for (field, value) in changes {
        let Some(def) = obj.field(*field) else { continue };
        if def.unique && value.is_some() && ids.len() > 1 {
            return Err(AppError::Invalid(format!(
                "{} is unique: {} records cannot share one value",
                def.label,
                ids.len()
            )));
        }
        if def.required && value.is_none() {
            return Err(AppError::Invalid(format!(
                "{} is required: it cannot be emptied",
                def.label
            )));
        }
    }
    Ok(())
}
