// KLA self-assessment: the service worker of offline work (issue 25, offline), served at /sw.js by
// app/routes/offline.py. It keeps the static files (cache-first) and the last copy of the workspace
// pages and cards (network-first); nothing else. Answers waiting to be sent live in the page's
// IndexedDB (static/offline.js), never here: the page sends them with its own CSRF token.
"use strict";

var VERSION = {{ version|tojson }};
var STATIC_CACHE = "kla-static-" + VERSION;
// One person's region: emptied whenever someone logs in or out in this browser (below), and by
// the page at logout (offline.js), so the next person at a shared computer never gets it.
var PAGES_CACHE = "kla-pages";
var PRECACHE = {{ assets|tojson }};
// The workspace list of a kab/kota and year, and a question's card (or page): nothing else is kept.
var WORKSPACE = /^\/r\/[^/]+\/\d{4}\/isian(\/[^/]+)?\/?$/;
var SESSION_CHANGES = ["/masuk", "/keluar"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    return cache.addAll(PRECACHE);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("kla-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// A card fetched by htmx and the page at the same address differ: keep them apart.
function keyFor(request) {
  var url = new URL(request.url);
  url.hash = "";
  if (request.headers.get("HX-Request") === "true") url.searchParams.set("kla-fragment", "1");
  return url.href;
}

// The copy shown offline says so (offline.js makes it read-only and tells the user).
function markedCopy(cached, navigation) {
  if (!navigation) {
    var headers = new Headers(cached.headers);
    headers.set("X-KLA-Offline-Copy", "1");
    return cached.blob().then(function (body) { return new Response(body, {status: 200, headers: headers}); });
  }
  return cached.text().then(function (text) {
    return new Response(text.replace("<body", '<body data-offline-copy="1"'), {status: 200, headers: cached.headers});
  });
}

function networkFirst(request) {
  var key = keyFor(request);
  return fetch(request).then(function (response) {
    var landed = new URL(response.url || request.url);
    if (response.status === 200 && !response.redirected && WORKSPACE.test(landed.pathname)) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  }, function (error) {
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.match(key, {ignoreVary: true});
    }).then(function (cached) {
      if (!cached) throw error;
      return markedCopy(cached, request.mode === "navigate");
    });
  });
}

function cacheFirst(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request, {ignoreVary: true}).then(function (cached) {
      return cached || fetch(request).then(function (response) {
        if (response.status === 200) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && SESSION_CHANGES.indexOf(url.pathname) >= 0) {
    event.waitUntil(caches.delete(PAGES_CACHE));
    return;  // the browser sends it as usual
  }
  if (request.method !== "GET") return;
  if (url.pathname.indexOf("/static/") === 0) event.respondWith(cacheFirst(request));
  else if (WORKSPACE.test(url.pathname)) event.respondWith(networkFirst(request));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  } else if (data.type === "remember" && typeof data.url === "string") {
    // The first page, shown before this worker was there: fetch it once more so a reload offline finds it.
    var url = new URL(data.url, self.location.origin);
    if (url.origin === self.location.origin && WORKSPACE.test(url.pathname)) {
      event.waitUntil(networkFirst(new Request(url.href, {credentials: "same-origin"})).catch(function () {}));
    }
  }
});
