//! Every subcommand, argument and option of `kith-relay` has help text: a walk over
//! clap's command tree that fails on any blank one (the `Cli` is private to the binary,
//! so the walk lives here; `client/tests/every_argument_has_help.rs` walks `kith`).

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
fn every_kith_relay_argument_and_option_has_help_text() {
    let mut missing = Vec::new();
    blanks(&super::Cli::command(), "kith-relay", &mut missing);
    assert!(missing.is_empty(), "no help text: {missing:#?}");
}

#[test]
fn the_walk_finds_a_blank_help_text() {
    #[derive(clap::Parser)]
    #[allow(dead_code)] // only its help is read
    struct Blank {
        #[arg(long)]
        quiet: bool,
    }
    let mut missing = Vec::new();
    blanks(&Blank::command(), "blank", &mut missing);
    assert_eq!(missing, ["blank quiet"]);
}
