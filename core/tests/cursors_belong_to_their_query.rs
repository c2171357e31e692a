//! A page cursor only continues the query that printed it: given to another query
//! (another filter or sort) it is refused instead of silently starting over.

use kith_core::{CreateOptions, Error, Query, QueryError, Workspace};

fn people_with_cities(n: usize) -> Workspace {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    for i in 0..n {
        let city = if i % 2 == 0 { "Paris" } else { "Oslo" };
        let values = ws
            .parse_values(
                people,
                &[("name".into(), format!("P{i:02}")), ("city".into(), city.into())],
            )
            .unwrap();
        ws.create_record(people, values).unwrap();
    }
    ws
}

#[test]
fn a_cursor_continues_its_own_query() {
    let ws = people_with_cities(6);
    let people = ws.object_named("people").unwrap().id;
    let mut query = Query::new(people);
    query.filter = Some(ws.parse_filter(people, "city = Paris").unwrap());
    query.limit = 2;
    let first = ws.query(&query).unwrap();
    query.after = first.next.clone();
    let second = ws.query(&query).unwrap();
    assert_eq!(second.ids.len(), 1);
    assert!(!first.ids.contains(&second.ids[0]));
}

#[test]
fn a_cursor_from_another_filter_or_sort_is_refused() {
    let ws = people_with_cities(6);
    let people = ws.object_named("people").unwrap().id;
    let mut query = Query::new(people);
    query.filter = Some(ws.parse_filter(people, "city = Paris").unwrap());
    query.limit = 2;
    let cursor = ws.query(&query).unwrap().next.unwrap();

    let mut other_filter = Query::new(people);
    other_filter.filter = Some(ws.parse_filter(people, "city = Oslo").unwrap());
    other_filter.after = Some(cursor.clone());
    assert!(matches!(
        ws.query(&other_filter),
        Err(Error::Query(QueryError::CursorOfAnotherQuery))
    ));

    let mut other_sort = query.clone();
    other_sort.sort = ws.parse_sort(people, "-name").unwrap();
    other_sort.after = Some(cursor);
    let err = ws.query(&other_sort).unwrap_err().to_string();
    assert!(err.contains("another query"), "{err}");
}
