//! Rollup aggregates: folding related values into a count, sum, average, minimum or
//! maximum, and updating an aggregate by one related record's change (its part before
//! and after) without reading the other related records, when that gives exactly what
//! folding them all again gives.
//!
//! Exactness rests on sums that do not depend on the order of their values: numbers and
//! amounts are summed as exact decimals (a number is the decimal it prints as), kept as
//! one integer sum of mantissas per scale ([`ExactSum`]), and the result is printed from
//! its value alone (trailing zeros removed: an amount shows its currency's minor units,
//! more when needed). Where a change cannot be applied exactly (an extreme leaves, amounts
//! in several currencies, a number that is no decimal), the caller rescans the rollup.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::money::{Money, decimal_from_f64};
use crate::schema::Aggregate;
use crate::value::Value;

/// One related record's part in a rollup: `None` when it is not counted (not related,
/// trashed, filtered out), else counted with its value of the aggregated field, if any.
pub(crate) type Contribution = Option<Option<Value>>;

/// An exact sum of decimals: per scale, the integer sum of the mantissas. Adding or
/// taking out a value is exact, and the sum does not depend on the values' order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ExactSum {
    by_scale: BTreeMap<u32, i128>,
}

impl ExactSum {
    /// Adds `amount` (`negate`: takes it out); false when an integer overflows (some
    /// 10^9 amounts near the decimal limit).
    fn add(&mut self, amount: Decimal, negate: bool) -> bool {
        let mantissa = if negate { -amount.mantissa() } else { amount.mantissa() };
        let entry = self.by_scale.entry(amount.scale()).or_default();
        let Some(sum) = entry.checked_add(mantissa) else {
            return false;
        };
        *entry = sum;
        if sum == 0 {
            self.by_scale.remove(&amount.scale());
        }
        true
    }

    fn is_zero(&self) -> bool {
        self.by_scale.is_empty()
    }

    /// The sum as a decimal without trailing zeros; `None` beyond the decimal range.
    fn decimal(&self) -> Option<Decimal> {
        let Some(&top) = self.by_scale.keys().next_back() else {
            return Some(Decimal::ZERO);
        };
        let mut total: i128 = 0;
        for (scale, sum) in &self.by_scale {
            let factor = 10i128.checked_pow(top - scale)?;
            total = total.checked_add(sum.checked_mul(factor)?)?;
        }
        let mut scale = top;
        while scale > 0 && total % 10 == 0 {
            total /= 10;
            scale -= 1;
        }
        Decimal::try_from_i128_with_scale(total, scale)
            .ok()
            .map(|d| d.normalize())
    }

    /// The sum as a float, when it is beyond the decimal range (still a function of the
    /// sum alone).
    fn approximate(&self) -> f64 {
        self.by_scale
            .iter()
            .map(|(scale, sum)| *sum as f64 / 10f64.powi(*scale as i32))
            .sum()
    }
}

/// What a sum or average keeps besides its value so that one record's change updates it
/// exactly: how many values it has, their currency (`None`: numbers) and their sum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SumState {
    values: u64,
    code: Option<String>,
    sum: ExactSum,
}

/// Why a value cannot join a [`SumState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    /// Amounts in different currencies, or amounts with numbers.
    Mixed,
    /// A number that is no decimal, or an overflow.
    Inexact,
}

impl SumState {
    /// Adds `value` (`take_out`: removes it).
    fn change(&mut self, value: &Value, take_out: bool) -> Result<(), Broken> {
        let (amount, code) = match value {
            Value::Number(n) => (decimal_from_f64(*n).ok_or(Broken::Inexact)?, None),
            Value::Currency(m) => (m.amount, Some(&m.code)),
            _ => return Err(Broken::Mixed),
        };
        if self.values > 0 && self.code.as_ref() != code {
            return Err(Broken::Mixed);
        }
        if take_out && self.values == 0 {
            return Err(Broken::Inexact);
        }
        if !self.sum.add(amount, take_out) {
            return Err(Broken::Inexact);
        }
        if take_out {
            self.values -= 1;
        } else {
            self.values += 1;
            self.code = code.cloned();
        }
        if self.values == 0 {
            if !self.sum.is_zero() {
                return Err(Broken::Inexact);
            }
            self.code = None;
        }
        Ok(())
    }

    /// The value of a sum or average with this state.
    pub(crate) fn result(&self, aggregate: Aggregate) -> Option<Value> {
        let exact = self.sum.decimal();
        let value = |amount: Option<Decimal>, approximate: f64| match &self.code {
            Some(code) => Some(Value::Currency(Money {
                amount: amount?.normalize(),
                code: code.clone(),
            })),
            None => Some(Value::Number(match amount {
                Some(d) => decimal_to_f64(d)?,
                None => approximate,
            })),
        };
        match aggregate {
            Aggregate::Sum => value(exact, self.sum.approximate()),
            Aggregate::Avg if self.values == 0 => None,
            Aggregate::Avg => {
                let n = Decimal::from(self.values);
                value(
                    exact.and_then(|d| d.checked_div(n)),
                    self.sum.approximate() / self.values as f64,
                )
            }
            _ => None,
        }
    }

    /// Stored form: values (u64 LE) ‖ code length (u8) ‖ code ‖ (scale u8 ‖ sum i128 LE)*.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let code = self.code.as_deref().unwrap_or("");
        let mut out = Vec::with_capacity(9 + code.len() + 17 * self.sum.by_scale.len());
        out.extend_from_slice(&self.values.to_le_bytes());
        out.push(code.len().min(255) as u8);
        out.extend_from_slice(&code.as_bytes()[..code.len().min(255)]);
        for (scale, sum) in &self.sum.by_scale {
            out.push(*scale as u8);
            out.extend_from_slice(&sum.to_le_bytes());
        }
        out
    }

    /// Reads [`SumState::encode`]'s form; `None` when it is not that.
    pub(crate) fn decode(bytes: &[u8]) -> Option<SumState> {
        let values = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
        let len = *bytes.get(8)? as usize;
        let code = std::str::from_utf8(bytes.get(9..9 + len)?).ok()?;
        let mut rest = bytes.get(9 + len..)?;
        let mut sum = ExactSum::default();
        while !rest.is_empty() {
            let scale = u32::from(*rest.first()?);
            let value = i128::from_le_bytes(rest.get(1..17)?.try_into().ok()?);
            sum.by_scale.insert(scale, value);
            rest = &rest[17..];
        }
        Some(SumState {
            values,
            code: (!code.is_empty()).then(|| code.to_string()),
            sum,
        })
    }
}

/// The float a decimal prints as (correctly rounded, whatever its scale).
fn decimal_to_f64(d: Decimal) -> Option<f64> {
    d.normalize().to_string().parse().ok()
}

/// Folds every related value of a rollup (a full recompute).
pub(crate) struct Accumulator {
    aggregate: Aggregate,
    /// Related records counted (passing the filter).
    pub(crate) count: u64,
    state: SumState,
    mixed: bool,
    /// A number that is no decimal: the sum is a float, in the records' order.
    inexact: bool,
    float: f64,
    floats: u64,
    extreme: Option<Value>,
}

impl Accumulator {
    pub(crate) fn new(aggregate: Aggregate) -> Self {
        Accumulator {
            aggregate,
            count: 0,
            state: SumState::default(),
            mixed: false,
            inexact: false,
            float: 0.0,
            floats: 0,
            extreme: None,
        }
    }

    pub(crate) fn add(&mut self, value: Value) {
        match self.aggregate {
            Aggregate::Count => {}
            Aggregate::Sum | Aggregate::Avg => {
                if let Value::Number(n) = value {
                    self.float += n;
                    self.floats += 1;
                }
                if !self.mixed && !self.inexact {
                    match self.state.change(&value, false) {
                        Ok(()) => {}
                        Err(Broken::Mixed) => self.mixed = true,
                        Err(Broken::Inexact) => self.inexact = true,
                    }
                }
            }
            Aggregate::Min | Aggregate::Max => {
                let better = match &self.extreme {
                    None => true,
                    Some(current) => match compare(current, &value) {
                        Some(o) => extends(self.aggregate, o),
                        None => {
                            self.mixed = true;
                            false
                        }
                    },
                };
                if better {
                    self.extreme = Some(value);
                }
            }
        }
    }

    /// The state a sum or average keeps (none when it cannot be updated exactly).
    pub(crate) fn state(&self) -> Option<SumState> {
        let keeps = matches!(self.aggregate, Aggregate::Sum | Aggregate::Avg);
        (keeps && !self.mixed && !self.inexact).then(|| self.state.clone())
    }

    pub(crate) fn result(self) -> Option<Value> {
        if self.mixed {
            return None;
        }
        match self.aggregate {
            Aggregate::Count => Some(Value::Number(self.count as f64)),
            Aggregate::Sum | Aggregate::Avg if self.inexact => match self.aggregate {
                Aggregate::Sum => Some(Value::Number(self.float)),
                _ if self.floats == 0 => None,
                _ => Some(Value::Number(self.float / self.floats as f64)),
            },
            Aggregate::Sum | Aggregate::Avg => self.state.result(self.aggregate),
            Aggregate::Min | Aggregate::Max => self.extreme,
        }
    }
}

/// Whether `o` (current extreme compared to a new value) means the new value wins.
fn extends(aggregate: Aggregate, o: std::cmp::Ordering) -> bool {
    match aggregate {
        Aggregate::Min => o.is_gt(),
        _ => o.is_lt(),
    }
}

pub(crate) fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::Currency(x), Value::Currency(y)) if x.code == y.code => Some(x.amount.cmp(&y.amount)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// A rollup's value after one related record's part changed.
#[derive(Debug, PartialEq)]
pub(crate) enum Delta {
    /// The record's part is the same: nothing to do.
    Unchanged,
    /// The new value, and for sums and averages the new state.
    Value(Option<Value>, Option<SumState>),
    /// Cannot be updated exactly: read every related record again.
    Rescan,
}

/// Updates a rollup by one related record's part changing from `old` to `new`, counted
/// `times` (a relation field may hold a record twice), from its `current` value and, for
/// sums and averages, its kept `state` (which the caller checked gives `current`).
pub(crate) fn update(
    aggregate: Aggregate,
    current: Option<&Value>,
    state: Option<SumState>,
    old: &Contribution,
    new: &Contribution,
    times: u64,
) -> Delta {
    if old == new {
        return Delta::Unchanged;
    }
    match aggregate {
        Aggregate::Count => {
            let Some(Value::Number(count)) = current else {
                return Delta::Rescan;
            };
            let was = if old.is_some() { times as f64 } else { 0.0 };
            let is = if new.is_some() { times as f64 } else { 0.0 };
            let updated = count - was + is;
            if updated < 0.0 || updated.fract() != 0.0 || !updated.is_finite() {
                return Delta::Rescan;
            }
            Delta::Value(Some(Value::Number(updated)), None)
        }
        Aggregate::Sum | Aggregate::Avg => {
            let Some(mut state) = state else {
                return Delta::Rescan;
            };
            for _ in 0..times {
                if let Some(Some(v)) = old
                    && state.change(v, true).is_err()
                {
                    return Delta::Rescan;
                }
                if let Some(Some(v)) = new
                    && state.change(v, false).is_err()
                {
                    return Delta::Rescan;
                }
            }
            Delta::Value(state.result(aggregate), Some(state))
        }
        Aggregate::Min | Aggregate::Max => {
            let Some(current) = current else {
                return Delta::Rescan;
            };
            // The value that leaves must be strictly inside the extreme; an equal value
            // may be the extreme itself (or print differently from it).
            if let Some(Some(v)) = old {
                match compare(current, v) {
                    Some(o) if o.is_ne() && !extends(aggregate, o) => {}
                    _ => return Delta::Rescan,
                }
            }
            match new {
                Some(Some(v)) => match compare(current, v) {
                    Some(o) if extends(aggregate, o) => Delta::Value(Some(v.clone()), None),
                    Some(o) if o.is_ne() => Delta::Value(Some(current.clone()), None),
                    _ => Delta::Rescan,
                },
                _ => Delta::Value(Some(current.clone()), None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: f64) -> Value {
        Value::Number(n)
    }

    fn usd(text: &str) -> Value {
        Value::Currency(Money {
            amount: text.parse().expect("decimal"),
            code: "USD".into(),
        })
    }

    fn fold(aggregate: Aggregate, values: &[Value]) -> (Option<Value>, Option<SumState>) {
        let mut acc = Accumulator::new(aggregate);
        for v in values {
            acc.count += 1;
            acc.add(v.clone());
        }
        let state = acc.state();
        (acc.result(), state)
    }

    #[test]
    fn number_sums_are_exact_decimals_whatever_the_order() {
        let (a, _) = fold(Aggregate::Sum, &[num(0.1), num(0.2)]);
        assert_eq!(a, Some(num(0.3)));
        let (b, _) = fold(Aggregate::Sum, &[num(1e20), num(1e-10), num(-1e20)]);
        assert_eq!(b, Some(num(1e-10)));
    }

    #[test]
    fn money_sums_print_by_their_value_not_their_inputs_scale() {
        let (a, _) = fold(Aggregate::Sum, &[usd("1.50"), usd("2.50")]);
        let (b, _) = fold(Aggregate::Sum, &[usd("1.5"), usd("2.5")]);
        assert_eq!(a, b);
        let Some(Value::Currency(m)) = a else { panic!() };
        assert_eq!(m.amount.to_string(), "4");
    }

    #[test]
    fn taking_a_value_out_gives_the_sum_of_the_rest() {
        let (_, state) = fold(Aggregate::Avg, &[usd("1.25"), usd("2.5"), usd("7")]);
        let old = Some(Some(usd("1.25")));
        let new = Some(Some(usd("3.000")));
        let delta = update(Aggregate::Avg, None, state, &old, &new, 1);
        let (full, full_state) = fold(Aggregate::Avg, &[usd("3.000"), usd("2.5"), usd("7")]);
        assert_eq!(delta, Delta::Value(full, full_state));
    }

    #[test]
    fn a_state_reads_back_as_it_was_written() {
        let (_, state) = fold(Aggregate::Sum, &[usd("1.255"), usd("-2.5"), usd("7")]);
        let state = state.expect("state");
        assert_eq!(SumState::decode(&state.encode()), Some(state));
        assert_eq!(SumState::decode(&[1, 2]), None);
    }

    #[test]
    fn an_extreme_that_leaves_asks_for_a_rescan() {
        let cur = num(10.0);
        let leaves = update(Aggregate::Max, Some(&cur), None, &Some(Some(num(10.0))), &None, 1);
        assert_eq!(leaves, Delta::Rescan);
        let inside = update(Aggregate::Max, Some(&cur), None, &Some(Some(num(3.0))), &None, 1);
        assert_eq!(inside, Delta::Value(Some(num(10.0)), None));
        let extends = update(Aggregate::Max, Some(&cur), None, &None, &Some(Some(num(12.0))), 1);
        assert_eq!(extends, Delta::Value(Some(num(12.0)), None));
    }

    #[test]
    fn amounts_in_two_currencies_ask_for_a_rescan() {
        let (_, state) = fold(Aggregate::Sum, &[usd("1")]);
        let eur = Value::Currency(Money {
            amount: Decimal::ONE,
            code: "EUR".into(),
        });
        let delta = update(Aggregate::Sum, None, state, &None, &Some(Some(eur)), 1);
        assert_eq!(delta, Delta::Rescan);
    }
}
