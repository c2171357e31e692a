//! While `kith serve` or `kith sync --watch` holds a workspace, the other `kith` commands
//! on it keep working: they are forwarded to the holder through its Unix socket, print
//! what they would have printed, and their writes show in the holder (its JSON API and
//! live events; the relay it syncs with).
#![cfg(unix)]

#[path = "support/relay.rs"]
mod relay;
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use relay::TestRelay;
use support::{Kith, assert_one_line_error, path_str};

/// Every bounded wait in these tests (a safety net, not a speed target).
const PATIENCE: Duration = Duration::from_secs(30);

/// `kith serve --port 0` on `kith`'s workspace, stopped when dropped.
struct Serving {
    child: Child,
    host: String,
}

impl Serving {
    fn start(kith: &Kith) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kith"))
            .args(["--workspace", path_str(&kith.workspace()), "serve", "--port", "0"])
            .env_remove("KITH_WORKSPACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kith serve starts");
        let line = BufReader::new(child.stdout.take().expect("stdout"))
            .lines()
            .next()
            .expect("a line")
            .expect("readable");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        let host = url.trim_start_matches("http://").trim_end_matches('/').to_string();
        Serving { child, host }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(&self.host).expect("connect");
        s.set_read_timeout(Some(PATIENCE)).expect("timeout");
        s
    }

    /// GET `path`: the body of a 200 answer.
    fn get(&self, path: &str) -> String {
        let mut s = self.connect();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.host
        )
        .expect("send");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        out.split_once("\r\n\r\n").expect("a body").1.to_string()
    }

    /// GET `path` from the server's JSON API, parsed.
    fn api(&self, path: &str) -> serde_json::Value {
        let body = self.get(path);
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
    }

    /// Subscribes to the live events, as an open page does.
    fn events(&self) -> BufReader<TcpStream> {
        let mut s = self.connect();
        write!(s, "GET /events HTTP/1.1\r\nHost: {}\r\n\r\n", self.host).expect("send");
        let mut events = BufReader::new(s);
        // The response head ends with an empty line.
        let mut line = String::new();
        while events.read_line(&mut line).expect("head") > 0 && line != "\r\n" {
            line.clear();
        }
        events
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads events until a `change` one arrives; returns its data.
fn next_change(events: &mut BufReader<TcpStream>) -> String {
    let mut change = false;
    for line in events.by_ref().lines() {
        let line = line.expect("an event line in time");
        if line == "event: change" {
            change = true;
        } else if change && let Some(data) = line.strip_prefix("data:") {
            return data.trim().to_string();
        }
    }
    panic!("the event stream ended without a change");
}

/// Runs kith in `cwd` with `args` on `workspace`, `stdin` piped in.
fn kith_in(cwd: &Path, workspace: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--workspace")
        .arg(workspace)
        .args(args)
        .current_dir(cwd)
        .env_remove("KITH_WORKSPACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kith runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("kith finishes")
}

fn socket(kith: &Kith) -> PathBuf {
    kith.workspace().join("run").join("kith.sock")
}

fn names(list: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = list["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["name"].as_str().expect("a name").to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn record_add_import_and_list_run_inside_kith_serve_and_open_pages_see_the_writes() {
    let kith = Kith::init();
    let server = Serving::start(&kith);
    let mut events = server.events();

    let added = kith.json(&["record", "add", "people", "name=Ada Lovelace"]);
    assert!(added["id"].is_string(), "{added}");
    assert!(next_change(&mut events).contains(added["id"].as_str().expect("id")));

    // A file named relative to the caller's directory, and a CSV on standard input.
    kith.write(
        "people.csv",
        b"name,city,email\nGrace Hopper,Arlington,\nBad Row,Nowhere,not an email\n",
    );
    let dir = kith.file("");
    let from_file = kith_in(
        &dir,
        &kith.workspace(),
        &["import", "people.csv", "--object", "people"],
        b"",
    );
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );
    assert!(
        String::from_utf8_lossy(&from_file.stdout).contains("1 imported, 1 skipped"),
        "{from_file:?}"
    );
    // The bad row is reported on the caller's standard error, not the server's.
    assert!(
        String::from_utf8_lossy(&from_file.stderr).contains("not an email"),
        "{from_file:?}"
    );
    let piped = kith_in(
        &dir,
        &kith.workspace(),
        &["import", "-", "--object", "people", "--json"],
        b"name\nAlan Turing\n",
    );
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));
    let report: serde_json::Value = serde_json::from_slice(&piped.stdout).expect("JSON");
    assert_eq!(report["imported"], 1);

    let listed = kith.json(&["record", "list", "people"]);
    let expected = ["Ada Lovelace", "Alan Turing", "Grace Hopper"];
    assert_eq!(names(&listed), expected);
    // The serving process reads the same records: the writes went through it.
    let served = server.api("/api/objects/people/records");
    assert_eq!(served["count"], 3, "{served}");
}

#[test]
fn a_long_export_forwarded_to_kith_serve_arrives_whole_as_it_is_written() {
    let kith = Kith::init();
    let mut csv = String::from("name,city\n");
    for i in 0..3000 {
        csv.push_str(&format!("Person {i:04},City {}\n", i % 7));
    }
    kith.write("people.csv", csv.as_bytes());
    let imported = kith_in(
        &kith.file(""),
        &kith.workspace(),
        &["import", "people.csv", "--object", "people"],
        b"",
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let here = kith.ok(&["export", "--object", "people"]);

    let _server = Serving::start(&kith);
    assert!(socket(&kith).exists());
    // Several chunks of output (the holder passes on 64 KiB at a time), in order.
    let forwarded = kith.ok(&["export", "--object", "people"]);
    assert!(forwarded.len() > 2 * 64 * 1024, "{} bytes", forwarded.len());
    assert_eq!(forwarded, here);
}

#[test]
fn a_forwarded_command_fails_as_it_would_here_with_one_error_line_and_status_1() {
    let kith = Kith::init();
    let _server = Serving::start(&kith);
    let out = kith.run(&["record", "add", "planets", "name=Mars"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert_one_line_error(&stderr);
    assert!(stderr.contains("planets"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn commands_that_need_the_workspace_to_themselves_name_the_process_holding_it() {
    let kith = Kith::init();
    let server = Serving::start(&kith);
    let pid = format!("kith serve (pid {})", server.child.id());
    for args in [
        &["serve", "--port", "0"][..],
        &["sync", "--watch"],
        &["sync"],
        &["init"],
    ] {
        let err = kith.fails(args);
        assert!(err.contains(&pid), "kith {args:?}: {err}");
    }
    // A question the holder cannot ask is refused with what to add instead.
    kith.ok(&["record", "add", "people", "name=A", "city=Oslo"]);
    kith.ok(&["record", "add", "people", "name=B", "city=Oslo"]);
    let err = kith.fails(&["record", "update", "--object", "people", "--set", "city=Rome"]);
    assert!(err.contains("--yes") && err.contains(&pid), "{err}");
    kith.ok(&["record", "update", "--object", "people", "--set", "city=Rome", "--yes"]);
}

#[test]
fn the_socket_is_for_this_user_only_and_goes_away_with_the_server() {
    let kith = Kith::init();
    let server = Serving::start(&kith);
    let path = socket(&kith);
    let mode = |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().expect("run dir")), 0o700);
    drop(server);
    // Killed, it leaves its socket behind; the next command runs here all the same.
    kith.ok(&["record", "add", "people", "name=After"]);
}

#[test]
fn a_stale_socket_is_ignored_by_commands_and_replaced_by_the_next_server() {
    let kith = Kith::init();
    std::fs::create_dir_all(socket(&kith).parent().expect("run dir")).expect("mkdir");
    // A socket nobody listens on, as a killed process leaves it.
    drop(std::os::unix::net::UnixListener::bind(socket(&kith)).expect("bind"));
    assert!(socket(&kith).exists());
    kith.ok(&["record", "add", "people", "name=Before"]);

    let server = Serving::start(&kith);
    // The server holds the workspace: only forwarding can make this work.
    kith.ok(&["record", "add", "people", "name=During"]);
    assert_eq!(server.api("/api/objects/people/records")["count"], 2);
}

#[test]
fn commands_run_inside_kith_sync_watch_which_pushes_their_writes_to_the_relay() {
    let relay = TestRelay::start();
    let (_, owner, member) = relay.workspace();
    let a = Kith::init();
    a.ok(&["remote", "set", &relay.url, "--token", &owner]);
    a.ok(&["sync"]);
    let b = Kith::empty();
    b.ok(&["join", &relay.url, "--token", &member]);

    let mut watch = Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(["--workspace", path_str(&b.workspace()), "sync", "--watch", "--json"])
        .env_remove("KITH_WORKSPACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kith sync --watch runs");
    let (tx, events) = mpsc::channel::<serde_json::Value>();
    let stdout = watch.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(serde_json::from_str(&line).expect("JSON")).is_err() {
                break;
            }
        }
    });
    let expect = |name: &str| loop {
        let event = events
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|e| panic!("no {name} event: {e}"));
        if event["event"] == name {
            return event;
        }
    };
    expect("caught_up");

    b.ok(&["record", "add", "people", "name=Katherine Johnson"]);
    b.write("people.csv", b"name\nDorothy Vaughan\n");
    b.ok(&["import", path_str(&b.file("people.csv")), "--object", "people"]);
    assert_eq!(
        names(&b.json(&["record", "list", "people"])),
        ["Dorothy Vaughan", "Katherine Johnson"]
    );
    let err = b.fails(&["sync"]);
    assert!(
        err.contains(&format!("kith sync --watch (pid {})", watch.id())),
        "{err}"
    );
    // The watching process pushed the forwarded writes: the other device gets them.
    expect("pushed");
    let since = std::time::Instant::now();
    let mut received = Vec::new();
    while received.len() < 2 {
        assert!(
            since.elapsed() < PATIENCE,
            "the relay never got both records: {received:?}"
        );
        a.ok(&["sync"]);
        received = names(&a.json(&["record", "list", "people"]));
    }
    assert_eq!(received, ["Dorothy Vaughan", "Katherine Johnson"]);
    let _ = watch.kill();
    let _ = watch.wait();
}

#[test]
fn a_relay_set_from_another_command_starts_kith_serves_sync_connector() {
    let relay = TestRelay::start();
    let (_, owner, _) = relay.workspace();
    let kith = Kith::init();
    let server = Serving::start(&kith);
    assert!(server.get("/sync").contains("no relay set"));
    kith.ok(&["remote", "set", &relay.url, "--token", &owner]);
    let since = std::time::Instant::now();
    while !server.get("/sync").contains("caught up") {
        assert!(since.elapsed() < PATIENCE, "the server never connected to the relay");
        std::thread::yield_now();
    }
}
