//! How one field looks: a cell in a table (formatted by type) and an input on a record
//! page (fitting its type). Money goes through [`money`] only, so the exact-decimal money
//! type (exact decimals, `kith_core::Money`) is shown the same everywhere.

use kith_core::{CellView, FieldDef, FieldKind, Money, NumberFormat, RecordId, Value};
use maud::{Markup, html};

use super::layout::stars;

/// A cell ready to render: the core's view plus the related records' names.
pub(crate) struct Cell {
    pub(crate) view: CellView,
    /// For relation fields: each related record and its name.
    pub(crate) links: Vec<(RecordId, String)>,
    /// The workspace's number format, for amounts.
    pub(crate) format: NumberFormat,
}

impl Cell {
    pub(crate) fn read(ws: &kith_core::Workspace, field: &FieldDef, row: &kith_core::Row) -> Cell {
        let view = ws.cell(field, row);
        let links = match &view.value {
            Some(Value::Records(ids)) => ids.iter().map(|id| (*id, ws.record_name(*id))).collect(),
            _ => Vec::new(),
        };
        Cell {
            view,
            links,
            format: ws.number_format(),
        }
    }
}

/// Money as people read it: the amount with its currency's minor units, thousands
/// grouped in the workspace's number format (`247,000.00 EUR`, `247.000,00 EUR`), and
/// its currency code; it reads back as an amount.
pub(crate) fn money(m: &Money, format: &NumberFormat) -> String {
    format!("{} {}", format.grouped(&m.amount_text()), m.code)
}

/// A select option's colour as a CSS class from the fixed palette.
pub(crate) fn color_class(color: &str) -> String {
    const PALETTE: [&str; 10] = [
        "gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown",
    ];
    let c = color.to_ascii_lowercase();
    if PALETTE.contains(&c.as_str()) {
        format!("pill {c}")
    } else {
        "pill gray".to_string()
    }
}

/// A cell formatted by its type (read-only).
pub(crate) fn display(field: &FieldDef, cell: &Cell) -> Markup {
    let v = &cell.view;
    if v.unconverted {
        return html! { span.unconverted title="this value does not convert to the field's type" { "⚠ " (v.display) } };
    }
    let conflict = !v.conflicts.is_empty();
    let inner = match &v.value {
        None => html! {},
        Some(Value::Currency(m)) => html! { span.num { (money(m, &cell.format)) } },
        Some(Value::Number(_)) => html! { span.num { (v.display) } },
        Some(Value::Bool(b)) => html! {
            input type="checkbox" checked[*b] disabled aria-label=(if *b { "yes" } else { "no" });
        },
        Some(Value::Option(id)) => match field.option(*id) {
            Some(o) => html! { span class=(color_class(&o.color)) { (o.label) } },
            None => html! { (v.display) },
        },
        Some(Value::Options(ids)) => html! {
            @for id in ids {
                @if let Some(o) = field.option(*id) { span class=(color_class(&o.color)) { (o.label) } " " }
            }
        },
        Some(Value::Records(_)) => html! {
            @for (i, (id, name)) in cell.links.iter().enumerate() {
                @if i > 0 { ", " }
                a href={"/r/" (id)} { (name) }
            }
        },
        Some(_) if field.kind == FieldKind::Rating => rating(field, cell).unwrap_or_else(|| html! { (v.display) }),
        Some(_) if field.kind == FieldKind::Url => {
            html! { a href=(v.display) rel="noopener noreferrer" { (v.display) } }
        }
        Some(_) if field.kind == FieldKind::Email => html! { a href={"mailto:" (v.display)} { (v.display) } },
        Some(_) => html! { (v.display) },
    };
    html! {
        (inner)
        @if conflict { " " span.conflict-mark title="competing values: open the record to settle" { "⚠ conflict" } }
    }
}

/// Rating stars for a rating cell (its display text is the number).
pub(crate) fn rating(field: &FieldDef, cell: &Cell) -> Option<Markup> {
    if field.kind != FieldKind::Rating {
        return None;
    }
    let n: u32 = cell.view.display.trim().parse().ok()?;
    Some(stars(n, u32::from(field.max_rating.max(1))))
}

/// The input for one field on a record page (or the "new record" form), named by key.
pub(crate) fn input(field: &FieldDef, cell: Option<&Cell>, given: Option<&str>) -> Markup {
    let id = format!("f-{}", field.key);
    let name = field.key.as_str();
    let shown = given
        .map(str::to_string)
        .unwrap_or_else(|| cell.map(edit_text).unwrap_or_default());
    let required = field.required;
    match field.kind {
        FieldKind::LongText => html! { textarea id=(id) name=(name) rows="3" required[required] { (shown) } },
        FieldKind::Number | FieldKind::Percent => {
            html! { input id=(id) name=(name) type="text" inputmode="decimal" value=(shown) required[required]; }
        }
        FieldKind::Currency => html! {
            span.currency {
                input id=(id) name=(name) type="text" inputmode="decimal" value=(shown) required[required]
                    placeholder={"0 " (field.currency)};
            }
        },
        FieldKind::Date => html! { input id=(id) name=(name) type="date" value=(shown) required[required]; },
        FieldKind::Datetime => html! {
            input id=(id) name=(name) type="datetime-local" value=(shown) required[required];
            span.hint { "UTC" }
        },
        FieldKind::Boolean => html! {
            input type="hidden" name=(name) value="false";
            input id=(id) name=(name) type="checkbox" value="true" checked[shown == "true"];
        },
        FieldKind::Select => html! {
            select id=(id) name=(name) required[required] {
                option value="" { "—" }
                @for o in field.options.iter().filter(|o| !o.archived || o.label == shown) {
                    option value=(o.label) selected[o.label == shown] { (o.label) }
                }
            }
        },
        FieldKind::MultiSelect => {
            let chosen: Vec<&str> = shown.split(';').map(str::trim).collect();
            html! {
                select id=(id) name=(name) multiple size=(field.options.len().clamp(2, 6)) {
                    @for o in field.options.iter().filter(|o| !o.archived || chosen.contains(&o.label.as_str())) {
                        option value=(o.label) selected[chosen.contains(&o.label.as_str())] { (o.label) }
                    }
                }
            }
        }
        FieldKind::Rating => html! {
            input id=(id) name=(name) type="number" min="0" max=(field.max_rating.max(1)) step="1" value=(shown);
        },
        FieldKind::Relation => {
            let target = field.target.map(|t| t.to_string()).unwrap_or_default();
            html! {
                input id=(id) name=(name) type="text" value=(shown) autocomplete="off"
                    data-relation=(target) list={(id) "-list"}
                    placeholder=(if field.many { "names, separated by ;" } else { "a record's name" });
                datalist id={(id) "-list"} {}
            }
        }
        FieldKind::Email => html! { input id=(id) name=(name) type="email" value=(shown) required[required]; },
        FieldKind::Url => html! { input id=(id) name=(name) type="url" value=(shown) required[required]; },
        FieldKind::Phone => html! { input id=(id) name=(name) type="tel" value=(shown) required[required]; },
        FieldKind::Text => html! { input id=(id) name=(name) type="text" value=(shown) required[required]; },
    }
}

/// The text an input starts with: what parses back to the same value.
pub(crate) fn edit_text(cell: &Cell) -> String {
    let v = &cell.view;
    match &v.value {
        None => v.display.clone(),
        Some(Value::Currency(m)) => format!("{} {}", m.amount, m.code),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::DateTime(_)) => v.display.chars().take(16).collect(),
        Some(Value::Records(_)) => cell
            .links
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        Some(_) => v.display.clone(),
    }
}

/// Joins a form's values for one field: several for a multi-select, the last one for a
/// checkbox (a hidden `false` comes first, the box's `true` after it when ticked).
pub(crate) fn form_value(field: &FieldDef, values: &[&str]) -> String {
    match field.kind {
        FieldKind::MultiSelect => values.join("; "),
        _ => values.last().map(|s| s.to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_with_thousands_separators_and_its_code() {
        let m = Money {
            amount: "1234567.5".parse().unwrap(),
            code: "EUR".into(),
        };
        assert_eq!(money(&m, &NumberFormat::default()), "1,234,567.50 EUR");
        assert_eq!(money(&m, &NumberFormat::DECIMAL_COMMA), "1.234.567,50 EUR");
    }
}
