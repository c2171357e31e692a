//! The number format and configuration documents travel with the schema: a joining
//! device reads numbers the workspace's way and lists the same configuration documents
//! (never as records), and configuration documents registered on two devices offline
//! are both listed after they meet (the manifest is created with the schema root).

use kith_core::sync::protocol::Role;
use kith_core::{DocKind, NumberFormat, Query, Value};
use kith_tests::Harness;

fn kinds_and_names(h: &mut Harness, peer: kith_tests::PeerId) -> Vec<(DocKind, String)> {
    let mut listed: Vec<(DocKind, String)> = h
        .ws(peer)
        .config_docs()
        .iter()
        .map(|c| (c.kind.clone(), c.name.clone()))
        .collect();
    listed.sort();
    listed
}

#[test]
fn the_number_format_and_configuration_documents_reach_every_device() {
    let mut h = Harness::new(11);
    let a = h.add_founder("ana");
    h.ws(a).set_number_format(NumberFormat::DECIMAL_COMMA).unwrap();
    h.ws(a).create_config_doc(DocKind::View, "Won deals").unwrap();
    h.local_change(a);
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();

    assert_eq!(h.ws(b).number_format(), NumberFormat::DECIMAL_COMMA);
    let deals = h.ws(b).object_named("deals").unwrap().id;
    let values = h
        .ws(b)
        .parse_values(
            deals,
            &[("name".into(), "D".into()), ("amount".into(), "1.234,5 EUR".into())],
        )
        .unwrap();
    assert!(matches!(&values[1].1, Some(Value::Currency(m)) if m.amount.to_string() == "1234.5"));
    assert_eq!(
        kinds_and_names(&mut h, b),
        vec![(DocKind::View, "Won deals".to_string())]
    );

    h.go_offline(&[a, b]);
    h.ws(a).create_config_doc(DocKind::Report, "Pipeline").unwrap();
    h.ws(b).create_config_doc(DocKind::Automation, "Welcome task").unwrap();
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    let want = vec![
        (DocKind::View, "Won deals".to_string()),
        (DocKind::Automation, "Welcome task".to_string()),
        (DocKind::Report, "Pipeline".to_string()),
    ];
    for peer in [a, b] {
        assert_eq!(kinds_and_names(&mut h, peer), want);
        let people = h.ws(peer).object_named("people").unwrap().id;
        assert!(h.ws(peer).query(&Query::new(people)).unwrap().ids.is_empty());
    }
}
