//! The standard objects of a new workspace: people, companies, deals, tasks, notes.
//! They are ordinary schema entries; users can change everything about them.

use super::model::{FieldDef, FieldKind, ObjectDef, SelectOption};
use crate::{ObjectId, OptionId};

fn field(key: &str, label: &str, kind: FieldKind) -> FieldDef {
    FieldDef::new(key, label, kind)
}

fn select(key: &str, label: &str, kind: FieldKind, options: &[(&str, &str)]) -> FieldDef {
    let mut f = field(key, label, kind);
    f.options = options
        .iter()
        .enumerate()
        .map(|(i, (label, color))| SelectOption {
            id: OptionId::new(),
            label: label.to_string(),
            color: color.to_string(),
            order: i as i64,
            archived: false,
        })
        .collect();
    f
}

fn relation(key: &str, label: &str, target: Option<ObjectId>, many: bool) -> FieldDef {
    let mut f = field(key, label, FieldKind::Relation);
    f.target = target;
    f.many = many;
    f
}

fn required(mut f: FieldDef) -> FieldDef {
    f.required = true;
    f
}

fn unique(mut f: FieldDef) -> FieldDef {
    f.unique = true;
    f
}

fn object(key: &str, label: &str, order: i64, fields: Vec<FieldDef>) -> ObjectDef {
    let fields = fields
        .into_iter()
        .enumerate()
        .map(|(i, mut f)| {
            f.order = i as i64;
            f
        })
        .collect();
    ObjectDef {
        id: ObjectId::new(),
        key: key.into(),
        label: label.into(),
        order,
        archived: false,
        fields,
    }
}

/// The objects a new workspace starts with.
pub fn standard_objects() -> Vec<ObjectDef> {
    use FieldKind as K;
    let companies_id = ObjectId::new();
    let people_id = ObjectId::new();
    let mut people = object(
        "people",
        "People",
        0,
        vec![
            required(field("name", "Name", K::Text)),
            unique(field("email", "Email", K::Email)),
            field("phone", "Phone", K::Phone),
            field("job_title", "Job title", K::Text),
            relation("company", "Company", Some(companies_id), false),
            field("city", "City", K::Text),
            field("country", "Country", K::Text),
            field("linkedin", "LinkedIn", K::Url),
            field("birthday", "Birthday", K::Date),
            select(
                "lead_source",
                "Lead source",
                K::Select,
                &[
                    ("Website", "blue"),
                    ("Referral", "green"),
                    ("Event", "purple"),
                    ("Cold outreach", "gray"),
                    ("Partner", "orange"),
                ],
            ),
        ],
    );
    people.id = people_id;
    let mut companies = object(
        "companies",
        "Companies",
        1,
        vec![
            required(field("name", "Name", K::Text)),
            field("domain", "Domain", K::Url),
            select(
                "industry",
                "Industry",
                K::Select,
                &[
                    ("Software", "blue"),
                    ("Manufacturing", "gray"),
                    ("Retail", "orange"),
                    ("Healthcare", "green"),
                    ("Finance", "purple"),
                    ("Logistics", "yellow"),
                ],
            ),
            field("employees", "Employees", K::Number),
            field("annual_revenue", "Annual revenue", K::Currency),
            field("city", "City", K::Text),
            field("country", "Country", K::Text),
        ],
    );
    companies.id = companies_id;
    let deals = object(
        "deals",
        "Deals",
        2,
        vec![
            required(field("name", "Name", K::Text)),
            field("amount", "Amount", K::Currency),
            select(
                "stage",
                "Stage",
                K::Select,
                &[
                    ("Lead", "gray"),
                    ("Qualified", "blue"),
                    ("Proposal", "purple"),
                    ("Negotiation", "orange"),
                    ("Won", "green"),
                    ("Lost", "red"),
                ],
            ),
            field("close_date", "Close date", K::Date),
            field("probability", "Probability", K::Percent),
            relation("company", "Company", Some(companies_id), false),
            relation("contacts", "Contacts", Some(people_id), true),
            field("owner", "Owner", K::Text),
        ],
    );
    let tasks = object(
        "tasks",
        "Tasks",
        3,
        vec![
            required(field("title", "Title", K::Text)),
            field("due", "Due", K::Date),
            field("done", "Done", K::Boolean),
            field("assignee", "Assignee", K::Text),
            select(
                "priority",
                "Priority",
                K::Select,
                &[("Low", "gray"), ("Medium", "yellow"), ("High", "red")],
            ),
            relation("related", "Related to", None, false),
        ],
    );
    let notes = object(
        "notes",
        "Notes",
        4,
        vec![
            field("title", "Title", K::Text),
            required(field("body", "Body", K::LongText)),
            relation("related", "Related to", None, true),
        ],
    );
    vec![people, companies, deals, tasks, notes]
}
