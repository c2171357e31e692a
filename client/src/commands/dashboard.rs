//! `kith dashboard add/list/show/edit/remove`: a dashboard is a name and an ordered list
//! of saved reports; `show` runs each of them. Dashboards are synced configuration
//! documents, like reports.

use std::io::Write;

use clap::Subcommand;
use kith_core::{DocId, Workspace};

use crate::CliError;
use crate::commands::Context;
use crate::commands::history::short_change;
use crate::commands::report::write_table;
use crate::commands::support::done;
use crate::output::{JsonObject, Table, write_json};

/// Dashboards: several saved reports on one page.
#[derive(clap::Args)]
pub struct DashboardArgs {
    #[command(subcommand)]
    pub command: DashboardCommand,
}

#[derive(Subcommand)]
pub enum DashboardCommand {
    /// Save a new dashboard of reports (in the order given)
    Add {
        /// The dashboard's name (unique among dashboards)
        name: String,
        /// A saved report's name or id; repeat for several
        #[arg(long = "report", value_name = "REPORT", required = true)]
        reports: Vec<String>,
    },
    /// List the dashboards
    List,
    /// Run every report of a dashboard and show the results
    Show {
        /// The dashboard's name or id
        name: String,
    },
    /// Rename a dashboard or replace its reports
    Edit {
        /// The dashboard's name or id
        name: String,
        /// A new name
        #[arg(long = "name", value_name = "NEW_NAME")]
        rename: Option<String>,
        /// The reports, in order (replaces the list)
        #[arg(long = "report", value_name = "REPORT")]
        reports: Vec<String>,
    },
    /// Remove a dashboard (its reports stay)
    Remove {
        /// The dashboard's name or id
        name: String,
    },
}

pub fn run(args: DashboardArgs, ctx: &Context) -> Result<(), CliError> {
    match args.command {
        DashboardCommand::Add { name, reports } => {
            let mut ws = ctx.open()?;
            let ids = report_ids(&ws, &reports)?;
            let id = ws.create_dashboard(&name, &ids)?;
            done(
                &mut ctx.out(),
                ctx,
                &format!("Dashboard “{}” saved with {} reports", name.trim(), ids.len()),
                &id.to_string(),
            )
        }
        DashboardCommand::List => list(ctx),
        DashboardCommand::Show { name } => show(ctx, &name),
        DashboardCommand::Edit { name, rename, reports } => {
            let mut ws = ctx.open()?;
            let dashboard = ws.dashboard(&name)?;
            let ids = (!reports.is_empty()).then(|| report_ids(&ws, &reports)).transpose()?;
            let change = ws.update_dashboard(dashboard.id, rename.as_deref(), ids.as_deref())?;
            let message = match &change {
                Some(c) => format!("Dashboard changed (change {})", short_change(c)),
                None => "Nothing changed".to_string(),
            };
            done(&mut ctx.out(), ctx, &message, change.as_deref().unwrap_or(""))
        }
        DashboardCommand::Remove { name } => {
            let mut ws = ctx.open()?;
            let dashboard = ws.dashboard(&name)?;
            let change = ws.remove_dashboard(dashboard.id)?.unwrap_or_default();
            done(
                &mut ctx.out(),
                ctx,
                &format!(
                    "Dashboard “{}” removed; `kith revert {}` brings it back",
                    dashboard.name,
                    short_change(&change)
                ),
                &change,
            )
        }
    }
}

fn report_ids(ws: &Workspace, names: &[String]) -> Result<Vec<DocId>, CliError> {
    names.iter().map(|n| Ok(ws.report(n)?.id)).collect()
}

/// The names of a dashboard's reports that still exist, with their ids.
fn live_reports(ws: &Workspace, ids: &[DocId]) -> Result<Vec<kith_core::report::Report>, CliError> {
    let all = ws.reports()?;
    Ok(ids
        .iter()
        .filter_map(|id| all.iter().find(|r| r.id == *id).cloned())
        .collect())
}

fn list(ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let dashboards = ws.dashboards()?;
    let mut out = ctx.out();
    if ctx.json {
        let mut items = Vec::new();
        for d in &dashboards {
            let mut j = JsonObject::default();
            j.push("id", d.id.to_string());
            j.push("name", d.name.clone());
            j.push(
                "reports",
                live_reports(&ws, &d.reports)?
                    .into_iter()
                    .map(|r| r.name)
                    .collect::<Vec<_>>(),
            );
            items.push(j);
        }
        let mut j = JsonObject::default();
        j.push_objects("dashboards", items);
        write_json(&mut out, &j)?;
        return Ok(());
    }
    if dashboards.is_empty() {
        writeln!(
            out,
            "no dashboards yet; `kith dashboard add NAME --report REPORT` makes one"
        )?;
        return Ok(());
    }
    let mut table = Table::new(["name", "reports"]);
    for d in &dashboards {
        let names: Vec<String> = live_reports(&ws, &d.reports)?.into_iter().map(|r| r.name).collect();
        table.push(vec![d.name.clone(), names.join(", ")]);
    }
    table.write(&mut out)?;
    Ok(())
}

fn show(ctx: &Context, name: &str) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let dashboard = ws.dashboard(name)?;
    let reports = live_reports(&ws, &dashboard.reports)?;
    let mut out = ctx.out();
    if ctx.json {
        let mut results = Vec::new();
        for r in &reports {
            let mut j = serde_json::json!({ "report": r.name, "id": r.id.to_string() });
            if let (Some(obj), serde_json::Value::Object(body)) = (j.as_object_mut(), ws.run_report(&r.def)?.to_json())
            {
                obj.extend(body);
            }
            results.push(j);
        }
        let j = serde_json::json!({ "dashboard": dashboard.name, "id": dashboard.id.to_string(), "reports": results });
        write_json(&mut out, &j)?;
        return Ok(());
    }
    writeln!(out, "{}", dashboard.name)?;
    for r in &reports {
        writeln!(out)?;
        writeln!(out, "{}", r.name)?;
        write_table(&mut out, &ws.run_report(&r.def)?)?;
    }
    Ok(())
}
