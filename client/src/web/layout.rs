//! The page shell: the sidebar (workspace, sync state, search, objects, trash,
//! conflicts, schema, import, sync), the main area, and the undo toast.

use std::sync::{Arc, Mutex};

use axum::response::Html;
use kith_core::{ObjectId, Workspace};
use maud::{DOCTYPE, Markup, html};

use super::security::TOKEN_FIELD;
use super::undo::Toast;

/// What the sidebar shows, read on the workspace thread for each page.
pub(crate) struct Chrome {
    pub(crate) workspace: String,
    pub(crate) objects: Vec<(ObjectId, String, String)>,
    pub(crate) trash: u64,
    pub(crate) conflicts: usize,
    pub(crate) pending: u64,
    pub(crate) remote: bool,
    /// What the sync connector last said (`None`: it is not running).
    pub(crate) online: Option<bool>,
    pub(crate) token: String,
    /// Saved views, listed under their objects.
    pub(crate) views: Vec<super::views::SavedView>,
}

/// What a page needs from the server besides the workspace: the session token and the
/// connector's state. Cheap to clone into a workspace job.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) token: String,
    pub(crate) sync: Arc<Mutex<SyncStatus>>,
}

/// The sync connector's state as the pages show it.
#[derive(Debug, Clone, Default)]
pub(crate) struct SyncStatus {
    /// The connector runs (a relay is set).
    pub(crate) running: bool,
    pub(crate) online: bool,
    /// The last thing it said, for the Sync page ("offline: connection refused").
    pub(crate) last: String,
}

impl Chrome {
    /// Reads the sidebar's facts from `ws`.
    pub(crate) fn read(ws: &Workspace, session: &Session) -> Chrome {
        let sync = session.sync.lock().map(|s| s.clone()).unwrap_or_default();
        let workspace = ws
            .path()
            .and_then(|p| p.file_name())
            .map_or_else(|| "Workspace".to_string(), |n| n.to_string_lossy().into_owned());
        Chrome {
            workspace,
            objects: ws
                .schema()
                .active_objects()
                .map(|o| (o.id, o.key.clone(), o.label.clone()))
                .collect(),
            trash: ws.trash_len().unwrap_or(0),
            conflicts: ws.conflicts(None).map(|c| c.len()).unwrap_or(0),
            pending: ws.outbox_len().unwrap_or(0),
            remote: ws.setting("remote.url").ok().flatten().is_some_and(|s| !s.is_empty()),
            online: sync.running.then_some(sync.online),
            token: session.token.clone(),
            views: super::views::load(ws),
        }
    }

    /// A hidden form field with the session token; every POST form carries one.
    pub(crate) fn token_field(&self) -> Markup {
        html! { input type="hidden" name=(TOKEN_FIELD) value=(self.token); }
    }
}

/// Which sidebar entry is the current page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Active {
    Object(ObjectId),
    Trash,
    Conflicts,
    Schema,
    Import,
    Sync,
    Search,
    Reports,
    Automations,
}

/// A whole page: the shell around `body`.
pub(crate) fn page(chrome: &Chrome, title: &str, active: Active, toast: Option<&Toast>, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="kith-token" content=(chrome.token);
                title { (title) " · Kith" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                (sidebar(chrome, active))
                main #main tabindex="-1" { (body) }
                @if let Some(toast) = toast { (toast.render(chrome)) }
            }
        }
    };
    Html(markup.into_string())
}

fn sidebar(chrome: &Chrome, active: Active) -> Markup {
    let current = |a: Active| if a == active { Some("page") } else { None };
    let (dot, state) = match (chrome.remote, chrome.online, chrome.pending) {
        (false, _, _) => ("local", "Local only".to_string()),
        (true, Some(false), 0) => ("offline", "Offline".to_string()),
        (true, Some(false), n) => ("offline", format!("Offline · {n} changes to send")),
        (true, _, 0) => ("synced", "Synced".to_string()),
        (true, _, n) => ("pending", format!("Syncing · {n} changes to send")),
    };
    html! {
        nav.sidebar aria-label="Workspace" {
            details.menu open {
                summary { span.ws-name { (chrome.workspace) } }
                a.sync-state href="/sync" aria-current=[current(Active::Sync)] {
                    span class={"dot " (dot)} aria-hidden="true" {} (state)
                }
                form.search role="search" action="/search" method="get" {
                    label.visually-hidden for="global-search" { "Search" }
                    input #global-search type="search" name="q" placeholder="Search  /" autocomplete="off";
                    div #search-results role="listbox" {}
                }
                ul.objects {
                    @for (id, key, label) in &chrome.objects {
                        li {
                            a href={"/o/" (key)} aria-current=[current(Active::Object(*id))] { (label) }
                            @let views: Vec<_> = chrome.views.iter().filter(|v| v.object == *key).collect();
                            @if !views.is_empty() {
                                ul.views { @for v in views { li { a href=(v.url()) { (v.name) } } } }
                            }
                        }
                    }
                }
                ul.tools {
                    li { a href="/trash" aria-current=[current(Active::Trash)] { "Trash" @if chrome.trash > 0 { span.count { (chrome.trash) } } } }
                    li { a href="/conflicts" aria-current=[current(Active::Conflicts)] {
                        "Conflicts"
                        @if chrome.conflicts > 0 { span.count.warn title="fields with competing values" { "⚠ " (chrome.conflicts) } }
                    } }
                    li { a href="/schema" aria-current=[current(Active::Schema)] { "Schema" } }
                    li { a href="/import" aria-current=[current(Active::Import)] { "Import" } }
                    li { a href="/reports" aria-current=[current(Active::Reports)] { "Reports" } }
                    li { a href="/automations" aria-current=[current(Active::Automations)] { "Automations" } }
                    li { a href="/sync" aria-current=[current(Active::Sync)] { "Sync" } }
                }
            }
        }
    }
}

/// A moment in time, as a `<time>` element: readable UTC for plain HTML (`2026-12-01
/// 13:14 UTC`), the exact instant in `datetime` and the tooltip; the page script shows it
/// in the reader's own time zone and locale.
pub(crate) fn moment(ms: i64) -> Markup {
    let exact = kith_core::time_fmt::format_datetime(ms);
    let readable = match (exact.get(..10), exact.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => exact.clone(),
    };
    html! { time datetime=(exact) title=(exact) { (readable) } }
}

/// An inline SVG-free star string for ratings.
pub(crate) fn stars(n: u32, max: u32) -> Markup {
    let filled = "★".repeat(n.min(max) as usize);
    let empty = "☆".repeat(max.saturating_sub(n) as usize);
    html! { span.stars aria-label={(n) " of " (max)} { (filled) (empty) } }
}

/// The "save this view" menu of a table or board header, and "delete" for a saved one.
pub(crate) fn view_menu(
    chrome: &Chrome,
    object: &str,
    kind: &str,
    state: [(&str, &str); 4],
    current: Option<&super::views::SavedView>,
    back: &str,
) -> Markup {
    html! {
        details.view-menu {
            summary.button.secondary { "View ▾" }
            div.menu-body {
                form method="post" action="/views" {
                    (chrome.token_field())
                    input type="hidden" name="object" value=(object);
                    input type="hidden" name="kind" value=(kind);
                    @for (k, v) in state { input type="hidden" name=(k) value=(v); }
                    label { "Save as " input type="text" name="name" required value=[current.map(|v| v.name.as_str())]; }
                    label.mine { input type="checkbox" name="mine" value="1" checked[current.is_some_and(|v| v.owner.is_some())]; " Only for me" }
                    button type="submit" { "Save view" }
                }
                @if let Some(v) = current {
                    form method="post" action={"/views/" (v.id) "/delete"} {
                        (chrome.token_field())
                        input type="hidden" name="back" value=(back);
                        button.danger type="submit" { "Delete view “" (v.name) "”" }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::moment;

    #[test]
    fn a_moment_reads_as_utc_to_the_minute_and_keeps_the_exact_instant() {
        // 2026-12-01T13:14:38Z
        let html = moment(1_796_130_878_000).into_string();
        assert_eq!(
            html,
            r#"<time datetime="2026-12-01T13:14:38Z" title="2026-12-01T13:14:38Z">2026-12-01 13:14 UTC</time>"#
        );
    }
}
