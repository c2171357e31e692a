//! Evaluation of a checked expression against one record.
//!
//! Empty values: `+`/`-` of numbers and amounts count an empty side as zero; other
//! arithmetic with an empty side is empty; text operations read empty as ""; conditions
//! read empty as false; comparisons are never empty (empty equals only empty, and is
//! neither less nor greater than anything).

use std::cmp::Ordering;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::check::{Expr, FieldRead};
use super::functions::{Func, Unit};
use super::parser::BinOp;
use super::{EvalError, FormulaEnv};
use crate::money::decimal_from_f64;
use crate::time_fmt::{date_of, format_date, format_datetime, midnight_of, parse_date, parse_datetime};
use crate::{Money, Value, format_number};

type Out = Result<Option<Value>, EvalError>;

const DAY_MS: i64 = 86_400_000;
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

pub(super) fn eval_top(expr: &Expr, env: &dyn FormulaEnv) -> Out {
    Ok(match eval(expr, env)? {
        Some(Value::Text(s)) if s.is_empty() => None,
        other => other,
    })
}

fn eval(expr: &Expr, env: &dyn FormulaEnv) -> Out {
    match expr {
        Expr::Num(n, _) => Ok(Some(Value::Number(*n))),
        Expr::Str(s) => Ok(Some(Value::Text(s.clone()))),
        Expr::Bool(b) => Ok(Some(Value::Bool(*b))),
        Expr::Field(read) => Ok(normalize(read, env.value(read.id))),
        Expr::Lookup(relation, read) => Ok(normalize(read, env.lookup(*relation, read.id))),
        Expr::Not(inner) => Ok(Some(Value::Bool(!truthy(&eval(inner, env)?)))),
        Expr::Neg(inner) => match eval(inner, env)? {
            None => Ok(None),
            Some(v) => negate(v).map(Some),
        },
        Expr::Binary {
            op,
            left,
            right,
            empty_is_zero,
        } => binary(*op, left, right, *empty_is_zero, env),
        Expr::Call(func, args) => call(*func, args, env),
    }
}

/// Values as formulas see them: option labels for selects, nothing for empty text.
fn normalize(read: &FieldRead, value: Option<Value>) -> Option<Value> {
    let label = |id: crate::OptionId| {
        read.options
            .iter()
            .find(|(o, _)| *o == id)
            .map_or_else(|| id.to_string(), |(_, l)| l.clone())
    };
    match value? {
        Value::Text(s) if s.trim().is_empty() => None,
        Value::Option(id) => Some(Value::Text(label(id))),
        Value::Options(ids) if ids.is_empty() => None,
        Value::Options(ids) => Some(Value::Text(ids.into_iter().map(label).collect::<Vec<_>>().join(", "))),
        Value::Records(ids) if ids.is_empty() => None,
        other => Some(other),
    }
}

fn truthy(v: &Option<Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

fn number(n: f64) -> Result<Value, EvalError> {
    if n.is_finite() {
        Ok(Value::Number(n))
    } else {
        Err(EvalError::new("the result is too large to be a number"))
    }
}

fn decimal(n: f64) -> Result<Decimal, EvalError> {
    decimal_from_f64(n).ok_or_else(|| EvalError::new(format!("{} does not fit an amount", format_number(n))))
}

fn money(amount: Option<Decimal>, code: &str) -> Result<Value, EvalError> {
    amount
        .map(|amount| {
            Value::Currency(Money {
                amount,
                code: code.to_string(),
            })
        })
        .ok_or_else(|| EvalError::new("the amount is too large"))
}

fn negate(v: Value) -> Result<Value, EvalError> {
    match v {
        Value::Number(n) => Ok(Value::Number(-n)),
        Value::Currency(m) => Ok(Value::Currency(Money {
            amount: -m.amount,
            code: m.code,
        })),
        other => Err(unexpected(&other)),
    }
}

fn unexpected(v: &Value) -> EvalError {
    EvalError::new(format!("unexpected value {v:?}"))
}

fn text_of(v: &Option<Value>) -> String {
    match v {
        None => String::new(),
        Some(Value::Text(s)) => s.clone(),
        Some(Value::Number(n)) => format_number(*n),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Date(d)) => format_date(*d),
        Some(Value::DateTime(ms)) => format_datetime(*ms),
        Some(Value::Currency(m)) => format!("{} {}", m.amount_text(), m.code),
        Some(Value::Option(id)) => id.to_string(),
        Some(Value::Options(ids)) => ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        Some(Value::Records(ids)) => ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
    }
}

fn binary(op: BinOp, left: &Expr, right: &Expr, empty_is_zero: bool, env: &dyn FormulaEnv) -> Out {
    match op {
        BinOp::And => {
            return Ok(Some(Value::Bool(
                truthy(&eval(left, env)?) && truthy(&eval(right, env)?),
            )));
        }
        BinOp::Or => {
            return Ok(Some(Value::Bool(
                truthy(&eval(left, env)?) || truthy(&eval(right, env)?),
            )));
        }
        _ => {}
    }
    let l = eval(left, env)?;
    let r = eval(right, env)?;
    if op.is_comparison() {
        return compare_op(op, l, r).map(|b| Some(Value::Bool(b)));
    }
    if op == BinOp::Concat {
        return Ok(Some(Value::Text(text_of(&l) + &text_of(&r))));
    }
    let (l, r) = match (l, r) {
        (Some(l), Some(r)) => (l, r),
        (Some(l), None) if empty_is_zero => return Ok(Some(l)),
        (None, Some(r)) if empty_is_zero && op == BinOp::Add => return Ok(Some(r)),
        (None, Some(r)) if empty_is_zero => return negate(r).map(Some),
        _ => return Ok(None),
    };
    arithmetic(op, l, r).map(Some)
}

fn arithmetic(op: BinOp, l: Value, r: Value) -> Result<Value, EvalError> {
    use Value::*;
    match (op, l, r) {
        (_, Number(a), Number(b)) => match op {
            BinOp::Add => number(a + b),
            BinOp::Sub => number(a - b),
            BinOp::Mul => number(a * b),
            BinOp::Div if b == 0.0 => Err(EvalError::new("division by zero")),
            BinOp::Div => number(a / b),
            BinOp::Rem if b == 0.0 => Err(EvalError::new("division by zero (in %)")),
            BinOp::Rem => number(a % b),
            _ => Err(EvalError::new(format!("unexpected operator {}", op.symbol()))),
        },
        (BinOp::Add | BinOp::Sub, Currency(a), Currency(b)) => {
            if a.code != b.code {
                let verb = if op == BinOp::Add { "add" } else { "subtract" };
                return Err(EvalError::new(format!(
                    "cannot {verb} amounts in {} and {}",
                    a.code, b.code
                )));
            }
            let amount = if op == BinOp::Add {
                a.amount.checked_add(b.amount)
            } else {
                a.amount.checked_sub(b.amount)
            };
            money(amount, &a.code)
        }
        (BinOp::Div, Currency(a), Currency(b)) => {
            if a.code != b.code {
                return Err(EvalError::new(format!(
                    "cannot divide amounts in {} and {}",
                    a.code, b.code
                )));
            }
            if b.amount.is_zero() {
                return Err(EvalError::new("division by zero"));
            }
            let ratio = a
                .amount
                .checked_div(b.amount)
                .ok_or_else(|| EvalError::new("the result is too large"))?;
            number(ratio.to_f64().unwrap_or(f64::NAN))
        }
        (_, Currency(a), Number(n)) => {
            let b = decimal(n)?;
            let amount = match op {
                BinOp::Add => a.amount.checked_add(b),
                BinOp::Sub => a.amount.checked_sub(b),
                BinOp::Mul => a.amount.checked_mul(b),
                BinOp::Div | BinOp::Rem if b.is_zero() => return Err(EvalError::new("division by zero")),
                // Division gives as many digits as it needs, no trailing zeros past
                // the amount's own.
                BinOp::Div => a.amount.checked_div(b).map(|q| {
                    let mut q = q.normalize();
                    if q.scale() < a.amount.scale() {
                        q.rescale(a.amount.scale());
                    }
                    q
                }),
                BinOp::Rem => a.amount.checked_rem(b),
                _ => return Err(EvalError::new(format!("unexpected operator {}", op.symbol()))),
            };
            money(amount, &a.code)
        }
        (_, Number(n), Currency(b)) => {
            let a = decimal(n)?;
            let amount = match op {
                BinOp::Add => a.checked_add(b.amount),
                BinOp::Sub => a.checked_sub(b.amount),
                BinOp::Mul => a.checked_mul(b.amount),
                _ => return Err(EvalError::new(format!("unexpected operator {}", op.symbol()))),
            };
            money(amount, &b.code)
        }
        (BinOp::Add, Date(d), Number(n)) | (BinOp::Add, Number(n), Date(d)) => add_days(d, n).map(Date),
        (BinOp::Sub, Date(d), Number(n)) => add_days(d, -n).map(Date),
        (BinOp::Add, DateTime(t), Number(n)) | (BinOp::Add, Number(n), DateTime(t)) => add_ms(t, n).map(DateTime),
        (BinOp::Sub, DateTime(t), Number(n)) => add_ms(t, -n).map(DateTime),
        (BinOp::Sub, Date(a), Date(b)) => Ok(Number(f64::from(a) - f64::from(b))),
        (BinOp::Sub, a, b) if is_time(&a) && is_time(&b) => number((as_ms(&a) - as_ms(&b)) as f64 / DAY_MS as f64),
        (_, l, _) => Err(unexpected(&l)),
    }
}

fn is_time(v: &Value) -> bool {
    matches!(v, Value::Date(_) | Value::DateTime(_))
}

fn as_ms(v: &Value) -> i64 {
    match v {
        Value::Date(d) => midnight_of(*d),
        Value::DateTime(ms) => *ms,
        _ => 0,
    }
}

fn as_days(v: &Value) -> Option<i32> {
    match v {
        Value::Date(d) => Some(*d),
        Value::DateTime(ms) => Some(date_of(*ms)),
        _ => None,
    }
}

fn whole(n: f64, what: &str) -> Result<i64, EvalError> {
    if n.is_finite() && n.abs() < 1e12 {
        Ok(n.trunc() as i64)
    } else {
        Err(EvalError::new(format!("{what} is out of range")))
    }
}

/// Dates Kith can show: years 1 to 9999.
fn checked_date(days: i64) -> Result<i32, EvalError> {
    i32::try_from(days)
        .ok()
        .filter(|d| civil(*d).is_some_and(|(y, _, _)| (1..=9999).contains(&y)))
        .ok_or_else(|| EvalError::new("the date is out of range"))
}

fn add_days(date: i32, n: f64) -> Result<i32, EvalError> {
    checked_date(i64::from(date) + whole(n, "the number of days")?)
}

fn add_ms(ms: i64, days: f64) -> Result<i64, EvalError> {
    let delta = days * DAY_MS as f64;
    if !delta.is_finite() || delta.abs() > 1e15 {
        return Err(EvalError::new("the date is out of range"));
    }
    Ok(ms + delta.round() as i64)
}

fn civil(days: i32) -> Option<(i32, u8, u8)> {
    let date = time::Date::from_julian_day(days.checked_add(UNIX_EPOCH_JULIAN_DAY)?).ok()?;
    Some((date.year(), u8::from(date.month()), date.day()))
}

fn from_civil(year: i64, month: i64, day: i64) -> Option<i32> {
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    Some(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
}

/// `date` moved by whole months, the day clamped to the month's length (Jan 31 + 1
/// month = Feb 28, or 29 in a leap year).
fn add_months(date: i32, months: i64) -> Result<i32, EvalError> {
    let out_of_range = || EvalError::new("the date is out of range");
    let (y, m, d) = civil(date).ok_or_else(out_of_range)?;
    let index = i64::from(y) * 12 + i64::from(m) - 1 + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    if !(1..=9999).contains(&year) {
        return Err(out_of_range());
    }
    let month_of = time::Month::try_from(month as u8).map_err(|_| out_of_range())?;
    let last = month_of.length(year as i32);
    from_civil(year, month, i64::from(d.min(last))).ok_or_else(out_of_range)
}

/// Whole months from `a` to `b` (negative when `b` is earlier).
fn months_between(a: i32, b: i32) -> Option<i64> {
    let (ya, ma, da) = civil(a)?;
    let (yb, mb, db) = civil(b)?;
    let mut months = (i64::from(yb) * 12 + i64::from(mb)) - (i64::from(ya) * 12 + i64::from(ma));
    if months > 0 && db < da {
        months -= 1;
    } else if months < 0 && db > da {
        months += 1;
    }
    Some(months)
}

/// Compares two values of comparable types; `Err` for amounts in different currencies.
fn compare(l: &Value, r: &Value) -> Result<Ordering, EvalError> {
    use Value::*;
    let ord = match (l, r) {
        (Number(a), Number(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
        (Currency(a), Currency(b)) => {
            if a.code != b.code {
                return Err(EvalError::new(format!(
                    "cannot compare amounts in {} and {}",
                    a.code, b.code
                )));
            }
            a.amount.cmp(&b.amount)
        }
        (Currency(a), Number(n)) => a.amount.cmp(&decimal(*n)?),
        (Number(n), Currency(b)) => decimal(*n)?.cmp(&b.amount),
        (Text(a), Text(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        (Bool(a), Bool(b)) => a.cmp(b),
        (Date(a), Date(b)) => a.cmp(b),
        (a, b) if is_time(a) && is_time(b) => as_ms(a).cmp(&as_ms(b)),
        (a, _) => return Err(unexpected(a)),
    };
    Ok(ord)
}

fn compare_op(op: BinOp, l: Option<Value>, r: Option<Value>) -> Result<bool, EvalError> {
    let (l, r) = match (l, r) {
        (Some(l), Some(r)) => (l, r),
        (l, r) => {
            let both_empty = l.is_none() && r.is_none();
            return Ok(match op {
                BinOp::Eq => both_empty,
                BinOp::Ne => !both_empty,
                _ => false,
            });
        }
    };
    let ord = compare(&l, &r)?;
    Ok(match op {
        BinOp::Eq => ord == Ordering::Equal,
        BinOp::Ne => ord != Ordering::Equal,
        BinOp::Lt => ord == Ordering::Less,
        BinOp::Le => ord != Ordering::Greater,
        BinOp::Gt => ord == Ordering::Greater,
        BinOp::Ge => ord != Ordering::Less,
        _ => false,
    })
}

fn as_number(v: &Option<Value>) -> Option<f64> {
    match v {
        Some(Value::Number(n)) => Some(*n),
        _ => None,
    }
}

fn chars_arg(v: &Option<Value>, what: &str) -> Result<usize, EvalError> {
    let n = as_number(v).unwrap_or(0.0);
    Ok(whole(n, what)?.max(0) as usize)
}

fn text_fn(text: Option<Value>, f: impl FnOnce(&str) -> String) -> Out {
    Ok(text.map(|v| Value::Text(f(&text_of(&Some(v))))))
}

fn call(func: Func, args: &[Expr], env: &dyn FormulaEnv) -> Out {
    // Functions that choose what to evaluate.
    match func {
        Func::If => {
            let chosen = if truthy(&eval(&args[0], env)?) {
                args.get(1)
            } else {
                args.get(2)
            };
            return match chosen {
                Some(e) => eval(e, env),
                None => Ok(None),
            };
        }
        Func::And | Func::Or => {
            let want = func == Func::Or;
            for arg in args {
                if truthy(&eval(arg, env)?) == want {
                    return Ok(Some(Value::Bool(want)));
                }
            }
            return Ok(Some(Value::Bool(!want)));
        }
        Func::Coalesce => {
            for arg in args {
                if let Some(v) = eval(arg, env)? {
                    return Ok(Some(v));
                }
            }
            return Ok(None);
        }
        _ => {}
    }
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        values.push(eval(arg, env)?);
    }
    let mut values = values.into_iter();
    let mut next = || values.next().flatten();
    let unit = |i: usize| match args.get(i) {
        Some(Expr::Str(s)) => Unit::named(s).unwrap_or(Unit::Days),
        _ => Unit::Days,
    };
    match func {
        Func::Not => Ok(Some(Value::Bool(!truthy(&next())))),
        Func::Concat => {
            let mut out = String::new();
            for v in values.by_ref() {
                out.push_str(&text_of(&v));
            }
            Ok(Some(Value::Text(out)))
        }
        Func::Upper => text_fn(next(), str::to_uppercase),
        Func::Lower => text_fn(next(), str::to_lowercase),
        Func::Trim => text_fn(next(), |s| s.trim().to_string()),
        Func::Len => Ok(Some(Value::Number(text_of(&next()).chars().count() as f64))),
        Func::Left => {
            let text = next();
            let n = chars_arg(&next(), "the number of characters")?;
            text_fn(text, |s| s.chars().take(n).collect())
        }
        Func::Right => {
            let text = next();
            let n = chars_arg(&next(), "the number of characters")?;
            text_fn(text, |s| {
                let count = s.chars().count();
                s.chars().skip(count.saturating_sub(n)).collect()
            })
        }
        Func::Mid => {
            let text = next();
            let start = chars_arg(&next(), "the start")?.max(1);
            let n = chars_arg(&next(), "the number of characters")?;
            text_fn(text, |s| s.chars().skip(start - 1).take(n).collect())
        }
        Func::Contains | Func::StartsWith | Func::EndsWith => {
            let text = text_of(&next()).to_lowercase();
            let part = text_of(&next()).to_lowercase();
            let found = match func {
                Func::Contains => text.contains(&part),
                Func::StartsWith => text.starts_with(&part),
                _ => text.ends_with(&part),
            };
            Ok(Some(Value::Bool(found)))
        }
        Func::Replace => {
            let text = next();
            let from = text_of(&next());
            let to = text_of(&next());
            text_fn(text, |s| {
                if from.is_empty() {
                    s.to_string()
                } else {
                    s.replace(&from, &to)
                }
            })
        }
        Func::Round | Func::Floor | Func::Ceil | Func::Abs => {
            let Some(v) = next() else { return Ok(None) };
            let digits = whole(as_number(&next()).unwrap_or(0.0), "the number of digits")?;
            if !(-15..=15).contains(&digits) {
                return Err(EvalError::new("round(…) takes between -15 and 15 digits"));
            }
            rounded(func, v, digits).map(Some)
        }
        Func::Min | Func::Max => {
            let mut best: Option<Value> = None;
            for v in values.by_ref().flatten() {
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let ord = compare(&v, &b)?;
                        let better = if func == Func::Min {
                            ord == Ordering::Less
                        } else {
                            ord == Ordering::Greater
                        };
                        if better { v } else { b }
                    }
                });
            }
            Ok(best)
        }
        Func::IsEmpty => Ok(Some(Value::Bool(next().is_none()))),
        Func::Today => Ok(Some(Value::Date(env.today()))),
        Func::Now => Ok(Some(Value::DateTime(env.now()))),
        Func::DateDiff => {
            let (Some(a), Some(b)) = (next(), next()) else {
                return Ok(None);
            };
            let (Some(a), Some(b)) = (as_days(&a), as_days(&b)) else {
                return Err(unexpected(&a));
            };
            let days = i64::from(b) - i64::from(a);
            let n = match unit(2) {
                Unit::Days => days,
                Unit::Weeks => days / 7,
                Unit::Months => months_between(a, b).unwrap_or(0),
                Unit::Years => months_between(a, b).unwrap_or(0) / 12,
            };
            Ok(Some(Value::Number(n as f64)))
        }
        Func::DateAdd => {
            let Some(start) = next() else { return Ok(None) };
            let Some(n) = as_number(&next()) else {
                return Ok(Some(start));
            };
            let n = whole(n, "the number to add")?;
            let date_part = as_days(&start).unwrap_or(0);
            let moved = match unit(2) {
                Unit::Days => checked_date(i64::from(date_part) + n)?,
                Unit::Weeks => checked_date(i64::from(date_part) + n * 7)?,
                Unit::Months => add_months(date_part, n)?,
                Unit::Years => add_months(date_part, n * 12)?,
            };
            Ok(Some(match start {
                Value::DateTime(ms) => Value::DateTime(midnight_of(moved) + ms.rem_euclid(DAY_MS)),
                _ => Value::Date(moved),
            }))
        }
        Func::Year | Func::Month | Func::Day | Func::Weekday => {
            let Some(v) = next() else { return Ok(None) };
            let days = as_days(&v).ok_or_else(|| unexpected(&v))?;
            let (y, m, d) = civil(days).ok_or_else(|| EvalError::new("the date is out of range"))?;
            let n = match func {
                Func::Year => f64::from(y),
                Func::Month => f64::from(m),
                Func::Day => f64::from(d),
                // ISO: Monday is 1, Sunday 7 (1970-01-01 was a Thursday).
                _ => f64::from((days + 3).rem_euclid(7) + 1),
            };
            Ok(Some(Value::Number(n)))
        }
        Func::Date => {
            let Some(first) = next() else { return Ok(None) };
            match first {
                Value::Text(s) => parse_date(&s)
                    .or_else(|| parse_datetime(&s).map(date_of))
                    .map(|d| Some(Value::Date(d)))
                    .ok_or_else(|| EvalError::new(format!("'{s}' is not a date (like 2024-05-31)"))),
                Value::DateTime(ms) => Ok(Some(Value::Date(date_of(ms)))),
                Value::Date(d) => Ok(Some(Value::Date(d))),
                Value::Number(y) => {
                    let (Some(Value::Number(m)), Some(Value::Number(d))) = (next(), next()) else {
                        return Ok(None);
                    };
                    let (y, m, d) = (whole(y, "the year")?, whole(m, "the month")?, whole(d, "the day")?);
                    from_civil(y, m, d)
                        .map(|d| Some(Value::Date(d)))
                        .ok_or_else(|| EvalError::new(format!("{y}-{m:02}-{d:02} is not a date")))
                }
                other => Err(unexpected(&other)),
            }
        }
        Func::Text => {
            let v = next();
            Ok(Some(Value::Text(text_of(&v))))
        }
        Func::Number => match next() {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(Value::Number(n))),
            Some(Value::Currency(m)) => number(m.amount.to_f64().unwrap_or(f64::NAN)).map(Some),
            Some(Value::Text(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .or_else(|| crate::NumberFormat::default().parse_f64(&s).ok())
                .filter(|n| n.is_finite())
                .map(|n| Some(Value::Number(n)))
                .ok_or_else(|| EvalError::new(format!("'{s}' is not a number"))),
            Some(other) => Err(unexpected(&other)),
        },
        Func::If | Func::And | Func::Or | Func::Coalesce => Ok(None),
    }
}

fn rounded(func: Func, v: Value, digits: i64) -> Result<Value, EvalError> {
    match v {
        Value::Number(n) => {
            let scale = 10f64.powi(digits as i32);
            number(match func {
                Func::Round => (n * scale).round() / scale,
                Func::Floor => n.floor(),
                Func::Ceil => n.ceil(),
                _ => n.abs(),
            })
        }
        Value::Currency(m) => {
            let amount = match func {
                Func::Round if digits < 0 => {
                    return Err(EvalError::new("round(amount, digits) takes 0 or more digits"));
                }
                Func::Round => m
                    .amount
                    .round_dp_with_strategy(digits as u32, RoundingStrategy::MidpointAwayFromZero),
                Func::Floor => m.amount.floor(),
                Func::Ceil => m.amount.ceil(),
                _ => m.amount.abs(),
            };
            Ok(Value::Currency(Money { amount, code: m.code }))
        }
        other => Err(unexpected(&other)),
    }
}
