//! The rows of an import on their way to the workspace: converted rows gathered into
//! batches, written (or checked, for a strict import's first pass), and the bad rows
//! reported with their data row, file line and column.

use super::*;

/// The bad rows of an import: the first [`KEPT_ERRORS`] and how many in all.
#[derive(Default)]
pub(super) struct RowErrors {
    pub(super) kept: Vec<CsvRowError>,
    pub(super) total: usize,
}

impl RowErrors {
    pub(super) fn push(&mut self, error: CsvRowError) {
        self.total += 1;
        if self.kept.len() < KEPT_ERRORS {
            self.kept.push(error);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// What writing a batch needs to say which column a broken rule is about.
pub(super) struct BatchContext<'a> {
    pub(super) object: &'a ObjectDef,
    pub(super) targets: &'a [Target<'a>],
    pub(super) headers: &'a [String],
    pub(super) id_column: Option<usize>,
    pub(super) import: ImportOptions,
}

/// Converted rows waiting to be written, with (data row, line) of each.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) rows: Vec<ImportRow>,
    pub(super) positions: Vec<(usize, u64)>,
    pub(super) written: usize,
    /// Good rows a preview has counted and let go.
    pub(super) previewed: usize,
    /// Rows a strict import's first pass found good.
    pub(super) checked: usize,
}

impl Pending {
    pub(super) fn push(&mut self, row: ImportRow, number: usize, line: u64) {
        self.rows.push(row);
        self.positions.push((number, line));
    }

    /// Checks the waiting rows against the workspace and the rows checked before,
    /// writing nothing, and lets them go.
    pub(super) fn check(
        &mut self,
        ws: &mut Workspace,
        ctx: &BatchContext<'_>,
        checks: &mut ImportChecks,
        errors: &mut RowErrors,
    ) -> Result<(), CsvError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let positions = std::mem::take(&mut self.positions);
        let count = rows.len();
        let bad = ws.check_import_rows(ctx.object.id, rows, checks)?;
        self.checked += count - bad.len();
        report_rows(ctx, &positions, &bad, errors);
        Ok(())
    }

    /// Validates and writes the waiting rows; returns how many records all batches
    /// have created so far.
    pub(super) fn write(
        &mut self,
        ws: &mut Workspace,
        ctx: &BatchContext<'_>,
        errors: &mut RowErrors,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, CsvError> {
        if self.rows.is_empty() {
            return Ok(self.written);
        }
        let rows = std::mem::take(&mut self.rows);
        let positions = std::mem::take(&mut self.positions);
        let base = self.written;
        let total = base + rows.len();
        let report = ws.import_records(ctx.object.id, rows, &ctx.import, &mut |done| {
            progress(base + done, total)
        })?;
        report_rows(ctx, &positions, &report.errors, errors);
        self.written += report.created.len();
        Ok(self.written)
    }
}

/// The rows of a batch the workspace refused, as row reports (row, line, column, why).
fn report_rows(ctx: &BatchContext<'_>, positions: &[(usize, u64)], refused: &[RowError], errors: &mut RowErrors) {
    for e in refused {
        let Some(&(row, line)) = positions.get(e.index) else {
            continue;
        };
        let (field, reason) = rule_reason(&e.error);
        let column = field.and_then(|key| {
            let index = if key == "id" && !ctx.object.fields.iter().any(|f| f.key == "id") {
                ctx.id_column
            } else {
                ctx.targets
                    .iter()
                    .position(|t| matches!(t, Target::Field(def) if def.key == key))
            };
            index.and_then(|i| ctx.headers.get(i).cloned())
        });
        errors.push(CsvRowError {
            row,
            line,
            column,
            reason,
        });
    }
}

/// Converts one data row; on failure, the column index and why.
pub(super) fn parse_row(
    ws: &Workspace,
    object: ObjectId,
    targets: &[Target<'_>],
    joins: &[Join<'_>],
    record: &csv::ByteRecord,
    number_format: &NumberFormat,
) -> Result<ImportRow, (usize, String)> {
    let mut row = ImportRow {
        id: None,
        values: Vec::with_capacity(targets.len()),
    };
    for (i, (target, bytes)) in targets.iter().zip(record.iter()).enumerate() {
        if matches!(target, Target::Skip | Target::Joined) {
            continue;
        }
        let text = std::str::from_utf8(bytes).map_err(|_| (i, "the cell is not valid UTF-8 text".to_string()))?;
        if text.trim().is_empty() {
            continue;
        }
        match target {
            Target::Skip | Target::Joined => {}
            Target::Id => row.id = Some(text.parse::<RecordId>().map_err(|e| (i, e.to_string()))?),
            Target::Field(def) => {
                let resolve = |name: &str| resolve_name(ws, object, def, name);
                let value = field_type::parse_input_in(def, text, number_format, &resolve).map_err(|e| (i, e.0))?;
                if value.is_some() {
                    row.values.push((def.id, value));
                }
            }
        }
    }
    for join in joins {
        let mut parts = Vec::with_capacity(join.columns.len());
        for &c in &join.columns {
            let bytes = record.get(c).unwrap_or_default();
            let text = std::str::from_utf8(bytes).map_err(|_| (c, "the cell is not valid UTF-8 text".to_string()))?;
            if !text.trim().is_empty() {
                parts.push(text.trim());
            }
        }
        if parts.is_empty() {
            continue;
        }
        let resolve = |name: &str| resolve_name(ws, object, join.field, name);
        let value = field_type::parse_input_in(join.field, &parts.join(" "), number_format, &resolve)
            .map_err(|e| (join.columns[0], e.0))?;
        if value.is_some() {
            row.values.push((join.field.id, value));
        }
    }
    Ok(row)
}
