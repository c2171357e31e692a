use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, transaction::Transactable};
use std::time::Instant;
fn main() {
    let mut doc = AutoCommit::new();
    let m = doc.put_object(ROOT, "values", ObjType::Map).unwrap();
    doc.commit();
    for i in 0..1000 {
        doc.put(&m, "city", format!("c{i}")).unwrap();
        doc.put(&m, "x", i as i64).unwrap();
        doc.commit();
    }
    let changes = doc.get_changes(&[]);
    let hashes: Vec<_> = changes.iter().map(|c| c.hash()).collect();
    let d = doc.document();
    let t = Instant::now();
    for h in &hashes {
        let _ = d.get_at(&m, "city", &[*h]);
    }
    println!("get_at x1000: {:?}", t.elapsed());
    let t = Instant::now();
    for h in &hashes {
        let _: Vec<_> = d.map_range_at(&m, .., &[*h]).collect();
    }
    println!("map_range_at x1000: {:?}", t.elapsed());
    let t = Instant::now();
    let mut n = 0;
    for c in &changes {
        n += c.decode().operations.len();
    }
    println!("decode x1000: {:?} ops {n}", t.elapsed());
    let t = Instant::now();
    for w in hashes.windows(2) {
        let _ = doc.diff(&[w[0]], &[w[1]]);
    }
    println!("diff x1000: {:?}", t.elapsed());
    let t = Instant::now();
    let _ = doc.get_changes(&[]);
    println!("get_changes: {:?}", t.elapsed());
}
