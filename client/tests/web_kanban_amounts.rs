//! The kanban board shows amounts, on its cards and in its column sums, with thousands
//! separators in the workspace's number format.

mod web_support;

use kith_core::NumberFormat;
use web_support::{TestServer, add, workspace};

/// The text of the first element of `class` whose opening tag is in `body`.
fn texts_of<'a>(body: &'a str, class: &str) -> Vec<&'a str> {
    let open = format!("class=\"{class}\">");
    body.match_indices(&open)
        .map(|(at, _)| {
            let start = at + open.len();
            &body[start..start + body[start..].find('<').unwrap_or(0)]
        })
        .collect()
}

#[test]
fn cards_and_sums_group_thousands_in_the_default_format() {
    let (_dir, mut ws) = workspace();
    add(
        &mut ws,
        "deals",
        &[("name", "Orion"), ("stage", "Won"), ("amount", "200000 EUR")],
    );
    add(
        &mut ws,
        "deals",
        &[("name", "Kite"), ("stage", "Won"), ("amount", "47000 EUR")],
    );
    let server = TestServer::start(ws);
    let board = server.get("/o/deals/board").body;
    assert_eq!(texts_of(&board, "sum"), ["247,000.00 EUR"], "{board}");
    let mut details = texts_of(&board, "detail");
    details.sort();
    assert_eq!(details, ["200,000.00 EUR", "47,000.00 EUR"], "{board}");
}

#[test]
fn cards_and_sums_follow_a_decimal_comma_workspace() {
    let (_dir, mut ws) = workspace();
    ws.set_number_format(NumberFormat::DECIMAL_COMMA)
        .expect("the format is set");
    add(
        &mut ws,
        "deals",
        &[("name", "Orion"), ("stage", "Won"), ("amount", "200.000,50 EUR")],
    );
    add(
        &mut ws,
        "deals",
        &[("name", "Kite"), ("stage", "Won"), ("amount", "1234567 EUR")],
    );
    let server = TestServer::start(ws);
    let board = server.get("/o/deals/board").body;
    assert_eq!(texts_of(&board, "sum"), ["1.434.567,50 EUR"], "{board}");
    let mut details = texts_of(&board, "detail");
    details.sort();
    assert_eq!(details, ["1.234.567,00 EUR", "200.000,50 EUR"], "{board}");
    // What the board shows types back as the same amount in this workspace.
    assert_eq!(
        NumberFormat::DECIMAL_COMMA
            .canonical("1.434.567,50")
            .expect("reads back"),
        "1434567.50"
    );
}
