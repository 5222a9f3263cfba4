/* What the phone keeps for the inspector (IndexedDB "outlet-audit", Cache Storage), shared by the
 * checklist page, the visit lists (preparing) and the service worker (importScripts).
 *
 * Stores (every key starts with the user's id, so another account on the same phone never reads them):
 *   answers   {key: "uid:assessment:code", scope: "uid:assessment", code, answer, base, seq, state, ...}
 *   files     {localId, scope, itemCode, blob, filename, type, capturedAt, sha256, state, message, ...}
 *   prepared  {key: "uid:/checklist/12", uid, url, title, preparedAt}  pages kept for offline use
 *   meta      {key, value}: "uid" (who uses the pages now), "sent:<localId>" (server id of a sent file)
 * Caches: "oa-user-<uid>" the user's prepared pages and their thumbnails; "oa-assets" CSS, JS, fonts.
 *
 * self.OAStore = { open, put, get, del, all, byScope, userCache, ASSETS, forgetUser, isQuota }
 */
(function (root) {
  "use strict";

  var NAME = "outlet-audit";
  var VERSION = 1;
  var ASSETS = "oa-assets";
  var opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore("answers", { keyPath: "key" }).createIndex("scope", "scope");
        db.createObjectStore("files", { keyPath: "localId" }).createIndex("scope", "scope");
        db.createObjectStore("prepared", { keyPath: "key" }).createIndex("uid", "uid");
        db.createObjectStore("meta", { keyPath: "key" });
      };
      request.onsuccess = function () {
        var db = request.result;
        db.onversionchange = function () { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = function () { opening = null; reject(request.error); };
    });
    return opening;
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result;
        var request = work(tx.objectStore(storeName));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error || (request && request.error)); };
      });
    });
  }

  function put(storeName, value) { return run(storeName, "readwrite", function (s) { return s.put(value); }); }
  function get(storeName, key) { return run(storeName, "readonly", function (s) { return s.get(key); }); }
  function del(storeName, key) { return run(storeName, "readwrite", function (s) { return s.delete(key); }); }
  function all(storeName) { return run(storeName, "readonly", function (s) { return s.getAll(); }); }
  function byIndex(storeName, index, value) {
    return run(storeName, "readonly", function (s) { return s.index(index).getAll(value); });
  }
  function byScope(storeName, scope) { return byIndex(storeName, "scope", scope); }

  function userCache(uid) { return "oa-user-" + uid; }

  // Signing out: the pages kept for offline use go (they show the user's visits); so does the
  // note of who uses the pages. Answers and files not yet sent stay, under the user's id, so that
  // nothing typed or photographed on site is lost; they are sent when the same user signs in again.
  function forgetUser() {
    var dropCaches = root.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("oa-user-") === 0; }).map(function (n) { return root.caches.delete(n); }));
    });
    var dropRecords = run("prepared", "readwrite", function (s) { return s.clear(); }).then(function () {
      return del("meta", "uid");
    });
    return Promise.all([dropCaches, dropRecords]);
  }

  function isQuota(error) {
    return !!error && (error.name === "QuotaExceededError" || error.code === 22);
  }

  root.OAStore = {
    open: open, put: put, get: get, del: del, all: all, byScope: byScope, byIndex: byIndex,
    userCache: userCache, ASSETS: ASSETS, forgetUser: forgetUser, isQuota: isQuota
  };
})(typeof self !== "undefined" ? self : this);
