//! The schema as plain structs, hydrated from the schema document.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{FieldId, ObjectId, OptionId};

/// The type of a field. Stored in the schema document by its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    LongText,
    Number,
    Currency,
    Percent,
    Date,
    Datetime,
    Boolean,
    Select,
    MultiSelect,
    Email,
    Phone,
    Url,
    Rating,
    Relation,
}

impl FieldKind {
    pub const ALL: [FieldKind; 15] = [
        FieldKind::Text,
        FieldKind::LongText,
        FieldKind::Number,
        FieldKind::Currency,
        FieldKind::Percent,
        FieldKind::Date,
        FieldKind::Datetime,
        FieldKind::Boolean,
        FieldKind::Select,
        FieldKind::MultiSelect,
        FieldKind::Email,
        FieldKind::Phone,
        FieldKind::Url,
        FieldKind::Rating,
        FieldKind::Relation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::LongText => "long_text",
            FieldKind::Number => "number",
            FieldKind::Currency => "currency",
            FieldKind::Percent => "percent",
            FieldKind::Date => "date",
            FieldKind::Datetime => "datetime",
            FieldKind::Boolean => "boolean",
            FieldKind::Select => "select",
            FieldKind::MultiSelect => "multi_select",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::Url => "url",
            FieldKind::Rating => "rating",
            FieldKind::Relation => "relation",
        }
    }

    /// Text-like fields feed full-text search.
    pub fn is_searchable(self) -> bool {
        matches!(
            self,
            FieldKind::Text | FieldKind::LongText | FieldKind::Email | FieldKind::Phone | FieldKind::Url
        )
    }

    /// Long text is not put in the sort/filter index (keys would be whole documents);
    /// filters on it scan rows, search uses the text index.
    pub fn is_indexed(self) -> bool {
        self != FieldKind::LongText
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field type name that Kith does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown field type '{0}' (known: text, long_text, number, currency, percent, date, datetime, boolean, select, multi_select, email, phone, url, rating, relation)"
)]
pub struct UnknownFieldKind(pub String);

impl FromStr for FieldKind {
    type Err = UnknownFieldKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        let wanted = match wanted.as_str() {
            "bool" => "boolean",
            "multiselect" => "multi_select",
            "longtext" => "long_text",
            "date_time" => "datetime",
            other => other,
        };
        FieldKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| UnknownFieldKind(s.to_string()))
    }
}

/// One option of a select or multi-select field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectOption {
    pub id: OptionId,
    pub label: String,
    pub color: String,
    pub order: i64,
    pub archived: bool,
}

/// A field of an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub id: FieldId,
    /// API name, unique within the object: `[a-z][a-z0-9_]*`.
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    pub unique: bool,
    pub order: i64,
    pub archived: bool,
    /// Select / multi-select options, sorted by `order` (archived ones included).
    pub options: Vec<SelectOption>,
    /// Relation target object; `None` means "any object".
    pub target: Option<ObjectId>,
    /// Relation cardinality: many related records, or at most one.
    pub many: bool,
    /// Default ISO 4217 code for currency values entered without one.
    pub currency: String,
    /// Highest rating (ratings are 1..=max).
    pub max_rating: u8,
    /// Types this field had before, oldest first (retyping appends).
    pub previous_kinds: Vec<FieldKind>,
    /// Another device added a field with the same key and type at the same time: this
    /// one (the later id) is read as an archived alias of that one, whose id this is,
    /// and its values are copied there (see docs/storage-format.md, "Same names").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<FieldId>,
    /// Another device added a field with the same key but another type at the same
    /// time: this one is shown under a free key (`twitter_2`) and listed as a schema
    /// conflict; this is the key it has in the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clashing_key: Option<String>,
    /// Options that devices added with the same label at the same time, read as one:
    /// the later option's id → the earlier's (values holding either are that option).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub merged_options: std::collections::BTreeMap<OptionId, OptionId>,
    /// A computed field (formula, lookup, rollup): its definition. Its values are derived
    /// into `rows`, never written into record documents; `kind` is its result type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed: Option<Computed>,
}

/// How a computed field gets its value (see docs/logic.md, "Lookups and rollups").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "computed", rename_all = "snake_case")]
pub enum Computed {
    /// A formula in its stored form (fields by id: see `crate::formula`).
    Formula { formula: String },
    /// The value of `target` on the record `relation` (a relation field of this object)
    /// points to (the first one of a many-relation).
    Lookup { relation: FieldId, target: FieldId },
    /// An aggregate over related records.
    Rollup(Rollup),
}

impl Computed {
    /// The name stored as the field's `type` (older versions do not know it and skip
    /// the field).
    pub fn type_name(&self) -> &'static str {
        match self {
            Computed::Formula { .. } => "formula",
            Computed::Lookup { .. } => "lookup",
            Computed::Rollup(_) => "rollup",
        }
    }
}

/// An aggregate over the records related to a record, from either side: `relation` is a
/// relation field of this object (the records it holds), or a relation field of another
/// object pointing here (the records of that object that hold this one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollup {
    pub relation: FieldId,
    pub aggregate: Aggregate,
    /// The field aggregated (on the related object); `None` for a count.
    pub target: Option<FieldId>,
    /// Only related records passing this filter (filter language, on the related object).
    pub filter: Option<String>,
}

/// What a rollup computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl Aggregate {
    pub const ALL: [Aggregate; 5] = [
        Aggregate::Count,
        Aggregate::Sum,
        Aggregate::Avg,
        Aggregate::Min,
        Aggregate::Max,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::Sum => "sum",
            Aggregate::Avg => "avg",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
        }
    }
}

impl FromStr for Aggregate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let wanted = if wanted == "average" { "avg".to_string() } else { wanted };
        Aggregate::ALL
            .into_iter()
            .find(|a| a.as_str() == wanted)
            .ok_or_else(|| format!("unknown aggregate '{s}' (known: count, sum, avg, min, max)"))
    }
}

impl FieldDef {
    /// A field with default settings for its kind.
    pub fn new(key: &str, label: &str, kind: FieldKind) -> Self {
        FieldDef {
            id: FieldId::new(),
            key: key.to_string(),
            label: label.to_string(),
            kind,
            required: false,
            unique: false,
            order: 0,
            archived: false,
            options: Vec::new(),
            target: None,
            many: false,
            currency: "USD".to_string(),
            max_rating: 5,
            previous_kinds: Vec::new(),
            merged_into: None,
            clashing_key: None,
            merged_options: std::collections::BTreeMap::new(),
            computed: None,
        }
    }

    /// The option with this id (an option merged into another is that other one).
    pub fn option(&self, id: OptionId) -> Option<&SelectOption> {
        let id = self.merged_options.get(&id).copied().unwrap_or(id);
        self.options.iter().find(|o| o.id == id)
    }

    /// The option named `name` (label, case-insensitive) or with that id.
    ///
    /// Every read of a stored select value (an option id) comes here, so the folded
    /// comparison allocates only for labels it can change: an ASCII label folds to its
    /// lowercase, which the first comparison already covered for an ASCII name.
    pub fn option_named(&self, name: &str) -> Option<&SelectOption> {
        let name = name.trim();
        self.options
            .iter()
            .find(|o| o.label.eq_ignore_ascii_case(name))
            .or_else(|| {
                if name.is_ascii() && self.options.iter().all(|o| o.label.is_ascii()) {
                    return None; // folding changes nothing the first comparison missed
                }
                let folded = crate::text::fold(name);
                self.options.iter().find(|o| {
                    if o.label.is_ascii() {
                        // fold(label) is its ASCII lowercase.
                        !name.is_ascii() && o.label.eq_ignore_ascii_case(&folded)
                    } else {
                        crate::text::fold(&o.label) == folded
                    }
                })
            })
            .or_else(|| {
                let id: OptionId = name.parse().ok()?;
                self.option(id)
            })
    }

    /// Whether values of this field are lists (multi-select, many-relation).
    pub fn is_list(&self) -> bool {
        self.kind == FieldKind::MultiSelect || (self.kind == FieldKind::Relation && self.many)
    }
}

/// An object (a table of records).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectDef {
    pub id: ObjectId,
    pub key: String,
    pub label: String,
    pub order: i64,
    pub archived: bool,
    /// All fields, archived ones included, sorted by `order`.
    pub fields: Vec<FieldDef>,
}

impl ObjectDef {
    pub fn field(&self, id: FieldId) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// Fields that are not archived, in order.
    pub fn active_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| !f.archived)
    }

    /// Finds a field by key, label (case-insensitive) or id. Active fields win over
    /// archived ones with the same name.
    pub fn find_field(&self, name: &str) -> Option<&FieldDef> {
        let name = name.trim();
        let by_name = |f: &&FieldDef| f.key.eq_ignore_ascii_case(name) || f.label.eq_ignore_ascii_case(name);
        self.active_fields()
            .find(by_name)
            .or_else(|| self.fields.iter().find(by_name))
            .or_else(|| {
                let id: FieldId = name.parse().ok()?;
                self.field(id)
            })
    }

    /// The field that names a record in lists and relation pickers: the first active
    /// text field.
    pub fn display_field(&self) -> Option<&FieldDef> {
        self.active_fields().find(|f| f.kind == FieldKind::Text)
    }
}

/// The whole schema of a workspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// All objects, archived ones included, sorted by `order`.
    pub objects: Vec<ObjectDef>,
    /// Device actor id (hex) → user name: who made a change is looked up here.
    #[serde(default)]
    pub members: std::collections::BTreeMap<String, String>,
    /// How people write numbers in this workspace (a synced setting).
    #[serde(default)]
    pub number_format: crate::NumberFormat,
    /// The manifest of the workspace's configuration documents, oldest first.
    #[serde(default)]
    pub config_docs: Vec<ConfigDoc>,
}

/// A configuration document (a view, an automation, a report, a dashboard) as the schema
/// document's manifest lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigDoc {
    pub id: crate::DocId,
    pub kind: crate::DocKind,
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

impl Schema {
    pub fn object(&self, id: ObjectId) -> Option<&ObjectDef> {
        self.objects.iter().find(|o| o.id == id)
    }

    /// Finds an object by key, label (case-insensitive) or id.
    pub fn find_object(&self, name: &str) -> Option<&ObjectDef> {
        let name = name.trim();
        let by_name = |o: &&ObjectDef| o.key.eq_ignore_ascii_case(name) || o.label.eq_ignore_ascii_case(name);
        self.objects
            .iter()
            .filter(|o| !o.archived)
            .find(by_name)
            .or_else(|| self.objects.iter().find(by_name))
            .or_else(|| {
                let id: ObjectId = name.parse().ok()?;
                self.object(id)
            })
    }

    pub fn active_objects(&self) -> impl Iterator<Item = &ObjectDef> {
        self.objects.iter().filter(|o| !o.archived)
    }
}

#[cfg(test)]
mod option_named_tests {
    use super::*;

    fn select(labels: &[&str]) -> FieldDef {
        let mut f = FieldDef::new("f", "F", FieldKind::Select);
        f.options = labels
            .iter()
            .enumerate()
            .map(|(i, l)| SelectOption {
                id: OptionId::new(),
                label: (*l).to_string(),
                color: String::new(),
                order: i as i64,
                archived: false,
            })
            .collect();
        f
    }

    fn named<'f>(f: &'f FieldDef, name: &str) -> Option<&'f str> {
        f.option_named(name).map(|o| o.label.as_str())
    }

    #[test]
    fn an_option_is_found_by_label_in_any_case_or_accent_and_by_id() {
        let f = select(&["Won", "Café", "cafe au lait", "Zoë"]);
        assert_eq!(named(&f, " won "), Some("Won"));
        assert_eq!(named(&f, "CAFE"), Some("Café"));
        assert_eq!(named(&f, "CAFÉ AU LAIT"), Some("cafe au lait"));
        assert_eq!(named(&f, "Zoe\u{0308}"), Some("Zoë"));
        assert_eq!(named(&f, "zoe"), Some("Zoë"));
        let id = f.options[1].id.to_string();
        assert_eq!(named(&f, &id), Some("Café"));
        assert_eq!(named(&f, "Lost"), None);
    }
}
