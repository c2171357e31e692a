//! Randomised input for the filter language (`parse_filter`, then resolving against a
//! schema and running the query): random strings, and grammar-shaped inputs built from
//! the language's own words, operators, quotes and parentheses with random damage.
//!
//! The property: nothing panics, and a syntax error names a position inside the input
//! (a character index, as its message says).
//!
//! A bounded number of inputs runs by default; `KITH_FUZZ_ITERATIONS=100000` runs the
//! long campaign recorded in docs/performance.md.

use std::panic::{AssertUnwindSafe, catch_unwind};

use kith_core::{CreateOptions, Error, FieldKind, FieldSpec, ObjectId, Query, Workspace, parse_filter};

fn iterations(default: usize) -> usize {
    std::env::var("KITH_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const FIELDS: [&str; 10] = [
    "name",
    "Name",
    "score",
    "level",
    "tags",
    "when",
    "done",
    "price",
    "\"Full Name\"",
    "nope",
];
const OPS: [&str; 14] = [
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "~",
    "^=",
    "is empty",
    "is not empty",
    "in",
    "contains",
    "is",
    "==",
];
const VALUES: [&str; 22] = [
    "Ada",
    "\"New York\"",
    "'it''s'",
    "\"a\\\"b\"",
    "10000",
    "-3.5",
    "1,000",
    "1e308",
    "99999999999999999999999",
    "2024-02-30",
    "2024-01-01",
    "yes",
    "no",
    "a",
    "red, blue",
    "EUR 12",
    "12 USD",
    "ünïcödé",
    "日本",
    "🙂",
    "",
    "\"",
];
const JOINS: [&str; 6] = [" and ", " or ", " AND ", " ", " and not ", ","];

/// A filter from the grammar's pieces: conditions joined by and/or, with `not` and
/// parentheses (sometimes unbalanced, sometimes nested past the depth limit).
fn grammar_shaped(rng: &mut Rng) -> String {
    let mut out = String::new();
    let conditions = 1 + rng.below(5);
    let mut open = 0usize;
    for i in 0..conditions {
        if i > 0 {
            out.push_str(rng.pick(&JOINS));
        }
        for _ in 0..rng.below(3) {
            out.push_str(if rng.below(2) == 0 { "not " } else { "(" });
            if out.ends_with('(') {
                open += 1;
            }
        }
        if rng.below(40) == 0 {
            // Deeper than any limit.
            out.push_str(&"(".repeat(50 + rng.below(200)));
        }
        out.push_str(rng.pick(&FIELDS));
        out.push(' ');
        out.push_str(rng.pick(&OPS));
        out.push(' ');
        out.push_str(rng.pick(&VALUES));
        if open > 0 && rng.below(2) == 0 {
            out.push(')');
            open -= 1;
        }
    }
    for _ in 0..open {
        if rng.below(4) > 0 {
            out.push(')');
        }
    }
    damage(rng, out)
}

/// Inserts, removes or replaces a few characters, now and then.
fn damage(rng: &mut Rng, text: String) -> String {
    if rng.below(3) > 0 {
        return text;
    }
    let mut chars: Vec<char> = text.chars().collect();
    const NOISE: [char; 12] = ['(', ')', '"', '\'', '\\', ',', '=', '!', '<', '\u{0}', 'é', '\u{202e}'];
    for _ in 0..=rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 => chars.insert(at, NOISE[rng.below(NOISE.len())]),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            _ if at < chars.len() => chars[at] = NOISE[rng.below(NOISE.len())],
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Random characters: ASCII punctuation-heavy, with some multi-byte ones.
fn random_string(rng: &mut Rng) -> String {
    const ALPHABET: &str = "ab =!<>~^(),\"'\\-.0123456789 isnotemptyandor\té日🙂\u{0}\n";
    let alphabet: Vec<char> = ALPHABET.chars().collect();
    let len = rng.below(60);
    (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect()
}

fn workspace() -> (Workspace, ObjectId) {
    let mut ws = Workspace::in_memory(CreateOptions {
        user: "fuzz".into(),
        standard_objects: false,
    })
    .expect("workspace");
    let object = ws.add_object("items", "Items").expect("object");
    let specs = [
        FieldSpec::new("name", "Full Name", FieldKind::Text),
        FieldSpec::new("score", "Score", FieldKind::Number),
        FieldSpec {
            options: vec!["a".into(), "b".into()],
            ..FieldSpec::new("level", "Level", FieldKind::Select)
        },
        FieldSpec {
            options: vec!["red".into(), "blue".into()],
            ..FieldSpec::new("tags", "Tags", FieldKind::MultiSelect)
        },
        FieldSpec::new("when", "When", FieldKind::Date),
        FieldSpec::new("done", "Done", FieldKind::Boolean),
        FieldSpec::new("price", "Price", FieldKind::Currency),
    ];
    for spec in specs {
        ws.add_field(object, spec).expect("field");
    }
    for (name, score) in [("Ada", "3"), ("Grace", "-1"), ("日本", "1000")] {
        let values = ws
            .parse_values(object, &[("name".into(), name.into()), ("score".into(), score.into())])
            .expect("values");
        ws.create_record(object, values).expect("record");
    }
    (ws, object)
}

/// Parses, resolves and runs `input`; panics with the input if any step panics or a
/// syntax error points outside it.
fn check(ws: &Workspace, object: ObjectId, input: &str) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if let Err(e) = parse_filter(input) {
            syntax_position_is_inside(input, &Error::Query(e));
        }
        match ws.parse_filter(object, input) {
            Ok(filter) => {
                let mut query = Query::new(object);
                query.filter = Some(filter.clone());
                query.limit = 5;
                let page = ws.query(&query);
                let count = ws.count(object, Some(&filter));
                if let (Ok(page), Ok(count)) = (page, count) {
                    assert!(page.ids.len() as u64 <= count, "{input:?}");
                }
            }
            Err(e) => syntax_position_is_inside(input, &e),
        }
    }));
    assert!(outcome.is_ok(), "the filter {input:?} panicked");
}

fn syntax_position_is_inside(input: &str, e: &Error) {
    if let Error::Query(kith_core::QueryError::Syntax { position, .. }) = e
        && input.len() <= 16 * 1024
    {
        assert!(
            *position <= input.chars().count(),
            "{input:?}: position {position} is past the end ({e})"
        );
    }
}

#[test]
fn grammar_shaped_and_random_filters_never_panic_and_errors_point_inside_the_input() {
    let (ws, object) = workspace();
    let mut rng = Rng(0x05EE_DF11_7E55);
    let n = iterations(3_000);
    for i in 0..n {
        let input = if i % 2 == 0 {
            grammar_shaped(&mut rng)
        } else {
            random_string(&mut rng)
        };
        check(&ws, object, &input);
    }
}

#[test]
fn a_syntax_error_after_multibyte_text_counts_characters() {
    let Err(e) = parse_filter("日本 = )") else {
        panic!("parsed")
    };
    let kith_core::QueryError::Syntax { position, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(position, 5, "characters, not bytes");
}
