//! The formula language, by example: one table of formulas with the value, evaluation
//! error or compile error each gives for one record, plus the cases a table cannot show.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::schema::{FieldDef, FieldKind, ObjectDef, Schema, SelectOption};
use crate::time_fmt::{format_date, format_datetime, parse_date, parse_datetime};
use crate::{Money, ObjectId, OptionId, RecordId, Value};

struct Fixture {
    schema: Schema,
    deals: usize,
}

impl Fixture {
    fn deals(&self) -> &ObjectDef {
        &self.schema.objects[self.deals]
    }

    fn id(&self, key: &str) -> FieldId {
        self.deals().find_field(key).expect(key).id
    }
}

fn option(label: &str) -> SelectOption {
    SelectOption {
        id: OptionId::new(),
        label: label.into(),
        color: "gray".into(),
        order: 0,
        archived: false,
    }
}

fn fixture() -> Fixture {
    let f = FieldDef::new;
    let companies = ObjectDef {
        id: ObjectId::new(),
        key: "companies".into(),
        label: "Companies".into(),
        order: 0,
        archived: false,
        fields: vec![
            f("name", "Name", FieldKind::Text),
            f("industry", "Industry", FieldKind::Text),
            f("size", "Size", FieldKind::Number),
            f("founded", "Founded", FieldKind::Date),
        ],
    };
    let currency = |key: &str, label: &str, code: &str| {
        let mut field = f(key, label, FieldKind::Currency);
        field.currency = code.into();
        field
    };
    let mut fields = vec![
        f("name", "Name", FieldKind::Text),
        currency("amount", "Amount", "EUR"),
        currency("fee", "Fee", "EUR"),
        currency("usd_amount", "Amount in dollars", "USD"),
        currency("discount", "Discount", "EUR"),
        f("probability", "Probability", FieldKind::Percent),
        f("quantity", "Quantity", FieldKind::Number),
        f("count", "Count", FieldKind::Number),
        f("close_date", "Close date", FieldKind::Date),
        f("due", "Due", FieldKind::Date),
        f("created", "Created", FieldKind::Datetime),
        f("done", "Done", FieldKind::Boolean),
        f("notes", "Notes", FieldKind::LongText),
        f("title", "Título ünïcode", FieldKind::Text),
    ];
    let mut stage = f("stage", "Stage", FieldKind::Select);
    stage.options = vec![option("Lead"), option("Won"), option("Lost")];
    let mut tags = f("tags", "Tags", FieldKind::MultiSelect);
    tags.options = vec![option("red"), option("blue")];
    let mut company = f("company", "Company", FieldKind::Relation);
    company.target = Some(companies.id);
    let mut contacts = f("contacts", "Contacts", FieldKind::Relation);
    contacts.target = Some(companies.id);
    contacts.many = true;
    let anything = f("anything", "Anything", FieldKind::Relation);
    fields.extend([stage, tags, company, contacts, anything]);
    let deals = ObjectDef {
        id: ObjectId::new(),
        key: "deals".into(),
        label: "Deals".into(),
        order: 1,
        archived: false,
        fields,
    };
    Fixture {
        schema: Schema {
            objects: vec![companies, deals],
            ..Schema::default()
        },
        deals: 1,
    }
}

struct Env {
    values: HashMap<FieldId, Value>,
    lookups: HashMap<(FieldId, FieldId), Value>,
    today: i32,
}

impl FormulaEnv for Env {
    fn value(&self, field: FieldId) -> Option<Value> {
        self.values.get(&field).cloned()
    }
    fn lookup(&self, relation: FieldId, target: FieldId) -> Option<Value> {
        self.lookups.get(&(relation, target)).cloned()
    }
    fn today(&self) -> i32 {
        self.today
    }
    fn now(&self) -> i64 {
        parse_datetime("2024-03-15T12:30:00Z").expect("now")
    }
}

fn money(text: &str) -> Value {
    Value::Currency(text.parse::<Money>().expect("money"))
}

/// The record every table row is evaluated for.
fn record(fx: &Fixture) -> Env {
    let deals = fx.deals();
    let stage = deals.find_field("stage").expect("stage");
    let tags = deals.find_field("tags").expect("tags");
    let companies = &fx.schema.objects[0];
    let date = |s: &str| Value::Date(parse_date(s).expect("date"));
    let values = HashMap::from([
        (fx.id("name"), Value::Text("Acme renewal".into())),
        (fx.id("amount"), money("1000.10 EUR")),
        (fx.id("fee"), money("0.20 EUR")),
        (fx.id("usd_amount"), money("5 USD")),
        (fx.id("probability"), Value::Number(25.0)),
        (fx.id("quantity"), Value::Number(3.0)),
        (fx.id("close_date"), date("2024-02-29")),
        (
            fx.id("created"),
            Value::DateTime(parse_datetime("2024-01-31T10:00:00Z").expect("dt")),
        ),
        (fx.id("done"), Value::Bool(true)),
        (fx.id("notes"), Value::Text("  ".into())),
        (fx.id("title"), Value::Text("Ærøskøbing – straße".into())),
        (fx.id("stage"), Value::Option(stage.options[1].id)),
        (
            fx.id("tags"),
            Value::Options(vec![tags.options[0].id, tags.options[1].id]),
        ),
        (fx.id("company"), Value::Records(vec![RecordId::new()])),
        (fx.id("contacts"), Value::Records(vec![])),
    ]);
    let lookups = HashMap::from([
        (
            (fx.id("company"), companies.find_field("industry").expect("i").id),
            Value::Text("Software".into()),
        ),
        (
            (fx.id("company"), companies.find_field("size").expect("s").id),
            Value::Number(50.0),
        ),
    ]);
    Env {
        values,
        lookups,
        today: parse_date("2024-03-15").expect("today"),
    }
}

fn render(value: Option<Value>) -> String {
    match value {
        None => "<empty>".into(),
        Some(Value::Text(s)) => s,
        Some(Value::Number(n)) => crate::format_number(n),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Date(d)) => format_date(d),
        Some(Value::DateTime(ms)) => format_datetime(ms),
        Some(Value::Currency(m)) => format!("{} {}", m.amount, m.code),
        Some(other) => format!("{other:?}"),
    }
}

enum Want {
    /// The value, rendered.
    Is(&'static str),
    /// Evaluation fails with a message containing this.
    EvalErr(&'static str),
    /// Compiling fails with a message containing this (position included).
    Refused(&'static str),
}

use Want::*;

const TABLE: &[(&str, Want)] = &[
    // Arithmetic and precedence.
    ("1 + 2 * 3", Is("7")),
    ("(1 + 2) * 3", Is("9")),
    ("10 - 4 - 3", Is("3")),
    ("7 % 3", Is("1")),
    ("-quantity * 2", Is("-6")),
    ("2 * -quantity", Is("-6")),
    ("1 / 4", Is("0.25")),
    ("1.5e3 + 1", Is("1501")),
    ("quantity / 0", EvalErr("division by zero")),
    ("quantity % 0", EvalErr("division by zero")),
    ("quantity / (quantity - 3)", EvalErr("division by zero")),
    ("if(quantity = 3, 0, 1 / 0)", Is("0")),
    ("1e308 * 10", EvalErr("too large")),
    // Percent reads as the number.
    ("probability", Is("25")),
    ("probability / 100 * quantity", Is("0.75")),
    // Currency: exact, same code, multiplied by numbers.
    ("amount + fee", Is("1000.30 EUR")),
    ("amount - fee", Is("999.90 EUR")),
    ("amount * 3", Is("3000.30 EUR")),
    ("amount * 0.1", Is("100.010 EUR")),
    ("3 * fee", Is("0.60 EUR")),
    ("amount / 4", Is("250.025 EUR")),
    ("amount / fee", Is("5000.5")),
    ("amount / 0", EvalErr("division by zero")),
    ("amount + usd_amount", EvalErr("cannot add amounts in EUR and USD")),
    ("amount > usd_amount", EvalErr("cannot compare amounts in EUR and USD")),
    ("amount + 0.1", Is("1000.20 EUR")),
    ("round(amount * 0.1, 2)", Is("100.01 EUR")),
    ("round(fee * 0.125, 2)", Is("0.03 EUR")),
    ("floor(amount)", Is("1000 EUR")),
    ("abs(-fee)", Is("0.20 EUR")),
    ("amount > 1000", Is("true")),
    ("max(amount, fee)", Is("1000.10 EUR")),
    ("amount + discount", Is("1000.10 EUR")),
    ("discount - fee", Is("-0.20 EUR")),
    ("discount * 2", Is("<empty>")),
    ("amount & \"\"", Is("1000.10 EUR")),
    // Comparisons and logic.
    ("quantity >= 3 and quantity < 4", Is("true")),
    ("quantity = 2 or not done", Is("false")),
    ("not quantity = 3", Is("false")),
    ("stage = \"Won\"", Is("true")),
    ("stage = \"won\"", Is("true")),
    ("stage != \"Won\" or not is_empty(close_date)", Is("true")),
    ("and(done, quantity > 1, true)", Is("true")),
    ("or(false, count > 1)", Is("false")),
    ("not(done)", Is("false")),
    ("count = count", Is("true")),
    ("count > 0", Is("false")),
    ("count != 1", Is("true")),
    ("name < \"B\"", Is("true")),
    ("done = true", Is("true")),
    (
        "name = 3",
        Refused("line 1, column 6: cannot compare text with a number"),
    ),
    ("quantity > 1 > 0", Refused("comparisons do not chain")),
    ("done < false", Refused("cannot compare")),
    ("quantity and done", Refused("and needs a yes/no value, not a number")),
    // if.
    ("if(done, \"yes\", \"no\")", Is("yes")),
    ("if(count > 1, \"many\")", Is("<empty>")),
    (
        "if(done, 1, \"one\")",
        Refused("the branches of if(…) must be of one type"),
    ),
    (
        "if(quantity, 1, 2)",
        Refused("the condition of if(…) needs a yes/no value"),
    ),
    ("if(done, probability, 2)", Is("25")),
    // Text.
    ("name & \" (\" & quantity & \")\"", Is("Acme renewal (3)")),
    (
        "concat(name, \" / \", stage, \" / \", tags)",
        Is("Acme renewal / Won / red, blue"),
    ),
    ("upper(title)", Is("ÆRØSKØBING – STRASSE")),
    ("lower(\"ÀÉÎ\")", Is("àéî")),
    ("len(title)", Is("19")),
    ("left(title, 4)", Is("Ærøs")),
    ("right(title, 6)", Is("straße")),
    ("mid(name, 6, 3)", Is("ren")),
    ("left(name, -1)", Is("<empty>")),
    ("trim(\"  a b  \")", Is("a b")),
    ("contains(name, \"RENEW\")", Is("true")),
    ("starts_with(name, \"acme\")", Is("true")),
    ("ends_with(name, \"x\")", Is("false")),
    ("replace(name, \"renewal\", \"upsell\")", Is("Acme upsell")),
    ("name + \"x\"", Refused("join text with &")),
    ("upper(quantity)", Refused("upper(…) needs text, not a number")),
    ("text(amount)", Is("1000.10 EUR")),
    ("text(close_date)", Is("2024-02-29")),
    ("number(\"12.5\") * 2", Is("25")),
    ("number(\"abc\")", EvalErr("'abc' is not a number")),
    ("'it''s'", Refused("expected an operator")),
    ("\"say \\\"hi\\\"\"", Is("say \"hi\"")),
    // Empty values.
    ("is_empty(notes)", Is("true")),
    ("is_empty(name)", Is("false")),
    ("is_empty(contacts)", Is("true")),
    ("is_empty(company)", Is("false")),
    ("coalesce(notes, name)", Is("Acme renewal")),
    ("coalesce(count, quantity, 1)", Is("3")),
    ("count * 2", Is("<empty>")),
    ("count + 2", Is("2")),
    ("upper(notes)", Is("<empty>")),
    ("len(notes)", Is("0")),
    ("notes & \"!\"", Is("!")),
    ("due + 1", Is("<empty>")),
    ("min(count, 4, quantity)", Is("3")),
    // Dates.
    ("close_date + 1", Is("2024-03-01")),
    ("close_date - 29", Is("2024-01-31")),
    ("today() - close_date", Is("15")),
    ("today()", Is("2024-03-15")),
    ("now()", Is("2024-03-15T12:30:00Z")),
    ("date_diff(created, close_date)", Is("29")),
    ("date_diff(created, close_date, \"months\")", Is("0")),
    (
        "date_diff(date(\"2023-01-31\"), date(\"2024-02-29\"), \"months\")",
        Is("12"),
    ),
    ("date_diff(date(\"2020-02-29\"), close_date, \"years\")", Is("4")),
    ("date_diff(close_date, date(\"2020-02-29\"), \"years\")", Is("-4")),
    ("date_diff(close_date, due)", Is("<empty>")),
    ("date_add(created, 1, \"month\")", Is("2024-02-29T10:00:00Z")),
    ("date_add(date(\"2023-01-31\"), 1, \"months\")", Is("2023-02-28")),
    ("date_add(close_date, 1, \"year\")", Is("2025-02-28")),
    ("date_add(close_date, -2, \"weeks\")", Is("2024-02-15")),
    (
        "date_add(close_date, 1, \"fortnight\")",
        Refused("the unit of date_add(…)"),
    ),
    ("year(close_date) * 100 + month(close_date)", Is("202402")),
    ("day(close_date)", Is("29")),
    ("weekday(close_date)", Is("4")),
    ("weekday(date(1970, 1, 1))", Is("4")),
    ("date(2023, 2, 29)", EvalErr("2023-02-29 is not a date")),
    ("date(\"soon\")", EvalErr("'soon' is not a date")),
    ("close_date < today()", Is("true")),
    ("created < close_date", Is("true")),
    ("close_date + close_date", Refused("cannot add a date and a date")),
    ("close_date - 1e15", EvalErr("out of range")),
    ("[Close date] = close_date", Is("true")),
    // Lookups through a single relation.
    ("company.industry", Is("Software")),
    ("company.size * 2", Is("100")),
    ("is_empty(company.founded)", Is("true")),
    ("company.[Industry] & \"!\"", Is("Software!")),
    (
        "contacts.name",
        Refused("links many records: a lookup reads one; use a rollup"),
    ),
    ("anything.name", Refused("can link to any object")),
    ("name.first", Refused("name is not a relation")),
    ("company.nope", Refused("companies has no field nope")),
    ("company.industry.name", Refused("lookups go one relation deep")),
    ("company", Refused("a formula cannot give a relation")),
    // Names and functions.
    ("[Amount in dollars]", Is("5 USD")),
    ("[Título ünïcode]", Is("Ærøskøbing – straße")),
    ("amont * 2", Refused("line 1, column 1: deals has no field amont")),
    ("today", Refused("to call the function, write today(…)")),
    ("frobnicate(1)", Refused("unknown function frobnicate")),
    ("round()", Refused("round(…) takes 1 to 2 arguments, not 0")),
    ("upper(\"a\", \"b\")", Refused("upper(…) takes 1 argument, not 2")),
    // Syntax errors say where.
    ("(quantity + 1", Refused("line 1, column 14: expected ')'")),
    ("quantity +", Refused("line 1, column 11: expected a value")),
    ("quantity 2", Refused("line 1, column 10: expected an operator")),
    ("quantity + 1)", Refused("line 1, column 13: unexpected ')'")),
    ("\"open", Refused("line 1, column 1: unclosed text")),
    ("[Close date", Refused("unclosed field name")),
    ("quantity $ 2", Refused("line 1, column 10: unexpected character '$'")),
    ("quantity +\n  * 2", Refused("line 2, column 3: expected a value")),
    ("", Refused("empty formula")),
    ("   ", Refused("empty formula")),
    ("{f:nope}", Refused("is not a field reference")),
    ("and", Refused("expected a value before 'and'")),
    ("f(,)", Refused("expected a value before ','")),
];

#[test]
fn every_formula_in_the_table_gives_its_value_or_error() {
    let fx = fixture();
    let env = record(&fx);
    let mut failures = Vec::new();
    for (source, want) in TABLE {
        let compiled = compile(source, fx.deals(), &fx.schema);
        let got = match &compiled {
            Err(e) => format!("refused: {e}"),
            Ok(f) => match f.eval(&env) {
                Ok(v) => render(v),
                Err(e) => format!("eval error: {e}"),
            },
        };
        let ok = match want {
            Is(v) => got == *v,
            EvalErr(m) => got.starts_with("eval error") && got.contains(m),
            Refused(m) => got.starts_with("refused") && got.contains(m),
        };
        if !ok {
            let wanted = match want {
                Is(v) => format!("value {v}"),
                EvalErr(m) => format!("eval error containing {m:?}"),
                Refused(m) => format!("refusal containing {m:?}"),
            };
            failures.push(format!("{source:?}: got {got:?}, wanted {wanted}"));
        }
    }
    assert!(TABLE.len() >= 80, "the table has {} cases", TABLE.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_formula_that_compiles_reads_back_the_same_from_its_stored_and_displayed_forms() {
    let fx = fixture();
    let env = record(&fx);
    for (source, _) in TABLE {
        let Ok(formula) = compile(source, fx.deals(), &fx.schema) else {
            continue;
        };
        let stored = formula.stored();
        let again = Formula::from_stored(&stored, fx.deals(), &fx.schema).expect(&stored);
        assert_eq!(again, formula, "{source} → {stored}");
        let shown = formula.display(fx.deals(), &fx.schema);
        let reread = compile(&shown, fx.deals(), &fx.schema).expect(&shown);
        assert_eq!(reread.stored(), stored, "{source} → {shown}");
        assert_eq!(
            reread.eval(&env).map(render),
            formula.eval(&env).map(render),
            "{source}"
        );
    }
}

#[test]
fn a_renamed_field_keeps_working_through_the_stored_form() {
    let mut fx = fixture();
    let formula = compile("[Close date] - today() + quantity", fx.deals(), &fx.schema).expect("compiles");
    let stored = formula.stored();
    let env = record(&fx);
    assert!(stored.contains(&format!("{{f:{}}}", fx.id("close_date"))), "{stored}");
    assert!(
        !stored.contains("Close date") && !stored.contains("quantity"),
        "{stored}"
    );

    let deals = fx.deals;
    for field in &mut fx.schema.objects[deals].fields {
        if field.key == "close_date" {
            field.key = "expected_close".into();
            field.label = "Expected close".into();
        }
        if field.key == "quantity" {
            field.key = "units".into();
            field.label = "Units".into();
        }
    }
    let again = Formula::from_stored(&stored, fx.deals(), &fx.schema).expect("still compiles");
    assert_eq!(
        again.display(fx.deals(), &fx.schema),
        "[Expected close] - today() + units"
    );
    assert_eq!(render(again.eval(&env).expect("evaluates")), "-12");
    // The old name no longer resolves.
    let old = compile("[Close date] - today()", fx.deals(), &fx.schema).unwrap_err();
    assert!(old.message.contains("no field [Close date]"), "{old}");
}

#[test]
fn a_retyped_field_makes_the_stored_form_fail_type_checking_with_a_clear_error() {
    let mut fx = fixture();
    let stored = compile("quantity * 2", fx.deals(), &fx.schema)
        .expect("compiles")
        .stored();
    let deals = fx.deals;
    for field in &mut fx.schema.objects[deals].fields {
        if field.key == "quantity" {
            field.kind = FieldKind::Text;
        }
    }
    let err = Formula::from_stored(&stored, fx.deals(), &fx.schema).unwrap_err();
    assert!(err.message.contains("cannot multiply text and a number"), "{err}");
}

#[test]
fn a_formula_reports_the_fields_it_reads_the_lookups_it_makes_and_whether_it_uses_today() {
    let fx = fixture();
    let companies = &fx.schema.objects[0];
    let formula = compile(
        "if(done, company.industry, name) & text(today()) & name",
        fx.deals(),
        &fx.schema,
    )
    .expect("compiles");
    assert_eq!(formula.fields_read(), &[fx.id("done"), fx.id("name")]);
    assert_eq!(
        formula.lookups(),
        &[(fx.id("company"), companies.find_field("industry").expect("industry").id)]
    );
    assert!(formula.uses_today());
    assert_eq!(formula.result_type(), FormulaType::Text);
    let plain = compile("amount * 2", fx.deals(), &fx.schema).expect("compiles");
    assert!(!plain.uses_today());
    assert_eq!(plain.result_type(), FormulaType::Currency);
    assert_eq!(
        compile("probability", fx.deals(), &fx.schema).expect("c").result_type(),
        FormulaType::Percent
    );
}

#[test]
fn a_boolean_formula_holds_or_not_and_an_empty_result_does_not_hold() {
    let fx = fixture();
    let env = record(&fx);
    let holds = |s: &str| compile(s, fx.deals(), &fx.schema).expect(s).holds(&env).expect(s);
    assert!(holds("stage != \"Won\" or not is_empty(close_date)"));
    assert!(!holds("stage = \"Won\" and is_empty(close_date)"));
    assert!(!holds("if(false, true)"));
}

#[test]
fn nesting_is_limited_so_no_input_overflows_the_stack() {
    let fx = fixture();
    let nested = |depth: usize| format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    assert!(compile(&nested(MAX_DEPTH), fx.deals(), &fx.schema).is_ok());
    let err = compile(&nested(MAX_DEPTH + 1), fx.deals(), &fx.schema).unwrap_err();
    assert!(err.message.contains("nested too deeply"), "{err}");
    let calls = format!("{}1{}", "abs(".repeat(100), ")".repeat(100));
    assert!(compile(&calls, fx.deals(), &fx.schema).is_err());
    let negations = format!("{}1", "-".repeat(5000));
    assert!(compile(&negations, fx.deals(), &fx.schema).is_err());
    let chain = vec!["1"; MAX_OPERATORS + 2].join("+");
    let err = compile(&chain, fx.deals(), &fx.schema).unwrap_err();
    assert!(err.message.contains("too long"), "{err}");
    let long_chain_ok = vec!["1"; MAX_OPERATORS].join("+");
    let formula = compile(&long_chain_ok, fx.deals(), &fx.schema).expect("a long sum");
    assert_eq!(
        render(formula.eval(&record(&fx)).expect("eval")),
        MAX_OPERATORS.to_string()
    );
    // The deepest tree the limits allow: a long chain inside the deepest nesting.
    let deepest = format!(
        "{}{}{}",
        "(".repeat(MAX_DEPTH - 1),
        long_chain_ok,
        ")".repeat(MAX_DEPTH - 1)
    );
    let formula = compile(&deepest, fx.deals(), &fx.schema).expect("deep");
    assert_eq!(formula.stored(), long_chain_ok.replace('+', " + "));
    let huge = format!("\"{}\"", "x".repeat(MAX_LEN));
    assert!(
        compile(&huge, fx.deals(), &fx.schema)
            .unwrap_err()
            .message
            .contains("too long")
    );
}

#[test]
fn a_hundred_amounts_sum_exactly() {
    let fx = fixture();
    let source = vec!["fee"; 100].join(" + ");
    let formula = compile(&source, fx.deals(), &fx.schema).expect("compiles");
    assert_eq!(render(formula.eval(&record(&fx)).expect("eval")), "20.00 EUR");
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("(".to_string()),
        Just(")".to_string()),
        Just(",".to_string()),
        Just(".".to_string()),
        Just(" ".to_string()),
        Just("\"".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{f:".to_string()),
        Just("}".to_string()),
        prop::sample::select(vec![
            "+", "-", "*", "/", "%", "&", "=", "!=", "<", "<=", ">", ">=", "and", "or", "not",
        ])
        .prop_map(str::to_string),
        prop::sample::select(vec![
            "amount",
            "fee",
            "quantity",
            "name",
            "stage",
            "close_date",
            "company",
            "contacts",
            "done",
            "[Close date]",
            "company.industry",
            "count",
            "notes",
            "usd_amount",
            "probability",
            "created",
        ])
        .prop_map(str::to_string),
        prop::sample::select(super::functions::FUNCTIONS.iter().map(|f| f.1).collect::<Vec<_>>())
            .prop_map(str::to_string),
        "[0-9]{1,4}(\\.[0-9]{1,3})?",
        "\"[a-zé ]{0,5}\"",
        "\\PC{1,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_input_never_panics(tokens in prop::collection::vec(token(), 0..40)) {
        let fx = fixture();
        let source = tokens.join("");
        if let Ok(formula) = compile(&source, fx.deals(), &fx.schema) {
            let _ = formula.eval(&record(&fx));
            let shown = formula.display(fx.deals(), &fx.schema);
            let again = compile(&shown, fx.deals(), &fx.schema);
            prop_assert!(again.is_ok(), "{} → {}", source, shown);
            prop_assert_eq!(again.map(|f| f.stored()).ok(), Some(formula.stored()));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,60}") {
        let fx = fixture();
        let _ = compile(&source, fx.deals(), &fx.schema);
    }
}
