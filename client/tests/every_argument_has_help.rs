//! Every subcommand, argument and option of `kith` has help text: a walk over clap's
//! command tree that fails on any blank one. `kith-relay`'s own walk is a unit test of
//! its binary (`sync-server/src/cli/help_text.rs`: its `Cli` is private to the binary).

use clap::CommandFactory;

fn blanks(command: &clap::Command, path: &str, out: &mut Vec<String>) {
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        if help.trim().is_empty() {
            out.push(format!("{path} {id}"));
        }
    }
    for sub in command.get_subcommands() {
        let name = format!("{path} {}", sub.get_name());
        if sub.get_name() != "help" && sub.get_about().is_none_or(|a| a.to_string().trim().is_empty()) {
            out.push(name.clone());
        }
        blanks(sub, &name, out);
    }
}

#[test]
fn every_kith_argument_and_option_has_help_text() {
    let mut missing = Vec::new();
    blanks(&kith::Cli::command(), "kith", &mut missing);
    assert!(missing.is_empty(), "no help text: {missing:#?}");
}

#[test]
fn a_usage_error_points_to_help_once() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(["record", "get"])
        .env_remove("KITH_WORKSPACE")
        .output()
        .expect("kith runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.matches("--help").count(), 1, "{err}");
}
