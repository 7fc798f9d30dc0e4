// Issue 25, client: resumable uploads on a question card's upload form, over tus 1.0 (/tus/) with
// tus-js-client. An upload that dropped at 90 % used to start again from zero; now each file goes up in
// chunks, a dropped line is retried after a pause, and the upload goes on from the last byte the server
// has, also after a reload: tus-js-client keeps each upload's URL in localStorage under a fingerprint of
// the question's upload path and the file's bytes, so the same file chosen again on the same question
// resumes. The card lists what waits to be continued there, with a way to cancel it.
// tus-js-client loads only when files are sent (the data budget). If it cannot load, or the server will
// not create the first upload, the form posts as before (htmx); without JavaScript nothing here runs.
(function () {
  "use strict";
  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];
  var busy = new WeakSet();  // forms sending now
  var loaded = {};  // script URL -> its promise

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function percent(part, whole) { return (whole ? Math.floor(part * 100 / whole) : 0) + " %"; }
  function loadScript(src) {
    loaded[src] = loaded[src] || new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { script.remove(); delete loaded[src]; reject(new Error("cannot load " + src)); };
      document.head.appendChild(script);
    });
    return loaded[src];
  }
  function csrfToken() {  // the page's token, as htmx sends it (<body hx-headers>)
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }
  function say(plus, text) { plus.querySelector(".upload-status").textContent = text; plus.hidden = false; }

  // The question's upload path and the file's SHA-256: a resumed upload can only ever continue the very
  // same bytes (a photo redrawn, a PDF bound again), on the very same question.
  function fingerprint(target) {
    return function (file) {
      var base = ["kla", target, file.name, file.size].join("|");
      if (!(window.crypto && crypto.subtle)) return Promise.resolve(base + "|" + file.lastModified);
      return file.arrayBuffer().then(function (bytes) { return crypto.subtle.digest("SHA-256", bytes); }).then(function (hash) {
        return base + "|" + Array.prototype.map.call(new Uint8Array(hash), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      });
    };
  }

  // One file -> {url, ok, status, text}: never rejects.
  function send(form, plus, file) {
    var target = form.getAttribute("hx-post");
    var bar = form.querySelector(".upload-progress");
    var said = -1;
    return new Promise(function (resolve) {
      var upload = new window.tus.Upload(file, {
        endpoint: plus.dataset.tusEndpoint,
        chunkSize: Number(plus.dataset.chunkBytes) || Infinity,
        retryDelays: RETRY_DELAYS,
        metadata: {filename: file.name, filetype: file.type || "application/octet-stream", target: target},
        headers: {"X-CSRF-Token": csrfToken()},
        fingerprint: fingerprint(target),
        removeFingerprintOnSuccess: true,
        onShouldRetry: function (error, attempt, options) {
          var again = window.tus.defaultOptions.onShouldRetry(error, attempt, options);
          if (again) say(plus, fill(plus.dataset.tRetry, {seconds: Math.max(1, Math.round(options.retryDelays[attempt] / 1000))}));
          return again;
        },
        onProgress: function (sent, total) {
          bar.hidden = false;
          bar.value = Math.floor(sent * 100 / total);
          var tenth = Math.floor(sent * 10 / total);  // the spoken status moves in steps of 10 %
          if (said < 0 && sent > 0 && upload.url && resumed) {
            say(plus, fill(plus.dataset.tResuming, {name: file.name, percent: percent(sent, total)}));
          } else if (tenth !== said) {
            say(plus, fill(plus.dataset.tSending, {name: file.name, percent: percent(sent, total)}));
          }
          said = tenth;
        },
        onSuccess: function () { resolve({url: upload.url, ok: true}); },
        onError: function (error) {
          var response = error.originalResponse;
          resolve({url: upload.url, ok: false, status: response ? response.getStatus() : 0,
                   text: response ? response.getBody() : "", sent: bar.value});
        }
      });
      var resumed = false;
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) { upload.resumeFromPreviousUpload(previous[0]); resumed = true; }
        say(plus, fill(plus.dataset.tSending, {name: file.name, percent: percent(0, 1)}));
        upload.start();
      }, function () { upload.start(); });
    });
  }

  function showResult(form, url, first) {
    return window.htmx.ajax("GET", url.replace(/\/?$/, "/hasil"),
                            {target: form.getAttribute("hx-target"), swap: first ? "innerHTML" : "beforeend"});
  }
  function showText(form, text) {
    var target = document.querySelector(form.getAttribute("hx-target"));
    if (!target) return;
    var line = document.createElement("p");
    line.className = "error";
    line.textContent = text;
    target.appendChild(line);
  }

  // Files one after the other (a weak line carries one at a time better than several at once).
  function sendAll(form, plus, files, plain) {
    var target = document.querySelector(form.getAttribute("hx-target"));
    var shown = 0;
    return files.reduce(function (done, file, index) {
      return done.then(function (stop) {
        if (stop) return true;
        return send(form, plus, file).then(function (result) {
          if (result.ok || (result.url && result.status === 422)) {  // stored, or refused at the end
            return showResult(form, result.url, shown++ === 0).then(function () { return false; });
          }
          if (index === 0 && !result.url && result.status >= 400 && result.status !== 413) {
            plain();  // no upload created: the plain route answers (with its own message) for all files
            return true;
          }
          if (shown++ === 0 && target) target.textContent = "";
          if (result.status === 413) showText(form, file.name + ": " + form.dataset.tooLarge);
          else if (result.status >= 400 && result.text) showText(form, file.name + ": " + result.text);
          else showText(form, fill(plus.dataset.tStopped, {name: file.name, percent: (result.sent || 0) + " %"}));
          return false;
        });
      });
    }, Promise.resolve(false));
  }

  // The form's submission: htmx asks first (htmx:confirm). Capture phase: ahead of app.js's size check,
  // which would judge a photo before it is downsized (upload.js checks the prepared files instead).
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.upload")) return;
    var plus = form.querySelector(".upload-plus");
    if (!plus) return;
    event.preventDefault();
    if (busy.has(form)) return;
    var input = form.querySelector("input[type=file]");
    var button = form.querySelector("button[type=submit]");
    var plain = function () { event.detail.issueRequest(true); };
    busy.add(form);
    button.disabled = true;
    var prepared = window.klaPhotos ? window.klaPhotos.prepare(form) : Promise.resolve();
    prepared.catch(function () {}).then(function () {
      var files = Array.prototype.slice.call(input.files);
      var limit = parseInt(form.dataset.maxBytes || "0", 10);
      var large = files.filter(function (file) { return limit && file.size > limit; })[0];
      if (large) {
        var target = document.querySelector(form.getAttribute("hx-target"));
        if (target) target.textContent = large.name + ": " + form.dataset.tooLarge;
        return;
      }
      if (!files.length) return plain();  // the plain route says what is missing
      return loadScript(plus.dataset.tusSrc).then(function () {
        if (!window.tus || !window.tus.isSupported) return plain();
        return sendAll(form, plus, files, plain).then(function (handedOver) {
          if (handedOver) return;
          form.reset();
          if (window.klaPhotos) window.klaPhotos.forget(form);
          plus.querySelector(".photo-notes").textContent = "";
          say(plus, "");
        });
      }, plain);
    }).then(function () {
      busy.delete(form);
      button.disabled = false;
      var bar = form.querySelector(".upload-progress");
      bar.hidden = true;
      bar.value = 0;
      listWaiting(plus, form);
    });
  }, true);

  // -- uploads waiting to be continued on this question (from tus-js-client's entries in localStorage) --

  function stored(target) {
    var out = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key.indexOf("tus::") !== 0) continue;
        var entry = JSON.parse(localStorage.getItem(key));
        if (entry && entry.metadata && entry.metadata.target === target && entry.uploadUrl) {
          entry.key = key;
          out.push(entry);
        }
      }
    } catch (e) { /* no storage (a private window): nothing waits */ }
    return out;
  }
  function tusRequest(url, method) {
    var headers = {"Tus-Resumable": "1.0.0"};
    if (method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
    return fetch(url, {method: method, headers: headers, credentials: "same-origin", cache: "no-store"});
  }
  function listWaiting(plus, form) {
    if (busy.has(form)) return;
    var box = plus.querySelector(".upload-waiting");
    var list = box.querySelector("ul");
    var entries = stored(form.getAttribute("hx-post"));
    // The server says how far each got; an upload it no longer knows (expired, cancelled) is forgotten.
    Promise.all(entries.map(function (entry) {
      return tusRequest(entry.uploadUrl, "HEAD").then(function (response) {
        if (response.status === 404 || response.status === 410 || response.status === 403) {
          localStorage.removeItem(entry.key);
          return null;
        }
        entry.offset = Number(response.headers.get("Upload-Offset") || 0);
        if (response.ok && entry.offset >= entry.size) { localStorage.removeItem(entry.key); return null; }  // done
        return response.ok ? entry : null;
      }, function () { return entry; });  // offline: it still waits
    })).then(function (found) {
      list.textContent = "";
      found.filter(Boolean).forEach(function (entry) {
        var item = document.createElement("li");
        var name = entry.metadata.filename || "";
        var text = document.createElement("span");
        text.textContent = fill(plus.dataset.tWaiting, {name: name, percent: entry.offset == null ? "?" : percent(entry.offset, entry.size)});
        var cancel = document.createElement("button");
        cancel.type = "button";
        cancel.className = "secondary upload-cancel";
        cancel.textContent = plus.dataset.tCancel;
        cancel.setAttribute("aria-label", fill(plus.dataset.tCancelLabel, {name: name}));
        cancel.dataset.url = entry.uploadUrl;
        cancel.dataset.key = entry.key;
        cancel.dataset.name = name;
        item.appendChild(text);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(cancel);
        list.appendChild(item);
      });
      box.hidden = !list.children.length;
      if (!box.hidden) plus.hidden = false;
    });
  }

  // Cancel: tus termination (DELETE), then the entry goes.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".upload-cancel");
    if (!button) return;
    var plus = button.closest(".upload-plus");
    var form = button.closest("form.upload");
    button.disabled = true;
    tusRequest(button.dataset.url, "DELETE").then(function (response) {
      if (response.ok || response.status === 404 || response.status === 410) {
        localStorage.removeItem(button.dataset.key);
        say(plus, fill(plus.dataset.tCancelled, {name: button.dataset.name}));
      }
    }, function () {}).then(function () { listWaiting(plus, form); });
  });

  // Each card as htmx brings it (and a question's own page as it loads).
  function look(root) {
    var boxes = root.querySelectorAll ? root.querySelectorAll("form.upload .upload-plus") : [];
    Array.prototype.forEach.call(boxes, function (plus) { listWaiting(plus, plus.closest("form.upload")); });
  }
  document.addEventListener("htmx:load", function (event) { look(event.target); });  // the body too, at start
})();
