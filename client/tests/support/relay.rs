//! A real relay (kith-relay's library, in memory) serving on 127.0.0.1:0 from a
//! background runtime, for tests that sync devices through it. Included with
//! `#[path = "support/relay.rs"] mod relay;` by the tests that need one, so the others
//! do not compile it.
#![allow(dead_code)]

use kith_relay::{Config, Relay, Role};

/// A relay serving until dropped.
pub(crate) struct TestRelay {
    pub(crate) relay: Relay,
    /// `http://127.0.0.1:PORT`, the URL devices are given.
    pub(crate) url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _runtime: tokio::runtime::Runtime,
}

impl TestRelay {
    pub(crate) fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let relay = Relay::in_memory(Config::default()).expect("relay");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(kith_relay::serve(listener, relay.clone(), async move {
            let _ = stopped.await;
        }));
        TestRelay {
            relay,
            url,
            _stop: stop,
            _runtime: runtime,
        }
    }

    /// A new relay workspace: its id, an owner token and a member token.
    pub(crate) fn workspace(&self) -> (String, String, String) {
        let (workspace, owner) = self.relay.create_workspace("test").expect("workspace");
        let member = self.relay.create_token(workspace.id, Role::Member).expect("token");
        (workspace.id.to_string(), owner.secret, member.secret)
    }
}
