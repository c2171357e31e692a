//! Shapes of output: aligned text tables, JSON objects that keep their key order, and
//! numbers with thousands separators.

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, Serializer};

/// A text table printed with aligned columns.
pub(crate) struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Widest a cell is shown; `None` shows whole values.
    max_chars: Option<usize>,
}

/// Widest a table cell is shown; longer text is cut with `…`.
const MAX_CELL_CHARS: usize = 40;

impl Table {
    pub(crate) fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            max_chars: Some(MAX_CELL_CHARS),
        }
    }

    /// Shows whole values, however long.
    pub(crate) fn whole_values(mut self) -> Self {
        self.max_chars = None;
        self
    }

    pub(crate) fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(crate) fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let cells: Vec<Vec<String>> = std::iter::once(&self.headers)
            .chain(&self.rows)
            .map(|r| r.iter().map(|c| cell_text(c, self.max_chars)).collect())
            .collect();
        let columns = cells.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                cells
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| c.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &cells {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                if i + 1 < row.len() {
                    line.extend(std::iter::repeat_n(' ', widths[i].saturating_sub(cell.chars().count())));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// A cell on one line, cut to `max_chars`.
fn cell_text(text: &str, max_chars: Option<usize>) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let Some(max) = max_chars.filter(|max| one_line.chars().count() > *max) else {
        return one_line;
    };
    let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A JSON object whose keys keep the order they were pushed in (`id` first, then the
/// fields in schema order), whatever features `serde_json` was built with.
#[derive(Debug, Default, Clone)]
pub(crate) struct JsonObject(Vec<(String, Json)>);

/// A value of a [`JsonObject`]: plain JSON, or ordered objects.
#[derive(Debug, Clone)]
enum Json {
    Plain(serde_json::Value),
    Object(JsonObject),
    Objects(Vec<JsonObject>),
}

impl JsonObject {
    pub(crate) fn push(&mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) {
        self.0.push((key.into(), Json::Plain(value.into())));
    }

    pub(crate) fn push_object(&mut self, key: impl Into<String>, value: JsonObject) {
        self.0.push((key.into(), Json::Object(value)));
    }

    pub(crate) fn push_objects(&mut self, key: impl Into<String>, value: Vec<JsonObject>) {
        self.0.push((key.into(), Json::Objects(value)));
    }
}

impl Serialize for JsonObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            match v {
                Json::Plain(v) => map.serialize_entry(k, v)?,
                Json::Object(v) => map.serialize_entry(k, v)?,
                Json::Objects(v) => map.serialize_entry(k, v)?,
            }
        }
        map.end()
    }
}

/// Writes `value` as pretty JSON and a newline.
pub(crate) fn write_json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)
}

/// `9998` → `9,998`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated_by_commas() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(9_998), "9,998");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn table_columns_line_up() {
        let mut t = Table::new(["a", "bbb"]);
        t.push(vec!["long value".into(), "x".into()]);
        let mut out = Vec::new();
        t.write(&mut out).expect("writing to a Vec");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "a           bbb\nlong value  x\n"
        );
    }
}
