//! `kith demo [--seed N]`: creates a workspace full of realistic sample data (companies,
//! people working there, deals across the whole pipeline, tasks and notes) and prints a
//! short tour of commands to try on it, then opens the web UI on it (`--no-serve`: not).
//! With `--json` it never serves: scripts get the JSON and the exit.
//!
//! Where: with `--workspace PATH` (or `KITH_WORKSPACE`), a new workspace at PATH (never
//! an existing one). Otherwise the dedicated demo directory (`demo/` in the per-user data
//! directory, next to `default/`), whose previous demo workspace is replaced, so
//! `kith demo` can be run again and again without touching the user's own workspace.

use std::io::Write;
use std::path::{Path, PathBuf};

use kith_core::{CreateOptions, ImportOptions, ImportRow, ObjectId, RecordId, WORKSPACE_FILE, Workspace};

use crate::CliError;
use crate::commands::Context;
use crate::commands::support::short_id;
use crate::output::{JsonObject, write_json};
use crate::sample::{Company, DEAL_STAGES, Fields, Sample, value_of};

/// Fill a new workspace with sample data and show commands to try on it.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Seed of the sample data: the same seed gives the same names and numbers
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Only create the workspace: do not start the web UI on it afterwards (scripts)
    #[arg(long)]
    pub no_serve: bool,
    /// The port the web UI listens on
    #[arg(long, default_value_t = 7878)]
    pub port: u16,
}

/// How much sample data a demo workspace gets.
const COMPANIES: usize = 40;
const PEOPLE: usize = 200;
const DEALS: usize = 60;
const TASKS: usize = 80;
const NOTES: usize = 40;

pub fn run(args: DemoArgs, ctx: &Context) -> Result<(), CliError> {
    let dir = demo_location(ctx)?;
    let today = kith_core::time_fmt::date_of(kith_core::time_fmt::now_ms());
    let mut ws = Workspace::create(&dir, CreateOptions::new("demo"))?;
    let made = fill(&mut ws, Sample::with_today(args.seed, today))?;
    let tour = tour(&ws, &dir, &made)?;
    let counts = [
        ("companies", made.companies.len()),
        ("people", made.people.len()),
        ("deals", made.deals.len()),
        ("tasks", made.tasks),
        ("notes", made.notes),
    ];
    let mut out = ctx.out();
    if ctx.json {
        let mut j = JsonObject::default();
        j.push("path", dir.display().to_string());
        let mut c = JsonObject::default();
        for (object, n) in counts {
            c.push(object, n);
        }
        j.push_object("records", c);
        j.push(
            "try",
            tour.iter().map(|(_, command)| command.clone()).collect::<Vec<_>>(),
        );
        write_json(&mut out, &j)?;
        return Ok(());
    }
    writeln!(out, "Created a demo workspace at {}", dir.display())?;
    for (object, n) in counts {
        writeln!(out, "  {object:<10} {n:>4}")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Bare `kith` commands (as in the README) use your default workspace; to point them at the demo:"
    )?;
    writeln!(
        out,
        "  export KITH_WORKSPACE={}",
        shell_quote(&dir.display().to_string())
    )?;
    writeln!(out)?;
    writeln!(out, "Try:")?;
    for (what, command) in &tour {
        writeln!(out, "  # {what}")?;
        writeln!(out, "  {command}")?;
    }
    if args.no_serve {
        return Ok(());
    }
    writeln!(out)?;
    drop(out);
    let serve = crate::commands::serve::ServeArgs {
        port: args.port,
        listen: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        open: false,
    };
    crate::commands::serve::serve_workspace(ws, &serve)
}

/// The directory to create the demo workspace in, made ready for it.
fn demo_location(ctx: &Context) -> Result<PathBuf, CliError> {
    // `Context` holds the resolved path only: when it is not the default workspace, the
    // user named it (with --workspace or KITH_WORKSPACE).
    let given = crate::default_workspace().map_or(true, |default| default != ctx.workspace);
    if given {
        if ctx.workspace.join(WORKSPACE_FILE).exists() {
            return Err(CliError::InvalidArgument(format!(
                "a workspace already exists at {}; `kith demo` only fills a new workspace: give --workspace a new directory, \
                 or leave --workspace out to use the demo workspace",
                ctx.workspace.display()
            )));
        }
        return Ok(ctx.workspace.clone());
    }
    let dir = directories::ProjectDirs::from("", "", "kith")
        .map(|d| d.data_dir().join("demo"))
        .ok_or(CliError::NoDataDir)?;
    // Replace the previous demo workspace, and only that: a directory holding one.
    if dir.join(WORKSPACE_FILE).is_file() {
        std::fs::remove_dir_all(&dir).map_err(|source| CliError::WriteFile {
            path: dir.clone(),
            source,
        })?;
    }
    Ok(dir)
}

/// What [`fill`] created.
struct Made {
    companies: Vec<(RecordId, Company)>,
    /// (id, row) of each person.
    people: Vec<(RecordId, Fields)>,
    deals: Vec<(RecordId, Fields)>,
    tasks: usize,
    notes: usize,
}

/// Creates the sample records, one import (one change group) per object.
fn fill(ws: &mut Workspace, mut sample: Sample) -> Result<Made, CliError> {
    let rows: Vec<(Company, Fields)> = (0..COMPANIES).map(|_| sample.company()).collect();
    let ids = import(ws, "companies", rows.iter().map(|(_, f)| f))?;
    let companies: Vec<(RecordId, Company)> = ids.into_iter().zip(rows.into_iter().map(|(c, _)| c)).collect();

    // Most people work at one of the companies (named by its unique name).
    let mut employer: Vec<Option<usize>> = Vec::with_capacity(PEOPLE);
    let mut rows = Vec::with_capacity(PEOPLE);
    for _ in 0..PEOPLE {
        let at = sample
            .rng()
            .chance(85)
            .then(|| sample.rng().below(COMPANIES as u64) as usize);
        rows.push(sample.person(at.map(|i| &companies[i].1)));
        employer.push(at);
    }
    let ids = import(ws, "people", rows.iter())?;
    let people: Vec<(RecordId, Fields)> = ids.into_iter().zip(rows).collect();

    // Deals with a company and one or two of its people (by id: names may repeat).
    let mut rows = Vec::with_capacity(DEALS);
    for _ in 0..DEALS {
        let c = sample.rng().below(COMPANIES as u64) as usize;
        let staff: Vec<usize> = (0..PEOPLE).filter(|p| employer[*p] == Some(c)).collect();
        let mut contacts = Vec::new();
        let wanted = 1 + sample.rng().below(2) as usize;
        for _ in 0..wanted {
            let p = if staff.is_empty() {
                sample.rng().below(PEOPLE as u64) as usize
            } else {
                *sample.rng().pick(&staff)
            };
            let id = people[p].0.to_string();
            if !contacts.contains(&id) {
                contacts.push(id);
            }
        }
        rows.push(sample.deal(Some(&companies[c].1), &contacts));
    }
    let ids = import(ws, "deals", rows.iter())?;
    let deals: Vec<(RecordId, Fields)> = ids.into_iter().zip(rows).collect();

    // Tasks about deals and people.
    let mut rows = Vec::with_capacity(TASKS);
    for i in 0..TASKS {
        let (id, fields) = if i % 2 == 0 {
            &deals[sample.rng().below(DEALS as u64) as usize]
        } else {
            &people[sample.rng().below(PEOPLE as u64) as usize]
        };
        let about = value_of(fields, "name").unwrap_or("them").to_string();
        rows.push(sample.task(&about, Some(&id.to_string())));
    }
    let tasks = import(ws, "tasks", rows.iter())?.len();

    // Notes about a person, related to them and to their company.
    let mut rows = Vec::with_capacity(NOTES);
    for _ in 0..NOTES {
        let p = sample.rng().below(PEOPLE as u64) as usize;
        let (id, fields) = &people[p];
        let mut related = vec![id.to_string()];
        if let Some(c) = employer[p] {
            related.push(companies[c].0.to_string());
        }
        rows.push(sample.note(value_of(fields, "name").unwrap_or("them"), &related));
    }
    let notes = import(ws, "notes", rows.iter())?.len();

    Ok(Made {
        companies,
        people,
        deals,
        tasks,
        notes,
    })
}

/// Imports rows into `object` as one change group; every row must go in.
fn import<'a>(
    ws: &mut Workspace,
    object: &str,
    rows: impl Iterator<Item = &'a Fields>,
) -> Result<Vec<RecordId>, CliError> {
    let object: ObjectId = ws.object_named(object)?.id;
    let mut parsed = Vec::new();
    for fields in rows {
        parsed.push(ImportRow {
            id: None,
            values: ws.parse_values(object, fields)?,
        });
    }
    let options = ImportOptions {
        strict: true,
        ..ImportOptions::default()
    };
    let report = ws.import_records(object, parsed, &options, &mut |_| {})?;
    if let Some(bad) = report.errors.into_iter().next() {
        return Err(bad.error.into());
    }
    Ok(report.created)
}

/// Ready-to-paste commands that work on the new workspace: (what it shows, command).
fn tour(ws: &Workspace, dir: &Path, made: &Made) -> Result<Vec<(String, String)>, CliError> {
    let kith = format!("kith --workspace {}", shell_quote(&dir.display().to_string()));
    let mut tour = Vec::new();
    tour.push((
        "the deals won, largest first within each currency".to_string(),
        format!("{kith} record list deals --filter \"stage = Won\" --sort -amount"),
    ));
    tour.push((
        "what the deals won add up to, per currency".to_string(),
        format!("{kith} total deals amount --filter \"stage = Won\""),
    ));
    tour.push((
        "the open pipeline, closing soonest first".to_string(),
        format!("{kith} record list deals --filter \"stage in Qualified, Proposal, Negotiation\" --sort close_date --fields name,amount,stage,close_date"),
    ));
    if let Some(country) = made.people.first().and_then(|(_, f)| value_of(f, "country")) {
        tour.push((
            format!("people in {country}, by name"),
            format!(
                "{kith} record list people --filter {} --sort name --fields name,job_title,company,city",
                shell_quote(&format!("country = {country}"))
            ),
        ));
    }
    if let Some(last) = made
        .people
        .first()
        .and_then(|(_, f)| value_of(f, "name"))
        .and_then(|n| n.rsplit(' ').next())
    {
        tour.push((
            format!("search everything for '{last}' (accents and case do not matter)"),
            format!("{kith} search {}", shell_quote(last)),
        ));
    }
    tour.push((
        "urgent tasks still to do".to_string(),
        format!("{kith} record list tasks --filter \"done = no and priority = High\" --sort due"),
    ));
    let won = made
        .deals
        .iter()
        .find(|(_, f)| value_of(f, "stage") == Some(DEAL_STAGES[4]))
        .or(made.deals.first());
    if let Some((id, fields)) = won {
        let name = value_of(fields, "name").unwrap_or("a deal");
        tour.push((
            format!("one deal, with its company and contacts: {name}"),
            format!("{kith} record get {}", short_id(ws, *id)),
        ));
    }
    tour.push((
        "the schema: objects, fields and options".to_string(),
        format!("{kith} schema show"),
    ));
    tour.push((
        "every person as CSV".to_string(),
        format!("{kith} export --object people --format csv --output people.csv"),
    ));
    Ok(tour)
}

/// Quotes `s` for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:=@,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
