//! `kith demo`: a workspace full of sample data, and a tour whose commands work.

use std::path::Path;
use std::process::{Command, Output};

use kith_core::{Query, Workspace};

fn kith(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(args)
        .current_dir(dir)
        // Keep the real per-user directories out of it.
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("HOME", dir)
        .env_remove("KITH_WORKSPACE")
        .output()
        .expect("kith runs")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = kith(dir, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kith {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Splits a command line the way a POSIX shell would (quotes, no expansions).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn count(ws: &Workspace, object: &str, filter: &str) -> u64 {
    let id = ws.object_named(object).expect("object").id;
    let f = ws.parse_filter(id, filter).expect("filter");
    ws.count(id, Some(&f)).expect("count")
}

#[test]
fn demo_fills_a_new_workspace_and_every_command_of_the_tour_works() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let ws_dir = dir.join("my demo");
    let shown = ok(
        dir,
        &["demo", "--no-serve", "--workspace", &ws_dir.display().to_string()],
    );
    assert!(shown.contains("Created a demo workspace"), "{shown}");

    {
        let ws = Workspace::open(&ws_dir).expect("the demo workspace opens");
        for (object, n) in [
            ("companies", 40),
            ("people", 200),
            ("deals", 60),
            ("tasks", 80),
            ("notes", 40),
        ] {
            let id = ws.object_named(object).expect("object").id;
            assert_eq!(ws.count_all(id).expect("count"), n, "{object}");
        }
        for stage in ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"] {
            assert!(
                count(&ws, "deals", &format!("stage = {stage}")) > 0,
                "no deal in stage {stage}"
            );
        }
        assert!(count(&ws, "people", "company is not empty") > 100);
        assert_eq!(count(&ws, "deals", "company is empty"), 0);
        assert_eq!(count(&ws, "tasks", "related is empty"), 0);
        let deals = ws.object_named("deals").expect("deals").id;
        assert_eq!(ws.query(&Query::new(deals)).expect("query").ids.len(), 50);
    }

    // The tour: every command runs as printed, and the lists are not empty.
    let commands: Vec<Vec<String>> = shown
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("kith "))
        .map(shell_words)
        .collect();
    assert!((6..=10).contains(&commands.len()), "{shown}");
    for words in &commands {
        assert_eq!(
            words[1..3],
            ["--workspace".to_string(), ws_dir.display().to_string()],
            "{words:?}"
        );
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let out = ok(dir, &args);
        if words.iter().any(|w| w == "list" || w == "search" || w == "get") {
            assert!(out.lines().count() >= 2, "kith {args:?} printed nothing:\n{out}");
        }
    }
    assert!(dir.join("people.csv").exists());

    // An existing workspace is never filled again.
    let again = kith(
        dir,
        &["demo", "--no-serve", "--workspace", &ws_dir.display().to_string()],
    );
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn without_workspace_demo_replaces_its_own_directory_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let json = ok(dir, &["demo", "--json", "--seed", "3"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let demo_dir = dir.join("data").join("kith").join("demo");
    assert_eq!(v["path"], demo_dir.display().to_string());
    assert_eq!(v["records"]["deals"], 60);
    assert!(v["try"].as_array().is_some_and(|t| t.len() >= 6), "{json}");

    // Run again: the previous demo is replaced, not added to.
    ok(dir, &["demo", "--no-serve"]);
    let ws = Workspace::open(&demo_dir).expect("demo workspace");
    let people = ws.object_named("people").expect("people").id;
    assert_eq!(ws.count_all(people).expect("count"), 200);
    // The user's default workspace is left alone.
    assert!(!dir.join("data").join("kith").join("default").exists());
}

#[test]
fn the_printed_export_line_points_bare_commands_at_the_demo() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let shown = ok(dir, &["demo", "--no-serve"]);
    let line = shown
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("export KITH_WORKSPACE="))
        .unwrap_or_else(|| panic!("no export line: {shown}"));
    let path = shell_words(line).pop().expect("a path");
    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(["record", "list", "deals", "--count"])
        .current_dir(dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("HOME", dir)
        .env("KITH_WORKSPACE", &path)
        .output()
        .expect("kith runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("60"));
}
