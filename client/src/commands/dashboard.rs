//! `kith dashboard add/list/show/edit/remove`: a dashboard is a name and an ordered list
//! of saved reports; `show` runs each of them. Dashboards are synced configuration
//! documents, like reports. Each subcommand is one operation of
//! [`crate::app::dashboards`].

use std::io::Write;

use clap::Subcommand;

use crate::CliError;
use crate::app::dashboards::{
    self, AddDashboardRequest, Card, DashboardList, DashboardRequest, DashboardShown, EditDashboardRequest,
};
use crate::commands::Context;
use crate::commands::report::{say_with_revert, write_table};
use crate::output::{Table, write_json};

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
    let mut ws = ctx.open()?;
    let done = match args.command {
        DashboardCommand::Add { name, reports } => dashboards::add(&mut ws, &AddDashboardRequest { name, reports })?,
        DashboardCommand::List => return list(ctx, &dashboards::list(&ws)?),
        DashboardCommand::Show { name } => {
            return show(ctx, &dashboards::show(&ws, &DashboardRequest { dashboard: name })?);
        }
        DashboardCommand::Edit { name, rename, reports } => dashboards::edit(
            &mut ws,
            &EditDashboardRequest {
                dashboard: name,
                name: rename,
                reports: (!reports.is_empty()).then_some(reports),
            },
        )?,
        DashboardCommand::Remove { name } => dashboards::remove(&mut ws, &DashboardRequest { dashboard: name })?,
    };
    say_with_revert(ctx, &done)
}

fn list(ctx: &Context, list: &DashboardList) -> Result<(), CliError> {
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, list)?;
        return Ok(());
    }
    if list.dashboards.is_empty() {
        writeln!(
            out,
            "no dashboards yet; `kith dashboard add NAME --report REPORT` makes one"
        )?;
        return Ok(());
    }
    let mut table = Table::new(["name", "reports"]);
    for d in &list.dashboards {
        table.push(vec![d.name.clone(), d.reports.join(", ")]);
    }
    table.write(&mut out)?;
    Ok(())
}

fn show(ctx: &Context, shown: &DashboardShown) -> Result<(), CliError> {
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, shown)?;
        return Ok(());
    }
    writeln!(out, "{}", shown.dashboard)?;
    for card in &shown.reports {
        writeln!(out)?;
        match card {
            Card::Ran(run) => {
                writeln!(out, "{}", run.name)?;
                write_table(&mut out, &run.result)?;
            }
            Card::Failed { report, error } => writeln!(out, "{}\n  cannot run: {error}", report.name)?,
        }
    }
    Ok(())
}
