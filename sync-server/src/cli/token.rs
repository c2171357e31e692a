//! `kith-relay token create|list|revoke`.

use anyhow::bail;

use kith_relay::{Config, Role, TokenId, WorkspaceId};

use super::{Admin, Output, print_new_token, when};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Create a token; prints its secret (shown once).
    Create {
        /// The workspace the token opens: its id, as `workspace create` and `workspace list`
        /// print it.
        #[arg(long, value_name = "WORKSPACE_ID")]
        workspace: WorkspaceId,
        /// owner (also manages tokens), member (read and write) or viewer (read only).
        #[arg(long, default_value = "member")]
        role: Role,
        /// A name for people, e.g. "Ana's laptop".
        #[arg(long, default_value = "")]
        label: String,
        /// Refuse the token after this long: e.g. 90d, 12h, 30m.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
        expires_in: Option<u64>,
    },
    /// List tokens (never their secrets).
    List {
        /// Only the tokens of this workspace (its id); every workspace's when not given.
        #[arg(long, value_name = "WORKSPACE_ID")]
        workspace: Option<WorkspaceId>,
    },
    /// Revoke a token; its open connections are closed.
    Revoke {
        /// The token id shown by `token list` (not the secret).
        token_id: TokenId,
    },
}

pub(crate) async fn run(command: Command, config: &Config, out: Output) -> anyhow::Result<()> {
    let admin = Admin::connect(config)?;
    match command {
        Command::Create {
            workspace,
            role,
            label,
            expires_in,
        } => {
            let expires = expires_in.map(|ms| now_ms().saturating_add(ms));
            let token = admin.create_token(workspace, role, &label, expires).await?;
            if out.json {
                return out.json(&token);
            }
            print_new_token(&token);
        }
        Command::List { workspace } => {
            let tokens = admin.tokens(workspace).await?;
            if out.json {
                return out.json(&tokens);
            }
            let now = now_ms();
            for t in tokens {
                let state = if t.revoked {
                    "revoked"
                } else if t.expires_ms.is_some_and(|e| e <= now) {
                    "expired"
                } else {
                    "active"
                };
                let expires = t.expires_ms.map_or_else(|| "never".to_string(), when);
                let used = t.last_used_ms.map_or_else(|| "never".to_string(), when);
                println!(
                    "{}  {}  {:<6}  {:<7}  created {}  expires {}  last used {}  {}",
                    t.id,
                    t.workspace,
                    t.role.as_str(),
                    state,
                    when(t.created_ms),
                    expires,
                    used,
                    t.label
                );
            }
        }
        Command::Revoke { token_id } => {
            if !admin.revoke_token(token_id).await? {
                bail!("no token {token_id}");
            }
            if out.json {
                return out.json(&serde_json::json!({ "revoked": token_id }));
            }
            println!("token {token_id} revoked");
        }
    }
    Ok(())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `90d`, `12h`, `30m` or `45s`, in milliseconds.
fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let bad = || format!("'{text}' is not a duration like 90d, 12h, 30m or 45s");
    let Some((at, _)) = text.char_indices().last() else {
        return Err(bad());
    };
    let (number, unit) = text.split_at(at);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let unit_ms = match unit {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1_000,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_ms).ok_or_else(|| format!("'{text}' is too long"))
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

    #[test]
    fn durations_have_a_number_and_a_unit() {
        assert_eq!(parse_duration_ms("90d"), Ok(90 * 86_400_000));
        assert_eq!(parse_duration_ms("30m"), Ok(1_800_000));
        assert!(parse_duration_ms("d").is_err());
        assert!(parse_duration_ms("10").is_err());
        assert!(parse_duration_ms("5w").is_err());
        assert!(parse_duration_ms("5é").is_err());
        assert!(parse_duration_ms("").is_err());
    }
}
