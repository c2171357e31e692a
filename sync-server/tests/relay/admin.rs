//! The `kith-relay` binary: administration directly on the file, and through the
//! admin API while a relay serves the directory.

use std::path::Path;
use std::process::Command;

use kith_core::sync::protocol::{ErrorCode, ServerMessage};
use kith_relay::{AdminClient, Relay, Role};

use crate::common::{Device, Server, config, http_get};

/// Runs the binary with `args` on `data`; returns its standard output.
async fn cli(data: &Path, args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kith-relay"));
    command.args(args).arg("--data").arg(data);
    for (var, _) in std::env::vars().filter(|(v, _)| v.starts_with("KITH_RELAY_")) {
        command.env_remove(var);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "kith-relay {args:?} failed: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn the_cli_works_on_the_file_and_through_a_running_relay() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    cli(&data, &["init"]).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join(kith_relay::ADMIN_SECRET_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // No server: straight on the file.
    let created = json(&cli(&data, &["workspace", "create", "Acme", "--json"]).await);
    let workspace = created["workspace"]["id"].as_str().unwrap().to_string();
    let owner_secret = created["token"]["secret"].as_str().unwrap().to_string();

    // Serving: the file is locked, the CLI goes through the admin API.
    let mut c = config();
    c.data_dir = data.clone();
    let server = Server::start(Relay::open(c).unwrap()).await;
    let member = json(
        &cli(
            &data,
            &[
                "token",
                "create",
                "--workspace",
                &workspace,
                "--role",
                "member",
                "--json",
            ],
        )
        .await,
    );
    let member_secret = member["secret"].as_str().unwrap();
    let member_id = member["id"].as_str().unwrap();
    let (mut device, _) = Device::join(&server, member_secret).await;
    device.pull(0).await;
    let (mut owner, _) = Device::join(&server, &owner_secret).await;

    let listed = json(&cli(&data, &["token", "list", "--workspace", &workspace, "--json"]).await);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains(member_secret), "secrets are never listed");
    let workspaces = json(&cli(&data, &["workspace", "list", "--json"]).await);
    assert_eq!(workspaces[0]["name"], "Acme");

    cli(&data, &["token", "revoke", member_id]).await;
    assert_eq!(device.expect_error().await, ErrorCode::TokenRevoked);

    // Backups through the running relay go only under its backup directory.
    let backup = data.join("backups").join("copy.redb");
    cli(&data, &["backup", backup.to_str().unwrap()]).await;
    assert!(backup.exists());
    let outside = tmp.path().join("elsewhere.redb");
    let refused = AdminClient::from_data_dir(&data).unwrap().backup(&outside).await;
    assert!(refused.unwrap_err().to_string().contains("only under"));
    assert!(!outside.exists());
    let report = json(&cli(&data, &["compact", "--json"]).await);
    assert_eq!(report["documents"], 0);

    // The library client does the same.
    let client = AdminClient::from_data_dir(&data).unwrap();
    let viewer = client
        .create_token(workspace.parse().unwrap(), Role::Viewer)
        .await
        .unwrap();
    assert_eq!(viewer.role, Role::Viewer);
    let wrong = AdminClient::at(client.addr().clone(), "ka_wrong");
    let refused = wrong.workspaces().await.unwrap_err().to_string();
    assert!(refused.contains("401"), "{refused}");
    // The admin API has its own port; the device port does not serve it.
    assert_ne!(client.addr(), &kith_relay::AdminAddress::Tcp(server.addr));
    assert_eq!(http_get(server.addr, "/v1/admin/workspaces").await.0, 404);

    owner.pull(0).await;
    drop(owner);
    drop(device);
    server.stop().await;
    assert!(
        !data.join(kith_relay::ADDR_FILE).exists(),
        "relay.addr is removed on exit"
    );

    // Stopped again: the file is used directly, and has everything.
    let tokens = json(&cli(&data, &["token", "list", "--json"]).await);
    assert_eq!(tokens.as_array().unwrap().len(), 3);
}

/// Runs the CLI expecting failure; returns stderr.
async fn cli_fails(data: &Path, args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kith-relay"));
    command.args(args).arg("--data").arg(data);
    for (var, _) in std::env::vars().filter(|(v, _)| v.starts_with("KITH_RELAY_")) {
        command.env_remove(var);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    assert!(!output.status.success(), "kith-relay {args:?} should fail");
    String::from_utf8(output.stderr).unwrap()
}

/// Serves `relay` and returns the epoch its welcome names.
async fn welcome_epoch(relay: Relay, secret: &str) -> (Server, String) {
    let server = Server::start(relay).await;
    let mut d = Device::open(&server, secret).await.unwrap();
    d.send(&kith_core::sync::protocol::ClientMessage::Hello {
        versions: vec![kith_core::sync::protocol::PROTOCOL_VERSION],
        client: "t".into(),
    })
    .await;
    let epoch = match d.recv().await {
        ServerMessage::Welcome { epoch, .. } => epoch,
        other => panic!("{other:?}"),
    };
    drop(d);
    (server, epoch)
}

#[tokio::test]
async fn restore_puts_a_backup_in_place_with_a_new_epoch_and_refuses_while_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    cli(&data, &["init"]).await;
    let created = json(&cli(&data, &["workspace", "create", "Acme", "--json"]).await);
    let owner_secret = created["token"]["secret"].as_str().unwrap().to_string();
    let backup = tmp.path().join("copy.redb");
    cli(&data, &["backup", backup.to_str().unwrap()]).await;

    let mut c = config();
    c.data_dir = data.clone();
    let (server, before) = welcome_epoch(Relay::open(c.clone()).unwrap(), &owner_secret).await;
    let refused = cli_fails(&data, &["restore", backup.to_str().unwrap()]).await;
    assert!(refused.contains("stop `kith-relay serve` first"), "{refused}");
    server.stop().await;

    let restored = json(&cli(&data, &["restore", backup.to_str().unwrap(), "--json"]).await);
    assert_eq!(restored["workspaces"], 1);
    let (server, after) = welcome_epoch(Relay::open(c).unwrap(), &owner_secret).await;
    assert_ne!(before, after, "a restored log has a new epoch");
    server.stop().await;
    let missing = cli_fails(&data, &["restore", tmp.path().join("nope").to_str().unwrap()]).await;
    assert!(missing.contains("is not a backup file"), "{missing}");
}

#[tokio::test]
async fn a_workspace_is_renamed_and_deleted_only_with_its_name_as_confirmation() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    cli(&data, &["init"]).await;
    let gone = json(&cli(&data, &["workspace", "create", "Gone", "--json"]).await);
    let gone_id = gone["workspace"]["id"].as_str().unwrap().to_string();
    let gone_secret = gone["token"]["secret"].as_str().unwrap().to_string();
    let kept = json(&cli(&data, &["workspace", "create", "Kept", "--json"]).await);
    let kept_id = kept["workspace"]["id"].as_str().unwrap().to_string();

    // On the file.
    let renamed = json(&cli(&data, &["workspace", "rename", &kept_id, "Kept Ltd", "--json"]).await);
    assert_eq!(renamed["name"], "Kept Ltd");
    let wrong = Command::new(env!("CARGO_BIN_EXE_kith-relay"))
        .args(["workspace", "delete", &gone_id, "--confirm", "Kept Ltd", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("nothing was deleted"));

    // Through a running relay: the deleted workspace's devices are closed.
    let mut c = config();
    c.data_dir = data.clone();
    let server = Server::start(Relay::open(c).unwrap()).await;
    let (mut device, _) = Device::join(&server, &gone_secret).await;
    cli(&data, &["workspace", "delete", &gone_id, "--confirm", "Gone"]).await;
    assert_eq!(device.expect_error().await, ErrorCode::TokenRevoked);
    assert!(crate::common::is_unauthorized(
        &Device::open(&server, &gone_secret).await
    ));
    let listed = json(&cli(&data, &["workspace", "list", "--json"]).await);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Kept Ltd"]);
    server.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_admin_api_can_listen_on_an_owner_only_unix_socket() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let socket = tmp.path().join("admin.sock");
    let mut c = config();
    c.data_dir = data.clone();
    c.admin_socket = Some(socket.clone());
    let server = Server::start(Relay::open(c).unwrap()).await;
    // Once the device port answers, the admin API is up (it starts first).
    assert_eq!(http_get(server.addr, "/healthz").await.0, 200);
    let client = AdminClient::from_data_dir(&data).unwrap();
    assert_eq!(client.addr(), &kith_relay::AdminAddress::Unix(socket.clone()));
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let (ws, _) = client.create_workspace("Acme").await.unwrap();
    assert_eq!(client.workspaces().await.unwrap()[0].id, ws.id);
    let wrong = AdminClient::at(client.addr().clone(), "ka_wrong");
    assert!(wrong.workspaces().await.unwrap_err().to_string().contains("401"));
    // The CLI finds it too.
    let listed = json(&cli(&data, &["workspace", "list", "--json"]).await);
    assert_eq!(listed[0]["name"], "Acme");
    server.stop().await;
    assert!(!socket.exists(), "the socket is removed on exit");
}
