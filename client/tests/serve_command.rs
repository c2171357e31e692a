//! `kith serve` as a user runs it: it prints its address, answers there, and warns when
//! told to listen beyond this machine.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// Starts `kith serve` with `args` on a new workspace; returns the child and its URL.
fn serve(dir: &std::path::Path, args: &[&str]) -> (Child, String) {
    let ws = dir.join("ws");
    kith_core::Workspace::create(&ws, kith_core::CreateOptions::new("tester")).expect("a workspace");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--workspace")
        .arg(&ws)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kith serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let line = BufReader::new(stdout)
        .lines()
        .next()
        .expect("a line")
        .expect("readable");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, url)
}

fn get(url: &str, path: &str) -> String {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(host).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn serve_prints_its_address_and_answers_there_on_loopback() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut child, url) = serve(dir.path(), &["--port", "0"]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let page = get(&url, "/o/people");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("People"));
    child.kill().expect("stop it");
    let _ = child.wait();
}

#[test]
fn listening_beyond_loopback_warns_and_answers_to_addresses_but_not_to_names() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut child, url) = serve(dir.path(), &["--port", "0", "--listen", "0.0.0.0"]);
    let port = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .expect("a port")
        .to_string();
    let by_address = get(&format!("http://127.0.0.2:{port}/"), "/o/people");
    assert!(by_address.starts_with("HTTP/1.1 200"), "{by_address}");
    let mut s = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: rebound.example:{port}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut by_name = String::new();
    s.read_to_string(&mut by_name).expect("read");
    assert!(by_name.starts_with("HTTP/1.1 421"), "{by_name}");
    child.kill().expect("stop it");
    let _ = child.wait();
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    assert!(err.contains("warning: listening on 0.0.0.0"), "{err}");
}
