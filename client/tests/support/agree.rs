//! What the `cli_json_and_api_agree_*` tests share: running `kith … --json` against a
//! workspace the test server holds (so the command is forwarded to it), and calling the
//! server's `/api`. Included with `#[path = "support/agree.rs"] mod agree;` next to
//! `mod web_support;`.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::web_support::{self, TestServer};

/// `kith --workspace WS ARGS --json`, parsed.
pub(crate) fn cli(ws: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .arg("--json")
        .env_remove("KITH_WORKSPACE")
        .output()
        .expect("kith runs");
    assert!(
        out.status.success(),
        "kith {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("kith {args:?} printed no JSON: {e}"))
}

pub(crate) fn api_get(server: &TestServer, path: &str) -> Value {
    let r = server.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    serde_json::from_str(&r.body).expect("JSON")
}

pub(crate) fn api_send(server: &TestServer, method: &str, path: &str, body: &str) -> Value {
    let r = server.request(
        method,
        path,
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        body,
    );
    assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
    serde_json::from_str(&r.body).expect("JSON")
}

pub(crate) fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    keys.sort();
    keys
}

/// The toast a page's redirect after an action carries (its `done` parameter).
pub(crate) fn toast(page: &web_support::Response) -> String {
    assert_eq!(page.status, 303, "{}", page.body);
    let query = page.location().split_once('?').expect("a toast").1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned())
        .expect("a done message")
}

/// `kith --workspace WS ARGS` (no `--json`): what it printed.
pub(crate) fn cli_text(ws: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("KITH_WORKSPACE")
        .output()
        .expect("kith runs");
    assert!(
        out.status.success(),
        "kith {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}
