//! A synced schema document may hold any integer where Kith expects a small one (another
//! client, a newer version, a hostile peer). Reading it and building on it never overflows
//! or panics.

use super::Workspace;
use super::schema_ops::FieldSpec;
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
