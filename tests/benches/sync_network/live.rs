//! Scenario `live`: latency from an edit on A to B.

use super::*;

pub(super) fn latency_row(out: &mut Results, name: &str, mut samples: Vec<Duration>, notes: &str) {
    samples.sort();
    let (p50, p99, max) = (
        quantile(&samples, 0.5),
        quantile(&samples, 0.99),
        samples.last().copied().unwrap_or_default(),
    );
    out.target(
        format!("{name} p50"),
        ms(p50),
        "≤ 10 ms",
        p50 <= Duration::from_millis(10),
        format!("{} samples; {notes}", samples.len()),
    );
    out.target(
        format!("{name} p99"),
        ms(p99),
        "≤ 50 ms",
        p99 <= Duration::from_millis(50),
        format!("max {}; load {}", ms(max), loadavg()),
    );
}

pub(super) fn city_of(ws: &Workspace, id: RecordId) -> String {
    ws.record(id)
        .expect("record")
        .cells
        .into_iter()
        .find(|c| c.key == "city")
        .map(|c| c.display)
        .unwrap_or_default()
}

/// A edits, then pushes its outbox at once through a raw connection and applies the ack:
/// what the connector would do with a "local change" wake-up instead of its 500 ms poll.
pub(super) fn edit_and_push_now(
    a: &Mutex<Workspace>,
    addr: SocketAddr,
    secret: &str,
    record: RecordId,
    sent: &Mutex<Vec<Option<Instant>>>,
    n: usize,
    interval: Duration,
) -> Duration {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut socket = raw_connect(addr, secret).await;
        raw_handshake(&mut socket, None).await;
        let people = people_of(&a.lock().expect("a"));
        let start = Instant::now();
        for i in 0..n {
            let chunks = {
                let mut ws = a.lock().expect("a");
                let v = ws
                    .parse_values(people, &[("city".into(), format!("Live {i}"))])
                    .expect("values");
                sent.lock().expect("sent")[i] = Some(Instant::now());
                ws.update_record(record, v).expect("update");
                ws.outbox(500).expect("outbox")
            };
            let ids: Vec<u64> = chunks.iter().map(|c| c.id).collect();
            raw_send(&mut socket, &ClientMessage::Push { chunks }).await;
            loop {
                if let ServerMessage::Ack { .. } = raw_next(&mut socket).await {
                    break;
                }
            }
            a.lock().expect("a").acknowledge(&ids, 0).expect("acknowledge");
            let next = start + interval * (i as u32 + 1);
            tokio::time::sleep(next.saturating_duration_since(Instant::now())).await;
        }
        let _ = socket.close(None).await;
        start.elapsed()
    })
}

/// A → B through two real devices: B in `sync_watch`; A in `sync_watch` too, or (with
/// `push_now`) pushing each edit at once itself.
pub(super) async fn live_devices(o: &Options, push_now: bool, out: &mut Results) {
    let how = if push_now {
        "A pushes each edit at once (raw connection), B in sync_watch"
    } else {
        "both devices in sync_watch"
    };
    println!(
        "\n== live: {} edits on A, one every {} ms, {how} (load {})",
        o.edits,
        o.interval.as_millis(),
        loadavg()
    );
    let relay = LocalRelay::start(o.memory, |_| {}).await;
    let (workspace, owner_secret) = relay.workspace();
    let owner = relay.remote(&owner_secret);
    let member = relay.remote(&relay.token(workspace, Role::Member));
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut a, ids, _) = founder(&dir.path().join("a"), 10);
    let record = ids[0];
    sync_until_caught_up(&mut a, &owner).await;
    let mut b = Workspace::create_replica(&dir.path().join("b"), "b").expect("replica");
    sync_until_caught_up(&mut b, &member).await;

    let a = Arc::new(Mutex::new(a));
    let b = Arc::new(Mutex::new(b));
    let n = o.edits;
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; n]));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<char>();
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let (stop_a, a_stopped) = oneshot::channel::<()>();
    let (stop_b, b_stopped) = oneshot::channel::<()>();

    let a_ready = ready_tx.clone();
    let watch_a = async {
        if push_now {
            let _ = a_ready.send('a');
            let _ = a_stopped.await;
            Ok(())
        } else {
            sync_watch(
                &*a,
                &owner,
                async move {
                    let _ = a_stopped.await;
                },
                move |e: &SyncEvent| {
                    if matches!(e, SyncEvent::CaughtUp { .. }) {
                        let _ = a_ready.send('a');
                    }
                },
            )
            .await
        }
    };
    let on_b = {
        let b = b.clone();
        let sent = sent.clone();
        let latencies = latencies.clone();
        let mut seen: Option<usize> = None;
        let mut done = Some(done_tx);
        move |e: &SyncEvent| match e {
            SyncEvent::CaughtUp { .. } => {
                let _ = ready_tx.send('b');
            }
            SyncEvent::Applied { .. } => {
                let now = Instant::now();
                let city = city_of(&b.lock().expect("b"), record);
                let Some(i) = city.strip_prefix("Live ").and_then(|i| i.parse::<usize>().ok()) else {
                    return;
                };
                let from = seen.map_or(0, |s| s + 1);
                if i + 1 > from {
                    let sent = sent.lock().expect("sent");
                    let mut lat = latencies.lock().expect("latencies");
                    for t in sent[from..=i].iter().flatten() {
                        lat.push(now.saturating_duration_since(*t));
                    }
                    seen = Some(i);
                }
                if i + 1 == n
                    && let Some(done) = done.take()
                {
                    let _ = done.send(());
                }
            }
            _ => {}
        }
    };
    let watch_b = sync_watch(
        &*b,
        &member,
        async move {
            let _ = b_stopped.await;
        },
        on_b,
    );

    let interval = o.interval;
    let conductor = {
        let a = a.clone();
        let sent = sent.clone();
        async move {
            let mut ready = 0;
            while ready < 2 {
                within(Duration::from_secs(30), "both devices online", ready_rx.recv()).await;
                ready += 1;
            }
            let people = people_of(&a.lock().expect("a"));
            let addr = relay.addr;
            let editor = std::thread::spawn(move || {
                if push_now {
                    return edit_and_push_now(&a, addr, &owner_secret, record, &sent, n, interval);
                }
                let start = Instant::now();
                for i in 0..n {
                    let mut ws = a.lock().expect("a");
                    let v = ws
                        .parse_values(people, &[("city".into(), format!("Live {i}"))])
                        .expect("values");
                    sent.lock().expect("sent")[i] = Some(Instant::now());
                    ws.update_record(record, v).expect("update");
                    drop(ws);
                    let next = start + interval * (i as u32 + 1);
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                }
                start.elapsed()
            });
            let limit = interval * n as u32 + Duration::from_secs(60);
            let all = tokio::time::timeout(limit, done_rx).await.is_ok();
            let editing = editor.join().expect("editor");
            let _ = stop_a.send(());
            let _ = stop_b.send(());
            (all, editing)
        }
    };
    let (ra, rb, (all, editing)) = tokio::join!(watch_a, watch_b, conductor);
    ra.expect("A's sync_watch");
    rb.expect("B's sync_watch");
    assert!(all, "B did not see every edit in time");
    let samples = latencies.lock().expect("latencies").clone();
    assert_eq!(samples.len(), n, "one latency per edit");
    let name = if push_now {
        "live A→B, A pushes at once, B in sync_watch"
    } else {
        "live A→B, two devices in sync_watch"
    };
    latency_row(
        out,
        name,
        samples,
        &format!(
            "edit on A (local commit included) to applied on B; edits took {}",
            secs(editing)
        ),
    );
    relay.shutdown().await;
}

/// A → B at the protocol level: one raw client pushes, another receives.
pub(super) async fn live_raw(o: &Options, memory: bool, out: &mut Results) {
    let store = if memory { "in-memory store" } else { "store on disk" };
    println!(
        "\n== live, raw protocol: {} pushes, one every {} ms, relay {store} (load {})",
        o.edits,
        o.interval.as_millis(),
        loadavg()
    );
    let relay = LocalRelay::start(memory, |_| {}).await;
    let (workspace, owner) = relay.workspace();
    let member = relay.token(workspace, Role::Member);
    let mut a = raw_connect(relay.addr, &owner).await;
    raw_handshake(&mut a, Some(0)).await;
    let mut b = raw_connect(relay.addr, &member).await;
    raw_handshake(&mut b, Some(0)).await;
    let (mut a_sink, mut a_stream) = a.split();
    let (b_sink, mut b_stream) = b.split();

    let (entries_tx, mut entries_rx) = mpsc::unbounded_channel::<(Instant, usize)>();
    let b_reader = tokio::spawn(async move {
        while let Some(Ok(frame)) = b_stream.next().await {
            if let Message::Binary(bytes) = frame
                && let Ok(ServerMessage::Entries { entries }) = decode(&bytes, usize::MAX)
                && entries_tx.send((Instant::now(), entries.len())).is_err()
            {
                break;
            }
        }
    });
    let (acks_tx, mut acks_rx) = mpsc::unbounded_channel::<Instant>();
    let a_reader = tokio::spawn(async move {
        while let Some(Ok(frame)) = a_stream.next().await {
            if let Message::Binary(bytes) = frame
                && let Ok(ServerMessage::Ack { .. }) = decode(&bytes, usize::MAX)
                && acks_tx.send(Instant::now()).is_err()
            {
                break;
            }
        }
    });

    let mut chunks = Chunks::new();
    let frames: Vec<Vec<u8>> = (0..o.edits)
        .map(|i| {
            let data = chunks.next_chunk();
            encode(&chunks.push(i as u64 + 1, data))
        })
        .collect();
    let mut fanout = Vec::with_capacity(o.edits);
    let mut acked = Vec::with_capacity(o.edits);
    let start = tokio::time::Instant::now();
    for (i, frame) in frames.into_iter().enumerate() {
        let t0 = Instant::now();
        a_sink.send(Message::Binary(frame.into())).await.expect("push");
        let (at, count) = within(LIVE_PATIENCE, "B's entries", entries_rx.recv())
            .await
            .expect("B's reader");
        assert_eq!(count, 1, "one entry per push");
        let ack = within(LIVE_PATIENCE, "A's ack", acks_rx.recv())
            .await
            .expect("A's reader");
        fanout.push(at.saturating_duration_since(t0));
        acked.push(ack.saturating_duration_since(t0));
        tokio::time::sleep_until(start + o.interval * (i as u32 + 1)).await;
    }
    latency_row(
        out,
        &format!("live A→B, raw protocol, relay {store}: push sent → B's entries"),
        fanout,
        if memory {
            "includes the relay's commit (no fsync) before fan-out"
        } else {
            "includes the relay's durable commit (fsync) before fan-out"
        },
    );
    let mut acked_sorted = acked;
    acked_sorted.sort();
    out.add(
        format!("  (push sent → A's ack, relay {store})"),
        format!(
            "p50 {} p99 {}",
            ms(quantile(&acked_sorted, 0.5)),
            ms(quantile(&acked_sorted, 0.99))
        ),
        "",
    );
    let _ = a_sink.close().await;
    drop(b_sink);
    b_reader.abort();
    a_reader.abort();
    relay.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 4. Idle connections (relay as a separate process)
