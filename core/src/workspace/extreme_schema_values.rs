//! A synced schema document may hold any integer where Kith expects a small one (another
//! client, a newer version, a hostile peer). Reading it and building on it never overflows
//! or panics.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue};

use super::Workspace;
use super::field_ops::FieldSpec;
use crate::schema::FieldKind;
use crate::schema::doc::{self as sdoc, Prop};
use crate::{CreateOptions, Value};

#[test]
fn orders_and_ratings_at_the_ends_of_i64_are_read_and_built_on_without_overflow() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let stage = ws.field_named(deals, "stage").unwrap().clone();
    let people = ws.object_named("people").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    for extreme in [i64::MAX, i64::MIN] {
        ws.schema_write_with("sync", |doc| {
            sdoc::set_object_prop(doc, deals, "order", Prop::Int(extreme))?;
            sdoc::set_field_prop(doc, deals, stage.id, "order", Prop::Int(extreme))?;
            sdoc::set_field_prop(doc, people, name, "max_rating", Prop::Int(extreme))?;
            for option in &stage.options {
                sdoc::set_option_prop(doc, deals, stage.id, option.id, "order", Prop::Int(extreme))?;
            }
            Ok(())
        })
        .unwrap();
        ws.add_object(&format!("o{}", extreme.signum() + 1), "Extra").unwrap();
        let key = format!("f{}", extreme.signum() + 1);
        let number = ws
            .add_field(deals, FieldSpec::new(&key, "F", FieldKind::Number))
            .unwrap();
        ws.add_options(deals, stage.id, &[format!("Stage {extreme}")]).unwrap();
        let rating = ws.field_named(people, "name").unwrap().max_rating;
        assert!((1..=10).contains(&rating));
        let deal_name = ws.field_named(deals, "name").unwrap().id;
        let values = vec![
            (deal_name, Some(Value::Text("Big".into()))),
            (number, Some(Value::Number(1.0))),
        ];
        ws.create_record(deals, values).unwrap();
        ws.reindex().unwrap();
    }
}

#[test]
fn unsigned_integers_beyond_i64_in_the_schema_and_the_largest_integers_in_records_are_read_without_overflow() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let amount = ws.field_named(deals, "amount").unwrap().id;
    let name = ws.field_named(deals, "name").unwrap().id;
    let probability = ws.field_named(deals, "probability").unwrap().id;
    ws.schema_write_with("sync", |doc| {
        let map = |doc: &automerge::AutoCommit, parent: &automerge::ObjId, key: &str| match doc.get(parent, key) {
            Ok(Some((automerge::Value::Object(ObjType::Map), id))) => id,
            other => panic!("{key}: {other:?}"),
        };
        let objects = map(doc, &ROOT, "objects");
        let object = map(doc, &objects, &deals.to_string());
        let fields = map(doc, &object, "fields");
        let field = map(doc, &fields, &amount.to_string());
        doc.put(&object, "order", ScalarValue::Uint(u64::MAX))?;
        doc.put(&field, "order", ScalarValue::Uint(u64::MAX))?;
        doc.put(&field, "max_rating", ScalarValue::Uint(u64::MAX))
    })
    .unwrap();
    ws.add_object("after_huge", "After").unwrap();
    let id = ws
        .create_record(deals, vec![(name, Some(Value::Text("Big".into())))])
        .unwrap();
    let huge = crate::Stored::Int(i64::MAX);
    ws.write_stored(
        id,
        vec![(amount, Some(huge.clone())), (probability, Some(huge))],
        "sync",
    )
    .unwrap();
    let record = ws.record(id).unwrap();
    let shown: Vec<&str> = record.cells.iter().map(|c| c.display.as_str()).collect();
    assert!(shown.iter().any(|s| s.starts_with("9223372036854775807")), "{shown:?}");
    ws.reindex().unwrap();
}
