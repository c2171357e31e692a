//! A field and an option renamed on one device while another device edits a saved view
//! and an automation offline (with the names it still knows): both devices converge, the
//! definitions keep both edits, are shown with the new names and work on both devices.

use std::collections::BTreeMap;

use kith_core::automation::{Action, AutomationDef, Trigger};
use kith_core::sync::protocol::Role;
use kith_core::{DocKind, Query, RecordId, Workspace};
use kith_tests::Harness;

fn pairs(values: &[(&str, &str)]) -> BTreeMap<String, String> {
    values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn won_rule(condition: Option<&str>) -> AutomationDef {
    AutomationDef {
        object: "deals".into(),
        trigger: Trigger::Changed {
            field: "stage".into(),
            from: None,
            to: Some("Won".into()),
        },
        condition: condition.map(str::to_string),
        actions: vec![Action::Set(pairs(&[("probability", "100")]))],
    }
}

fn add_deal(ws: &mut Workspace, values: &[(&str, &str)]) -> RecordId {
    let deals = ws
        .object_named("opportunities")
        .or_else(|_| ws.object_named("deals"))
        .unwrap()
        .id;
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let values = ws.parse_values(deals, &inputs).unwrap();
    ws.create_record(deals, values).unwrap()
}

fn set(ws: &mut Workspace, id: RecordId, values: &[(&str, &str)]) {
    let object = ws.row(id).unwrap().object;
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let values = ws.parse_values(object, &inputs).unwrap();
    ws.update_record(id, values).unwrap();
}

fn shown(ws: &Workspace, id: RecordId, field: &str) -> String {
    ws.record(id)
        .unwrap()
        .cells
        .iter()
        .find(|c| c.key == field)
        .map(|c| c.display.clone())
        .unwrap_or_default()
}

/// What a saved view lists, the way the web UI lists it.
fn listed(ws: &Workspace, view: kith_core::DocId) -> Vec<RecordId> {
    let content = ws.config_doc(view).unwrap().content;
    let object = ws.object_named(&content["object"]).unwrap().id;
    let mut query = Query::new(object);
    query.filter = Some(ws.parse_filter(object, &content["filter"]).unwrap());
    query.sort = ws.parse_sort(object, &content["sort"]).unwrap();
    ws.query(&query).unwrap().ids
}

#[test]
fn a_rename_on_one_device_and_offline_definition_edits_on_another_converge_and_keep_working() {
    let mut h = Harness::new(61);
    let a = h.add_founder("ana");
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    let big = add_deal(h.ws(a), &[("name", "Big"), ("amount", "5000"), ("stage", "Won")]);
    add_deal(h.ws(a), &[("name", "Small"), ("amount", "50"), ("stage", "Won")]);
    add_deal(h.ws(a), &[("name", "Lost"), ("amount", "9000"), ("stage", "Lost")]);
    let view = h
        .ws(a)
        .create_config_doc_with(
            DocKind::View,
            "Won",
            &[("object", "deals"), ("filter", "stage = Won"), ("sort", "-amount")],
        )
        .unwrap();
    let automation = h.ws(a).create_automation("Won deals", &won_rule(None)).unwrap();
    h.local_change(a);
    h.run_until_quiescent();

    // B goes offline and edits both with the names it knows.
    h.go_offline(&[b]);
    h.ws(b)
        .update_config_doc(view, None, &[("filter", Some("stage = Won and amount > 100"))])
        .unwrap();
    h.ws(b)
        .update_automation(automation, None, Some(&won_rule(Some("amount > 100"))))
        .unwrap();
    // Meanwhile A renames the field, its option and the object.
    let deals = h.ws(a).object_named("deals").unwrap().id;
    let stage = h.ws(a).field_named(deals, "stage").unwrap().id;
    h.ws(a)
        .rename_field(deals, stage, Some("Phase"), Some("phase"))
        .unwrap();
    h.ws(a).rename_option(deals, stage, "Won", "Closed won").unwrap();
    h.ws(a).rename_object(deals, None, Some("opportunities")).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    h.reconnect_and_settle(&[b]);
    h.assert_converged();

    for peer in [a, b] {
        let ws = h.ws(peer);
        let content = ws.config_doc(view).unwrap().content;
        assert_eq!(content["object"], "opportunities");
        assert_eq!(content["filter"], "phase = \"Closed won\" and amount > 100");
        assert_eq!(listed(ws, view), [big], "B's edit, on the renamed field");
        let def = ws.automation_named("Won deals").unwrap().definition.unwrap();
        assert_eq!(def.object, "opportunities");
        assert_eq!(
            def.trigger,
            Trigger::Changed {
                field: "phase".into(),
                from: None,
                to: Some("Closed won".into())
            }
        );
        assert_eq!(def.condition.as_deref(), Some("amount > 100"));
    }

    // The automation fires on either device, through the renamed field and option.
    for (peer, name) in [(a, "On A"), (b, "On B")] {
        let ws = h.ws(peer);
        let deal = add_deal(ws, &[("name", name), ("amount", "500"), ("phase", "Lead")]);
        set(ws, deal, &[("phase", "Closed won")]);
        assert_eq!(shown(ws, deal, "probability"), "100", "{name}");
    }
}
