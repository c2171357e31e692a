//! `kith-relay workspace create|list|rename|delete`.

use anyhow::bail;
use kith_relay::{Config, WorkspaceId};

use super::{Admin, Output, print_new_token, when};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Create a workspace; prints its id and an owner token (shown once).
    Create {
        /// A name for people (the workspace id is what devices use).
        name: String,
    },
    /// List the workspaces.
    List,
    /// Give a workspace a new name (devices know it by id: nothing else changes).
    Rename {
        /// The workspace's id, as `workspace list` prints it.
        id: WorkspaceId,
        /// Its new name.
        name: String,
    },
    /// Delete a workspace for good: its tokens, log and snapshots. Devices keep their
    /// local copies. Asks you to confirm by typing the workspace's name.
    Delete {
        /// The workspace's id, as `workspace list` prints it.
        id: WorkspaceId,
        /// Confirm without the prompt by giving the workspace's current name.
        #[arg(long, value_name = "NAME")]
        confirm: Option<String>,
    },
}

pub(crate) async fn run(command: Command, config: &Config, out: Output) -> anyhow::Result<()> {
    let admin = Admin::connect(config)?;
    match command {
        Command::Create { name } => {
            let (workspace, token) = admin.create_workspace(&name).await?;
            if out.json {
                return out.json(&serde_json::json!({ "workspace": workspace, "token": token }));
            }
            println!("workspace {} \"{}\"", workspace.id, workspace.name);
            print_new_token(&token);
        }
        Command::Rename { id, name } => {
            let workspace = admin.rename_workspace(id, &name).await?;
            if out.json {
                return out.json(&workspace);
            }
            println!("workspace {} is now \"{}\"", workspace.id, workspace.name);
        }
        Command::Delete { id, confirm } => {
            let Some(workspace) = admin.workspaces().await?.into_iter().find(|w| w.id == id) else {
                bail!("no workspace {id}");
            };
            let typed = match confirm {
                Some(name) => name,
                None => prompt(&format!(
                    "This deletes workspace {id} \"{}\", its tokens, log and snapshots.\nType its name to confirm: ",
                    workspace.name
                ))?,
            };
            if typed.trim() != workspace.name {
                bail!("the name does not match; nothing was deleted");
            }
            admin.delete_workspace(id).await?;
            if out.json {
                return out.json(&serde_json::json!({ "deleted": id }));
            }
            println!("workspace {id} deleted");
        }
        Command::List => {
            let workspaces = admin.workspaces().await?;
            if out.json {
                return out.json(&workspaces);
            }
            for w in workspaces {
                println!("{}  {}  {}", w.id, when(w.created_ms), w.name);
            }
        }
    }
    Ok(())
}

/// Asks on the terminal; one line.
fn prompt(question: &str) -> anyhow::Result<String> {
    use std::io::Write;
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line)
}
