//! Totals of a currency field, per currency: amounts in different currencies are never
//! added together. Reads `rows` one at a time, so any workspace size is fine.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::Workspace;
use crate::error::{QueryError, Result};
use crate::query::eval::matches;
use crate::schema::FieldKind;
use crate::{FieldId, Filter, ObjectId, Value, field_type};

impl Workspace {
    /// The exact sum of a currency field over the live records of `object` that pass
    /// `filter`, per currency code (codes in order).
    pub fn currency_totals(
        &self,
        object: ObjectId,
        field: FieldId,
        filter: Option<&Filter>,
    ) -> Result<BTreeMap<String, Decimal>> {
        let obj = self.object_def(object)?.clone();
        let def = self.field_def(object, field)?.clone();
        if def.kind != FieldKind::Currency {
            return Err(QueryError::NotCurrency {
                field: def.key.clone(),
                kind: def.kind.as_str(),
            }
            .into());
        }
        let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut overflow = None;
        self.for_each_row(object, |_, row| {
            if overflow.is_some() || !filter.is_none_or(|f| matches(&obj, row, f)) {
                return;
            }
            if let Some(Value::Currency(m)) = row.get(field).and_then(|s| field_type::read(&def, s)) {
                let total = totals.entry(m.code.clone()).or_default();
                match total.checked_add(m.amount) {
                    Some(sum) => *total = sum,
                    None => overflow = Some(m.code),
                }
            }
        })?;
        match overflow {
            Some(currency) => Err(QueryError::TotalTooLarge {
                field: def.key,
                currency,
            }
            .into()),
            None => Ok(totals),
        }
    }
}
