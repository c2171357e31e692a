//! `kith report add/list/show/edit/remove/run`: saved reports (records of one object,
//! filtered, grouped by one or two fields, with counts, sums, averages, minimums and
//! maximums per group). Each report is a synced configuration document: `show` lists its
//! changes, and `kith revert CHANGE` takes one back. Each subcommand is one operation of
//! [`crate::app::reports`].

use std::io::Write;

use clap::Subcommand;
use kith_core::report::ReportResult;
use kith_core::time_fmt::format_datetime;

use crate::CliError;
use crate::app::Changed;
use crate::app::reports::{self, AddReportRequest, EditReportRequest, ReportRequest};
use crate::commands::Context;
use crate::commands::history::short_change;
use crate::commands::support::changed;
use crate::output::{Table, write_json};

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
    let request = AddReportRequest {
        name: name.to_string(),
        object,
        filter: def.filter.unwrap_or_default(),
        group_by: def.group_by,
        measures: def.measures,
        chart: def.chart.unwrap_or_default(),
    };
    let done = reports::add(&mut ws, &request)?;
    let mut out = ctx.out();
    changed(&mut out, ctx, &done)?;
    if !ctx.json {
        writeln!(out, "`kith report run \"{}\"` runs it", name.trim())?;
    }
    Ok(())
}

fn list(ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let list = reports::list(&ws)?;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &list)?;
        return Ok(());
    }
    if list.reports.is_empty() {
        writeln!(
            out,
            "no reports yet; `kith report add NAME --object deals --group-by stage --measure sum:amount` makes one"
        )?;
        return Ok(());
    }
    let mut table = Table::new(["name", "object", "group by", "measures", "filter", "chart"]);
    for r in &list.reports {
        table.push(vec![
            r.name.clone(),
            r.object.clone(),
            r.group_by.join(", "),
            r.measures.join(", "),
            r.filter.clone(),
            r.chart.clone(),
        ]);
    }
    table.write(&mut out)?;
    Ok(())
}

fn show(ctx: &Context, name: &str) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let shown = reports::show(
        &ws,
        &ReportRequest {
            report: name.to_string(),
        },
    )?;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &shown)?;
        return Ok(());
    }
    let r = &shown.report;
    writeln!(out, "{}", r.name)?;
    writeln!(out, "  object:   {}", r.object)?;
    let or_none = |s: &str| {
        if s.is_empty() {
            "(none)".to_string()
        } else {
            s.to_string()
        }
    };
    writeln!(out, "  filter:   {}", or_none(&r.filter))?;
    writeln!(out, "  group by: {}", or_none(&r.group_by.join(", ")))?;
    writeln!(out, "  measures: {}", r.measures.join(", "))?;
    writeln!(out, "  chart:    {}", r.chart)?;
    write_changes(&mut out, &shown.history)
}

/// A configuration document's changes, oldest first, one a line with its short id for
/// `kith revert`.
pub(crate) fn write_changes(out: &mut dyn Write, history: &[kith_core::ConfigChange]) -> Result<(), CliError> {
    writeln!(out, "changes (oldest first; `kith revert ID` takes one back):")?;
    for change in history {
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
    let request = EditReportRequest {
        report: name.to_string(),
        name: rename,
        object,
        filter: def.filter,
        group_by: if no_group_by {
            Some(Vec::new())
        } else {
            (!def.group_by.is_empty()).then_some(def.group_by)
        },
        measures: (!def.measures.is_empty()).then_some(def.measures),
        chart: def.chart,
    };
    let done = reports::edit(&mut ws, &request)?;
    say_with_revert(ctx, &done)
}

fn remove(ctx: &Context, name: &str) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let done = reports::remove(
        &mut ws,
        &ReportRequest {
            report: name.to_string(),
        },
    )?;
    say_with_revert(ctx, &done)
}

/// A change, and (as text) the `kith revert` that takes it back.
pub(crate) fn say_with_revert(ctx: &Context, done: &Changed) -> Result<(), CliError> {
    let mut out = ctx.out();
    changed(&mut out, ctx, done)?;
    if let Some(change) = done.undo.as_deref().and_then(|u| u.strip_prefix("change:"))
        && !ctx.json
    {
        writeln!(out, "`kith revert {}` takes it back", short_change(change))?;
    }
    Ok(())
}

fn run_one(ctx: &Context, name: &str, csv: bool, svg: bool) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let run = reports::run(
        &ws,
        &ReportRequest {
            report: name.to_string(),
        },
    )?;
    let mut out = ctx.out();
    if csv {
        out.write_all(run.csv().as_bytes())?;
    } else if svg {
        writeln!(out, "{}", run.svg())?;
    } else if ctx.json {
        write_json(&mut out, &run)?;
    } else {
        write_table(&mut out, &run.result)?;
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
