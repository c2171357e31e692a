//! Running the built `kith` binary against a workspace in a temporary directory.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// A workspace in a temporary directory, and the `kith` binary pointed at it.
pub(crate) struct Kith {
    dir: TempDir,
}

impl Kith {
    /// A new workspace with the standard objects.
    pub(crate) fn init() -> Self {
        let kith = Kith::empty();
        kith.ok(&["init", "--user", "tester"]);
        kith
    }

    /// A temporary directory with no workspace in it yet.
    pub(crate) fn empty() -> Self {
        Kith {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub(crate) fn workspace(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    /// A file path inside the temporary directory.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.run_with_stdin(args, None)
    }

    pub(crate) fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kith"))
            .arg("--workspace")
            .arg(self.workspace())
            .args(args)
            .env_remove("KITH_WORKSPACE")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the kith binary runs");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input)
                .expect("write stdin");
        }
        child.wait_with_output().expect("kith finishes")
    }

    /// Runs and expects success; returns stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kith {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// Runs and expects failure; returns stderr, checked to be one line and no panic.
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kith {args:?} should fail but printed {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert_one_line_error(&stderr);
        stderr
    }

    /// Runs with `--json` and parses stdout.
    pub(crate) fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("kith {args:?} printed invalid JSON ({e}): {text}"))
    }

    pub(crate) fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, content).expect("write a test file");
        path
    }
}

/// One line, starting `error: `, with no panic or backtrace.
pub(crate) fn assert_one_line_error(stderr: &str) {
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(!stderr.to_lowercase().contains("backtrace"), "backtrace: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "more than one line: {stderr}");
    assert!(stderr.starts_with("error: "), "not an error line: {stderr}");
}

pub(crate) fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}
