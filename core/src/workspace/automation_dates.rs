//! Date-triggered automations: `tick(now)` runs those whose date point a record reached.
//!
//! Whichever device is running when the time comes runs them, so two devices may both
//! run one. Each run's id is derived from (automation, record, due date), and the records
//! it creates get ids and first changes derived from the run (a fixed actor, the due
//! date's midnight as time, `automation` as creator): two devices make the same change,
//! which Automerge keeps once. A run already in the run log (made here, or received from
//! another device) is not run again.

use super::automation_runs::AutomationRun;
use super::automations::{RecordEvent, Scope, write_runs};
use super::{Changes, Workspace};
use crate::automation::{Trigger, derived_id};
use crate::error::{Result, StoreError};
use crate::query::{Filter, Op};
use crate::store::tables;
use crate::time_fmt::{date_of, midnight_of};
use crate::value::Value;
use crate::{GroupId, Query, RecordId, field_type};

/// Records one tick looks at per automation and page.
const PAGE: usize = 1000;

impl Workspace {
    /// Runs the date-triggered automations whose point records have reached by `now`
    /// (ms): once per (automation, record, due date), for due dates from the day the
    /// automation was made up to today. Answers the runs made (skipped ones are not
    /// logged: the record is checked again next time).
    pub fn automation_tick(&mut self, now: i64) -> Result<Vec<AutomationRun>> {
        let active = self.active_automations()?;
        let today = date_of(now);
        let mut due: Vec<(usize, RecordId, i32)> = Vec::new();
        for (index, automation) in active.iter().enumerate() {
            let (Trigger::Date { offset_days, .. }, Some(field), None) =
                (&automation.def.trigger, automation.trigger_field, &automation.problem)
            else {
                continue;
            };
            let Some(made) = self.config_docs().iter().find(|c| c.id == automation.id) else {
                continue;
            };
            let (from, to) = (
                date_of(made.created_at).saturating_sub(*offset_days),
                today.saturating_sub(*offset_days),
            );
            if to < from {
                continue;
            }
            let mut query = Query::new(automation.object);
            query.limit = PAGE;
            query.filter = Some(Filter::All(vec![
                Filter::Cond {
                    field,
                    op: Op::Ge(Value::Date(from)),
                },
                Filter::Cond {
                    field,
                    op: Op::Le(Value::Date(to)),
                },
            ]));
            let obj = self.object_def(automation.object)?.clone();
            let Some(def) = obj.field(field) else { continue };
            loop {
                let page = self.query(&query)?;
                for id in page.ids {
                    let row = self.row(id)?;
                    let Some(Value::Date(date)) = row.get(field).and_then(|s| field_type::read(def, s)) else {
                        continue;
                    };
                    let when = date.saturating_add(*offset_days);
                    if !self.run_logged(run_id(automation.id, id, when))? {
                        due.push((index, id, when));
                    }
                }
                match page.next {
                    Some(next) => query.after = Some(next),
                    None => break,
                }
            }
        }
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.store.write()?;
        let mut all = Scope {
            group: GroupId::new(),
            runs: Vec::new(),
            touched: Vec::new(),
            records: Vec::new(),
            fixed: None,
        };
        let result = (|| {
            for (index, record, when) in due {
                let automation = &active[index];
                let run = run_id(automation.id, record, when);
                let row = self.row(record)?;
                let mut scope = Scope {
                    group: run,
                    runs: Vec::new(),
                    touched: Vec::new(),
                    records: Vec::new(),
                    fixed: Some(midnight_of(when)),
                };
                let event = RecordEvent {
                    record,
                    object: row.object,
                    before: Some(row.clone()),
                    after: row,
                    depth: 0,
                    by: None,
                };
                let mut entry = self.new_entry(&scope, automation, &event, &automation.def.trigger.describe());
                entry.run = run;
                entry.time = now;
                let outcome = self.run_one(&tx, &mut scope, automation, &event, &mut entry);
                all.touched.append(&mut scope.touched);
                all.records.append(&mut scope.records);
                outcome?;
                if entry.status != super::RunStatus::Skipped {
                    all.runs.push(entry);
                }
            }
            write_runs(&tx, &all.runs)?;
            tx.commit().map_err(StoreError::from)?;
            Ok(())
        })();
        if let Err(e) = result {
            for id in &all.touched {
                self.cache.pop(id);
            }
            return Err(e);
        }
        self.committed(Changes::local_records(all.records));
        Ok(all.runs)
    }

    fn run_logged(&self, run: GroupId) -> Result<bool> {
        let tx = self.store.read()?;
        let table = tx.open_table(tables::AUTOMATION_RUNS).map_err(StoreError::from)?;
        Ok(redb::ReadableTable::get(&table, *run.as_bytes())
            .map_err(StoreError::from)?
            .is_some())
    }
}

/// The run id every device derives for an automation reaching a record's date point.
fn run_id(automation: crate::DocId, record: RecordId, when: i32) -> GroupId {
    GroupId::from_bytes(derived_id(
        midnight_of(when),
        &[automation.as_bytes(), record.as_bytes(), &when.to_be_bytes()],
    ))
}
