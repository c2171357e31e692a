//! Scenario `throughput`: pushes per second with subscribers receiving each.

use super::*;

pub(super) async fn throughput(o: &Options, pushers: usize, out: &mut Results) {
    let subs = o.subscribers;
    println!(
        "\n== throughput: {pushers} pusher(s), one push in flight each, {subs} subscribers, up to {} s (load {})",
        o.secs,
        loadavg()
    );
    // One pusher waiting for each ack goes well past the default 200 messages/s.
    let relay = LocalRelay::start(o.memory, |c| {
        c.limits.messages_per_second = 1_000_000;
        c.limits.message_burst = 1_000_000;
    })
    .await;
    let (workspace, _owner) = relay.workspace();

    let mut counters = Vec::new();
    let mut readers = Vec::new();
    let mut sinks = Vec::new();
    for _ in 0..subs {
        let mut s = raw_connect(relay.addr, &relay.token(workspace, Role::Member)).await;
        raw_handshake(&mut s, Some(0)).await;
        let (sink, mut stream) = s.split();
        sinks.push(sink);
        let count = Arc::new(AtomicU64::new(0));
        counters.push(count.clone());
        readers.push(tokio::spawn(async move {
            let mut last_seq = 0;
            while let Some(Ok(frame)) = stream.next().await {
                match frame {
                    Message::Binary(bytes) => match decode::<ServerMessage>(&bytes, usize::MAX) {
                        Ok(ServerMessage::Entries { entries }) => {
                            for e in &entries {
                                assert!(e.seq > last_seq, "entries arrive in log order");
                                last_seq = e.seq;
                            }
                            count.fetch_add(entries.len() as u64, Ordering::Relaxed);
                        }
                        Ok(ServerMessage::Error { code, message }) => {
                            panic!("a subscriber was disconnected: {code:?} {message}")
                        }
                        _ => {}
                    },
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        }));
    }

    let per_pusher = (o.max_pushes / pushers).max(1);
    let mut prepared = Vec::new();
    for _ in 0..pushers {
        let mut s = raw_connect(relay.addr, &relay.token(workspace, Role::Member)).await;
        // Pushers do not pull: they get their acks and nothing else.
        raw_handshake(&mut s, None).await;
        let mut chunks = Chunks::new();
        let frames: Vec<Vec<u8>> = (0..per_pusher)
            .map(|i| {
                let data = chunks.next_chunk();
                encode(&chunks.push(i as u64 + 1, data))
            })
            .collect();
        prepared.push((s, frames));
    }
    let bytes: usize = prepared
        .iter()
        .map(|(_, f)| f.iter().map(Vec::len).sum::<usize>())
        .sum();
    println!(
        "  {} chunks prepared, {:.0} bytes per push frame on average",
        pushers * per_pusher,
        bytes as f64 / (pushers * per_pusher) as f64
    );

    let limit = Duration::from_secs(o.secs);
    let cpu = cpu_time();
    let start = Instant::now();
    let tasks: Vec<_> = prepared
        .into_iter()
        .map(|(mut s, frames)| {
            tokio::spawn(async move {
                let mut rtts = Vec::with_capacity(frames.len());
                for frame in frames {
                    if start.elapsed() >= limit {
                        break;
                    }
                    let t = Instant::now();
                    s.send(Message::Binary(frame.into())).await.expect("push");
                    loop {
                        match raw_next(&mut s).await {
                            ServerMessage::Ack { acks } => {
                                assert_eq!(acks.len(), 1);
                                break;
                            }
                            ServerMessage::Error { code, message } => panic!("pusher refused: {code:?} {message}"),
                            _ => {}
                        }
                    }
                    rtts.push(t.elapsed());
                }
                let _ = s.close(None).await;
                rtts
            })
        })
        .collect();
    let mut rtts = Vec::new();
    for task in tasks {
        rtts.extend(
            within(limit + Duration::from_secs(60), "pusher", task)
                .await
                .expect("pusher task"),
        );
    }
    let elapsed = start.elapsed();
    let pushed = rtts.len() as u64;
    // Every subscriber must get every entry.
    let waited = Instant::now();
    let all = within(Duration::from_secs(60), "subscribers catching up", async {
        loop {
            if counters.iter().all(|c| c.load(Ordering::Relaxed) >= pushed) {
                return waited.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let cpu = cpu_time().saturating_sub(cpu);
    let received: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let every = received.iter().all(|r| *r == pushed);
    assert!(
        every,
        "every subscriber received every entry exactly once: {received:?} vs {pushed}"
    );
    rtts.sort();
    out.add(
        format!("relay throughput, {pushers} pusher(s) × 1 in flight, {subs} subscribers"),
        format!("{:.0} pushes/s", pushed as f64 / elapsed.as_secs_f64()),
        format!(
            "{pushed} pushes in {}; {:.0} entries/s delivered; every subscriber got all {pushed} (last one {} after the last ack); ack RTT p50 {} p99 {}; CPU {:.2} cores; load {}",
            secs(elapsed),
            (pushed * subs as u64) as f64 / elapsed.as_secs_f64(),
            ms(all),
            ms(quantile(&rtts, 0.5)),
            ms(quantile(&rtts, 0.99)),
            (cpu.as_secs_f64() / (elapsed + all).as_secs_f64()),
            loadavg()
        ),
    );
    for mut sink in sinks {
        let _ = sink.close().await;
    }
    for r in readers {
        let _ = within(Duration::from_secs(10), "subscriber", r).await;
    }
    relay.shutdown().await;
}

// ---------------------------------------------------------------------------------------
