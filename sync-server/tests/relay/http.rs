//! Health and metrics endpoints.

use kith_relay::Relay;

use crate::common::{Device, Doc, Server, config, http_get, http_get_with, metric};

#[tokio::test]
async fn healthz_and_metrics_answer() {
    let server = Server::in_memory().await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (status, body) = http_get(server.addr, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    let (mut a, _) = Device::join(&server, &token.secret).await;
    let mut doc = Doc::new();
    a.push(vec![doc.chunk(1, "k", 1), doc.chunk(2, "k", 2)]).await;
    let (status, text) = http_get(server.addr, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(metric(&text, "kith_relay_connections"), 1);
    assert_eq!(metric(&text, "kith_relay_pushes_total"), 1);
    assert_eq!(metric(&text, "kith_relay_chunks_appended_total"), 2);
    assert_eq!(metric(&text, "kith_relay_log_entries"), 2);
    assert_eq!(metric(&text, "kith_relay_workspaces"), 1);
    assert!(metric(&text, "kith_relay_bytes_in_total") > 0);
    assert!(metric(&text, "kith_relay_bytes_out_total") > 0);
    assert!(text.contains("# TYPE kith_relay_compactions_total counter"));
    assert!(text.contains("kith_relay_errors_total{code=\"forbidden\"} 0"));

    let (status, _) = http_get(server.addr, "/v1/sync").await;
    assert_eq!(status, 401);
    // The admin API is not on the device port.
    let (status, _) = http_get(server.addr, "/v1/admin/workspaces").await;
    assert_eq!(status, 404);
    assert!(text.contains("# TYPE kith_relay_push_to_ack_seconds histogram"));
    assert_eq!(metric(&text, "kith_relay_push_to_ack_seconds_count"), 1);
    assert!(text.contains("kith_relay_queued_bytes "));
    assert!(text.contains("kith_relay_writer_queue_depth "));
    drop(a);
    server.stop().await;
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token_or_be_turned_off() {
    let mut c = config();
    c.metrics.token = Some("scrape-me".into());
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    assert_eq!(http_get(server.addr, "/metrics").await.0, 401);
    let (status, text) = http_get_with(server.addr, "/metrics", "Bearer scrape-me").await;
    assert_eq!(status, 200);
    assert!(text.contains("kith_relay_connections 0"));
    assert_eq!(http_get_with(server.addr, "/metrics", "Bearer wrong").await.0, 401);
    assert_eq!(http_get(server.addr, "/healthz").await.0, 200);
    server.stop().await;

    let mut c = config();
    c.metrics.enabled = false;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    assert_eq!(http_get(server.addr, "/metrics").await.0, 404);
    server.stop().await;
}
