//! Printing a checked expression: the stored form (fields by id) and the form people
//! read (fields by their current key, or `[Label]`). Both parse back to the same formula.

use super::check::Expr;
use super::parser::{NEG_PRECEDENCE, NOT_PRECEDENCE};
use crate::FieldId;
use crate::schema::{ObjectDef, Schema};

pub(super) fn stored(expr: &Expr) -> String {
    let mut out = String::new();
    write(expr, &mut out, &|relation, id| match relation {
        None => format!("{{f:{id}}}"),
        Some(relation) => format!("{{f:{relation}}}.{{f:{id}}}"),
    });
    out
}

pub(super) fn display(expr: &Expr, object: &ObjectDef, schema: &Schema) -> String {
    let mut out = String::new();
    write(expr, &mut out, &|relation, id| match relation {
        None => name_in(object, id),
        Some(relation) => {
            let target = object
                .field(relation)
                .and_then(|f| f.target)
                .and_then(|target| schema.object(target));
            let looked_up = match target {
                Some(target) => name_in(target, id),
                None => format!("{{f:{id}}}"),
            };
            format!("{}.{looked_up}", name_in(object, relation))
        }
    });
    out
}

/// How a person names a field: its label in brackets when the label says more than the
/// key and names it unambiguously, else its key.
fn name_in(object: &ObjectDef, id: FieldId) -> String {
    let Some(field) = object.field(id) else {
        return format!("{{f:{id}}}");
    };
    let label = field.label.trim();
    let label_is_key = label.eq_ignore_ascii_case(&field.key);
    let label_names_it = !label.is_empty()
        && !label.contains(']')
        && object.find_field(label).map(|f| f.id) == Some(id)
        && label.parse::<FieldId>().is_err();
    let key_names_it = object.find_field(&field.key).map(|f| f.id) == Some(id);
    if (label_is_key && key_names_it) || !label_names_it {
        if key_names_it {
            field.key.clone()
        } else {
            format!("{{f:{id}}}")
        }
    } else {
        format!("[{label}]")
    }
}

/// The binding strength of an expression printed without parentheses.
fn precedence(expr: &Expr) -> u8 {
    match expr {
        Expr::Binary { op, .. } => op.precedence(),
        Expr::Not(_) => NOT_PRECEDENCE,
        Expr::Neg(_) => NEG_PRECEDENCE,
        _ => u8::MAX,
    }
}

fn write(expr: &Expr, out: &mut String, name: &dyn Fn(Option<FieldId>, FieldId) -> String) {
    match expr {
        Expr::Num(_, text) => out.push_str(text),
        Expr::Str(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Expr::Field(read) => out.push_str(&name(None, read.id)),
        Expr::Lookup(relation, read) => out.push_str(&name(Some(*relation), read.id)),
        Expr::Not(inner) => {
            out.push_str("not ");
            operand(inner, precedence(inner) <= NOT_PRECEDENCE, out, name);
        }
        Expr::Neg(inner) => {
            out.push('-');
            operand(inner, precedence(inner) < u8::MAX, out, name);
        }
        Expr::Binary { op, left, right, .. } => {
            let p = op.precedence();
            // Comparisons do not chain: a comparison inside one is always bracketed.
            let left_parens = precedence(left) < p || (op.is_comparison() && precedence(left) == p);
            operand(left, left_parens, out, name);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            operand(right, precedence(right) <= p, out, name);
        }
        Expr::Call(func, args) => {
            out.push_str(func.name());
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(arg, out, name);
            }
            out.push(')');
        }
    }
}

fn operand(expr: &Expr, parens: bool, out: &mut String, name: &dyn Fn(Option<FieldId>, FieldId) -> String) {
    if parens {
        out.push('(');
    }
    write(expr, out, name);
    if parens {
        out.push(')');
    }
}
