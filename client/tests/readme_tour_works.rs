//! The README's CLI tour works as printed: every command of its "Workspace and schema"
//! and "Records, queries and search" blocks runs, in order, on a new workspace. The
//! example id `01a21b1e` stands for the id the tour's first person got.

use std::path::Path;
use std::process::Command;

const README: &str = include_str!("../../README.md");
const EXAMPLE_ID: &str = "01a21b1e";

/// The lines of the first ```sh block after `heading`, without comments.
fn block(heading: &str) -> Vec<String> {
    let start = README.find(heading).unwrap_or_else(|| panic!("README has {heading}"));
    let rest = &README[start..];
    let open = rest.find("```sh\n").expect("a code block") + "```sh\n".len();
    let close = rest[open..].find("```").expect("the block ends") + open;
    rest[open..close]
        .lines()
        .map(|l| l.split("  #").next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Splits a command line the way a POSIX shell would (quotes, no expansions).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn run(dir: &Path, words: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--workspace")
        .arg(dir.join("ws"))
        .args(&words[1..])
        .current_dir(dir)
        .env_remove("KITH_WORKSPACE")
        .output()
        .expect("kith runs");
    assert!(
        out.status.success(),
        "README command failed: {}\n{}",
        words.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_readme_tour_runs_as_printed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut person: Option<String> = None;
    for heading in ["### Workspace and schema", "### Records, queries and search"] {
        for line in block(heading) {
            let mut words = shell_words(&line);
            assert_eq!(words[0], "kith", "{line}");
            for w in &mut words {
                if w == EXAMPLE_ID {
                    *w = person.clone().expect("a person was added before the id is used");
                }
            }
            let printed = run(tmp.path(), &words);
            if words[1..3] == ["record", "add"] && words[3] == "people" && person.is_none() {
                person = Some(printed.trim().to_string());
            }
        }
    }
    assert!(person.is_some(), "the tour adds a person");
}
