//! Short ids: a prefix of an id's random part, unique in the workspace, accepted back
//! wherever an id is; ids made together (same timestamp prefix) still get short ids.

use kith_core::{CreateOptions, Error, ImportOptions, ImportRow, Workspace};

fn import_people(ws: &mut Workspace, n: usize) -> (Vec<kith_core::RecordId>, kith_core::GroupId) {
    let people = ws.object_named("people").unwrap().id;
    let rows = (0..n)
        .map(|i| ImportRow {
            id: None,
            values: ws
                .parse_values(people, &[("name".into(), format!("Person {i}"))])
                .unwrap(),
        })
        .collect();
    let report = ws
        .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    (report.created, report.group)
}

#[test]
fn records_made_together_each_get_an_8_digit_short_id_that_finds_only_them() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let (ids, _) = import_people(&mut ws, 500);
    for id in &ids {
        let short = ws.short_record_id(*id).unwrap();
        assert!(short.len() >= 8 && short.len() < 14, "{short}");
        assert_eq!(ws.find_record_id(&short).unwrap(), *id, "{short}");
        assert!(id.to_string().replace('-', "").contains(&short));
    }
    // The first 8 characters of ids made together are the same timestamp.
    let timestamp_prefix = &ids[0].to_string()[..8];
    assert!(matches!(
        ws.find_record_id(timestamp_prefix),
        Err(Error::AmbiguousId { .. })
    ));
}

#[test]
fn an_ambiguous_short_id_asks_for_more_characters_instead_of_saying_no_record() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let (ids, _) = import_people(&mut ws, 50);
    let same_start = &ids[0].to_string()[..6];
    let err = ws.find_record_id(same_start).unwrap_err().to_string();
    assert!(
        err.contains("more than one") && err.contains("give more characters"),
        "{err}"
    );
    assert!(!err.starts_with("no record"), "{err}");
}

#[test]
fn a_change_group_is_found_by_its_short_id() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let (_, first) = import_people(&mut ws, 3);
    let (_, second) = import_people(&mut ws, 3);
    for group in [first, second] {
        let short = ws.short_group_id(group).unwrap();
        assert_eq!(short.len(), 8);
        assert_eq!(ws.find_group_id(&short).unwrap(), group);
        assert_eq!(ws.find_group_id(&group.to_string()).unwrap(), group);
    }
    assert!(matches!(ws.find_group_id("abcdef0123"), Err(Error::GroupNotFound(_))));
}

#[test]
fn short_ids_survive_a_reindex() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let (ids, _) = import_people(&mut ws, 20);
    let before: Vec<String> = ids.iter().map(|id| ws.short_record_id(*id).unwrap()).collect();
    ws.reindex().unwrap();
    for (id, short) in ids.iter().zip(&before) {
        assert_eq!(ws.find_record_id(short).unwrap(), *id);
    }
}
