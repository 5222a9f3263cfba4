/* The service worker (served at /checklist/sw.js, scope "/", see checklist/offline_views.py).
 *
 * Only pages the inspector prepared for offline use are kept (offline-prepare.js puts them in the
 * user's cache): a checklist page is fetched from the network as usual and, when that fails, the
 * kept copy is shown; with a copy kept, a good network answer refreshes it (pages and assets alike,
 * so a new deployment's scripts reach the phone's copies at the next visit online). The assets those pages
 * load (CSS, JS, fonts, thumbnails) are served the same way. Everything else is network only.
 * A page or file the server refuses (403) or no longer has (404, 410) is dropped from the phone.
 * Signing in or out forgets who uses the pages; signing out also drops the pages kept.
 * Background Sync ("oa-send"): the open checklist pages are told to send what waits.
 */
/* global OAStore */
"use strict";
importScripts("/static/js/offline-store.js");

var PAGE = /^\/checklist\/\d+$/;
var ASSET = /^\/(static|bootstrap)\//;
var EVIDENCE = /^\/evidence\/\d+(\/thumbnail)?$/;
var GONE = [403, 404, 410]; // answers that end a kept copy (see networkOrCopy)
var NETWORK_PATIENCE_MS = 6000; // a weak signal that neither answers nor fails: show the copy

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (url.pathname === "/logout") event.waitUntil(OAStore.forgetUser().catch(function () {}));
    else if (url.pathname === "/login") event.waitUntil(OAStore.del("meta", "uid").catch(function () {}));
    return;
  }
  if (request.method !== "GET") return;
  var isPage = request.mode === "navigate" && PAGE.test(url.pathname);
  if (isPage || ASSET.test(url.pathname) || EVIDENCE.test(url.pathname)) {
    event.respondWith(networkOrCopy(request, url, isPage));
  }
});

function currentUser() {
  return OAStore.get("meta", "uid").then(function (row) { return row ? row.value : null; }).catch(function () { return null; });
}

// The cache a copy of this URL would be in: pages and files are the user's, assets everyone's.
function cacheFor(url) {
  if (ASSET.test(url.pathname)) return Promise.resolve(OAStore.ASSETS);
  return currentUser().then(function (uid) { return uid ? OAStore.userCache(uid) : null; });
}

function kept(request, url) {
  return cacheFor(url).then(function (name) {
    if (!name) return null;
    return self.caches.open(name).then(function (cache) {
      return cache.match(request, { ignoreSearch: !EVIDENCE.test(url.pathname) }).then(function (copy) {
        return copy ? { cache: cache, copy: copy } : null;
      });
    });
  });
}

function networkOrCopy(request, url, isPage) {
  var lookup = kept(request, url).catch(function () { return null; });
  var network = fetch(request);
  return lookup.then(function (found) {
    if (!found) return network; // not prepared: network only
    var refreshed = network.then(function (response) {
      // A good answer replaces the kept copy, page or asset alike: after a new deployment the phone
      // must not pair the newer page with the older script (the assets' URLs carry no version).
      if (response.ok && !response.redirected && response.type === "basic") {
        found.cache.put(isPage ? url.pathname : request, response.clone()).catch(function () {});
      }
      // The server says this is no longer the person's (taken off the visit) or no longer there:
      // the kept copy goes, and the answer is shown, so the phone never shows it again offline.
      if (GONE.indexOf(response.status) !== -1) {
        found.cache.delete(isPage ? url.pathname : request, { ignoreSearch: !EVIDENCE.test(url.pathname) }).catch(function () {});
        return response;
      }
      // Server trouble (5xx) on a weak signal: the kept copy, as when there is no answer at all.
      return response.ok || response.type === "opaqueredirect" ? response : found.copy;
    });
    var patience = new Promise(function (resolve) {
      setTimeout(function () { resolve(found.copy); }, NETWORK_PATIENCE_MS);
    });
    return Promise.race([refreshed, patience]).catch(function () { return found.copy; });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "oa-send") return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage({ type: "oa-send" }); });
  }));
});
