//! `kith-relay backup DEST`: a consistent copy of the database, also while serving.

use std::path::PathBuf;

use anyhow::Context;

use kith_relay::Config;

use super::{Admin, Output};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The new file to write (it must not exist).
    dest: PathBuf,
}

pub(crate) async fn run(args: Args, config: &Config, out: Output) -> anyhow::Result<()> {
    // A running relay resolves paths from its own working directory: send it an
    // absolute one.
    let dest = std::path::absolute(&args.dest).with_context(|| format!("resolving {}", args.dest.display()))?;
    Admin::connect(config)?.backup(&dest).await?;
    if out.json {
        return out.json(&serde_json::json!({ "backup": dest }));
    }
    println!("backup written to {}", dest.display());
    Ok(())
}
