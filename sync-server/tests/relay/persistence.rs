//! What is acked survives a restart; backups are complete and open.

use kith_relay::{Config, DB_FILE, Relay};

use crate::common::{Device, Doc, Server, config};

fn file_config(dir: &std::path::Path) -> Config {
    let mut c = config();
    c.data_dir = dir.to_path_buf();
    c
}

#[tokio::test]
async fn acked_entries_survive_a_restart_and_a_backup_holds_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(Relay::open(file_config(&data)).unwrap()).await;
    let (ws, token) = server.relay.create_workspace("Acme").unwrap();
    let labelled = server
        .relay
        .create_token_with(ws.id, kith_relay::Role::Viewer, "wall screen", Some(u64::MAX))
        .unwrap();
    let (mut a, _) = Device::join(&server, &token.secret).await;
    let mut doc = Doc::new();
    let mut acked = Vec::new();
    for i in 0..20u64 {
        acked.extend(a.push(vec![doc.chunk(i, "k", i as i64)]).await);
    }
    assert_eq!(acked.last().unwrap().seq, 20);

    // A backup while serving (a device is connected).
    let backup = tmp.path().join("backup.redb");
    let relay = server.relay.clone();
    let dest = backup.clone();
    tokio::task::spawn_blocking(move || relay.backup(&dest))
        .await
        .unwrap()
        .unwrap();
    // A second backup to the same place is refused rather than overwriting it.
    let relay = server.relay.clone();
    let dest = backup.clone();
    assert!(
        tokio::task::spawn_blocking(move || relay.backup(&dest))
            .await
            .unwrap()
            .is_err()
    );

    drop(a);
    server.stop().await;

    // Reopen the same directory.
    let server = Server::start(Relay::open(file_config(&data)).unwrap()).await;
    let (mut b, head) = Device::join(&server, &token.secret).await;
    assert_eq!(head, 20);
    let pulled = b.pull(0).await;
    assert_eq!(
        pulled.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=20).collect::<Vec<_>>()
    );
    let mut rebuilt = crate::common::rebuild(&pulled);
    assert_eq!(rebuilt.get_mut(&doc.id).unwrap().get_heads(), doc.doc.get_heads());
    drop(b);
    server.stop().await;

    // Restore: the backup as the database of a new directory, tokens included.
    let restored = tmp.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    std::fs::copy(&backup, restored.join(DB_FILE)).unwrap();
    let server = Server::start(Relay::open(file_config(&restored)).unwrap()).await;
    let (mut c, head) = Device::join(&server, &token.secret).await;
    assert_eq!(head, 20);
    assert_eq!(c.pull(0).await.entries.len(), 20);
    let tokens = server.relay.tokens(Some(ws.id)).unwrap();
    let restored_token = tokens.iter().find(|t| t.id == labelled.id).unwrap();
    assert_eq!(
        (restored_token.label.as_str(), restored_token.expires_ms),
        ("wall screen", Some(u64::MAX))
    );
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn a_served_directory_is_locked_against_a_second_relay() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::open(file_config(tmp.path())).unwrap();
    let second = Relay::open(file_config(tmp.path()));
    assert!(second.unwrap_err().is_locked());
    drop(relay);
    Relay::open(file_config(tmp.path())).unwrap();
}
