//! `kith revert CHANGE [--force]` and `kith revert --group ID [--force]`: take back one
//! change (of a record or of the schema) or a whole change group (an import, a bulk edit,
//! a restore, another revert). A revert is itself a change group, printed so that it can
//! be reverted in turn. When a later change touched the same thing the revert is refused
//! (one sentence naming that change) unless `--force` is given.

use std::io::Write;

use crate::CliError;
use crate::app::revert::{RevertRequest, revert};
use crate::commands::Context;
use crate::output::write_json;

/// Take back a change or a change group.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("target").args(["change", "group"])))]
pub struct RevertArgs {
    /// The change to take back: its id from `kith history` (12 characters, or any unique
    /// prefix of 6 or more)
    pub change: Option<String>,
    /// Take back every change of a change group (an import, a bulk edit, a revert): its
    /// id or short id, as `kith history` and `kith import` print them
    #[arg(long, value_name = "ID")]
    pub group: Option<String>,
    /// Revert even when later changes touched the same fields (they are overwritten)
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: RevertArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let request = RevertRequest {
        change: args.change,
        group: args.group,
        force: args.force,
    };
    let report = revert(&mut ws, &request)?;
    let what = &report.reverted;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &report)?;
        return Ok(());
    }
    let mut changed = Vec::new();
    if report.records > 0 {
        changed.push(if report.records == 1 {
            "1 record".to_string()
        } else {
            format!("{} records", report.records)
        });
    }
    if report.schema {
        changed.push("the schema".to_string());
    }
    if changed.is_empty() {
        writeln!(out, "reverted {what}: nothing needed changing")?;
        return Ok(());
    }
    writeln!(out, "reverted {what}: changed {}", changed.join(" and "))?;
    writeln!(
        out,
        "this revert is group {} (`kith revert --group {}` takes it back)",
        report.group, report.group
    )?;
    Ok(())
}
