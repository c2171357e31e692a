//! `kith field list|add|edit|rename|reorder|archive|restore|retype|set`: the fields of an
//! object. Positions are 1-based, counted among the fields `kith field list` shows.

use std::io::Write;

use clap::Subcommand;
use kith_core::{ComputedSpec, FieldDef, FieldKind, ObjectId, Workspace};

use crate::CliError;
use crate::app::fields::{self, AddFieldRequest, FieldRequest, RenameFieldRequest};
use crate::commands::Context;
use crate::commands::support::{changed, done, label_from_key, parse_bool, position, short_id};
use crate::output::{JsonObject, Table, thousands, write_json};

/// List, add, rename, reorder, archive, restore and retype fields.
#[derive(clap::Args)]
pub struct FieldArgs {
    #[command(subcommand)]
    pub command: FieldCommand,
}

#[derive(Subcommand)]
pub enum FieldCommand {
    /// List an object's fields in order
    List {
        /// The object (key, label or id)
        object: String,
        /// Include archived fields
        #[arg(long)]
        all: bool,
    },
    /// Add a field at the end of an object's fields
    Add {
        /// The object (key, label or id)
        object: String,
        /// Key: lowercase letters, digits and _, starting with a letter
        key: String,
        /// text, long_text, number, currency, percent, date, datetime, boolean, select,
        /// multi_select, email, phone, url, rating or relation (or give --formula,
        /// --lookup or --rollup for a computed field)
        #[arg(long = "type", value_name = "TYPE", required_unless_present_any = ["formula", "lookup", "rollup"], conflicts_with_all = ["formula", "lookup", "rollup"])]
        kind: Option<FieldKind>,
        /// A computed field: a formula over this record's fields, like "amount * probability / 100"
        #[arg(long, value_name = "EXPR", conflicts_with_all = ["lookup", "rollup"])]
        formula: Option<String>,
        /// A computed field: a field of the related record, written relation.field, like company.industry
        #[arg(long, value_name = "RELATION.FIELD", conflicts_with = "rollup")]
        lookup: Option<String>,
        /// A computed field aggregating related records: "<relation>.<field> sum|avg|min|max [where FILTER]"
        /// or "<relation> count [where FILTER]"; <relation> is a relation field of this object or an
        /// object pointing here (deals, or deals/company), like "deals.amount sum where stage != Lost"
        #[arg(long, value_name = "SPEC")]
        rollup: Option<String>,
        /// Label shown to people [default: from the key]
        #[arg(long)]
        label: Option<String>,
        /// Every record needs a value
        #[arg(long)]
        required: bool,
        /// No two records share a value
        #[arg(long)]
        unique: bool,
        /// Options of a select or multi-select, comma-separated: "Low,Medium,High"
        #[arg(long)]
        options: Option<String>,
        /// The object a relation points to [default: any object]
        #[arg(long)]
        target: Option<String>,
        /// A relation to many records
        #[arg(long)]
        many: bool,
        /// Currency code for amounts given without one [default: USD]
        #[arg(long)]
        currency: Option<String>,
        /// Highest rating, 1 to 10 [default: 5]
        #[arg(long)]
        max_rating: Option<u8>,
    },
    /// Give a field a new label, a new key, or both (values are kept)
    Rename {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The new label, shown to people
        #[arg(long)]
        label: Option<String>,
        /// The new key: lowercase letters, digits and _, starting with a letter
        #[arg(long)]
        key: Option<String>,
    },
    /// Move a field to a position (1 is first)
    Reorder {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The new position, counting from 1
        position: usize,
    },
    /// Hide a field; its values are kept
    Archive {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
    },
    /// Bring back an archived field with its values
    Restore {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
    },
    /// Change a field's type; values that do not convert are kept as they were
    Retype {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The new type: text, long_text, number, currency, percent, date, datetime, boolean, select, multi_select, email, phone, url, rating or relation
        #[arg(value_name = "TYPE")]
        kind: FieldKind,
        /// The object a relation points to
        #[arg(long)]
        target: Option<String>,
    },
    /// Change what a computed field computes (its values are recomputed)
    Edit {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The new formula
        #[arg(long, value_name = "EXPR", required_unless_present_any = ["lookup", "rollup"], conflicts_with_all = ["lookup", "rollup"])]
        formula: Option<String>,
        /// The new lookup: relation.field
        #[arg(long, value_name = "RELATION.FIELD", conflicts_with = "rollup")]
        lookup: Option<String>,
        /// The new rollup: "<relation>.<field> <aggregate> [where FILTER]"
        #[arg(long, value_name = "SPEC")]
        rollup: Option<String>,
    },
    /// Make a field required or unique, or not
    Set {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// Every record needs a value (true) or not (false)
        #[arg(long, value_parser = parse_bool, value_name = "true|false")]
        required: Option<bool>,
        /// No two records may share a value (true) or they may (false)
        #[arg(long, value_parser = parse_bool, value_name = "true|false")]
        unique: Option<bool>,
    },
}

pub fn run(args: FieldArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let mut out = ctx.out();
    match args.command {
        FieldCommand::List { object, all } => {
            let obj = ws.object_named(&object)?;
            let fields: Vec<&FieldDef> = obj.fields.iter().filter(|f| all || !f.archived).collect();
            if ctx.json {
                write_json(&mut out, &fields)?;
            } else {
                let mut table = Table::new(["#", "KEY", "LABEL", "TYPE", "DETAILS"]).whole_values();
                for (i, f) in fields.iter().enumerate() {
                    table.push(vec![
                        (i + 1).to_string(),
                        f.key.clone(),
                        f.label.clone(),
                        type_name(f),
                        details(&ws, f),
                    ]);
                }
                table.write(&mut out)?;
            }
        }
        FieldCommand::Add {
            object,
            key,
            kind,
            formula,
            lookup,
            rollup,
            label,
            required,
            unique,
            options,
            target,
            many,
            currency,
            max_rating,
        } => {
            if let Some(spec) = computed_spec(formula, lookup, rollup) {
                let object = ws.object_named(&object)?.id;
                let label = label.unwrap_or_else(|| label_from_key(&key));
                let id = ws.add_computed_field(object, &key, &label, &spec)?;
                let obj = ws.object_named(&object.to_string())?;
                let f = obj.field(id).cloned();
                let shown = f.as_ref().map(type_name).unwrap_or_default();
                let obj_key = obj.key.clone();
                done(
                    &mut out,
                    ctx,
                    &format!("added field {obj_key}.{key} ({label}, {shown})"),
                    &id.to_string(),
                )?;
                return Ok(());
            }
            let Some(kind) = kind else {
                return Err(CliError::InvalidArgument(
                    "give --type, --formula, --lookup or --rollup".into(),
                ));
            };
            let request = AddFieldRequest {
                object,
                key: Some(key),
                label,
                kind,
                required,
                unique,
                options: options
                    .map(|o| o.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
                target,
                many,
                currency,
                max_rating,
            };
            let added = fields::add(&mut ws, &request)?;
            changed(&mut out, ctx, &added)?;
        }
        FieldCommand::Rename {
            object,
            field,
            label,
            key,
        } => {
            let renamed = fields::rename(
                &mut ws,
                &RenameFieldRequest {
                    object,
                    field,
                    label,
                    key,
                },
            )?;
            changed(&mut out, ctx, &renamed)?;
        }
        FieldCommand::Reorder {
            object,
            field,
            position: given,
        } => {
            let wanted = position(given)?;
            let (o, f) = ids(&ws, &object, &field)?;
            // `given` counts active fields; the workspace counts all fields.
            let (index, last) = {
                let obj = ws.object_named(&o.to_string())?;
                let others: Vec<&FieldDef> = obj.fields.iter().filter(|x| x.id != f.id).collect();
                let active_others: Vec<&FieldDef> = others.iter().copied().filter(|x| !x.archived).collect();
                let index = match active_others.get(wanted) {
                    Some(before) => others.iter().position(|x| x.id == before.id).unwrap_or(others.len()),
                    None => others.len(),
                };
                (index, active_others.len())
            };
            ws.reorder_field(o, f.id, index)?;
            done(
                &mut out,
                ctx,
                &format!("moved field {} to position {}", f.key, wanted.min(last) + 1),
                &f.id.to_string(),
            )?;
        }
        FieldCommand::Archive { object, field } => {
            let archived = fields::set_archived(&mut ws, &FieldRequest { object, field }, true)?;
            changed(&mut out, ctx, &archived)?;
        }
        FieldCommand::Restore { object, field } => {
            let restored = fields::set_archived(&mut ws, &FieldRequest { object, field }, false)?;
            changed(&mut out, ctx, &restored)?;
        }
        FieldCommand::Retype {
            object,
            field,
            kind,
            target,
        } => {
            let (o, f) = ids(&ws, &object, &field)?;
            let target = target.map(|t| ws.object_named(&t).map(|o| o.id)).transpose()?;
            let report = ws.retype_field(o, f.id, kind, target)?;
            let unconverted: Vec<(String, String, String)> = report
                .unconverted
                .iter()
                .map(|(id, raw)| (short_id(&ws, *id), ws.record_name(*id), raw.clone()))
                .collect();
            if ctx.json {
                let mut j = JsonObject::default();
                j.push("field", f.key.clone());
                j.push("type", kind.to_string());
                j.push("converted", report.converted);
                let list: Vec<JsonObject> = report
                    .unconverted
                    .iter()
                    .map(|(id, raw)| {
                        let mut u = JsonObject::default();
                        u.push("id", id.to_string());
                        u.push("value", raw.clone());
                        u
                    })
                    .collect();
                j.push_objects("unconverted", list);
                write_json(&mut out, &j)?;
            } else {
                writeln!(
                    out,
                    "{} is now {kind}: {} value(s) convert",
                    f.key,
                    thousands(report.converted)
                )?;
                if !unconverted.is_empty() {
                    writeln!(
                        out,
                        "{} value(s) do not convert to {kind} and are kept as they were:",
                        thousands(unconverted.len())
                    )?;
                    let mut table = Table::new(["ID", "RECORD", "VALUE"]);
                    for (id, name, raw) in unconverted {
                        table.push(vec![id, name, format!("'{raw}'")]);
                    }
                    table.write(&mut out)?;
                }
            }
        }
        FieldCommand::Edit {
            object,
            field,
            formula,
            lookup,
            rollup,
        } => {
            let (o, f) = ids(&ws, &object, &field)?;
            let Some(spec) = computed_spec(formula, lookup, rollup) else {
                return Err(CliError::InvalidArgument("give --formula, --lookup or --rollup".into()));
            };
            ws.edit_computed_field(o, f.id, &spec)?;
            let obj_key = ws.object_named(&o.to_string())?.key.clone();
            let source = ws.computed_source(o, f.id).unwrap_or_default();
            done(
                &mut out,
                ctx,
                &format!("field {obj_key}.{} is now {source}", f.key),
                &f.id.to_string(),
            )?;
        }
        FieldCommand::Set {
            object,
            field,
            required,
            unique,
        } => {
            if required.is_none() && unique.is_none() {
                return Err(CliError::InvalidArgument(
                    "give --required true|false, --unique true|false, or both".into(),
                ));
            }
            let (o, f) = ids(&ws, &object, &field)?;
            if let Some(r) = required {
                ws.set_field_required(o, f.id, r)?;
            }
            if let Some(u) = unique {
                ws.set_field_unique(o, f.id, u)?;
            }
            let now = field_now(&ws, o, f.id)?;
            done(
                &mut out,
                ctx,
                &format!("field {}: required {}, unique {}", now.key, now.required, now.unique),
                &f.id.to_string(),
            )?;
        }
    }
    Ok(())
}

/// The computed definition the flags give, if any.
fn computed_spec(formula: Option<String>, lookup: Option<String>, rollup: Option<String>) -> Option<ComputedSpec> {
    formula
        .map(ComputedSpec::Formula)
        .or(lookup.map(ComputedSpec::Lookup))
        .or(rollup.map(ComputedSpec::Rollup))
}

/// A field's type as `field list` shows it: a computed field names its computation and
/// result type (`rollup → currency`).
pub(crate) fn type_name(f: &FieldDef) -> String {
    match &f.computed {
        Some(c) => format!("{} → {}", c.type_name(), f.kind),
        None => f.kind.to_string(),
    }
}

/// An object and one of its fields, by name.
pub(crate) fn ids(ws: &Workspace, object: &str, field: &str) -> Result<(ObjectId, FieldDef), CliError> {
    let o = ws.object_named(object)?.id;
    let f = ws.field_named(o, field)?.clone();
    Ok((o, f))
}

fn field_now(ws: &Workspace, object: ObjectId, field: kith_core::FieldId) -> Result<FieldDef, CliError> {
    Ok(ws.field_named(object, &field.to_string())?.clone())
}

/// A field's settings in a few words: flags, relation target, options.
pub(crate) fn details(ws: &Workspace, f: &FieldDef) -> String {
    let mut parts: Vec<String> = Vec::new();
    if f.computed.is_some() {
        let object = ws
            .schema()
            .objects
            .iter()
            .find(|o| o.field(f.id).is_some())
            .map(|o| o.id);
        if let Some(source) = object.and_then(|o| ws.computed_source(o, f.id)) {
            parts.push(format!("= {source}"));
        }
    }
    if f.required {
        parts.push("required".into());
    }
    if f.unique {
        // Devices that saved the same value offline both keep their record: say so
        // rather than claim a rule the data breaks (`kith conflicts` lists them).
        let object = ws
            .schema()
            .objects
            .iter()
            .find(|o| o.field(f.id).is_some())
            .map(|o| o.id);
        match object.map(|o| ws.unique_duplicates(o, f.id)) {
            Some(Ok(n)) if n > 0 => parts.push(format!("unique ({n} duplicates)")),
            _ => parts.push("unique".into()),
        }
    }
    if f.archived {
        parts.push("archived".into());
    }
    match f.kind {
        FieldKind::Relation => {
            let target = f
                .target
                .and_then(|t| ws.schema().object(t))
                .map_or_else(|| "any object".to_string(), |o| o.key.clone());
            parts.push(format!("{} {target}", if f.many { "many" } else { "one" }));
        }
        FieldKind::Currency => parts.push(f.currency.clone()),
        FieldKind::Rating => parts.push(format!("1-{}", f.max_rating)),
        FieldKind::Select | FieldKind::MultiSelect => {
            let options: Vec<String> = f
                .options
                .iter()
                .map(|o| {
                    if o.archived {
                        format!("{} (archived)", o.label)
                    } else {
                        o.label.clone()
                    }
                })
                .collect();
            parts.push(format!("options: {}", options.join(", ")));
        }
        _ => {}
    }
    if !f.previous_kinds.is_empty() {
        let before: Vec<&str> = f.previous_kinds.iter().map(|k| k.as_str()).collect();
        parts.push(format!("was {}", before.join(", ")));
    }
    parts.join("; ")
}
