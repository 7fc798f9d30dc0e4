// KLA self-assessment: offline work in the workspace (issue 25, offline). No inline scripts anywhere.
//
// An answer save (form.answer) that cannot reach the server waits in IndexedDB, in order, under its
// owner (user / kab/kota / year, from #offline-status): it is sent only from a page of that owner,
// with that page's CSRF token, and with the version the user edited from, so today's conflict rule
// holds (409: the server's message is shown, the text stays in the field and in the queue until the
// user chooses). The service worker (/sw.js, templates/offline/sw.js) keeps the static files and the
// last copy of the workspace; a copy shown offline is read-only and shows the waiting edits.
(function () {
  "use strict";
  const status = document.getElementById("offline-status");
  if (!status || !window.Promise) return;
  const text = status.querySelector(".offline-text");
  const owner = status.dataset.owner;
  const copy = document.body.hasAttribute("data-offline-copy");  // set by the worker on a kept copy
  const SERVER_ONLY = "form.upload, form.reuse, form.submit-one, form.submit-all, .conflict";
  let entries = [];  // this owner's edits, oldest first: {id, form, url, target, fields, version, state, html}
  let db = null;
  let writes = Promise.resolve();  // IndexedDB writes one after another (an entry's id comes from its first)
  let flushing = false;
  let blocked = false;  // the server refused the session or the form (401/403 page): wait for a login
  let sentAll = false;
  const sentNow = {};  // form id -> the last edit sent from this page, with the version it got

  // -- IndexedDB ---------------------------------------------------------------------------------
  function request(mode, work) {
    return new Promise((resolve, reject) => {
      const transaction = db.transaction("edits", mode);
      const asked = work(transaction.objectStore("edits"));
      transaction.oncomplete = () => resolve(asked.result);
      transaction.onerror = transaction.onabort = () => reject(transaction.error);
    });
  }
  function openDb() {
    return new Promise((resolve, reject) => {
      const opening = indexedDB.open("kla-offline", 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore("edits", {keyPath: "id", autoIncrement: true});
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(opening.error);
    });
  }
  function save(entry) {
    writes = writes.then(() => request("readwrite", (store) => store.put(entry))).then((id) => { entry.id = id; });
    return writes;
  }
  function drop(entry) {
    entries = entries.filter((e) => e !== entry);
    writes = writes.then(() => (entry.id === undefined ? null : request("readwrite", (store) => store.delete(entry.id))));
    return writes;
  }

  // -- the page ----------------------------------------------------------------------------------
  const count = (state) => entries.filter((e) => e.state === state).length;
  const latestFor = (formId) => entries.filter((e) => e.form === formId).pop();
  const token = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";

  function show() {
    const waiting = count("waiting");
    const attention = count("attention");
    const parts = [];
    if (copy) parts.push(status.dataset.copy);
    else if (!navigator.onLine) parts.push(status.dataset.offline);
    if (waiting) parts.push((flushing ? status.dataset.sending + " " : "") + status.dataset.waiting.replace("{n}", waiting));
    if (attention) parts.push(status.dataset.attention.replace("{n}", attention));
    if (blocked && waiting) parts.push(status.dataset.relogin);
    if (!parts.length && sentAll) parts.push(status.dataset.sent);
    text.textContent = parts.join(" ");
    status.hidden = !parts.length;
    status.dataset.waitingCount = String(waiting);
    status.classList.toggle("is-offline", copy || !navigator.onLine);
    status.classList.toggle("is-pending", waiting + attention > 0);  // kept in view while it matters
  }

  function fieldsOf(form) {
    const fields = [];
    new FormData(form).forEach((value, name) => { if (name !== "version") fields.push([name, String(value)]); });
    return fields;
  }

  // The waiting values into the form's fields (a reload, a card opened again).
  function apply(form, entry) {
    const given = {};
    entry.fields.forEach((field) => { (given[field[0]] = given[field[0]] || []).push(field[1]); });
    Array.prototype.forEach.call(form.elements, (field) => {
      if (!field.name || field.name === "version" || field.type === "submit" || field.type === "button") return;
      const values = given[field.name] || [];
      if (field.type === "radio" || field.type === "checkbox") field.checked = values.indexOf(field.value) >= 0;
      else field.value = values.length ? values[0] : "";
    });
  }

  function swapInto(selector, html) {
    const target = selector && document.querySelector(selector);
    if (target && window.htmx) htmx.swap(target, html, {swapStyle: "innerHTML", swapDelay: 0, settleDelay: 0});
  }

  function showEntry(form) {
    const entry = latestFor(form.id);
    const done = sentNow[form.id];
    const version = form.querySelector("input[name=version]");
    if (!entry && done && version && Number(version.value) < Number(done.version)) {
      // A card that left the server before its waiting edit arrived there: show what was sent.
      apply(form, done);
      swapInto(done.target, done.html);
      return;
    }
    if (!entry) return;
    apply(form, entry);
    if (entry.state === "attention") swapInto(entry.target, entry.html);
    else swapInto(entry.target, "");
    const state = document.querySelector(entry.target);
    if (state && entry.state === "waiting") state.textContent = status.dataset.kept;
  }

  // Server-only actions wait for the line (with a short note); a copy kept offline is read-only altogether.
  function setDisabled(controls, off) {
    Array.prototype.forEach.call(controls, (control) => {
      if (off && !control.disabled) { control.disabled = true; control.dataset.offlineOff = "1"; }
      else if (!off && control.dataset.offlineOff) { control.disabled = false; delete control.dataset.offlineOff; }
    });
  }
  function lockControls(root) {
    const all = "input, select, textarea, button";
    if (copy) {
      setDisabled(Array.prototype.filter.call(root.querySelectorAll(all), (c) => c.closest("main")), true);
      return;
    }
    const offline = !navigator.onLine;
    const scopes = Array.prototype.slice.call(root.querySelectorAll(SERVER_ONLY));
    if (root.matches && root.matches(SERVER_ONLY)) scopes.push(root);
    scopes.forEach((scope) => {
      setDisabled(scope.querySelectorAll(all), offline);
      if (!scope.matches("form")) return;
      let note = scope.querySelector(".offline-note");
      if (offline && !note) {
        note = document.createElement("p");
        note.className = "hint offline-note";
        note.textContent = status.dataset.needsLine;
        scope.appendChild(note);
      } else if (!offline && note) note.remove();
    });
  }

  // -- keeping an edit -----------------------------------------------------------------------------
  function keep(form) {
    const last = entries[entries.length - 1];
    let entry = last && last.form === form.id && last.state === "waiting" ? last : null;
    if (entry) entry.fields = fieldsOf(form);  // the same answer again: the last edit wins, from the same version
    else {
      const version = form.querySelector("input[name=version]");
      entry = {owner: owner, form: form.id, url: form.getAttribute("hx-post"), target: form.getAttribute("hx-target"),
               fields: fieldsOf(form), version: version ? version.value : "0", state: "waiting", html: ""};
      entries.push(entry);
    }
    sentAll = false;
    save(entry).then(show, show);
    const state = document.querySelector(entry.target);
    if (state) state.textContent = status.dataset.kept;
    form.dispatchEvent(new CustomEvent("kla:kept-offline", {bubbles: true}));  // app.js: no "unsaved" prompt
    show();
  }

  // -- sending, in order ---------------------------------------------------------------------------
  function flush() {
    if (flushing || copy || !db || !navigator.onLine) return;
    const next = entries.find((e) => e.state === "waiting");
    if (!next) { show(); return; }
    flushing = true;
    show();
    send(next).then((more) => {
      flushing = false;
      if (more) flush(); else show();
    }, () => { flushing = false; show(); });  // no line after all: the next "online" or the timer tries again
  }

  function send(entry) {
    const body = new URLSearchParams();
    entry.fields.forEach((field) => body.append(field[0], field[1]));
    body.append("version", entry.version);
    return fetch(entry.url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"X-CSRF-Token": token(), "HX-Request": "true", "HX-Current-URL": location.href},
    }).then((response) => response.text().then((html) => {
      if (response.status >= 500) throw new Error("server error " + response.status);
      if (response.status === 200) { sent(entry, html, response); return true; }
      if (response.status === 401 || /<html/i.test(html)) { blocked = true; return false; }  // a login, a reload
      needsAttention(entry, html);  // 409 conflict, 422 refused: the server's message, on its question
      return true;
    }));
  }

  function sent(entry, html, response) {
    const holder = document.createElement("template");
    holder.innerHTML = html;
    const version = holder.content.querySelector("input[name=version]");
    // Later edits of the same answer were made from the same version: they follow this one.
    entries.forEach((e) => {
      if (e !== entry && e.form === entry.form && e.state === "waiting" && e.version === entry.version && version) {
        e.version = version.value;
        save(e);
      }
    });
    if (version) sentNow[entry.form] = {fields: entry.fields, version: version.value, target: entry.target, html: html};
    dropAttention(entry.form);
    drop(entry);
    blocked = false;
    sentAll = !entries.length;
    const form = document.getElementById(entry.form);
    if (form && !latestFor(entry.form)) swapInto(entry.target, html);
    if (response.headers.get("HX-Trigger") && window.htmx) htmx.trigger(document.body, "progress-changed");
  }

  function needsAttention(entry, html) {
    entries.filter((e) => e !== entry && e.form === entry.form && e.state === "attention").forEach(drop);
    entry.state = "attention";
    entry.html = html;
    save(entry);
    const form = document.getElementById(entry.form);
    if (form && latestFor(entry.form) === entry) showEntry(form);
  }

  function dropAttention(formId) {
    entries.filter((e) => e.form === formId && e.state === "attention").forEach(drop);
  }

  // -- htmx ------------------------------------------------------------------------------------------
  document.addEventListener("htmx:beforeRequest", (event) => {
    const source = event.target;
    if (!source.matches) return;
    if (source.matches("form.answer")) {
      // Offline, or earlier edits of this answer still wait: this one queues behind them (in order).
      if (!copy && navigator.onLine && !entries.some((e) => e.form === source.id && e.state === "waiting")) return;
      event.preventDefault();
      if (!copy) keep(source);
      flush();
    } else if (source.closest(".conflict") && event.detail.requestConfig && event.detail.requestConfig.verb === "get") {
      const form = source.closest("form.answer");  // "Show their version": the user chose the server's
      if (form) { dropAttention(form.id); show(); }
    }
  });
  document.addEventListener("htmx:sendError", (event) => {
    const form = event.target;
    if (form.matches && form.matches("form.answer")) keep(form);  // left, but the line dropped on the way
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.target.closest && event.target.closest("form.answer");
    if (form && event.detail.xhr && event.detail.xhr.status === 200 && event.detail.requestConfig.verb === "post") {
      dropAttention(form.id);  // saved ("Keep my version", or a later edit): nothing waits for it any more
      show();
    }
    // Any answer from the server says the line is back (a dropped line need not go "offline").
    if (event.detail.xhr && event.detail.xhr.status > 0 && !blocked) flush();
  });
  document.addEventListener("htmx:load", (event) => {
    const root = event.target;
    if (!root.querySelectorAll) return;
    const forms = root.matches("form.answer") ? [root] : root.querySelectorAll("form.answer");
    Array.prototype.forEach.call(forms, showEntry);
    lockControls(root);
  });

  // -- the line ------------------------------------------------------------------------------------
  // A kept copy goes back to the live page once the server answers: that page (a fresh token and
  // versions) sends what waits. Asked only while the browser thinks it is online (no failed requests).
  function probe() {
    if (!navigator.onLine) return;
    fetch("/health", {cache: "no-store"}).then((response) => { if (response.ok) location.reload(); }, () => {});
  }
  window.addEventListener("online", () => {
    if (copy) { probe(); return; }
    lockControls(document);
    flush();
  });
  window.addEventListener("offline", () => { lockControls(document); show(); });
  if (copy) setInterval(probe, 5000);
  else setInterval(() => { if (!blocked) flush(); }, 30000);

  // Logging out empties the worker's copy of the workspace (so does the worker itself, seeing it).
  document.addEventListener("submit", (event) => {
    const action = event.target.getAttribute && event.target.getAttribute("action");
    if (!action || !/\/keluar$/.test(action)) return;
    if (window.caches) caches.delete("kla-pages");
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({type: "forget"});
    }
  }, true);

  // -- start -----------------------------------------------------------------------------------------
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form.answer"), showEntry);
    // Rows whose card holds a waiting edit open, so the user sees it (htmx loads the card: "toggle once").
    entries.forEach((entry) => {
      const row = document.getElementById("q-" + entry.form.replace(/^form-/, ""));
      if (row && row.tagName === "DETAILS" && !row.open) row.open = true;
    });
    lockControls(document);
    show();
    flush();
  }
  if (window.indexedDB) {
    openDb().then((opened) => {
      db = opened;
      return request("readonly", (store) => store.getAll());
    }).then((all) => {
      entries = (all || []).filter((e) => e.owner === owner).sort((a, b) => a.id - b.id);
    }).catch(() => { db = null; }).then(() => {
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
    });
  }

  if ("serviceWorker" in navigator && !copy) {
    const first = !navigator.serviceWorker.controller;
    if (first) {
      // The page shown before the worker was there: the worker keeps a copy of it once it takes over.
      navigator.serviceWorker.addEventListener("controllerchange", () => {
        navigator.serviceWorker.controller.postMessage({type: "remember", url: location.href});
      }, {once: true});
    }
    navigator.serviceWorker.register(status.dataset.worker, {scope: "/"}).catch(() => {});
  }
})();
