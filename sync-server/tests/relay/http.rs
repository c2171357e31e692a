//! Health and metrics endpoints.

use crate::common::{Device, Doc, Server, http_get, metric};

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
    drop(a);
    server.stop().await;
}
