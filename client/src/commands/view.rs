//! `kith view list/show/save/edit/remove/run`: saved views, the names the web UI's
//! sidebar lists for a table or board state (object, filter, sort, board field). Each
//! view is a synced configuration document: `show` lists its changes, and `kith revert
//! CHANGE` takes one back (a removed view too). Each subcommand is one operation of
//! [`crate::app::views`].

use std::io::Write;

use clap::Subcommand;

use crate::CliError;
use crate::app::views::{self, EditViewRequest, RunViewRequest, SaveViewRequest, ViewRequest};
use crate::commands::Context;
use crate::commands::record::{ListArgs, list_records};
use crate::commands::report::{say_with_revert, write_changes};
use crate::commands::support::changed;
use crate::output::{Table, write_json};

/// Saved views: list, show, save, edit, remove and run them.
#[derive(clap::Args)]
pub struct ViewArgs {
    #[command(subcommand)]
    pub command: ViewCommand,
}

/// What a view shows (the flags of `save` and `edit`).
#[derive(clap::Args, Default)]
pub struct ViewStateArgs {
    /// Only records that pass this filter (as in `kith record list --filter`)
    #[arg(long)]
    pub filter: Option<String>,
    /// Sort keys, '-' for descending: "-amount,name"
    #[arg(long, allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// How the web UI shows it: table or board
    #[arg(long)]
    pub kind: Option<String>,
    /// The select field a board's columns are (boards only)
    #[arg(long, value_name = "FIELD")]
    pub field: Option<String>,
    /// The table's columns, in order: "name,stage,amount" ("" the default columns)
    #[arg(long, value_name = "FIELDS")]
    pub columns: Option<String>,
}

#[derive(Subcommand)]
pub enum ViewCommand {
    /// List the views you see: the workspace's and your own
    List,
    /// Show a view and its changes (ids for `kith revert`)
    Show {
        /// The view's name or id
        name: String,
    },
    /// Save a view (one of the same name on the same object is updated)
    Save {
        /// The view's name
        name: String,
        /// The object whose records it shows
        #[arg(long)]
        object: String,
        /// Your own view (only you see it); else the workspace's
        #[arg(long)]
        mine: bool,
        #[command(flatten)]
        state: ViewStateArgs,
    },
    /// Change a view: the flags given replace what it had (--filter "" removes the filter)
    Edit {
        /// The view's name or id
        name: String,
        /// A new name
        #[arg(long = "name", value_name = "NEW_NAME")]
        rename: Option<String>,
        /// Show another object's records (give its filter and sort too)
        #[arg(long)]
        object: Option<String>,
        /// Make it your own view (only you see it)
        #[arg(long, conflicts_with = "shared")]
        mine: bool,
        /// Make it the workspace's view (everyone sees it)
        #[arg(long)]
        shared: bool,
        #[command(flatten)]
        state: ViewStateArgs,
    },
    /// Remove a view (`kith revert` of the printed change brings it back)
    Remove {
        /// The view's name or id
        name: String,
    },
    /// List the records a view shows, as `kith record list` does
    Run {
        /// The view's name or id
        name: String,
        /// Records per page
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Continue after this cursor (printed under the previous page)
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
    },
}

pub fn run(args: ViewArgs, ctx: &Context) -> Result<(), CliError> {
    match args.command {
        ViewCommand::List => list(ctx),
        ViewCommand::Show { name } => show(ctx, name),
        ViewCommand::Save {
            name,
            object,
            mine,
            state,
        } => {
            let request = SaveViewRequest {
                name,
                object,
                kind: state.kind.unwrap_or_default(),
                filter: state.filter.unwrap_or_default(),
                sort: state.sort.unwrap_or_default(),
                field: state.field.unwrap_or_default(),
                columns: state.columns.unwrap_or_default(),
                mine,
            };
            let mut ws = ctx.open()?;
            let done = views::save(&mut ws, &request)?;
            let mut out = ctx.out();
            changed(&mut out, ctx, &done)?;
            if !ctx.json {
                writeln!(out, "`kith view run \"{}\"` lists its records", request.name.trim())?;
            }
            Ok(())
        }
        ViewCommand::Edit {
            name,
            rename,
            object,
            mine,
            shared,
            state,
        } => {
            let request = EditViewRequest {
                view: name,
                name: rename,
                object,
                kind: state.kind,
                filter: state.filter,
                sort: state.sort,
                field: state.field,
                columns: state.columns,
                mine: (mine || shared).then_some(mine),
            };
            let mut ws = ctx.open()?;
            let done = views::edit(&mut ws, &request)?;
            say_with_revert(ctx, &done)
        }
        ViewCommand::Remove { name } => {
            let mut ws = ctx.open()?;
            let done = views::remove(&mut ws, &ViewRequest { view: name })?;
            say_with_revert(ctx, &done)
        }
        ViewCommand::Run { name, limit, after } => run_view(ctx, name, limit, after),
    }
}

fn list(ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let list = views::list(&ws)?;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &list)?;
        return Ok(());
    }
    if list.views.is_empty() {
        writeln!(
            out,
            "no views yet; `kith view save NAME --object deals --filter 'stage = Won'` makes one"
        )?;
        return Ok(());
    }
    let mut table = Table::new(["name", "object", "kind", "filter", "sort", "whose", "id"]);
    for v in &list.views {
        table.push(vec![
            v.name.clone(),
            v.object.clone(),
            v.kind.clone(),
            v.filter.clone(),
            v.sort.clone(),
            if v.owner.is_some() { "mine" } else { "workspace" }.to_string(),
            v.id.clone(),
        ]);
    }
    table.write(&mut out)?;
    Ok(())
}

fn show(ctx: &Context, name: String) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let shown = views::show(&ws, &ViewRequest { view: name })?;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &shown)?;
        return Ok(());
    }
    let v = &shown.view;
    let or_none = |s: &str| {
        if s.is_empty() {
            "(none)".to_string()
        } else {
            s.to_string()
        }
    };
    writeln!(out, "{}", v.name)?;
    writeln!(out, "  id:     {}", v.id)?;
    writeln!(out, "  object: {}", v.object)?;
    writeln!(out, "  kind:   {}", v.kind)?;
    writeln!(out, "  filter: {}", or_none(&v.filter))?;
    writeln!(out, "  sort:   {}", or_none(&v.sort))?;
    if v.kind == "board" {
        writeln!(out, "  field:  {}", or_none(&v.field))?;
    } else {
        writeln!(out, "  columns: {}", or_none(&v.columns))?;
    }
    writeln!(
        out,
        "  whose:  {}",
        v.owner
            .as_deref()
            .map_or("the workspace's".to_string(), |o| format!("{o}'s own"))
    )?;
    write_changes(&mut out, &shown.history)
}

fn run_view(ctx: &Context, name: String, limit: usize, after: Option<String>) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let mut out = ctx.out();
    if ctx.json {
        let page = views::run(
            &ws,
            &RunViewRequest {
                view: name,
                after,
                limit: Some(limit),
            },
        )?;
        write_json(&mut out, &page)?;
        return Ok(());
    }
    // As text, the table `kith record list` prints for the view's object, filter and sort.
    let view = views::find(&ws, &name)?;
    let args = ListArgs {
        object: view.object,
        filters: vec![view.filter].into_iter().filter(|f| !f.is_empty()).collect(),
        sort: Some(view.sort).filter(|s| !s.is_empty()),
        limit,
        after,
        count: false,
        fields: None,
    };
    list_records(&ws, args, ctx, &mut out)
}
