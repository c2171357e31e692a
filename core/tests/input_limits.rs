//! Inputs of any size get an answer or a clear error, never a crash: huge page limits,
//! very long text values (indexed by a bounded prefix, queried exactly), and filters
//! nested or long beyond reason.

use kith_core::{CreateOptions, FilterAst, Query, RecordId, Value, Workspace, parse_filter};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("ada")).unwrap()
}

fn add_person(ws: &mut Workspace, name: &str) -> RecordId {
    let people = ws.object_named("people").unwrap().id;
    let field = ws.field_named(people, "name").unwrap().id;
    ws.create_record(people, vec![(field, Some(Value::Text(name.to_string())))])
        .unwrap()
}

/// Records of people whose name passes `op value` (built directly: a 10 MB value is
/// longer than a typed filter may be), sorted by `sort`, all on one page.
fn ids(ws: &Workspace, op: &str, value: &str, sort: &str) -> Vec<RecordId> {
    let people = ws.object_named("people").unwrap().id;
    let mut query = Query::new(people);
    let ast = FilterAst::Cond {
        field: "name".into(),
        op: op.into(),
        values: if value.is_empty() {
            vec![]
        } else {
            vec![value.to_string()]
        },
    };
    query.filter = Some(ws.resolve_filter(people, &ast).unwrap());
    query.sort = ws.resolve_sort(people, &kith_core::parse_sort(sort).unwrap()).unwrap();
    query.limit = usize::MAX;
    ws.query(&query).unwrap().ids
}

#[test]
fn a_page_limit_of_any_size_returns_every_row() {
    let mut ws = workspace();
    let a = add_person(&mut ws, "Ada");
    let b = add_person(&mut ws, "Grace");
    let people = ws.object_named("people").unwrap().id;
    let mut query = Query::new(people);
    query.limit = usize::MAX;
    let page = ws.query(&query).unwrap();
    assert_eq!(page.ids, vec![a, b]);
    assert_eq!(page.next, None);
    assert_eq!(ids(&ws, "^=", "a", "-name"), vec![a]);
    assert!(
        ws.search("grace", None, usize::MAX)
            .unwrap()
            .iter()
            .any(|h| h.record == b)
    );
}

#[test]
fn a_ten_megabyte_cell_is_stored_searchable_and_found_exactly_with_a_small_index() {
    let mut ws = workspace();
    let shared = "word ".repeat(2_000_000); // 10 MB
    let long = format!("{shared}tail");
    let other_long = format!("{shared}other");
    let short = "word word".to_string();
    let id = add_person(&mut ws, &long);
    let other = add_person(&mut ws, &other_long);
    let short_id = add_person(&mut ws, &short);

    assert_eq!(ws.record(id).unwrap().cells[0].display.len(), long.len());
    let longest_key = ws
        .dump_derived()
        .unwrap()
        .into_iter()
        .filter(|(table, _, _)| *table == "index")
        .map(|(_, key, _)| key.len())
        .max()
        .unwrap();
    assert!(longest_key < 400, "an index key of {longest_key} bytes");

    // Equality, prefixes and ranges on values that share their indexed prefix are exact.
    assert_eq!(ids(&ws, "=", &long, ""), vec![id]);
    assert_eq!(ids(&ws, "=", &other_long, ""), vec![other]);
    assert_eq!(ids(&ws, "^=", &format!("{shared}t"), ""), vec![id]);
    assert_eq!(ids(&ws, "^=", "word word", ""), vec![id, other, short_id]);
    assert_eq!(ids(&ws, ">", &other_long, ""), vec![id]);
    assert_eq!(ids(&ws, "<", &long, ""), vec![other, short_id]);
    assert_eq!(ids(&ws, ">=", &shared, ""), vec![id, other]);
    // Sorts compare the indexed prefix: values that share it keep creation order.
    assert_eq!(ids(&ws, "is not empty", "", "name"), vec![short_id, id, other]);

    let hits = ws.search("tail", None, 10).unwrap();
    assert_eq!(hits.iter().map(|h| h.record).collect::<Vec<_>>(), vec![id]);
}

#[test]
fn filters_nested_too_deeply_or_too_long_are_parse_errors() {
    let deep = format!("{}name = a{}", "(".repeat(5_000), ")".repeat(5_000));
    let err = parse_filter(&deep).unwrap_err().to_string();
    assert!(err.contains("nests deeper"), "{err}");
    let nots = format!("{}name = a", "not ".repeat(3_000));
    assert!(parse_filter(&nots).unwrap_err().to_string().contains("nests deeper"));
    let long = vec!["name = a"; 100_000].join(" or ");
    assert!(parse_filter(&long).unwrap_err().to_string().contains("at most"));
}
