//! The device port's TCP guards: a header deadline and caps on open connections.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use kith_relay::Relay;

use crate::common::{PATIENCE, Server, config, http_get};

/// Reads until the relay closes the connection; what it said.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut said = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut said)).await;
    assert!(read.is_ok(), "the relay kept the connection open");
    String::from_utf8_lossy(&said).into_owned()
}

/// A GET of `/healthz` that succeeds once a place is free again.
async fn eventually_healthy(addr: SocketAddr) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        if read_until_closed(&mut stream).await.starts_with("HTTP/1.1 200") {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "no place became free");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn half_a_request_line_is_dropped_after_the_header_timeout() {
    let mut c = config();
    c.limits.header_read_timeout_secs = 1;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /v1/sy").await.unwrap();
    read_until_closed(&mut slow).await;
    // A whole request is still served.
    assert_eq!(http_get(server.addr, "/healthz").await.0, 200);
    server.stop().await;
}

#[tokio::test]
async fn connections_over_the_per_address_cap_are_refused_with_503() {
    let mut c = config();
    c.limits.max_connections_per_address = 3;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut extra = TcpStream::connect(server.addr).await.unwrap();
    let answer = read_until_closed(&mut extra).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too many connections"), "{answer}");
    let (_, metrics) = {
        drop(held.pop());
        eventually_healthy(server.addr).await;
        http_get(server.addr, "/metrics").await
    };
    assert!(metrics.contains("kith_relay_connections_refused_total "));
    drop(held);
    server.stop().await;
}

#[tokio::test]
async fn connections_over_the_global_cap_are_refused_with_503() {
    let mut c = config();
    c.limits.max_connections = 2;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let held = [
        TcpStream::connect(server.addr).await.unwrap(),
        TcpStream::connect(server.addr).await.unwrap(),
    ];
    let mut extra = TcpStream::connect(server.addr).await.unwrap();
    assert!(read_until_closed(&mut extra).await.starts_with("HTTP/1.1 503"));
    drop(held);
    eventually_healthy(server.addr).await;
    server.stop().await;
}
