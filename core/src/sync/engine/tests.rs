use super::*;
use crate::DocId;

fn welcome(role: Role, head: u64, epoch: &str) -> Event {
    Event::Received(ServerMessage::Welcome {
        version: PROTOCOL_VERSION,
        workspace: "w".into(),
        role,
        head,
        epoch: epoch.into(),
        limits: crate::sync::protocol::Limits::default(),
    })
}

/// Connects and welcomes in epoch "e1" with a head of 1000; drops the epoch action.
fn online(engine: &mut SyncEngine, role: Role) -> Vec<Action> {
    engine.handle(Event::Connected);
    let mut actions = engine.handle(welcome(role, 1000, "e1"));
    actions.retain(|a| !matches!(a, Action::NewEpoch { resync: false, .. }));
    actions
}

fn chunk(id: u64) -> PushChunk {
    PushChunk {
        id,
        doc: DocId::new(),
        data: vec![1, 2, 3],
    }
}

#[test]
fn a_welcome_starts_a_pull_from_the_cursor_and_reads_the_outbox() {
    let mut e = SyncEngine::new(41, "test", 1);
    assert_eq!(e.start(), vec![Action::Connect]);
    let actions = online(&mut e, Role::Member);
    assert_eq!(
        actions,
        vec![Action::Send(ClientMessage::Pull { after: 41 }), Action::ReadOutbox]
    );
}

#[test]
fn chunks_in_flight_are_not_pushed_twice_until_a_reconnect() {
    let mut e = SyncEngine::new(0, "test", 1);
    online(&mut e, Role::Member);
    assert_eq!(e.handle(Event::Outbox(vec![chunk(1), chunk(2)])).len(), 1);
    assert!(e.handle(Event::Outbox(vec![chunk(1), chunk(2)])).is_empty());
    e.handle(Event::Disconnected { now_ms: 0 });
    online(&mut e, Role::Member);
    assert_eq!(e.handle(Event::Outbox(vec![chunk(1)])).len(), 1);
}

#[test]
fn acks_after_catching_up_move_the_cursor() {
    let mut e = SyncEngine::new(0, "test", 1);
    online(&mut e, Role::Member);
    e.handle(Event::Outbox(vec![chunk(7)]));
    e.handle(Event::Received(ServerMessage::CaughtUp { head: 3 }));
    let actions = e.handle(Event::Received(ServerMessage::Ack {
        acks: vec![Acked { id: 7, seq: 4 }],
    }));
    assert_eq!(
        actions[0],
        Action::Acknowledged {
            ids: vec![7],
            cursor: 4
        }
    );
    assert_eq!(e.cursor(), 4);
}

fn entry(seq: u64) -> Entry {
    Entry {
        seq,
        doc: DocId::new(),
        data: vec![0; 10],
    }
}

#[test]
fn backlog_is_applied_in_one_batch_when_caught_up_and_live_entries_at_once() {
    let mut e = SyncEngine::new(0, "test", 1);
    online(&mut e, Role::Viewer);
    assert!(
        e.handle(Event::Received(ServerMessage::Entries {
            entries: vec![entry(1), entry(2)]
        }))
        .is_empty()
    );
    assert!(
        e.handle(Event::Received(ServerMessage::Entries {
            entries: vec![entry(3)]
        }))
        .is_empty()
    );
    let actions = e.handle(Event::Received(ServerMessage::CaughtUp { head: 3 }));
    let Action::Apply { entries, cursor, .. } = &actions[0] else {
        panic!("{actions:?}")
    };
    assert_eq!((entries.len(), *cursor), (3, 3));
    assert_eq!(actions[1], Action::CaughtUp { head: 3 });
    let live = e.handle(Event::Received(ServerMessage::Entries {
        entries: vec![entry(4)],
    }));
    assert!(matches!(&live[0], Action::Apply { cursor: 4, .. }));
}

#[test]
fn an_unapplied_backlog_is_dropped_on_disconnect_and_the_cursor_stays() {
    let mut e = SyncEngine::new(10, "test", 1);
    online(&mut e, Role::Viewer);
    e.handle(Event::Received(ServerMessage::Entries {
        entries: vec![entry(11)],
    }));
    e.handle(Event::Disconnected { now_ms: 0 });
    assert_eq!(e.cursor(), 10);
    let actions = online(&mut e, Role::Viewer);
    assert_eq!(actions, vec![Action::Send(ClientMessage::Pull { after: 10 })]);
    let actions = e.handle(Event::Received(ServerMessage::CaughtUp { head: 11 }));
    let empty = Action::Apply {
        snapshots: Vec::new(),
        entries: Vec::new(),
        cursor: 11,
    };
    assert_eq!(
        actions,
        vec![empty, Action::CaughtUp { head: 11 }],
        "nothing stale is applied"
    );
}

#[test]
fn viewers_never_push() {
    let mut e = SyncEngine::new(0, "test", 1);
    assert_eq!(
        online(&mut e, Role::Viewer),
        vec![Action::Send(ClientMessage::Pull { after: 0 })]
    );
    assert!(e.handle(Event::Outbox(vec![chunk(1)])).is_empty());
    assert!(e.handle(Event::LocalChange).is_empty());
}

#[test]
fn reconnects_back_off_and_a_revoked_token_stops_for_good() {
    let mut e = SyncEngine::new(0, "test", 9);
    let [Action::WaitUntil { now_ms: first }] = e.handle(Event::Disconnected { now_ms: 1000 })[..] else {
        panic!()
    };
    assert!(first > 1000);
    assert_eq!(
        e.handle(Event::Tick { now_ms: first - 1 }),
        vec![Action::WaitUntil { now_ms: first }]
    );
    assert_eq!(e.handle(Event::Tick { now_ms: first }), vec![Action::Connect]);
    let [Action::WaitUntil { now_ms: second }] = e.handle(Event::Disconnected { now_ms: first })[..] else {
        panic!()
    };
    assert!(second - first > first - 1000, "the delay grows");
    online(&mut e, Role::Member);
    let actions = e.handle(Event::Received(ServerMessage::Error {
        code: ErrorCode::TokenRevoked,
        message: "revoked".into(),
    }));
    assert!(matches!(
        actions[..],
        [Action::Stop {
            code: ErrorCode::TokenRevoked,
            ..
        }]
    ));
    assert!(e.is_stopped());
    assert!(e.handle(Event::Tick { now_ms: u64::MAX }).is_empty());
}

fn received(e: &mut SyncEngine, message: ServerMessage) -> Vec<Action> {
    e.handle(Event::Received(message))
}

fn disconnects(actions: &[Action]) -> bool {
    matches!(actions, [Action::Disconnect { .. }])
}

#[test]
fn a_first_welcome_adopts_the_epoch_and_keeps_the_cursor() {
    let mut e = SyncEngine::new(5, "test", 1);
    e.handle(Event::Connected);
    let actions = e.handle(welcome(Role::Viewer, 9, "e1"));
    assert_eq!(
        actions,
        vec![
            Action::NewEpoch {
                epoch: "e1".into(),
                resync: false
            },
            Action::Send(ClientMessage::Pull { after: 5 })
        ]
    );
    assert_eq!(e.epoch(), Some("e1"));
}

#[test]
fn another_epoch_pulls_from_the_start_and_pushes_everything_again() {
    let mut e = SyncEngine::new(40, "test", 1).with_epoch(Some("old".into()));
    e.handle(Event::Connected);
    let actions = e.handle(welcome(Role::Member, 100, "new"));
    assert_eq!(
        actions,
        vec![
            Action::NewEpoch {
                epoch: "new".into(),
                resync: true
            },
            Action::Send(ClientMessage::Pull { after: 0 }),
            Action::ReadOutbox
        ]
    );
    assert_eq!(e.cursor(), 0);
}

#[test]
fn a_head_below_the_cursor_in_the_same_epoch_also_resyncs() {
    let mut e = SyncEngine::new(40, "test", 1).with_epoch(Some("e1".into()));
    e.handle(Event::Connected);
    let actions = e.handle(welcome(Role::Viewer, 12, "e1"));
    assert!(
        matches!(&actions[0], Action::NewEpoch { resync: true, .. }),
        "{actions:?}"
    );
    assert_eq!(actions[1], Action::Send(ClientMessage::Pull { after: 0 }));
}

#[test]
fn the_same_epoch_resumes_from_the_cursor() {
    let mut e = SyncEngine::new(40, "test", 1).with_epoch(Some("e1".into()));
    e.handle(Event::Connected);
    let actions = e.handle(welcome(Role::Viewer, 45, "e1"));
    assert_eq!(actions, vec![Action::Send(ClientMessage::Pull { after: 40 })]);
}

#[test]
fn backlog_positions_that_go_backwards_are_refused_and_nothing_is_applied() {
    let mut e = SyncEngine::new(10, "test", 1);
    online(&mut e, Role::Viewer);
    assert!(disconnects(&received(
        &mut e,
        ServerMessage::Entries {
            entries: vec![entry(10)]
        }
    )));
    let mut e = SyncEngine::new(10, "test", 1);
    online(&mut e, Role::Viewer);
    received(
        &mut e,
        ServerMessage::Entries {
            entries: vec![entry(12)],
        },
    );
    assert!(disconnects(&received(
        &mut e,
        ServerMessage::Entries {
            entries: vec![entry(11)]
        }
    )));
    e.handle(Event::Disconnected { now_ms: 0 });
    assert_eq!(e.cursor(), 10);
}

#[test]
fn a_caught_up_head_below_the_backlog_is_refused() {
    let mut e = SyncEngine::new(0, "test", 1);
    online(&mut e, Role::Viewer);
    received(
        &mut e,
        ServerMessage::Entries {
            entries: vec![entry(5)],
        },
    );
    assert!(disconnects(&received(&mut e, ServerMessage::CaughtUp { head: 4 })));
    assert_eq!(e.cursor(), 0);
}

#[test]
fn live_positions_that_jump_or_repeat_are_refused() {
    for bad in [3, 4, 6, 9] {
        let mut e = SyncEngine::new(0, "test", 1);
        online(&mut e, Role::Viewer);
        received(&mut e, ServerMessage::CaughtUp { head: 3 });
        received(
            &mut e,
            ServerMessage::Entries {
                entries: vec![entry(4)],
            },
        );
        let actions = received(
            &mut e,
            ServerMessage::Entries {
                entries: vec![entry(bad)],
            },
        );
        assert!(disconnects(&actions), "seq {bad}: {actions:?}");
        assert_eq!(e.cursor(), 4);
    }
}

#[test]
fn an_ack_that_jumps_is_refused_but_an_old_seq_for_a_known_chunk_is_not() {
    let mut e = SyncEngine::new(0, "test", 1);
    online(&mut e, Role::Member);
    e.handle(Event::Outbox(vec![chunk(1), chunk(2)]));
    received(&mut e, ServerMessage::CaughtUp { head: 3 });
    let actions = received(
        &mut e,
        ServerMessage::Ack {
            acks: vec![Acked { id: 1, seq: 2 }],
        },
    );
    assert!(matches!(actions[0], Action::Acknowledged { cursor: 3, .. }));
    let actions = received(
        &mut e,
        ServerMessage::Ack {
            acks: vec![Acked { id: 2, seq: 7 }],
        },
    );
    assert!(disconnects(&actions), "{actions:?}");
}

#[test]
fn catching_up_moves_the_cursor_to_the_head_even_past_compacted_entries() {
    let mut e = SyncEngine::new(0, "test", 1);
    online(&mut e, Role::Viewer);
    received(
        &mut e,
        ServerMessage::Entries {
            entries: vec![entry(2)],
        },
    );
    let actions = received(&mut e, ServerMessage::CaughtUp { head: 6 });
    assert!(matches!(actions[0], Action::Apply { cursor: 6, .. }), "{actions:?}");
    assert_eq!(e.cursor(), 6);
}

#[test]
fn a_relay_that_welcomes_and_then_fails_keeps_backing_off() {
    let mut e = SyncEngine::new(0, "test", 3);
    let mut last_delay = 0;
    let mut now = 0;
    for _ in 0..5 {
        online(&mut e, Role::Member);
        let [Action::WaitUntil { now_ms: at }] = e.handle(Event::Disconnected { now_ms: now })[..] else {
            panic!()
        };
        let delay = at - now;
        assert!(delay >= last_delay, "{delay} after {last_delay}");
        last_delay = delay;
        now = at;
    }
    assert!(last_delay >= 2_000, "the delay grew: {last_delay}");
    // Real progress resets it.
    online(&mut e, Role::Member);
    received(&mut e, ServerMessage::CaughtUp { head: 1000 });
    let [Action::WaitUntil { now_ms: at }] = e.handle(Event::Disconnected { now_ms: now })[..] else {
        panic!()
    };
    assert!(at - now <= 500, "reset after catching up: {}", at - now);
}

#[test]
fn a_rejected_chunk_is_set_aside_and_the_outbox_read_again() {
    let mut e = SyncEngine::new(0, "test", 1);
    online(&mut e, Role::Member);
    e.handle(Event::Outbox(vec![chunk(1), chunk(2)]));
    let rejection = crate::sync::protocol::Rejection {
        id: 1,
        code: ErrorCode::ChunkTooLarge,
        message: "too large".into(),
    };
    let actions = received(
        &mut e,
        ServerMessage::Rejected {
            chunks: vec![rejection.clone()],
        },
    );
    assert_eq!(
        actions,
        vec![Action::SetAside {
            chunks: vec![rejection]
        }]
    );
    assert_eq!(e.in_flight(), 1);
    received(&mut e, ServerMessage::CaughtUp { head: 0 });
    let actions = received(
        &mut e,
        ServerMessage::Ack {
            acks: vec![Acked { id: 2, seq: 1 }],
        },
    );
    assert_eq!(actions.last(), Some(&Action::ReadOutbox));
}

#[test]
fn purges_are_erased_and_a_dropped_chunks_ack_moves_no_cursor() {
    let mut e = SyncEngine::new(0, "test", 1);
    online(&mut e, Role::Member);
    let purged = crate::sync::protocol::Purged {
        doc: DocId::new(),
        at_ms: 5,
    };
    let actions = received(&mut e, ServerMessage::Purged { docs: vec![purged] });
    assert_eq!(actions, vec![Action::Erase { docs: vec![purged] }]);
    e.handle(Event::Outbox(vec![chunk(9)]));
    received(&mut e, ServerMessage::CaughtUp { head: 3 });
    let actions = received(
        &mut e,
        ServerMessage::Ack {
            acks: vec![Acked { id: 9, seq: 0 }],
        },
    );
    assert_eq!(
        actions[0],
        Action::Acknowledged {
            ids: vec![9],
            cursor: 3
        }
    );
}

fn welcome_with(limits: crate::sync::protocol::Limits) -> Event {
    Event::Received(ServerMessage::Welcome {
        version: PROTOCOL_VERSION,
        workspace: "w".into(),
        role: Role::Member,
        head: 0,
        epoch: "e1".into(),
        limits,
    })
}

/// A real Automerge document holding a `size`-byte repetitive string: saved (its
/// columns compressed), it is a few hundred bytes.
fn compressible_change(size: usize) -> Vec<u8> {
    use automerge::transaction::Transactable;
    let mut doc = automerge::AutoCommit::new();
    doc.put(automerge::ROOT, "notes", "x".repeat(size)).unwrap();
    doc.save()
}

#[test]
fn a_change_that_inflates_past_the_announced_bound_is_set_aside_before_pushing() {
    let mut e = SyncEngine::new(0, "test", 1);
    e.handle(Event::Connected);
    e.handle(welcome_with(crate::sync::protocol::Limits {
        max_inflated_chunk_bytes: 64 * 1024,
        ..Default::default()
    }));
    let bomb = compressible_change(200_000);
    assert!(bomb.len() < 64 * 1024 / 8, "{} bytes", bomb.len());
    let fine = compressible_change(1_000);
    let actions = e.handle(Event::Outbox(vec![
        PushChunk {
            id: 1,
            doc: DocId::new(),
            data: bomb,
        },
        PushChunk {
            id: 2,
            doc: DocId::new(),
            data: fine,
        },
    ]));
    let [
        Action::SetAside { chunks },
        Action::Send(ClientMessage::Push { chunks: pushed }),
    ] = &actions[..]
    else {
        panic!("{actions:?}")
    };
    assert_eq!(chunks.len(), 1);
    assert_eq!((chunks[0].id, chunks[0].code), (1, ErrorCode::ChunkTooLarge));
    assert!(chunks[0].message.contains("65536"), "{}", chunks[0].message);
    assert_eq!(pushed.iter().map(|c| c.id).collect::<Vec<_>>(), vec![2]);
}

#[test]
fn a_change_over_the_announced_chunk_limit_is_set_aside_and_the_outbox_read_again() {
    let mut e = SyncEngine::new(0, "test", 1);
    e.handle(Event::Connected);
    e.handle(welcome_with(crate::sync::protocol::Limits {
        max_chunk_bytes: 2,
        ..Default::default()
    }));
    let actions = e.handle(Event::Outbox(vec![chunk(1)]));
    assert!(matches!(&actions[..], [Action::SetAside { chunks }, Action::ReadOutbox] if chunks[0].id == 1));
    assert_eq!(e.in_flight(), 0);
}

#[test]
fn a_workspace_over_its_quota_stops_syncing_instead_of_retrying() {
    let mut e = SyncEngine::new(0, "test", 1);
    online(&mut e, Role::Member);
    let actions = received(
        &mut e,
        ServerMessage::Error {
            code: ErrorCode::QuotaExceeded,
            message: "quota".into(),
        },
    );
    assert!(matches!(
        &actions[..],
        [Action::Stop {
            code: ErrorCode::QuotaExceeded,
            ..
        }]
    ));
    assert!(e.is_stopped());
}

#[test]
fn a_device_dropped_for_reading_too_slowly_waits_seconds_before_reconnecting() {
    for (code, slow) in [(ErrorCode::TooSlow, true), (ErrorCode::Internal, false)] {
        let mut e = SyncEngine::new(0, "test", 1);
        online(&mut e, Role::Member);
        received(&mut e, ServerMessage::CaughtUp { head: 1000 });
        let actions = received(
            &mut e,
            ServerMessage::Error {
                code,
                message: "m".into(),
            },
        );
        assert!(disconnects(&actions));
        let [Action::WaitUntil { now_ms: at }] = e.handle(Event::Disconnected { now_ms: 0 })[..] else {
            panic!()
        };
        if slow {
            assert!(at >= 4_000, "{code:?}: {at} ms");
        } else {
            assert!(at <= 500, "{code:?}: {at} ms");
        }
    }
}
