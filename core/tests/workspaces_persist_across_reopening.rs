//! A workspace on disk keeps its schema, records, device identity and outbox when it is
//! closed and opened again.

use kith_core::{CreateOptions, Query, Workspace};

#[test]
fn records_schema_and_device_survive_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let (id, actor, outbox) = {
        let mut ws = Workspace::create(dir.path(), CreateOptions::new("ada")).unwrap();
        let people = ws.object_named("people").unwrap().id;
        let v = ws.parse_values(people, &[("name".into(), "Ada".into())]).unwrap();
        let id = ws.create_record(people, v).unwrap();
        let field = ws.field_named(people, "job_title").unwrap().id;
        ws.rename_field(people, field, Some("Role"), None).unwrap();
        (id, ws.device().actor.clone(), ws.outbox_len().unwrap())
    };
    assert!(outbox >= 3, "schema, record and rename are queued for the relay");
    let mut ws = Workspace::open(dir.path()).unwrap();
    assert_eq!(ws.device().actor, actor);
    assert_eq!(ws.device().user, "ada");
    let people = ws.object_named("people").unwrap().id;
    assert_eq!(ws.field_named(people, "job_title").unwrap().label, "Role");
    assert_eq!(ws.query(&Query::new(people)).unwrap().ids, vec![id]);
    // Edits after reopening save only what changed (not the whole history again).
    let before = ws.outbox_len().unwrap();
    let v = ws.parse_values(people, &[("city".into(), "London".into())]).unwrap();
    ws.update_record(id, v).unwrap();
    assert_eq!(ws.outbox_len().unwrap(), before + 1);
}

#[test]
fn creating_over_an_existing_workspace_or_opening_a_missing_one_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    Workspace::create(dir.path(), CreateOptions::new("a")).unwrap();
    let err = Workspace::create(dir.path(), CreateOptions::new("b")).err().unwrap();
    assert!(err.to_string().contains("already exists"), "{err}");
    let missing = dir.path().join("nope");
    let err = Workspace::open(&missing).err().unwrap();
    assert!(err.to_string().contains("not a Kith workspace"), "{err}");
}
