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
