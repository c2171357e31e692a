//! The README's CLI tour works as printed: every command of its "Workspace and schema",
//! "Records, queries and search" and "Undo anything" blocks runs, in order, on a new
//! workspace. The README's example ids and times stand for what earlier commands printed,
//! as it says: `01a21b1e` for the id the tour's first person got, `3f9c2a7d1e04` for a
//! change `kith history` lists, `5e3f1b2a` for the group the command before printed,
//! and the `--at` times for the time `kith history` shows the person was created.

use std::path::Path;
use std::process::Command;

const README: &str = include_str!("../../README.md");
const EXAMPLE_ID: &str = "01a21b1e";
const EXAMPLE_CHANGE: &str = "3f9c2a7d1e04";
const EXAMPLE_GROUP: &str = "5e3f1b2a";
const EXAMPLE_TIMES: [&str; 2] = ["2026-11-01 09:30", "2026-11-01T09:30:00Z"];

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

/// What earlier commands printed, which the README's examples stand for.
#[derive(Default)]
struct Printed {
    person: Option<String>,
    /// A change of the person's after its creation, from `kith history`.
    change: Option<String>,
    /// When the person was created, as `kith history` shows it.
    created: Option<String>,
    /// The last change group a command printed.
    group: Option<String>,
}

impl Printed {
    fn substitute(&self, word: &mut String) {
        let value = match word.as_str() {
            EXAMPLE_ID => &self.person,
            EXAMPLE_CHANGE => &self.change,
            EXAMPLE_GROUP => &self.group,
            w if EXAMPLE_TIMES.contains(&w) => &self.created,
            _ => return,
        };
        *word = value
            .clone()
            .unwrap_or_else(|| panic!("the tour printed what {word} stands for before using it"));
    }

    fn read(&mut self, words: &[String], printed: &str) {
        if words.len() > 3 && words[1..4] == ["record", "add", "people"] && self.person.is_none() {
            self.person = Some(printed.trim().to_string());
        }
        if words[1] == "history" {
            // Entries: a line `CHANGE  TIME  AUTHOR (device D)  WHAT`, then indented details.
            let mut entries: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
            for line in printed.lines().skip(1) {
                if line.starts_with("    ") {
                    if let Some(e) = entries.last_mut() {
                        e.1.push(line.trim());
                    }
                } else {
                    entries.push((line.split_whitespace().collect(), Vec::new()));
                }
            }
            let created = entries.iter().find(|e| e.1.contains(&"created")).expect("a creation");
            self.created = Some(created.0[1].to_string());
            let edit = entries
                .iter()
                .find(|e| !e.1.contains(&"created") && e.1.iter().any(|d| d.contains('→')))
                .expect("an edit after the creation");
            self.change = Some(edit.0[0].to_string());
        }
        if let Some(at) = printed.find("group ") {
            let group: String = printed[at + "group ".len()..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
                .collect();
            if group.len() >= 8 {
                self.group = Some(group);
            }
        }
    }
}

/// When the record was created, to the millisecond (`history --json`'s `time_ms`): the
/// tour's commands run within one second, so a time `kith history` shows (whole seconds)
/// could fall after the tour's delete and name the record as it was in the trash.
fn created_to_the_millisecond(dir: &Path, record: &str) -> String {
    let words: Vec<String> = ["kith", "history", record, "--json"].map(String::from).to_vec();
    let entries: serde_json::Value = serde_json::from_str(&run(dir, &words)).expect("history JSON");
    let ms = entries
        .as_array()
        .and_then(|e| e.iter().find(|e| e["created"] == true))
        .and_then(|e| e["time_ms"].as_i64())
        .expect("a creation with its time");
    let seconds = kith_core::time_fmt::format_datetime(ms);
    format!("{}.{:03}Z", seconds.trim_end_matches('Z'), ms.rem_euclid(1000))
}

/// Commands the tour cannot run on one device, and why.
fn needs_another_device(words: &[String]) -> bool {
    // A conflict is made by two devices editing one field offline (tests: undo_conflicts.rs).
    words[1] == "resolve"
}

#[test]
fn the_readme_tour_runs_as_printed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut printed = Printed::default();
    let mut ran = 0;
    for heading in [
        "### Workspace and schema",
        "### Records, queries and search",
        "### Undo anything",
    ] {
        for line in block(heading) {
            let mut words = shell_words(&line);
            assert_eq!(words[0], "kith", "{line}");
            if needs_another_device(&words) {
                continue;
            }
            words.iter_mut().for_each(|w| printed.substitute(w));
            let out = run(tmp.path(), &words);
            printed.read(&words, &out);
            if words[1] == "history" && words.len() > 2 {
                printed.created = Some(created_to_the_millisecond(tmp.path(), &words[2]));
            }
            ran += 1;
        }
    }
    assert!(printed.person.is_some(), "the tour adds a person");
    assert!(ran > 30, "the blocks were found: {ran} commands ran");
}
