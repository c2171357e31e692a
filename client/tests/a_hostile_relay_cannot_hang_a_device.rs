//! A malformed or hostile relay cannot corrupt or hang a device. Each test runs a fake
//! relay written here (tokio-tungstenite on 127.0.0.1:0, or raw HTTP) that misbehaves in
//! one way, and checks that the connector gives up with a clear error, or backs off,
//! instead of hanging or hammering. Every wait is bounded; nothing sleeps for readiness.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kith::sync::{Remote, SyncError, SyncEvent, Timeouts, sync_once, sync_watch};
use kith_core::sync::protocol::{ClientMessage, Entry, ErrorCode, Limits, PROTOCOL_VERSION, Role, ServerMessage};
use kith_core::sync::protocol::{decode, encode};
use kith_core::{CreateOptions, DocId, Workspace};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// The bound on every test: far above the short timeouts the device is given.
const PATIENCE: Duration = Duration::from_secs(30);

type Ws = WebSocketStream<TcpStream>;

/// Short waits, so that misbehaviour is noticed quickly.
fn quick() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(10),
        send: Duration::from_millis(500),
        progress: Duration::from_millis(500),
        idle: Duration::from_secs(60),
    }
}

/// Serves WebSocket connections with `behave`; returns the address and a count of
/// connections.
async fn fake_relay<F, Fut>(behave: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(Ws) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                tokio::spawn(behave(ws));
            }
        }
    });
    (url, count)
}

/// Reads the device's `hello` and answers `welcome`.
async fn greet(ws: &mut Ws, role: Role) {
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(frame))) => {
                let hello: ClientMessage = decode(&frame, usize::MAX).expect("hello");
                assert!(matches!(hello, ClientMessage::Hello { .. }));
                break;
            }
            Some(Ok(_)) => continue,
            _ => return,
        }
    }
    send(
        ws,
        &ServerMessage::Welcome {
            version: PROTOCOL_VERSION,
            workspace: "fake".into(),
            role,
            head: 0,
            epoch: "fake-epoch".into(),
            limits: Limits {
                max_chunk_bytes: u64::MAX,
                max_frame_bytes: u64::MAX,
                max_inflated_chunk_bytes: u64::MAX,
            },
        },
    )
    .await;
}

async fn send(ws: &mut Ws, message: &ServerMessage) {
    let _ = ws.send(Message::Binary(encode(message).into())).await;
}

fn remote(url: &str) -> Remote {
    Remote::new(url, "kr_test").expect("remote").with_timeouts(quick())
}

async fn once(ws: &mut Workspace, remote: &Remote) -> Result<kith::sync::SyncReport, SyncError> {
    tokio::time::timeout(PATIENCE, sync_once(ws, remote, |_| {}))
        .await
        .expect("the device gave up on the relay instead of hanging")
}

/// Text that does not compress.
fn noise(len: usize, seed: u64) -> String {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

#[tokio::test]
async fn a_relay_that_stops_reading_does_not_hang_a_sync() {
    let (url, _) = fake_relay(|mut ws| async move {
        greet(&mut ws, Role::Member).await;
        // Never read again, never close.
        std::future::pending::<()>().await;
        drop(ws);
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = Workspace::create(&dir.path().join("a"), CreateOptions::new("ada")).expect("workspace");
    // More than the socket buffers hold, so that sending blocks.
    a.set_relay_max_chunk_bytes(u64::MAX).expect("limit");
    a.set_relay_max_inflated_chunk_bytes(u64::MAX).expect("limit");
    let people = a.object_named("people").expect("people").id;
    for i in 0..12 {
        let values = a
            .parse_values(people, &[("name".into(), noise(3 << 20, i + 7))])
            .expect("values");
        a.create_record(people, values).expect("record");
    }
    // Only the send timeout can end this: progress is judged between messages.
    let patient_for_progress = Timeouts {
        progress: Duration::from_secs(600),
        ..quick()
    };
    let remote = Remote::new(&url, "kr_test")
        .expect("remote")
        .with_timeouts(patient_for_progress);
    let err = once(&mut a, &remote).await.expect_err("the relay never acknowledged");
    assert!(
        matches!(&err, SyncError::ConnectionLost(reason) if reason.contains("stopped reading")),
        "{err}"
    );
}

#[tokio::test]
async fn a_relay_that_answers_pings_but_never_sends_the_backlog_is_given_up() {
    let (url, _) = fake_relay(|mut ws| async move {
        greet(&mut ws, Role::Member).await;
        // Keeps the connection lively (pings, and pongs to the device's pings) and
        // never answers the pull.
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                        return;
                    }
                }
                frame = ws.next() => if frame.is_none() {
                    return;
                },
            }
        }
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = Workspace::create_replica(&dir.path().join("b"), "bob").expect("replica");
    let err = once(&mut b, &remote(&url)).await.expect_err("no backlog ever came");
    assert!(
        matches!(&err, SyncError::ConnectionLost(reason) if reason.contains("no progress")),
        "{err}"
    );
}

#[tokio::test]
async fn log_positions_that_go_backwards_are_refused_and_nothing_is_applied() {
    let (url, _) = fake_relay(|mut ws| async move {
        greet(&mut ws, Role::Viewer).await;
        let entry = |seq| Entry {
            seq,
            doc: DocId::new(),
            data: vec![0x85, 0x6f, 0x4a, 0x83],
        };
        send(
            &mut ws,
            &ServerMessage::Entries {
                entries: vec![entry(2)],
            },
        )
        .await;
        send(
            &mut ws,
            &ServerMessage::Entries {
                entries: vec![entry(1)],
            },
        )
        .await;
        send(&mut ws, &ServerMessage::CaughtUp { head: 2 }).await;
        while ws.next().await.is_some() {}
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = Workspace::create_replica(&dir.path().join("b"), "bob").expect("replica");
    let err = once(&mut b, &remote(&url)).await.expect_err("refused");
    assert!(
        matches!(&err, SyncError::ConnectionLost(reason) if reason.contains("log position 1")),
        "{err}"
    );
    assert_eq!(b.sync_cursor().expect("cursor"), 0);
}

/// A plain HTTP server that answers every request with `status`.
async fn http_answering(status: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = tcp.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_403_or_404_on_the_upgrade_stops_a_watch_with_a_clear_error_instead_of_retrying() {
    for (status, code) in [("404 Not Found", 404), ("403 Forbidden", 403)] {
        let (url, connections) = http_answering(status).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut b = Workspace::create_replica(&dir.path().join("b"), "bob").expect("replica");
        let remote = remote(&url);
        let watch = sync_watch(&mut b, &remote, std::future::pending(), |_| {});
        let err = tokio::time::timeout(PATIENCE, watch)
            .await
            .expect("the watch stopped instead of retrying forever")
            .expect_err("an error");
        assert!(
            matches!(err, SyncError::HttpStatus { status, .. } if status == code),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("HTTP {code}")), "{err}");
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn a_relay_that_welcomes_and_then_fails_is_retried_ever_more_slowly() {
    let (url, _) = fake_relay(|mut ws| async move {
        greet(&mut ws, Role::Member).await;
        send(
            &mut ws,
            &ServerMessage::Error {
                code: ErrorCode::Internal,
                message: "broken".into(),
            },
        )
        .await;
        let _ = ws.close(None).await;
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = Workspace::create_replica(&dir.path().join("b"), "bob").expect("replica");
    let (enough, seen) = tokio::sync::oneshot::channel::<()>();
    let mut enough = Some(enough);
    let mut delays = Vec::new();
    let remote = remote(&url);
    let watch = sync_watch(
        &mut b,
        &remote,
        async move {
            let _ = seen.await;
        },
        |event| {
            if let SyncEvent::Offline { retry_in_ms, .. } = event {
                delays.push(*retry_in_ms);
                if delays.len() == 4
                    && let Some(enough) = enough.take()
                {
                    let _ = enough.send(());
                }
            }
        },
    );
    tokio::time::timeout(PATIENCE, watch)
        .await
        .expect("four retries in time")
        .expect("a watch ends cleanly on shutdown");
    assert_eq!(delays.len(), 4);
    // With jitter each delay is in [base/2, base] and the base doubles: a welcome
    // alone does not reset it.
    assert!(delays.windows(2).all(|w| w[1] >= w[0]), "{delays:?}");
    assert!(delays[3] >= 2_000, "{delays:?}");
}
