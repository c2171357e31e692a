//! A report's result as CSV: one column per group-by, then one per measure, a money
//! measure split into one column per currency (`Sum of Amount (EUR)`) so every cell is a
//! plain number a spreadsheet can add up; a last `Total` row.

use std::collections::BTreeSet;

use super::{MeasureValue, ReportResult};

/// One output column of a measure: the measure, and the currency for money.
struct Column {
    measure: usize,
    currency: Option<String>,
}

impl ReportResult {
    fn columns(&self) -> Vec<Column> {
        let mut out = Vec::new();
        for (i, _) in self.measures.iter().enumerate() {
            let all = self.rows.iter().map(|r| &r.values[i]).chain([&self.totals[i]]);
            let mut money = false;
            let mut codes = BTreeSet::new();
            for v in all {
                if let MeasureValue::Money(per) = v {
                    money = true;
                    codes.extend(per.keys().cloned());
                }
            }
            if money && !codes.is_empty() {
                out.extend(codes.into_iter().map(|c| Column {
                    measure: i,
                    currency: Some(c),
                }));
            } else {
                out.push(Column {
                    measure: i,
                    currency: None,
                });
            }
        }
        out
    }

    /// The result as CSV (RFC 4180, `\r\n` line ends).
    pub fn to_csv(&self) -> String {
        let columns = self.columns();
        let mut out = String::new();
        let mut header: Vec<String> = self.group_by.clone();
        header.extend(columns.iter().map(|c| match &c.currency {
            Some(code) => format!("{} ({code})", self.measures[c.measure]),
            None => self.measures[c.measure].clone(),
        }));
        if self.group_by.is_empty() {
            header.insert(0, String::new());
        }
        push_line(&mut out, &header);
        let cells = |values: &[MeasureValue]| -> Vec<String> {
            columns
                .iter()
                .map(|c| match (&values[c.measure], &c.currency) {
                    (MeasureValue::Money(per), Some(code)) => per
                        .get(code)
                        .map(|a| {
                            crate::money::Money {
                                amount: *a,
                                code: code.clone(),
                            }
                            .amount_text()
                        })
                        .unwrap_or_default(),
                    (MeasureValue::Number(Some(n)), _) => n.to_string(),
                    (other, _) => other.display(),
                })
                .collect()
        };
        for row in &self.rows {
            let mut line: Vec<String> = row.groups.iter().map(|g| defuse(g)).collect();
            if line.is_empty() {
                line.push("All".to_string());
            }
            line.extend(cells(&row.values));
            push_line(&mut out, &line);
        }
        let mut total = vec!["Total".to_string()];
        total.extend((1..self.group_by.len()).map(|_| String::new()));
        total.extend(cells(&self.totals));
        push_line(&mut out, &total);
        out
    }
}

/// A label a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a `'`.
fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn push_line(out: &mut String, cells: &[String]) {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;

    use super::*;
    use crate::report::ReportRow;

    #[test]
    fn money_splits_into_a_column_per_currency_and_labels_are_quoted_and_defused() {
        let money = |pairs: &[(&str, i64)]| {
            MeasureValue::Money(
                pairs
                    .iter()
                    .map(|(c, a)| (c.to_string(), Decimal::from(*a)))
                    .collect::<BTreeMap<_, _>>(),
            )
        };
        let result = ReportResult {
            object: "deals".into(),
            group_by: vec!["Stage".into()],
            measures: vec!["Count".into(), "Sum of Amount".into()],
            rows: vec![
                ReportRow {
                    keys: vec![],
                    groups: vec!["Won, finally".into()],
                    values: vec![MeasureValue::Count(2), money(&[("EUR", 10), ("USD", 5)])],
                },
                ReportRow {
                    keys: vec![],
                    groups: vec!["=cmd".into()],
                    values: vec![MeasureValue::Count(1), money(&[("EUR", 1)])],
                },
            ],
            totals: vec![MeasureValue::Count(3), money(&[("EUR", 11), ("USD", 5)])],
            records: 3,
        };
        assert_eq!(
            result.to_csv(),
            "Stage,Count,Sum of Amount (EUR),Sum of Amount (USD)\r\n\
             \"Won, finally\",2,10.00,5.00\r\n\
             '=cmd,1,1.00,\r\n\
             Total,3,11.00,5.00\r\n"
        );
    }
}
