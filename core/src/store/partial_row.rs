//! A `rows` decoder that keeps only some fields' values: a report over 100,000 records
//! reads two or three fields of each row, and decoding every value (about ten allocations
//! a row) was most of its time. Skipped values are read as borrowed slices, so they cost
//! no allocation; the creator's name and the conflicts are skipped too.
//!
//! It follows `Row`'s postcard layout field by field (postcard is not self-describing, so
//! nothing can be skipped without knowing its type); `partial_row_matches_full_decode`
//! below checks it against the derived decoder.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::StoreError;
use crate::record::Row;
use crate::{FieldId, ObjectId, Stored};

/// Decodes a stored row keeping only the values of `wanted` fields (sorted, so lookups are
/// binary searches). `conflicts` and `created_by` come back empty.
pub(crate) fn decode_row_fields(bytes: &[u8], wanted: &[FieldId]) -> Result<Row, StoreError> {
    let mut de = postcard::Deserializer::from_bytes(bytes);
    Ok(RowSeed { wanted }.deserialize(&mut de)?)
}

struct RowSeed<'w> {
    wanted: &'w [FieldId],
}

const ROW_FIELDS: &[&str] = &[
    "object",
    "created_at",
    "created_by",
    "updated_at",
    "deleted_at",
    "values",
    "conflicts",
];

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Row;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Row, D::Error> {
        d.deserialize_struct("Row", ROW_FIELDS, self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Row;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a stored row")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row, A::Error> {
        use serde::de::Error;
        let missing = |what| A::Error::custom(format!("row without {what}"));
        let object: ObjectId = seq.next_element()?.ok_or_else(|| missing("object"))?;
        let created_at: i64 = seq.next_element()?.ok_or_else(|| missing("created_at"))?;
        let _created_by: &str = seq.next_element()?.ok_or_else(|| missing("created_by"))?;
        let updated_at: i64 = seq.next_element()?.ok_or_else(|| missing("updated_at"))?;
        let deleted_at: Option<i64> = seq.next_element()?.ok_or_else(|| missing("deleted_at"))?;
        let values = seq
            .next_element_seed(ValuesSeed { wanted: self.wanted })?
            .ok_or_else(|| missing("values"))?;
        // The conflicts (last) are left unread.
        Ok(Row {
            object,
            created_at,
            created_by: String::new(),
            updated_at,
            deleted_at,
            values,
            conflicts: BTreeMap::new(),
        })
    }
}

struct ValuesSeed<'w> {
    wanted: &'w [FieldId],
}

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_> {
    type Value = BTreeMap<FieldId, Stored>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed<'_> {
    type Value = BTreeMap<FieldId, Stored>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row's values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = BTreeMap::new();
        while let Some(field) = map.next_key::<FieldId>()? {
            if self.wanted.binary_search(&field).is_ok() {
                values.insert(field, map.next_value::<Stored>()?);
            } else {
                map.next_value::<SkippedStored<'de>>()?;
            }
        }
        Ok(values)
    }
}

/// `Stored`'s layout, read without allocating (variants in the same order).
#[derive(Deserialize)]
#[allow(dead_code)] // read only to move past it
enum SkippedStored<'a> {
    Str(&'a str),
    F64(f64),
    Int(i64),
    Bool(bool),
    Timestamp(i64),
    List(SkippedList),
}

/// A list of strings, read past without allocating.
struct SkippedList;

impl<'de> Deserialize<'de> for SkippedList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SkippedList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SkippedList, A::Error> {
                while seq.next_element::<&str>()?.is_some() {}
                Ok(SkippedList)
            }
        }
        d.deserialize_seq(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> (Row, [FieldId; 4]) {
        let ids = [FieldId::new(), FieldId::new(), FieldId::new(), FieldId::new()];
        let mut values = BTreeMap::new();
        values.insert(ids[0], Stored::Str("12.50 EUR".into()));
        values.insert(ids[1], Stored::List(vec!["a".into(), "b".into()]));
        values.insert(ids[2], Stored::F64(3.5));
        values.insert(ids[3], Stored::Timestamp(1_700_000_000_000));
        let mut conflicts = BTreeMap::new();
        conflicts.insert(ids[0], vec![Stored::Str("1.00 USD".into())]);
        let row = Row {
            object: ObjectId::new(),
            created_at: 1,
            created_by: "Ada".into(),
            updated_at: 2,
            deleted_at: Some(3),
            values,
            conflicts,
        };
        (row, ids)
    }

    #[test]
    fn partial_row_matches_full_decode() {
        let (row, ids) = row();
        let bytes = postcard::to_allocvec(&row).expect("encode");
        for keep in [vec![], vec![ids[0]], vec![ids[1], ids[3]], ids.to_vec()] {
            let mut wanted = keep.clone();
            wanted.sort();
            let partial = decode_row_fields(&bytes, &wanted).expect("decode");
            let mut expected = row.clone();
            expected.values.retain(|f, _| wanted.contains(f));
            expected.created_by.clear();
            expected.conflicts.clear();
            assert_eq!(partial, expected);
        }
    }

    #[test]
    fn a_truncated_row_is_an_error_not_a_panic() {
        let (row, ids) = row();
        let bytes = postcard::to_allocvec(&row).expect("encode");
        for cut in 0..bytes.len() - 1 {
            let _ = decode_row_fields(&bytes[..cut], &ids[..1]);
        }
    }
}
