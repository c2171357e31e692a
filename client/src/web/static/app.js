// Kith's page script: what plain forms cannot do. Every page works without it.
// Inline saves, drag and drop on the board, search as you type, the undo shortcut,
// and live refresh from server-sent events. No framework, no build step.
(() => {
  "use strict";
  document.documentElement.classList.add("js");
  const token = document.querySelector('meta[name="kith-token"]')?.content || "";

  // "/" focuses search; results appear as you type.
  const search = document.getElementById("global-search");
  const results = document.getElementById("search-results");
  document.addEventListener("keydown", (e) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName || "");
    if (e.key === "/" && !typing) { e.preventDefault(); search?.focus(); }
    const undo = document.querySelector(".toast .undo");
    if ((e.ctrlKey || e.metaKey) && e.key === "z" && undo && !typing) { e.preventDefault(); undo.click(); }
  });
  let searchTimer = 0, searchSeq = 0;
  search?.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(async () => {
      const q = search.value.trim(), seq = ++searchSeq;
      if (!q) { results.replaceChildren(); return; }
      const hits = await (await fetch("/api/search?q=" + encodeURIComponent(q))).json();
      if (seq !== searchSeq) return;
      results.replaceChildren(...hits.map((h) => {
        const a = document.createElement("a");
        a.href = "/r/" + h.id; a.setAttribute("role", "option");
        a.textContent = h.name + " · " + h.object_label;
        return a;
      }));
    }, 80);
  });

  // What the main area's controls do; bound again after a live refresh replaces it.
  // Moments are rendered in UTC; show them in the reader's own time zone and locale.
  const localTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  function localizeTimes() {
    document.querySelectorAll("time[datetime]").forEach((t) => {
      const when = new Date(t.getAttribute("datetime"));
      if (!isNaN(when)) t.textContent = localTime.format(when);
    });
  }

  function bindMain() {
    localizeTimes();
    // Table: double-click a cell (or press Enter on it) to edit it in place; Enter saves
    // through the JSON API, Esc cancels, and a toast offers Undo.
    document.querySelectorAll("table.records td[data-edit]").forEach((td) => {
      if (td.querySelector("a.name")) return;
      td.tabIndex = 0;
      const start = () => editCell(td);
      td.addEventListener("dblclick", start);
      td.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.target === td) { e.preventDefault(); start(); } });
    });

    // Computed field definitions: a live preview on a sample record as people type,
    // with the error and its position when it does not compile.
    document.querySelectorAll("input[data-computed-preview]").forEach((input) => {
      const form = input.form;
      const output = input.closest("label").nextElementSibling;
      let timer = null;
      const preview = async () => {
        const kind = form.querySelector("[name=kind]")?.value || "";
        const params = new URLSearchParams({ object: input.dataset.computedPreview, kind, definition: input.value });
        const response = await fetch("/schema/computed/preview?" + params);
        output.innerHTML = await response.text();
      };
      const later = () => { clearTimeout(timer); timer = setTimeout(preview, 200); };
      input.addEventListener("input", later);
      form.querySelector("select[name=kind]")?.addEventListener("change", later);
    });

    // Selects that apply as soon as they change (the board's field, option colours).
    document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
      select.addEventListener("change", () => select.form.requestSubmit());
    });

    // Select all rows on the page.
    document.querySelector("[data-select-all]")?.addEventListener("change", (e) => {
      document.querySelectorAll('input[name="ids"]').forEach((box) => { box.checked = e.target.checked; });
    });

    // Record page: a changed field is marked; select, checkbox and date fields save on change.
    document.querySelectorAll("form.field-form").forEach((form) => {
      form.addEventListener("input", () => form.classList.add("dirty"));
      form.addEventListener("change", (e) => {
        if (/^(SELECT)$/.test(e.target.tagName) && !e.target.multiple || e.target.type === "checkbox") form.requestSubmit();
      });
      form.addEventListener("keydown", (e) => { if (e.key === "Escape") { form.reset(); form.classList.remove("dirty"); } });
    });

    // Relation inputs: suggestions from search.
    document.querySelectorAll("input[data-relation]").forEach((input) => {
      input.addEventListener("input", async () => {
        const q = input.value.split(";").pop().trim();
        if (q.length < 2) return;
        const hits = await (await fetch("/api/search?q=" + encodeURIComponent(q))).json();
        const list = document.getElementById(input.getAttribute("list"));
        list?.replaceChildren(...hits.map((h) => { const o = document.createElement("option"); o.value = h.name; return o; }));
      });
    });

    // Board: drag a card to a column = submit its move form with that option.
    let dragged = null;
    document.querySelectorAll(".card").forEach((card) => {
      card.addEventListener("dragstart", (e) => { dragged = card; e.dataTransfer.setData("text/plain", card.dataset.record); });
    });
    document.querySelectorAll(".column").forEach((col) => {
      col.addEventListener("dragover", (e) => { e.preventDefault(); col.classList.add("drop"); });
      col.addEventListener("dragleave", () => col.classList.remove("drop"));
      col.addEventListener("drop", (e) => {
        e.preventDefault(); col.classList.remove("drop");
        if (!dragged) return;
        const form = dragged.querySelector("form.move");
        form.querySelector("select").value = col.dataset.option;
        form.requestSubmit();
      });
    });
  }
  bindMain();

  function editCell(td) {
    if (td.querySelector("input.cell-edit")) return;
    const record = td.closest("tr").dataset.record, field = td.dataset.field;
    const before = td.innerHTML;
    const input = document.createElement("input");
    input.className = "cell-edit"; input.value = td.dataset.edit;
    input.setAttribute("aria-label", td.dataset.label);
    td.replaceChildren(input); input.focus(); input.select();
    const cancel = () => { td.innerHTML = before; td.focus(); };
    input.addEventListener("blur", cancel);
    input.addEventListener("keydown", async (e) => {
      if (e.key === "Escape") { e.preventDefault(); cancel(); }
      if (e.key !== "Enter") return;
      e.preventDefault();
      input.removeEventListener("blur", cancel);
      const res = await fetch("/api/records/" + record, {
        method: "PATCH",
        headers: { "content-type": "application/json", "x-kith-token": token },
        body: JSON.stringify({ values: { [field]: input.value } }),
      });
      const answer = await res.json();
      if (!res.ok) { input.setCustomValidity(answer.error); input.reportValidity(); input.addEventListener("blur", cancel); return; }
      await refresh();
      if (answer.undo) showToast("Saved", answer.undo.replace(/^change:/, ""));
    });
  }
  function showToast(message, change) {
    document.querySelector(".toast")?.remove();
    const toast = document.createElement("div");
    toast.className = "toast"; toast.setAttribute("role", "status");
    const text = document.createElement("span"); text.textContent = message;
    const undo = document.createElement("button"); undo.className = "undo"; undo.textContent = "Undo";
    undo.addEventListener("click", async () => {
      await fetch("/api/revert", { method: "POST", headers: { "content-type": "application/json", "x-kith-token": token },
        body: JSON.stringify({ change }) });
      toast.remove(); await refresh();
    });
    toast.append(text, undo); document.body.append(toast);
    setTimeout(() => { if (!toast.contains(document.activeElement)) toast.remove(); }, 8000);
  }

  // Import: a chosen file is read into the form's CSV field.
  document.querySelectorAll("input[type=file][data-csv-into]").forEach((input) => {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      const target = document.getElementById(input.dataset.csvInto);
      if (file && target) target.value = await file.text();
    });
  });

  // Import progress: the bar follows the running import; its result replaces the page.
  const importing = document.querySelector("[data-import-progress]");
  if (importing) {
    const url = importing.dataset.importProgress;
    const poll = async () => {
      const p = await (await fetch(url)).json();
      // Looked up each time: a live refresh may have replaced the element.
      const bar = document.querySelector("[data-import-progress] progress");
      const done = document.querySelector("[data-import-progress] .rows-done");
      if (bar) { bar.max = Math.max(p.rows_total, 1); bar.value = p.rows_done; }
      if (done) done.textContent = p.rows_done;
      if (p.finished) location.reload(); else setTimeout(poll, 500);
    };
    setTimeout(poll, 200);
  }

  // The toast goes away after a while (it stays while focused).
  const toast = document.querySelector(".toast");
  if (toast) {
    setTimeout(() => { if (!toast.contains(document.activeElement)) toast.classList.add("gone"); }, 8000);
    // Keep the address clean so a reload does not show the toast again.
    const url = new URL(location.href);
    url.searchParams.delete("done"); url.searchParams.delete("undo");
    history.replaceState(null, "", url);
  }

  // Live refresh: another device or a CLI command changed the workspace.
  if (window.EventSource) {
    const events = new EventSource("/events");
    events.addEventListener("change", (e) => {
      let change = {};
      try { change = JSON.parse(e.data); } catch (_) { /* refresh */ }
      if (!concernsThisPage(change)) return;
      const busy = document.querySelector("form.dirty, details[open] form.record-form") ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName || "");
      if (busy) return;
      refresh();
    });
    // A page left for another keeps no stream open: the browser's few connections per
    // host would otherwise run out after several pages and stall the next one.
    addEventListener("pagehide", () => events.close());
    addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
  }
  // A record page refreshes for its own record, a record it shows, the schema or a saved
  // view (the sidebar lists them); lists and boards for any change (a new record may
  // belong in them).
  function concernsThisPage(change) {
    const records = change.records || [];
    if (change.schema || (change.config || []).length || !records.length || !location.pathname.startsWith("/r/")) return true;
    return records.some((id) => location.pathname === "/r/" + id ||
      document.querySelector('a[href="/r/' + id + '"]'));
  }
  async function refresh() {
    const html = await (await fetch(location.href, { headers: { "x-kith-refresh": "1" } })).text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    const main = doc.querySelector("main"), nav = doc.querySelector("nav.sidebar .tools");
    const objects = doc.querySelector("nav.sidebar ul.objects");
    if (main) document.querySelector("main").replaceChildren(...main.childNodes);
    if (nav) document.querySelector("nav.sidebar .tools").replaceWith(nav);
    // Saved views listed under their objects (one may have arrived by sync).
    if (objects) document.querySelector("nav.sidebar ul.objects")?.replaceWith(objects);
    bindMain();
    document.dispatchEvent(new Event("kith:refreshed"));
  }
  window.kithToken = token;
})();
