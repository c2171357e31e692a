//! `kith report add/list/show/edit/remove/run`: saved reports (records of one object,
//! filtered, grouped by one or two fields, with counts, sums, averages, minimums and
//! maximums per group). Each report is a synced configuration document: `show` lists its
//! changes, and `kith revert CHANGE` takes one back.

use std::io::Write;

use clap::Subcommand;
use kith_core::Workspace;
use kith_core::report::{ReportDef, ReportResult, ReportSpec, render_svg};
use kith_core::time_fmt::format_datetime;

use crate::CliError;
use crate::commands::Context;
use crate::commands::history::short_change;
use crate::commands::support::done;
use crate::output::{JsonObject, Table, write_json};

/// Saved reports: define, list, show, edit, remove and run them.
#[derive(clap::Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// How a report groups and measures (the flags of `add` and `edit`).
#[derive(clap::Args, Default)]
pub struct DefinitionArgs {
    /// Group by this field (a select, relation, boolean, date or datetime); a date field
    /// takes a bucket: close_date:month (day, week, month, quarter, year). At most two
    #[arg(long = "group-by", value_name = "FIELD[:BUCKET]")]
    pub group_by: Vec<String>,
    /// What to compute per group: count, or sum / avg / min / max of a number or currency
    /// field (sum:amount). Repeat for several; default: count
    #[arg(long = "measure", value_name = "MEASURE")]
    pub measures: Vec<String>,
    /// Only records that pass this filter (as in `kith record list --filter`)
    #[arg(long)]
    pub filter: Option<String>,
    /// How the web UI draws it: bar, stacked, line, pie or table
    #[arg(long)]
    pub chart: Option<String>,
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Save a new report
    Add {
        /// The report's name (unique among reports)
        name: String,
        /// The object whose records it reports on
        #[arg(long)]
        object: String,
        #[command(flatten)]
        def: DefinitionArgs,
    },
    /// List the saved reports
    List,
    /// Show a report's definition and its changes (ids for `kith revert`)
    Show {
        /// The report's name or id
        name: String,
    },
    /// Change a report: the flags given replace what it had (--group-by and --measure
    /// replace the whole list; --filter "" removes the filter)
    Edit {
        /// The report's name or id
        name: String,
        /// A new name
        #[arg(long = "name", value_name = "NEW_NAME")]
        rename: Option<String>,
        /// Report on another object (give its group-bys and measures too)
        #[arg(long)]
        object: Option<String>,
        /// Remove every group-by (one group of all records)
        #[arg(long, conflicts_with = "group_by")]
        no_group_by: bool,
        #[command(flatten)]
        def: DefinitionArgs,
    },
    /// Remove a report (`kith revert` of the printed change brings it back)
    Remove {
        /// The report's name or id
        name: String,
    },
    /// Run a report: a table, or JSON with --json, CSV with --csv, an SVG chart with --svg
    Run {
        /// The report's name or id
        name: String,
        /// Print CSV (a column per currency for money)
        #[arg(long, conflicts_with = "svg")]
        csv: bool,
        /// Print the chart as SVG
        #[arg(long)]
        svg: bool,
    },
}

pub fn run(args: ReportArgs, ctx: &Context) -> Result<(), CliError> {
    match args.command {
        ReportCommand::Add { name, object, def } => add(ctx, &name, object, def),
        ReportCommand::List => list(ctx),
        ReportCommand::Show { name } => show(ctx, &name),
        ReportCommand::Edit {
            name,
            rename,
            object,
            no_group_by,
            def,
        } => edit(ctx, &name, rename, object, no_group_by, def),
        ReportCommand::Remove { name } => remove(ctx, &name),
        ReportCommand::Run { name, csv, svg } => run_one(ctx, &name, csv, svg),
    }
}

fn add(ctx: &Context, name: &str, object: String, def: DefinitionArgs) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let spec = ReportSpec {
        object,
        filter: def.filter.unwrap_or_default(),
        group_by: def.group_by,
        measures: def.measures,
        chart: def.chart.unwrap_or_default(),
    };
    let report = ws.report_from_spec(&spec)?;
    let id = ws.create_report(name, &report)?;
    done(
        &mut ctx.out(),
        ctx,
        &format!(
            "Report “{}” saved; `kith report run \"{}\"` runs it",
            name.trim(),
            name.trim()
        ),
        &id.to_string(),
    )
}

fn list(ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let reports = ws.reports()?;
    let mut out = ctx.out();
    if ctx.json {
        let items = reports
            .iter()
            .map(|r| definition_json(&ws, &r.name, r.id, &r.def))
            .collect();
        let mut j = JsonObject::default();
        j.push_objects("reports", items);
        write_json(&mut out, &j)?;
        return Ok(());
    }
    if reports.is_empty() {
        writeln!(
            out,
            "no reports yet; `kith report add NAME --object deals --group-by stage --measure sum:amount` makes one"
        )?;
        return Ok(());
    }
    let mut table = Table::new(["name", "object", "group by", "measures", "filter", "chart"]);
    for r in &reports {
        let spec = ws.report_spec(&r.def);
        table.push(vec![
            r.name.clone(),
            spec.object,
            spec.group_by.join(", "),
            spec.measures.join(", "),
            spec.filter,
            spec.chart,
        ]);
    }
    table.write(&mut out)?;
    Ok(())
}

fn definition_json(ws: &Workspace, name: &str, id: kith_core::DocId, def: &ReportDef) -> JsonObject {
    let spec = ws.report_spec(def);
    let mut j = JsonObject::default();
    j.push("id", id.to_string());
    j.push("name", name.to_string());
    j.push("object", spec.object);
    j.push("filter", spec.filter);
    j.push("group_by", spec.group_by);
    j.push("measures", spec.measures);
    j.push("chart", spec.chart);
    j
}

fn show(ctx: &Context, name: &str) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let report = ws.report(name)?;
    let history = ws.report_history(report.id)?;
    let mut out = ctx.out();
    if ctx.json {
        let mut j = definition_json(&ws, &report.name, report.id, &report.def);
        j.push("history", serde_json::to_value(&history).unwrap_or_default());
        write_json(&mut out, &j)?;
        return Ok(());
    }
    let spec = ws.report_spec(&report.def);
    writeln!(out, "{}", report.name)?;
    writeln!(out, "  object:   {}", spec.object)?;
    let or_none = |s: String| if s.is_empty() { "(none)".to_string() } else { s };
    writeln!(out, "  filter:   {}", or_none(spec.filter))?;
    writeln!(out, "  group by: {}", or_none(spec.group_by.join(", ")))?;
    writeln!(out, "  measures: {}", spec.measures.join(", "))?;
    writeln!(out, "  chart:    {}", spec.chart)?;
    writeln!(out, "changes (oldest first; `kith revert ID` takes one back):")?;
    for change in &history {
        let what: Vec<String> = if change.created {
            vec!["created".to_string()]
        } else {
            change
                .diffs
                .iter()
                .map(|d| {
                    format!(
                        "{}: {} → {}",
                        d.what,
                        d.old.as_deref().unwrap_or("∅"),
                        d.new.as_deref().unwrap_or("∅")
                    )
                })
                .collect()
        };
        writeln!(
            out,
            "  {}  {}  {}  {}",
            short_change(&change.change),
            format_datetime(change.time),
            change.author,
            what.join("; ")
        )?;
    }
    Ok(())
}

fn edit(
    ctx: &Context,
    name: &str,
    rename: Option<String>,
    object: Option<String>,
    no_group_by: bool,
    def: DefinitionArgs,
) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let report = ws.report(name)?;
    let mut spec = ws.report_spec(&report.def);
    if let Some(object) = object {
        if object != spec.object && def.group_by.is_empty() && !no_group_by {
            spec.group_by.clear();
        }
        if object != spec.object && def.measures.is_empty() {
            spec.measures = vec!["count".into()];
        }
        spec.object = object;
    }
    if !def.group_by.is_empty() {
        spec.group_by = def.group_by;
    }
    if no_group_by {
        spec.group_by.clear();
    }
    if !def.measures.is_empty() {
        spec.measures = def.measures;
    }
    if let Some(filter) = def.filter {
        spec.filter = filter;
    }
    if let Some(chart) = def.chart {
        spec.chart = chart;
    }
    let new_def = ws.report_from_spec(&spec)?;
    let change = ws.update_report(report.id, rename.as_deref(), &new_def)?;
    let shown = rename.as_deref().unwrap_or(&report.name).trim().to_string();
    let message = match &change {
        Some(c) => format!("Report “{shown}” changed (change {})", short_change(c)),
        None => format!("Report “{shown}” already reads that way; nothing changed"),
    };
    done(&mut ctx.out(), ctx, &message, change.as_deref().unwrap_or(""))
}

fn remove(ctx: &Context, name: &str) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let report = ws.report(name)?;
    let change = ws.remove_report(report.id)?.unwrap_or_default();
    done(
        &mut ctx.out(),
        ctx,
        &format!(
            "Report “{}” removed; `kith revert {}` brings it back",
            report.name,
            short_change(&change)
        ),
        &change,
    )
}

fn run_one(ctx: &Context, name: &str, csv: bool, svg: bool) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let report = ws.report(name)?;
    let result = ws.run_report(&report.def)?;
    let mut out = ctx.out();
    if csv {
        out.write_all(result.to_csv().as_bytes())?;
    } else if svg {
        let chart = if report.def.chart == kith_core::report::ChartKind::Table {
            kith_core::report::ChartKind::Bar
        } else {
            report.def.chart
        };
        writeln!(out, "{}", render_svg(&result, chart, &report.name).unwrap_or_default())?;
    } else if ctx.json {
        let mut j = serde_json::json!({ "report": report.name, "id": report.id.to_string() });
        if let (Some(obj), serde_json::Value::Object(body)) = (j.as_object_mut(), result.to_json()) {
            obj.extend(body);
        }
        write_json(&mut out, &j)?;
    } else {
        write_table(&mut out, &result)?;
    }
    Ok(())
}

/// A result as an aligned text table with a last `Total` row.
pub(crate) fn write_table(out: &mut dyn Write, result: &ReportResult) -> Result<(), CliError> {
    let mut headers = result.group_by.clone();
    if headers.is_empty() {
        headers.push(String::new());
    }
    headers.extend(result.measures.iter().cloned());
    let mut table = Table::new(headers).whole_values();
    for row in &result.rows {
        let mut cells = row.groups.clone();
        if cells.is_empty() {
            cells.push("All".to_string());
        }
        cells.extend(row.values.iter().map(|v| v.display()));
        table.push(cells);
    }
    let mut total = vec!["Total".to_string()];
    total.extend((1..result.group_by.len()).map(|_| String::new()));
    total.extend(result.totals.iter().map(|v| v.display()));
    table.push(total);
    table.write(out)?;
    Ok(())
}
