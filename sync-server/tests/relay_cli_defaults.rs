//! What a new operator trips over: serving a directory that was never initialised, and
//! a mistyped `KITH_RELAY_*` variable, are refused with a message saying what to do.

use std::process::{Command, Output};

fn relay(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kith-relay"));
    command
        .args(args)
        .env_remove("KITH_RELAY_CONFIG")
        .env_remove("KITH_RELAY_DATA_DIR");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("kith-relay runs")
}

#[test]
fn serve_refuses_a_data_directory_that_was_never_initialised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("typo");
    let data = data.to_str().expect("utf-8 path");
    let out = relay(&["--data", data, "serve", "--listen", "127.0.0.1:0"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("never initialised") && err.contains("kith-relay init"),
        "{err}"
    );
    assert!(!std::path::Path::new(data).exists(), "nothing was created");
}

#[test]
fn an_unknown_kith_relay_variable_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_str().expect("utf-8 path");
    let out = relay(&["--data", data, "init"], &[("KITH_RELAY_LISTN", "127.0.0.1:1")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("KITH_RELAY_LISTN"), "{err}");
}

#[test]
fn the_data_directory_can_be_given_once_in_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    let data = data.to_str().expect("utf-8 path");
    let env = [("KITH_RELAY_DATA_DIR", data)];
    assert!(relay(&["init"], &env).status.success());
    let out = relay(&["workspace", "create", "Acme sales"], &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
