/* "Prepare for offline" on the inspector's visit lists (My inspections, My supervision visits).
 *
 * Preparing a visit keeps on the phone its checklist page as the server rendered it (criteria, the
 * outlet's details and self-assessment) in the user's cache, and what that page loads (CSS, JS,
 * the fonts and icons the CSS names, thumbnails) so that the service worker can show it with no
 * connection, also after the browser was closed. Each card says whether and when its visit was
 * prepared, and offers to remove it; the list says how much of the phone's storage is in use.
 *
 * Markup: [data-offline-list] with data-user-id, data-texts (JSON) around the cards; each card has
 * [data-offline-visit] with data-url and data-title; [data-prepare-all]; [data-storage].
 */
/* global OAStore */
(function () {
  "use strict";
  var list = document.querySelector("[data-offline-list]");
  if (!list) return;
  var texts = JSON.parse(list.dataset.texts);
  var uid = list.dataset.userId;
  var supported = "serviceWorker" in navigator && "caches" in window && "indexedDB" in window;
  var allButton = document.querySelector("[data-prepare-all]");
  var note = document.querySelector("[data-offline-note]");

  function format(template, params) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_, key) { return params[key] === undefined ? "" : params[key]; });
  }

  function visits() { return Array.prototype.slice.call(document.querySelectorAll("[data-offline-visit]")); }

  if (!supported) {
    visits().forEach(function (box) { box.hidden = true; });
    if (allButton) allButton.hidden = true;
    if (note) note.textContent = texts.unsupported;
    return;
  }

  var registered = navigator.serviceWorker.register("/checklist/sw.js", { scope: "/" });
  OAStore.put("meta", { key: "uid", value: uid }).catch(function () {});

  function when(iso) {
    return new Date(iso).toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function show(box, record, message) {
    box.dataset.prepared = record ? "true" : "false";
    box.querySelector("[data-prepare]").hidden = !!record;
    box.querySelector("[data-unprepare]").hidden = !record;
    box.querySelector("[data-prepared-text]").textContent = message || (record ? format(texts.prepared_at, { time: when(record.preparedAt) }) : "");
  }

  function refresh() {
    return OAStore.byIndex("prepared", "uid", uid).then(function (records) {
      var byUrl = {};
      records.forEach(function (r) { byUrl[r.url] = r; });
      visits().forEach(function (box) { show(box, byUrl[box.dataset.url]); });
      list.dataset.preparedCount = String(records.length);
      showStorage();
    });
  }

  function showStorage() {
    var box = document.querySelector("[data-storage]");
    if (!box || !navigator.storage || !navigator.storage.estimate) return;
    navigator.storage.estimate().then(function (estimate) {
      var mb = function (bytes) { return (bytes / 1048576).toFixed(1); };
      box.textContent = format(texts.storage, { used: mb(estimate.usage || 0), quota: mb(estimate.quota || 0) });
    });
  }

  // The CSS files the page names may name fonts and icons in turn: keep those too.
  function cssUrls(cssText, base) {
    var found = [];
    cssText.replace(/url\(\s*['"]?([^'")]+)['"]?\s*\)/g, function (_, ref) {
      if (ref.indexOf("data:") !== 0) found.push(new URL(ref, base).href);
    });
    return found;
  }

  function keep(cache, href) {
    return fetch(href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok || response.redirected) throw new Error(href + ": " + response.status);
      var copy = response.clone();
      return cache.put(href, copy).then(function () { return response; });
    });
  }

  function prepare(box) {
    var url = box.dataset.url;
    show(box, null, texts.preparing);
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
    return Promise.all([registered, caches.open(OAStore.userCache(uid)), caches.open(OAStore.ASSETS)]).then(function (opened) {
      var userCache = opened[1];
      var assets = opened[2];
      return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response.text();
      }).then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var mine = [];
        var shared = [];
        page.querySelectorAll('link[rel="stylesheet"][href], script[src], img[src]').forEach(function (el) {
          var href = new URL(el.getAttribute("href") || el.getAttribute("src"), location.href);
          if (href.origin !== location.origin) return;
          (/^\/(static|bootstrap)\//.test(href.pathname) ? shared : mine).push(href.href);
        });
        var stored = userCache.put(url, new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } }));
        var sharedDone = Promise.all(shared.map(function (href) {
          return keep(assets, href).then(function (response) {
            if (!/\.css(\?|$)/.test(href)) return null;
            return response.text().then(function (css) {
              return Promise.all(cssUrls(css, href).map(function (ref) { return keep(assets, ref).catch(function () {}); }));
            });
          });
        }));
        var mineDone = Promise.all(mine.map(function (href) { return keep(userCache, href).catch(function () {}); }));
        return Promise.all([stored, sharedDone, mineDone, navigator.serviceWorker.ready]);
      });
    }).then(function () {
      return OAStore.put("prepared", { key: uid + ":" + url, uid: uid, url: url, title: box.dataset.title, preparedAt: new Date().toISOString() });
    }).then(refresh).catch(function (error) {
      show(box, null, OAStore.isQuota(error) ? texts.quota : format(texts.failed, { reason: error.message || error }));
    });
  }

  function unprepare(box) {
    var url = box.dataset.url;
    return caches.open(OAStore.userCache(uid)).then(function (cache) { return cache.delete(url); }).then(function () {
      return OAStore.del("prepared", uid + ":" + url);
    }).then(refresh);
  }

  list.addEventListener("click", function (event) {
    var box = event.target.closest("[data-offline-visit]");
    if (event.target.closest("[data-prepare]") && box) prepare(box);
    if (event.target.closest("[data-unprepare]") && box) unprepare(box);
  });
  if (allButton) {
    allButton.addEventListener("click", function () {
      allButton.disabled = true;
      visits().reduce(function (done, box) { return done.then(function () { return prepare(box); }); }, Promise.resolve())
        .then(function () { allButton.disabled = false; });
    });
  }
  visits().forEach(function (box) { box.hidden = false; });
  if (allButton) allButton.hidden = !visits().length;
  refresh();
})();
