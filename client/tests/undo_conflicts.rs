//! `kith conflicts` and `kith resolve`, on a conflict made by two replicas editing the
//! same field and exchanging their changes (through the library, as a relay would).

mod support;

use kith_core::sync::protocol::Entry;
use kith_core::{CreateOptions, RecordId, Workspace};
use serde_json::Value;
use support::Kith;

/// Moves every pending change from `from` to `to`, as log entries from `seq` on.
fn send(from: &mut Workspace, to: &mut Workspace, seq: &mut u64) {
    let chunks = from.outbox(10_000).expect("the outbox");
    let entries: Vec<Entry> = chunks
        .iter()
        .map(|c| {
            *seq += 1;
            Entry {
                seq: *seq,
                doc: c.doc,
                data: c.data.clone(),
            }
        })
        .collect();
    to.apply_remote(&[], &entries, *seq).expect("apply");
    let ids: Vec<u64> = chunks.iter().map(|c| c.id).collect();
    from.acknowledge(&ids, *seq).expect("acknowledge");
}

fn set_city(ws: &mut Workspace, id: RecordId, city: &str) {
    let people = ws.object_named("people").expect("people").id;
    let values = ws
        .parse_values(people, &[("city".into(), city.into())])
        .expect("values");
    ws.update_record(id, values).expect("update");
}

/// The CLI's workspace (ana's) and bo's replica both set Ada's city while apart.
fn conflicted() -> (Kith, String) {
    let kith = Kith::empty();
    let mut ana = Workspace::create(&kith.workspace(), CreateOptions::new("ana")).expect("create");
    let mut bo = Workspace::create_replica(&kith.file("bo"), "bo").expect("replica");
    let people = ana.object_named("people").expect("people").id;
    let values = ana
        .parse_values(
            people,
            &[("name".into(), "Ada".into()), ("city".into(), "London".into())],
        )
        .expect("values");
    let id = ana.create_record(people, values).expect("create");
    let mut seq = 0;
    send(&mut ana, &mut bo, &mut seq);
    // What a sync runtime does once a writing device has the schema.
    bo.ensure_member().expect("member");
    send(&mut bo, &mut ana, &mut seq);
    set_city(&mut ana, id, "Paris");
    set_city(&mut bo, id, "Rome");
    send(&mut ana, &mut bo, &mut seq);
    send(&mut bo, &mut ana, &mut seq);
    assert_eq!(ana.conflicts(None).expect("conflicts").len(), 1, "a conflict was made");
    (kith, id.to_string())
}

fn values_of(conflict: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = conflict["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| {
            (
                v["value"].as_str().unwrap_or_default().to_string(),
                v["author"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn conflicts_lists_every_value_numbered_with_its_author() {
    let (kith, id) = conflicted();
    let text = kith.ok(&["conflicts"]);
    assert!(text.contains("City has 2 values"), "{text}");
    assert!(text.contains("1. ") && text.contains("2. "), "{text}");
    assert!(text.contains("by ana") && text.contains("by bo"), "{text}");
    assert!(text.contains("kith resolve"), "{text}");

    let json = kith.json(&["conflicts", "--object", "people"]);
    let all = json.as_array().expect("conflicts");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["record"], id.as_str());
    assert_eq!(all[0]["field"], "city");
    assert_eq!(
        values_of(&all[0]),
        [
            ("Paris".to_string(), "ana".to_string()),
            ("Rome".to_string(), "bo".to_string())
        ]
    );
    assert_eq!(all[0]["values"][0]["shown"], true);
    assert!(
        kith.json(&["conflicts", "--object", "companies"])
            .as_array()
            .expect("[]")
            .is_empty()
    );
}

#[test]
fn record_get_and_list_mark_the_conflicted_field() {
    let (kith, id) = conflicted();
    let record = kith.json(&["record", "get", &id]);
    let shown = record["fields"]["city"].as_str().expect("a city").to_string();
    let other = if shown == "Paris" { "Rome" } else { "Paris" };
    assert_eq!(record["conflicts"]["city"], serde_json::json!([other]));

    let text = kith.ok(&["record", "get", &id]);
    let line = text.lines().find(|l| l.starts_with("City")).expect("the city line");
    assert!(line.contains(&format!("{shown}  ⚠ conflict: also {other}")), "{line}");
    assert!(line.contains("kith resolve") && line.ends_with(" city"), "{line}");

    let list = kith.json(&["record", "list", "people"]);
    assert_eq!(list["records"][0]["conflicts"]["city"], serde_json::json!([other]));
    assert!(
        kith.ok(&["record", "list", "people", "--fields", "name,city"])
            .contains("⚠")
    );
}

#[test]
fn resolve_with_pick_or_value_settles_the_conflict() {
    let (kith, id) = conflicted();
    let json = kith.json(&["conflicts"]);
    let rome = json[0]["values"]
        .as_array()
        .expect("values")
        .iter()
        .find(|v| v["value"] == "Rome")
        .and_then(|v| v["n"].as_u64())
        .expect("Rome is listed");
    let text = kith.ok(&["resolve", &id, "city", "--pick", &rome.to_string()]);
    assert!(text.contains("Rome"), "{text}");
    assert_eq!(kith.ok(&["conflicts"]).trim(), "no conflicts");
    let record = kith.json(&["record", "get", &id]);
    assert_eq!(record["fields"]["city"], "Rome");
    assert_eq!(record["conflicts"], serde_json::json!({}));
    let history = kith.json(&["history", &id]);
    let last = history.as_array().and_then(|a| a.last()).expect("changes");
    assert_eq!(last["made_by"], "conflict resolved");

    let err = kith.fails(&["resolve", &id, "city", "--pick", "1"]);
    assert!(err.contains("no conflict"), "{err}");
}

#[test]
fn resolve_with_a_new_value_and_a_bad_pick() {
    let (kith, id) = conflicted();
    let err = kith.fails(&["resolve", &id, "City", "--pick", "7"]);
    assert!(err.contains("from 1 to 2"), "{err}");
    kith.ok(&["resolve", &id, "City", "--value", "Milan"]);
    assert_eq!(kith.json(&["record", "get", &id])["fields"]["city"], "Milan");
    assert!(kith.json(&["conflicts"]).as_array().expect("[]").is_empty());
}
