//! `kith-relay restore BACKUP`: puts a backup in place of the database (relay stopped)
//! and gives every workspace log a new epoch, so devices push back what the backup
//! misses.

use std::path::PathBuf;

use anyhow::Context;

use kith_relay::{Config, Relay};

use super::Output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A file written by `kith-relay backup`.
    backup: PathBuf,
}

pub(crate) fn run(args: Args, config: &Config, out: Output) -> anyhow::Result<()> {
    if !args.backup.is_file() {
        anyhow::bail!("{} is not a backup file", args.backup.display());
    }
    let workspaces = Relay::restore(config, &args.backup).map_err(|e| {
        if e.is_locked() {
            anyhow::anyhow!("the relay is running: stop `kith-relay serve` first, then restore")
        } else {
            anyhow::Error::new(e)
        }
    });
    let workspaces = workspaces.with_context(|| format!("restoring {}", args.backup.display()))?;
    if out.json {
        return out.json(&serde_json::json!({ "restored": args.backup, "workspaces": workspaces }));
    }
    println!(
        "restored {} ({workspaces} workspaces, each with a new epoch: devices will push back what the backup misses)",
        args.backup.display()
    );
    Ok(())
}
