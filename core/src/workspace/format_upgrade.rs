//! Opening a file of an older format rebuilds its derived tables in the current layout.

use redb::ReadableTable;

use super::{Workspace, meta_keys};
use crate::store::{self, FORMAT_VERSION, Store, tables};
use crate::{CreateOptions, Value};

#[test]
fn a_format_1_file_is_reindexed_into_the_current_layout_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    for n in ["Ada", "Grace"] {
        ws.create_record(people, vec![(name, Some(Value::Text(n.into())))])
            .unwrap();
    }
    let current = ws.dump_derived().unwrap();
    drop(ws);

    // What format 1 wrote: every index key began with the object id.
    {
        let store = Store::open(&dir.path().join(crate::WORKSPACE_FILE)).unwrap();
        let tx = store.write().unwrap();
        store::set_meta(&tx, meta_keys::FORMAT, &1u32.to_le_bytes()).unwrap();
        {
            let mut index = tx.open_table(tables::INDEX).unwrap();
            let keys: Vec<Vec<u8>> = index.iter().unwrap().map(|e| e.unwrap().0.value().to_vec()).collect();
            for key in keys {
                index.remove(key.as_slice()).unwrap();
                let old = [people.as_bytes().as_slice(), &key].concat();
                index.insert(old.as_slice(), ()).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    let ws = Workspace::open(dir.path()).unwrap();
    assert_eq!(ws.dump_derived().unwrap(), current);
    let filter = ws.parse_filter(people, "name = Grace").unwrap();
    assert_eq!(ws.count(people, Some(&filter)).unwrap(), 1);
    let tx = ws.store.read().unwrap();
    let format = store::get_meta(&tx, meta_keys::FORMAT).unwrap().unwrap();
    assert_eq!(format, FORMAT_VERSION.to_le_bytes());
}

#[test]
fn a_format_2_file_with_whole_long_text_in_its_index_is_reindexed_with_cut_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    let long = "x".repeat(10_000);
    ws.create_record(people, vec![(name, Some(Value::Text(long.clone())))])
        .unwrap();
    let current = ws.dump_derived().unwrap();
    drop(ws);

    // What format 2 wrote: the whole folded text in the key.
    {
        let store = Store::open(&dir.path().join(crate::WORKSPACE_FILE)).unwrap();
        let tx = store.write().unwrap();
        store::set_meta(&tx, meta_keys::FORMAT, &2u32.to_le_bytes()).unwrap();
        {
            let mut index = tx.open_table(tables::INDEX).unwrap();
            let keys: Vec<Vec<u8>> = index.iter().unwrap().map(|e| e.unwrap().0.value().to_vec()).collect();
            for key in keys.into_iter().filter(|k| k.len() > 200) {
                index.remove(key.as_slice()).unwrap();
                let (field, rest) = key.split_at(16);
                let record = &rest[rest.len() - 16..];
                let old = [field, &[0x40], long.as_bytes(), &[0x00, 0x01], record].concat();
                index.insert(old.as_slice(), ()).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    let ws = Workspace::open(dir.path()).unwrap();
    assert_eq!(ws.dump_derived().unwrap(), current);
}

#[test]
fn a_format_2_file_is_reindexed_so_search_folds_every_latin_letter_and_short_ids_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    let id = ws
        .create_record(people, vec![(name, Some(Value::Text("Łukasz Øyvind".into())))])
        .unwrap();
    let current = ws.dump_derived().unwrap();
    drop(ws);

    // What format 2 wrote: search keys folded by accent stripping alone ("łukasz"), and
    // no short_ids table entries.
    {
        let store = Store::open(&dir.path().join(crate::WORKSPACE_FILE)).unwrap();
        let tx = store.write().unwrap();
        store::set_meta(&tx, meta_keys::FORMAT, &2u32.to_le_bytes()).unwrap();
        tx.delete_table(tables::SHORT_IDS).unwrap();
        tx.delete_table(tables::TEXT_INDEX).unwrap();
        tx.open_table(tables::TEXT_INDEX)
            .unwrap()
            .insert(b"\xc5\x82ukasz".as_slice(), ())
            .unwrap();
        tx.commit().unwrap();
    }

    let ws = Workspace::open(dir.path()).unwrap();
    assert_eq!(ws.dump_derived().unwrap(), current);
    assert_eq!(ws.search("lukasz", None, 10).unwrap().len(), 1);
    assert_eq!(ws.search("oyvind", None, 10).unwrap().len(), 1);
    let short = ws.short_record_id(id).unwrap();
    assert_eq!(ws.find_record_id(&short).unwrap(), id);
}
