//! A small Chrome DevTools Protocol client for the web UI's browser tests: launches
//! headless Chromium, opens one page, and drives it (navigate, evaluate, screenshot,
//! window size). Synchronous, over the tungstenite the project already has.
//!
//! Chromium must be installed (`.ci/run` installs Debian's `chromium`); when it is not,
//! the tests fail loudly instead of skipping.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::stream::MaybeTlsStream;
use tokio_tungstenite::tungstenite::{Message, WebSocket, connect};

/// How long one DevTools answer may take before the test gives up (a hang guard, not
/// an assertion about speed).
const READ_GUARD: Duration = Duration::from_secs(60);

/// One browser at a time: the tests of a binary run in parallel threads, and a handful of
/// Chromiums at once on a small CI machine makes every one of them slow.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A headless Chromium with one page attached.
pub(crate) struct Browser {
    _turn: MutexGuard<'static, ()>,
    child: Child,
    _profile: tempfile::TempDir,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    /// Events received while waiting for answers, oldest first.
    events: Vec<Value>,
    /// Where a failing test's screenshot goes.
    name: String,
}

fn chromium_binary() -> String {
    for candidate in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(candidate)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
        {
            return candidate.to_string();
        }
    }
    panic!("the browser tests need Chromium: install it (apt-get install chromium); .ci/run does");
}

impl Browser {
    /// Launches Chromium and opens a blank page `width` × `height` CSS pixels.
    pub(crate) fn launch(name: &str, width: u32, height: u32) -> Browser {
        // A test that failed while holding the turn poisons it; the next one still runs.
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut child = Command::new(chromium_binary())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-port=0",
                "about:blank",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("Chromium starts");
        // Chromium says where its DevTools socket listens on stderr once it is ready.
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let ws_url = loop {
            let line = lines
                .next()
                .expect("Chromium printed its DevTools address before exiting")
                .expect("stderr is readable");
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                break url.trim().to_string();
            }
        };
        // Keep draining stderr so Chromium never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let (socket, _) = connect(ws_url.as_str()).expect("the DevTools socket accepts");
        if let MaybeTlsStream::Plain(tcp) = socket.get_ref() {
            tcp.set_read_timeout(Some(READ_GUARD)).expect("a read timeout");
        }
        let mut browser = Browser {
            _turn: turn,
            child,
            _profile: profile,
            socket,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
            name: name.to_string(),
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("a target").to_string();
        let attached = browser.call("Target.attachToTarget", json!({"targetId": target_id, "flatten": true}));
        browser.session = attached["sessionId"].as_str().expect("a session").to_string();
        browser.call("Page.enable", json!({}));
        browser.call("Runtime.enable", json!({}));
        browser.resize(width, height);
        browser
    }

    /// Sends a command (to the page once attached) and returns its result.
    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(msg.to_string()))
            .expect("DevTools accepts a command");
        loop {
            let v = self.read();
            if v["id"] == json!(id) {
                if let Some(e) = v.get("error") {
                    panic!("{method} failed: {e}");
                }
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    fn read(&mut self) -> Value {
        loop {
            match self.socket.read().expect("DevTools answers") {
                Message::Text(t) => return serde_json::from_str(&t).expect("DevTools sends JSON"),
                Message::Close(_) => panic!("the browser closed the DevTools socket"),
                _ => {}
            }
        }
    }

    /// Waits for an event named `method` that arrived after `from` (an events index).
    fn wait_event(&mut self, method: &str, from: usize) -> Value {
        if let Some(e) = self.events[from..].iter().find(|e| e["method"] == method) {
            return e.clone();
        }
        loop {
            let v = self.read();
            self.events.push(v.clone());
            if v["method"] == method {
                return v;
            }
        }
    }

    /// Sets the window size (a phone or a laptop).
    pub(crate) fn resize(&mut self, width: u32, height: u32) {
        let mobile = width < 700;
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        );
    }

    /// Opens `url` and waits until it has loaded.
    pub(crate) fn goto(&mut self, url: &str) {
        let from = self.events.len();
        self.call("Page.navigate", json!({"url": url}));
        self.wait_event("Page.loadEventFired", from);
    }

    /// Runs `action` (script that submits a form or follows a link) and waits for the
    /// next page to load.
    pub(crate) fn and_wait(&mut self, action: &str) {
        let from = self.events.len();
        self.eval(action);
        self.wait_event("Page.loadEventFired", from);
    }

    /// Evaluates an expression (promises awaited) and returns its value.
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            self.screenshot_failure();
            panic!("script failed: {expression}\n{e}");
        }
        r["result"]["value"].clone()
    }

    /// The text of the first element matching `selector` ("" when none).
    pub(crate) fn text(&mut self, selector: &str) -> String {
        let expr = format!("document.querySelector({})?.textContent ?? ''", json!(selector));
        self.eval(&expr).as_str().unwrap_or_default().to_string()
    }

    /// The current address.
    pub(crate) fn url(&mut self) -> String {
        self.eval("location.href").as_str().unwrap_or_default().to_string()
    }

    /// Waits (inside the page, on DOM changes, no polling) until `selector` matches an
    /// element whose text contains `text`.
    pub(crate) fn wait_for_text(&mut self, selector: &str, text: &str) {
        let expr = format!(
            "new Promise((resolve) => {{
                const sel = {}, want = {};
                const ok = () => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes(want));
                if (ok()) return resolve(true);
                new MutationObserver((_, obs) => {{ if (ok()) {{ obs.disconnect(); resolve(true); }} }})
                    .observe(document.documentElement, {{subtree: true, childList: true, characterData: true}});
            }})",
            json!(selector),
            json!(text)
        );
        self.eval(&expr);
    }

    /// Whether any JavaScript dialog (alert, confirm) opened so far.
    pub(crate) fn dialog_opened(&self) -> bool {
        self.events
            .iter()
            .any(|e| e["method"] == "Page.javascriptDialogOpening")
    }

    /// A PNG of the viewport.
    pub(crate) fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let data = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("image data"))
            .expect("base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot directory");
        }
        std::fs::write(path, data).expect("the screenshot is written");
    }

    /// Saves a screenshot of the current page for a failing test.
    pub(crate) fn screenshot_failure(&mut self) {
        let path = failure_dir().join(format!("{}.png", self.name));
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.screenshot(&path)));
        eprintln!("screenshot of the failing page: {}", path.display());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.screenshot_failure();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where failure screenshots go (`target/browser-failures`).
fn failure_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/browser-failures")
}

/// Where the screenshots of the main pages go: `target/screenshots` on every run, and
/// the README's `docs/screenshots` when `KITH_UPDATE_SCREENSHOTS=1` (so a test run
/// leaves the work tree as it was).
pub(crate) fn docs_screenshot(name: &str) -> PathBuf {
    let dir = if std::env::var_os("KITH_UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
        "../docs/screenshots"
    } else {
        "../target/screenshots"
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}
