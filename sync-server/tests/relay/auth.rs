//! Tokens: who may connect, what they see, what they may do.

use std::time::Duration;

use kith_core::sync::protocol::{ErrorCode, PROTOCOL_VERSION, ServerMessage};
use kith_relay::Role;

use crate::common::{Device, Doc, Server, is_unauthorized};

#[tokio::test]
async fn unknown_missing_or_malformed_tokens_get_401_before_the_upgrade() {
    let server = Server::in_memory().await;
    server.relay.create_workspace("Acme").unwrap();
    let fake = format!("kr_{}", "0".repeat(64));
    assert!(is_unauthorized(&Device::open(&server, &fake).await));
    assert!(is_unauthorized(&Device::open(&server, "nonsense").await));
    let request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(server.url()).unwrap();
    let no_header = tokio_tungstenite::connect_async(request).await;
    assert!(matches!(no_header, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401));
    server.stop().await;
}

#[tokio::test]
async fn a_token_only_ever_reaches_its_own_workspace() {
    let server = Server::in_memory().await;
    let (acme, acme_owner) = server.relay.create_workspace("Acme").unwrap();
    let (beta, beta_owner) = server.relay.create_workspace("Beta").unwrap();
    let (mut a, _) = Device::join(&server, &acme_owner.secret).await;
    let (mut x, _) = Device::join(&server, &beta_owner.secret).await;
    let (mut y, _) = Device::join(&server, &beta_owner.secret).await;
    x.pull(0).await;

    let mut doc = Doc::new();
    a.push(vec![doc.chunk(1, "secret", 1)]).await;
    // X's next message is Y's entry, not A's.
    let mut other = Doc::new();
    y.push(vec![other.chunk(1, "public", 1)]).await;
    let live = x.live().await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].doc, other.id);
    assert_eq!(live[0].seq, 1, "each workspace has its own log");

    let (mut z, head) = Device::join(&server, &beta_owner.secret).await;
    assert_eq!(head, 1);
    let pulled = z.pull(0).await;
    assert_eq!(pulled.entries.iter().map(|e| e.doc).collect::<Vec<_>>(), vec![other.id]);
    match Device::join(&server, &acme_owner.secret).await {
        (mut d, 1) => {
            let p = d.pull(0).await;
            assert_eq!(p.entries[0].doc, doc.id);
        }
        (_, head) => panic!("acme head {head}"),
    }
    assert_ne!(acme.id, beta.id);
    drop((a, x, y, z));
    server.stop().await;
}

#[tokio::test]
async fn the_welcome_names_the_workspace_role_epoch_and_limits() {
    let server = Server::in_memory().await;
    let (ws, _) = server.relay.create_workspace("Acme").unwrap();
    let member = server.relay.create_token(ws.id, Role::Member).unwrap();
    let mut d = Device::open(&server, &member.secret).await.unwrap();
    d.send(&kith_core::sync::protocol::ClientMessage::Hello {
        versions: vec![7, PROTOCOL_VERSION],
        client: "t".into(),
    })
    .await;
    match d.recv().await {
        ServerMessage::Welcome {
            version,
            workspace,
            role,
            head,
            epoch,
            limits,
        } => {
            assert_eq!((version, role, head), (PROTOCOL_VERSION, Role::Member, 0));
            assert_eq!(workspace, ws.id.to_string());
            assert_eq!(epoch.len(), 32, "16 random bytes in hex: {epoch}");
            let config = server.relay.config();
            assert_eq!(
                (limits.max_chunk_bytes, limits.max_frame_bytes),
                (
                    config.limits.max_chunk_bytes as u64,
                    config.limits.max_frame_bytes as u64
                )
            );
        }
        other => panic!("{other:?}"),
    }
    drop(d);
    server.stop().await;
}

#[tokio::test]
async fn a_viewer_can_pull_but_a_viewer_push_is_forbidden_and_disconnected() {
    let server = Server::in_memory().await;
    let (ws, owner) = server.relay.create_workspace("Acme").unwrap();
    let viewer = server.relay.create_token(ws.id, Role::Viewer).unwrap();
    let (mut a, _) = Device::join(&server, &owner.secret).await;
    let mut doc = Doc::new();
    a.push(vec![doc.chunk(1, "k", 1)]).await;

    let (mut v, _) = Device::join(&server, &viewer.secret).await;
    assert_eq!(v.pull(0).await.entries.len(), 1);
    v.send(&kith_core::sync::protocol::ClientMessage::Push {
        chunks: vec![doc.chunk(2, "k", 2)],
    })
    .await;
    assert_eq!(v.expect_error().await, ErrorCode::Forbidden);
    assert_eq!(server.relay.workspaces().unwrap().len(), 1);
    // Nothing was appended.
    let (mut b, head) = Device::join(&server, &owner.secret).await;
    assert_eq!(head, 1);
    b.pull(1).await;
    drop((a, v, b));
    server.stop().await;
}

#[tokio::test]
async fn a_viewer_cannot_purge() {
    let server = Server::in_memory().await;
    let (ws, owner) = server.relay.create_workspace("Acme").unwrap();
    let viewer = server.relay.create_token(ws.id, Role::Viewer).unwrap();
    let (mut a, _) = Device::join(&server, &owner.secret).await;
    let doc = Doc::new();
    let (mut v, _) = Device::join(&server, &viewer.secret).await;
    v.send(&kith_core::sync::protocol::ClientMessage::Purge { docs: vec![doc.id] })
        .await;
    assert_eq!(v.expect_error().await, ErrorCode::Forbidden);
    // The owner's purge goes through and is confirmed to the owner.
    a.send(&kith_core::sync::protocol::ClientMessage::Purge { docs: vec![doc.id] })
        .await;
    match a.recv().await {
        ServerMessage::Purged { docs } => assert_eq!(docs[0].doc, doc.id),
        other => panic!("{other:?}"),
    }
    drop((a, v));
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_token_is_closed_within_a_second_and_refused_afterwards() {
    let server = Server::in_memory().await;
    let (ws, owner) = server.relay.create_workspace("Acme").unwrap();
    let member = server.relay.create_token(ws.id, Role::Member).unwrap();
    let (mut m, _) = Device::join(&server, &member.secret).await;
    m.pull(0).await;
    let (mut idle, _) = Device::join(&server, &member.secret).await;
    // Upgraded, but no hello yet.
    let mut silent = Device::open(&server, &member.secret).await.unwrap();
    let (mut a, _) = Device::join(&server, &owner.secret).await;
    a.pull(0).await;

    assert!(server.relay.revoke_token(member.id).unwrap());
    let code = tokio::time::timeout(Duration::from_secs(1), m.expect_error())
        .await
        .expect("closed within a second");
    assert_eq!(code, ErrorCode::TokenRevoked);
    let code = tokio::time::timeout(Duration::from_secs(1), idle.expect_error())
        .await
        .expect("closed within a second");
    assert_eq!(code, ErrorCode::TokenRevoked);
    let code = tokio::time::timeout(Duration::from_secs(1), silent.expect_error())
        .await
        .expect("closed within a second");
    assert_eq!(code, ErrorCode::TokenRevoked);
    assert!(is_unauthorized(&Device::open(&server, &member.secret).await));
    let listed = server.relay.tokens(Some(ws.id)).unwrap();
    assert!(listed.iter().find(|t| t.id == member.id).unwrap().revoked);

    // The owner's connection is untouched.
    let mut doc = Doc::new();
    a.push(vec![doc.chunk(1, "k", 1)]).await;
    assert!(!server.relay.revoke_token("0011223344556677".parse().unwrap()).unwrap());
    drop((a, m, idle));
    server.stop().await;
}

#[tokio::test]
async fn a_token_has_a_limited_number_of_connections() {
    let server = Server::in_memory().await;
    let (_, owner) = server.relay.create_workspace("Acme").unwrap();
    let mut open = Vec::new();
    for _ in 0..server.relay.config().limits.max_connections_per_token {
        open.push(Device::join(&server, &owner.secret).await.0);
    }
    let mut extra = Device::open(&server, &owner.secret).await.unwrap();
    assert_eq!(extra.expect_error().await, ErrorCode::TooManyConnections);
    // Closing one frees a place.
    drop(open.pop());
    let mut retried = None;
    for _ in 0..100 {
        let mut d = Device::open(&server, &owner.secret).await.unwrap();
        d.send(&kith_core::sync::protocol::ClientMessage::Hello {
            versions: vec![PROTOCOL_VERSION],
            client: "t".into(),
        })
        .await;
        if let Some(ServerMessage::Welcome { .. }) = d.next().await {
            retried = Some(d);
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(retried.is_some(), "a closed connection frees its place");
    drop((open, extra, retried));
    server.stop().await;
}

#[tokio::test]
async fn tokens_carry_a_label_an_expiry_and_their_last_use() {
    let server = Server::in_memory().await;
    let (ws, _) = server.relay.create_workspace("Acme").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let laptop = server
        .relay
        .create_token_with(ws.id, Role::Member, "Ana's laptop", Some(now + 3_600_000))
        .unwrap();
    let expired = server
        .relay
        .create_token_with(ws.id, Role::Member, "old phone", Some(now - 1))
        .unwrap();
    assert!(is_unauthorized(&Device::open(&server, &expired.secret).await));
    let (device, _) = Device::join(&server, &laptop.secret).await;

    let deadline = tokio::time::Instant::now() + crate::common::PATIENCE;
    let info = loop {
        let tokens = server.relay.tokens(Some(ws.id)).unwrap();
        let info = tokens.into_iter().find(|t| t.id == laptop.id).unwrap();
        if info.last_used_ms.is_some() {
            break info;
        }
        assert!(tokio::time::Instant::now() < deadline, "last use never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(info.label, "Ana's laptop");
    assert_eq!(info.expires_ms, Some(now + 3_600_000));
    assert!(info.last_used_ms.unwrap() >= now);
    let old = server.relay.tokens(Some(ws.id)).unwrap();
    assert_eq!(old.iter().find(|t| t.id == expired.id).unwrap().last_used_ms, None);
    drop(device);
    server.stop().await;
}
