//! Scenario `idle`: a relay process holding many idle connections.

use super::*;

pub(super) fn relay_binary(o: &Options) -> PathBuf {
    let path = o.relay_bin.clone().unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current exe");
        // target/release/deps/sync_network-HASH → target/release/kith-relay
        exe.parent()
            .and_then(Path::parent)
            .map(|dir| dir.join("kith-relay"))
            .expect("target directory")
    });
    if !path.exists() {
        eprintln!(
            "error: {} does not exist: build it first with `cargo build --release -p kith-relay`, or pass --relay-bin",
            path.display()
        );
        std::process::exit(2);
    }
    path
}

pub(super) fn relay_cli(bin: &Path, data: &Path, args: &[&str]) -> String {
    let output = Command::new(bin)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("KITH_RELAY_CONFIG")
        .output()
        .expect("run kith-relay");
    assert!(
        output.status.success(),
        "kith-relay {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The relay process, stopped with SIGTERM (then killed) when dropped.
pub(super) struct RelayProcess {
    pub(super) child: Child,
}

impl RelayProcess {
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kith_relay_connections` from the relay's `/metrics`.
pub(super) async fn metrics_connections(addr: SocketAddr) -> Option<u64> {
    let mut tcp = TcpStream::connect(addr).await.ok()?;
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut body = Vec::new();
    within(Duration::from_secs(10), "metrics", tcp.read_to_end(&mut body))
        .await
        .ok()?;
    String::from_utf8_lossy(&body)
        .lines()
        .find_map(|l| l.strip_prefix("kith_relay_connections "))
        .and_then(|v| v.trim().parse().ok())
}

pub(super) async fn idle(o: &Options, out: &mut Results) {
    let n = o.conns;
    println!(
        "\n== idle: {n} idle connections to a relay process (load {})",
        loadavg()
    );
    let bin = relay_binary(o);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    relay_cli(&bin, &data, &["init"]);
    let created = relay_cli(&bin, &data, &["workspace", "create", "bench"]);
    let secret = created
        .split_whitespace()
        .find(|w| w.starts_with("kr_"))
        .expect("a token secret in the output")
        .to_string();
    let log = std::fs::File::create(dir.path().join("relay.log")).expect("log file");
    let child = Command::new(&bin)
        .arg("--data")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .env_remove("KITH_RELAY_CONFIG")
        .env("KITH_RELAY_MAX_CONNECTIONS_PER_TOKEN", (n + 64).to_string())
        .env("KITH_RELAY_MAX_CONNECTIONS_PER_ADDRESS", (n + 64).to_string())
        .env("RUST_LOG", "warn,kith_relay::server=info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start kith-relay serve");
    let process = RelayProcess { child };
    // The device port is in the log (`relay.addr` holds the admin port).
    let log_file = dir.path().join("relay.log");
    let addr: SocketAddr = within(Duration::from_secs(30), "the relay's listening line", async {
        loop {
            let text = std::fs::read_to_string(&log_file).unwrap_or_default();
            let found = text
                .lines()
                .filter(|line| line.contains("\"kith-relay listening\""))
                .find_map(|line| line.split("\"local\":\"").nth(1)?.split('"').next()?.parse().ok());
            if let Some(addr) = found {
                return addr;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let pid = process.pid();

    // A small log, so that every pull has a backlog to send.
    let mut seed = raw_connect(addr, &secret).await;
    raw_handshake(&mut seed, None).await;
    let mut chunks = Chunks::new();
    for i in 0..100 {
        let data = chunks.next_chunk();
        raw_send(&mut seed, &chunks.push(i + 1, data)).await;
        loop {
            if let ServerMessage::Ack { .. } = raw_next(&mut seed).await {
                break;
            }
        }
    }
    let _ = seed.close(None).await;
    drop(seed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = proc_status_kb(pid, "VmRSS:");
    println!("  relay pid {pid} at {addr}: VmRSS {} before connections", mib(before));

    let t = Instant::now();
    let sockets: Vec<(Socket, usize)> = futures_util::stream::iter(0..n)
        .map(|_| {
            let secret = secret.clone();
            async move {
                let mut s = raw_connect(addr, &secret).await;
                let (backlog, _) = raw_handshake(&mut s, Some(0)).await;
                (s, backlog)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let opened = t.elapsed();
    assert!(
        sockets.iter().all(|(_, backlog)| *backlog == 100),
        "every pull got the backlog"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let with = proc_status_kb(pid, "VmRSS:");
    let hwm = proc_status_kb(pid, "VmHWM:");
    let counted = metrics_connections(addr).await;
    assert_eq!(counted, Some(n as u64), "the relay counts every connection");
    let per = (with.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    out.add("relay process VmRSS before connections", mib(before), "");
    out.add(
        format!("relay process VmRSS with {n} idle connections"),
        mib(with),
        format!(
            "opened (connect + hello + pull of 100 entries + caught_up, 64 at a time) in {}; VmHWM {}; /metrics says {} connections; load {}",
            secs(opened),
            mib(hwm),
            counted.unwrap_or(0),
            loadavg()
        ),
    );
    out.add(
        "relay memory per idle connection",
        format!("{:.1} KiB", per / 1024.0),
        "(VmRSS with − before) / connections",
    );
    for (mut s, _) in sockets {
        let _ = s.close(None).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = proc_status_kb(pid, "VmRSS:");
    let left = metrics_connections(addr).await.unwrap_or(u64::MAX);
    out.add(
        "relay process VmRSS after the connections closed",
        mib(after),
        format!("{left} connections left"),
    );
    drop(process);
}

// ---------------------------------------------------------------------------------------
// 5. Throughput
