//! `kith-relay compact`: fold old log entries into snapshots now.

use kith_relay::Config;

use super::{Admin, Output};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) async fn run(_args: Args, config: &Config, out: Output) -> anyhow::Result<()> {
    let report = Admin::connect(config)?.compact().await?;
    if out.json {
        return out.json(&report);
    }
    println!(
        "compacted {} documents, removed {} log entries ({} skipped)",
        report.documents, report.entries_removed, report.skipped
    );
    Ok(())
}
