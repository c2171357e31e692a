//! When a command fails, `kith` prints one `error: ` line and exits non-zero; it never
//! panics or prints a backtrace.

mod support;

use support::{Kith, assert_one_line_error, path_str};

#[test]
fn a_value_of_the_wrong_type_names_the_field_the_value_and_the_rule() {
    let kith = Kith::init();
    let err = kith.fails(&["record", "add", "people", "name=Ada", "email=x"]);
    assert_eq!(
        err.trim(),
        "error: people.email: 'x' breaks rule 'type': 'x' is not an email address"
    );
}

#[test]
fn a_missing_workspace_says_how_to_make_one() {
    let kith = Kith::empty();
    let err = kith.fails(&["record", "list", "people"]);
    assert!(err.contains("kith init"), "{err}");
}

#[test]
fn creating_a_workspace_twice_is_an_error() {
    let kith = Kith::init();
    let err = kith.fails(&["init"]);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn unknown_names_ids_and_bad_expressions_are_one_line_errors() {
    let kith = Kith::init();
    for args in [
        &["record", "list", "nonsense"][..],
        &["record", "list", "people", "--filter", "name = "],
        &["record", "list", "people", "--filter", "shoe_size > 3"],
        &["record", "list", "people", "--sort", "nope"],
        &["record", "list", "people", "--after", "zz"],
        &["record", "get", "0123"],
        &["record", "get", "0123456789abcdef0123456789abcdef0123"],
        &["record", "get", "not-an-id"],
        &["record", "add", "people", "name"],
        &["field", "add", "people", "Bad Key", "--type", "text"],
        &["field", "set", "people", "name", "--required", "maybe"],
        &["field", "reorder", "people", "name", "0"],
        &["option", "color", "people", "lead_source", "Website", "mauve"],
        &["import", "/no/such/file.csv", "--object", "people"],
        &["import", "-", "--object", "people", "--map", "nocolumn"],
        &["export", "--object", "people", "--format", "xml"],
        &["record", "frobnicate"],
    ] {
        let out = kith.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert_one_line_error(&String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn a_file_that_is_not_csv_of_fields_is_a_one_line_error() {
    let kith = Kith::init();
    let empty = kith.write("empty.csv", b"");
    assert!(
        kith.fails(&["import", path_str(&empty), "--object", "people"])
            .contains("empty")
    );
    let unknown = kith.write("unknown.csv", b"name,shoe size\nAda,38\n");
    assert!(
        kith.fails(&["import", path_str(&unknown), "--object", "people"])
            .contains("'shoe size'")
    );
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let kith = Kith::init();
    for i in 0..30 {
        kith.ok(&["record", "add", "people", &format!("name=Person {i}")]);
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kith"))
        .args([
            "--workspace",
            path_str(&kith.workspace()),
            "export",
            "--object",
            "people",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kith runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("kith finishes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
