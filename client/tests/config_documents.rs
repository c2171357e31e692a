//! `kith config list` shows the configuration documents the schema's manifest lists.

mod support;

use serde_json::json;
use support::Kith;

#[test]
fn a_new_workspace_lists_no_configuration_documents() {
    let kith = Kith::init();
    assert_eq!(kith.ok(&["config", "list"]).trim(), "no configuration documents yet");
    assert_eq!(kith.json(&["config", "list"]), json!({"config_docs": []}));
}

#[test]
fn a_renamed_and_archived_view_is_listed_with_its_current_name_and_state() {
    let kith = Kith::init();
    let mut ws = kith_core::Workspace::open(&kith.workspace()).expect("the workspace");
    let id = ws
        .create_config_doc_with(kith_core::DocKind::View, "Old name", &[("object", "people")])
        .expect("a view");
    ws.update_config_doc(id, Some("New name"), &[]).expect("renamed");
    ws.archive_config_doc(id, true).expect("archived");
    drop(ws);
    let listed = kith.json(&["config", "list"]);
    let doc = &listed["config_docs"][0];
    assert_eq!(doc["name"], "New name");
    assert_eq!(doc["kind"], "view");
    assert_eq!(doc["archived"], true);
    let text = kith.ok(&["config", "list"]);
    assert!(text.contains("New name") && text.contains("yes"), "{text}");
}
