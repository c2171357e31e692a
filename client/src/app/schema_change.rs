//! What the schema operations share: the undo of the change an operation wrote (none
//! when it wrote nothing) and where a field or option is moved to.

use kith_core::Workspace;
use serde::Deserialize;

use super::AppError;

/// How many schema changes there were before an operation, to tell afterwards whether
/// it wrote one (a move to where something already is writes nothing, and its undo
/// must not be the change before it).
pub(crate) struct SchemaMark(Option<usize>);

impl SchemaMark {
    pub(crate) fn now(ws: &Workspace) -> SchemaMark {
        SchemaMark(ws.schema_history().ok().map(|h| h.len()))
    }

    /// The undo (`change:<hash>`) of the one schema change written since the mark;
    /// `None` when none was, or several (one undo could not take them all back).
    pub(crate) fn undo(&self, ws: &Workspace) -> Option<String> {
        let before = self.0?;
        let history = ws.schema_history().ok()?;
        (history.len() == before + 1)
            .then(|| history.last().map(|e| format!("change:{}", e.change)))
            .flatten()
    }
}

/// Where to move a field or an option: `{"position": n}` (1 is first, counted among
/// those not archived, as lists show them) or `{"step": "up"}` / `{"step": "down"}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Placement {
    pub(crate) position: Option<usize>,
    pub(crate) step: Option<Step>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Step {
    Up,
    Down,
}

impl Placement {
    pub(crate) fn to(position: usize) -> Placement {
        Placement {
            position: Some(position),
            step: None,
        }
    }

    pub(crate) fn step(step: Step) -> Placement {
        Placement {
            position: None,
            step: Some(step),
        }
    }

    /// Where the moved item goes among all items (archived ones included, which the
    /// workspace counts), given `items` in order as (is it the moved one, is it
    /// archived); and its new 1-based position among the active ones.
    pub(crate) fn resolve(&self, items: &[(bool, bool)]) -> Result<(usize, usize), AppError> {
        let current = items
            .iter()
            .filter(|(_, archived)| !archived)
            .position(|(moved, _)| *moved)
            .unwrap_or(0);
        // The wanted 0-based place among the other active items.
        let wanted = match (self.position, self.step) {
            (Some(p), None) => p
                .checked_sub(1)
                .ok_or_else(|| AppError::Invalid("positions start at 1".into()))?,
            (None, Some(Step::Up)) => current.saturating_sub(1),
            (None, Some(Step::Down)) => current + 1,
            _ => {
                return Err(AppError::Invalid(
                    "give a position or a step (up or down), not both".into(),
                ));
            }
        };
        let others: Vec<bool> = items.iter().filter(|(moved, _)| !moved).map(|(_, a)| *a).collect();
        let active_others = others.iter().filter(|a| !**a).count();
        // Insert before the active item now at `wanted`, or at the very end.
        let mut seen = 0;
        let mut index = others.len();
        for (i, archived) in others.iter().enumerate() {
            if !archived {
                if seen == wanted {
                    index = i;
                    break;
                }
                seen += 1;
            }
        }
        Ok((index, wanted.min(active_others) + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_counts_only_active_items_and_skips_archived_ones() {
        // a, [archived b], c, d: moving d to position 2 puts it before c.
        let items = [(false, false), (false, true), (false, false), (true, false)];
        assert_eq!(Placement::to(2).resolve(&items).ok(), Some((2, 2)));
        assert_eq!(Placement::to(9).resolve(&items).ok(), Some((3, 3)));
        assert_eq!(Placement::step(Step::Up).resolve(&items).ok(), Some((2, 2)));
        assert_eq!(Placement::step(Step::Down).resolve(&items).ok(), Some((3, 3)));
        assert!(Placement::to(0).resolve(&items).is_err());
        assert!(Placement::default().resolve(&items).is_err());
    }

    #[test]
    fn moving_the_first_item_up_keeps_it_first() {
        let items = [(true, false), (false, false)];
        assert_eq!(Placement::step(Step::Up).resolve(&items).ok(), Some((0, 1)));
    }
}
