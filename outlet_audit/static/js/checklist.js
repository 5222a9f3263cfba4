/* The checklist page: save each answer as it changes, keep what is not sent yet on the phone, send
 * photos and documents, and say truthfully what the server has and what waits on the phone.
 *
 * Answers: one queue entry per item (the newest answer wins) holding the answer and the version the
 * page started from, kept in IndexedDB (offline-store.js; an older version of this page kept them
 * in localStorage: they are moved over on load). Files: every photo or document picked goes into an
 * IndexedDB queue first (one path, online or not) with its capture time, name, item and the SHA-256
 * computed here; it is deleted from the phone only once the server's reply names the same hash.
 * Everything is sent one request at a time in the order offline-queue.js gives (answers as made,
 * each item's files after its answer), on load, on "online", on Background Sync and again after a
 * failed connection with a growing delay. The server answers with the new version, progress and
 * score (computed there: this script never scores), 409 with the other person's answer, or 422.
 *
 * State for people and tests: data-save-state="saved|pending|error|conflict" and data-waiting-files
 * on each item; on #save-banner data-state="saved|pending|offline|problem", data-pending (answers
 * waiting), data-problems (answers and files needing the person), data-waiting-files, data-failed-files.
 *
 * For the photo helper (and anything else that makes a file on this page):
 *   window.OAOffline = { addFile(itemCode, blob, meta) -> Promise<localId> }
 *   meta: { filename, capturedAt (ISO string, optional), annotatesEvidenceId (int, optional),
 *           annotatesLocalId (string, optional: a file queued here; sent once that original is on
 *           the server, with its server id) }.
 *   The upload posts item_code, file, client_sha256 (hex) and, when given, annotates (evidence id).
 */
/* global OAQueue, OAStore */
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");

  var form = document.getElementById("checklist-form");
  if (!form) return;

  var texts = Object.assign(JSON.parse(document.getElementById("checklist-texts").textContent),
    JSON.parse(document.getElementById("offline-texts").textContent));
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var banner = document.getElementById("save-banner");
  var quotaAlert = document.querySelector("[data-quota-alert]");
  var uid = form.dataset.userId;
  var scope = uid + ":" + form.dataset.assessmentId;
  var legacyPrefix = "outlet-audit:checklist:" + form.dataset.assessmentId + ":";
  var canStore = !!(window.indexedDB && window.OAStore);
  var memory = {}; // the answers queue by item code; IndexedDB holds the same (see persist)
  var files = []; // the files queue, oldest first; each record as in IndexedDB, plus `url` (object URL)
  var onlyHere = {}; // keys whose write to the phone failed: leaving the page would lose them
  var onPhone = {}; // keys this page knows are in IndexedDB: gone from there means another tab sent them
  var sentIds = {}; // local id of a sent file -> its evidence id (for a marked copy sent later)
  var busy = false; // one request at a time, gentle on a weak connection
  var attempt = 0;
  var retryTimer = null;
  var connectionLost = false;
  var signedOut = false; // the server wants a new sign-in: wait for it rather than knock again and again
  var serverTrouble = 0; // the status of the server's last failed answer (5xx, 429): said as such, not as "no connection"
  var serverAnswered = Number((document.querySelector("[data-progress-answered]") || {}).textContent || 0);
  var editable = form.dataset.editable === "true";

  function format(template, params) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_, key) { return params[key] === undefined ? "" : params[key]; });
  }

  function itemElement(code) {
    return form.querySelector('[data-item-code="' + CSS.escape(code) + '"]');
  }

  function offline() { return connectionLost || !navigator.onLine; }

  // What an unsent item or file says while it waits: the server failing is not the phone being offline.
  function waitingText() {
    if (serverTrouble && navigator.onLine) return format(texts.server_trouble, { code: serverTrouble });
    return offline() ? texts.offline : texts.pending;
  }

  // --- an item's inputs -------------------------------------------------------------------

  function readItem(el) {
    var value = "";
    if (el.dataset.answerType === "yes_no" || el.dataset.answerType === "choice") {
      var checked = el.querySelector('input[type="radio"]:checked');
      value = checked ? checked.value : "";
    } else {
      value = el.querySelector('input[name$="-value"]').value.trim();
    }
    var na = el.querySelector("[data-na]");
    var note = el.querySelector('textarea[name$="-note"]');
    return { value: value, not_applicable: !!(na && na.checked), note: note ? note.value : "" };
  }

  function writeItem(el, answer) {
    el.querySelectorAll('input[type="radio"]').forEach(function (radio) { radio.checked = radio.value === answer.value; });
    var number = el.querySelector('input[name$="-value"]:not([type="radio"])');
    if (number) number.value = answer.value;
    var na = el.querySelector("[data-na]");
    if (na) na.checked = !!answer.not_applicable;
    var note = el.querySelector('textarea[name$="-note"]');
    if (note) note.value = answer.note || "";
  }

  function setVersion(el, version) {
    el.dataset.version = String(version);
    el.querySelector("[data-version-input]").value = String(version);
  }

  function setState(el, state, text) {
    el.dataset.saveState = state;
    el.querySelector("[data-save-status]").textContent = text;
  }

  // --- keeping things on the phone ----------------------------------------------------------

  function keepOnPhone(storeName, key, value) {
    if (!canStore) { onlyHere[key] = true; return Promise.resolve(false); }
    return OAStore.put(storeName, value).then(function () {
      delete onlyHere[key];
      onPhone[key] = true;
      showStorageProblem();
      return true;
    }).catch(function (error) {
      onlyHere[key] = true; // still in this page's memory: nothing is lost while it stays open
      showStorageProblem(error);
      return false;
    });
  }

  // Said at once when the phone refuses to keep something: the person can still send it or free space.
  function showStorageProblem(error) {
    var count = Object.keys(onlyHere).length;
    quotaAlert.hidden = count === 0;
    if (!count) return;
    var full = OAStore && OAStore.isQuota(error);
    quotaAlert.dataset.reason = full ? "quota" : "storage";
    quotaAlert.textContent = format(full ? texts.quota : texts.not_kept, { count: count });
  }

  function load(code) { return memory[code] || null; }

  function store(entry) {
    memory[entry.code] = entry;
    var key = scope + ":" + entry.code;
    keepOnPhone("answers", key, Object.assign({ key: key, scope: scope }, entry));
  }

  function remove(code) {
    delete memory[code];
    delete onlyHere[scope + ":" + code];
    delete onPhone[scope + ":" + code];
    if (canStore) OAStore.del("answers", scope + ":" + code).catch(function () {});
  }

  function queuedCodes() { return Object.keys(memory); }

  function enqueue(el) {
    var code = el.dataset.itemCode;
    var previous = load(code);
    var entry = {
      code: code,
      answer: readItem(el),
      base: previous ? previous.base : Number(el.dataset.version), // the version this page started from
      seq: previous ? previous.seq + 1 : 1,
      madeAt: previous ? previous.madeAt : Date.now(),
      state: previous && previous.state === "conflict" ? "conflict" : "pending",
      current: previous ? previous.current : null,
      message: previous ? previous.message : ""
    };
    store(entry); // in conflict the person still has to choose; the new text is what "keep mine" sends
    if (entry.state === "pending") {
      setState(el, "pending", waitingText());
      askForSync();
      pump();
    }
    updateBanner();
  }

  // Answers queued by the earlier version of this page (localStorage) move to IndexedDB.
  function legacyEntries() {
    var found = [];
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var key = window.localStorage.key(i);
        if (key.indexOf(legacyPrefix) !== 0) continue;
        var entry = JSON.parse(window.localStorage.getItem(key));
        if (entry && entry.code) found.push({ key: key, entry: entry });
      }
    } catch (error) { /* unavailable: nothing kept there */ }
    return found;
  }

  function loadQueues() {
    var stored = canStore ? Promise.all([OAStore.byScope("answers", scope), OAStore.byScope("files", scope)]).catch(function () { return [[], []]; }) : Promise.resolve([[], []]);
    return stored.then(function (both) {
      both[0].sort(function (a, b) { return (a.madeAt || 0) - (b.madeAt || 0); }).forEach(function (row) {
        onPhone[row.key] = true;
        delete row.key; delete row.scope;
        memory[row.code] = row;
      });
      files = both[1].sort(function (a, b) { return a.createdAt - b.createdAt; });
      files.forEach(function (f) { onPhone[f.localId] = true; });
      var originals = files.map(function (f) { return f.annotatesLocalId; }).filter(Boolean);
      return Promise.all(originals.map(function (localId) {
        return OAStore.get("meta", "sent:" + localId).then(function (row) { if (row) sentIds[localId] = row.value; });
      })).catch(function () {});
    }).then(function () {
      legacyEntries().forEach(function (old) {
        var known = memory[old.entry.code];
        if (!known || known.seq < old.entry.seq) {
          old.entry.madeAt = old.entry.madeAt || Date.now();
          memory[old.entry.code] = old.entry;
          var key = scope + ":" + old.entry.code;
          keepOnPhone("answers", key, Object.assign({ key: key, scope: scope }, old.entry)).then(function (kept) {
            if (kept) window.localStorage.removeItem(old.key);
          });
        } else {
          window.localStorage.removeItem(old.key);
        }
      });
    });
  }

  // Answers and files kept on this device for a checklist that can no longer be changed (signed off
  // meanwhile): say so, with the item codes, instead of dropping them silently.
  function warnUnsendable() {
    var codes = queuedCodes().concat(files.map(function (f) { return f.itemCode; }));
    if (!codes.length) return;
    codes = codes.filter(function (code, i) { return codes.indexOf(code) === i; });
    banner.hidden = false;
    banner.dataset.state = "problem";
    banner.dataset.problems = String(codes.length);
    banner.querySelector("[data-banner-text]").textContent = format(texts.banner_unsendable, { codes: codes.join(", ") });
  }

  // --- sending ----------------------------------------------------------------------------

  function post(url, body, isJson) {
    var headers = { "X-CSRFToken": csrfToken, "Accept": "application/json" };
    if (isJson) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", headers: headers, body: body, credentials: "same-origin" }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.status >= 500 || response.status === 429) return { status: response.status, body: {} }; // try again
      if (type.indexOf("application/json") >= 0) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }
      return { status: response.status, body: pageAnswer(response) };
    });
  }

  // An answer that is a page, not JSON: the sign-in page after a redirect means a new sign-in is
  // needed (wait for it); anything else came from a proxy in front of the app (e.g. nginx's 413 for
  // a body past its limit) and is that request's own refusal, said with its code: it must neither
  // hold back everything else nor be called a sign-out.
  var SIGNED_OUT = { status: 401, body: { status: "signed_out", message: texts.signed_out } };
  function pageAnswer(response) {
    if (response.redirected || response.status === 401 || response.status === 200) return SIGNED_OUT.body;
    if (response.status === 413) return { status: "too_large", message: texts.too_large };
    return { status: "refused", message: format(texts.http_refused, { code: response.status }) };
  }

  // A request refused for its CSRF token: a page opened from the phone's copy may carry the token
  // of an older session. Ask the page again for the current one, once for every request refused
  // meanwhile. "renewed": send again with it; "signed_out": the session itself is gone (the page
  // answers with the sign-in): what waits, answers and photos alike, waits for the new sign-in and
  // is not refused; "offline": no answer; "failed": a fresh token was refused too.
  var renewal = null;
  function renewToken(used) {
    if (csrfToken !== used) return Promise.resolve("renewed"); // renewed since that request left
    if (!renewal) {
      renewal = fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        if (response.redirected || response.status === 401) return "signed_out";
        if (!response.ok) return "failed";
        return response.text().then(function (html) {
          var found = /<meta name="csrf-token" content="([^"]+)"/.exec(html);
          if (!found) return "failed";
          csrfToken = found[1];
          document.querySelector('meta[name="csrf-token"]').content = csrfToken; // the photo viewer's saves too
          return "renewed";
        });
      }).catch(function () { return "offline"; }).then(function (outcome) { renewal = null; return outcome; });
    }
    return renewal.then(function (outcome) { return outcome === "renewed" && csrfToken === used ? "failed" : outcome; });
  }

  function pump() {
    if (busy || !editable || signedOut) return;
    var tasks = OAQueue.order(queuedCodes().map(load), files);
    var next = tasks.filter(function (task) {
      if (task.kind === "answer") return task.entry.state === "pending";
      var file = task.entry;
      return file.state === "waiting" && (!file.annotatesLocalId || sentIds[file.annotatesLocalId] || !files.some(function (f) { return f.localId === file.annotatesLocalId; }));
    })[0];
    if (!next) return;
    busy = true;
    var sending = oneTabAtATime(function () {
      return sentElsewhere(next).then(function (gone) {
        if (gone) return true;
        return next.kind === "answer" ? sendAnswer(next.entry.code) : sendFile(next.entry);
      });
    });
    sending.then(function (goOn) {
      busy = false;
      if (goOn) pump(); else connectionFailed();
    });
  }

  // Two tabs of the same checklist share the phone's queue: they send one at a time (Web Locks) and
  // each looks again before sending, so that the same file is never uploaded twice.
  function oneTabAtATime(work) {
    if (!navigator.locks || !canStore) return work();
    return navigator.locks.request("oa-send:" + scope, work);
  }

  // True when the task's record left IndexedDB since this page loaded it: another tab sent it.
  function sentElsewhere(task) {
    var key = task.kind === "answer" ? scope + ":" + task.entry.code : task.entry.localId;
    if (!canStore || !onPhone[key] || onlyHere[key]) return Promise.resolve(false);
    return OAStore.get(task.kind === "answer" ? "answers" : "files", key).then(function (row) {
      if (row) return false;
      var el = itemElement(task.kind === "answer" ? task.entry.code : task.entry.itemCode);
      if (task.kind === "answer") {
        remove(task.entry.code);
        if (el) setState(el, "saved", texts.saved);
      } else {
        dropFile(task.entry);
        var status = el && el.querySelector("[data-upload-status]");
        if (status) status.textContent = texts.sent_elsewhere;
      }
      updateBanner();
      return true;
    }).catch(function () { return false; });
  }

  // Resolves true to go on with the next, false when the connection failed.
  function sendAnswer(code) {
    var entry = load(code);
    var el = itemElement(code);
    if (!el) { remove(code); return Promise.resolve(true); }
    setState(el, "pending", texts.sending);
    var payload = Object.assign({}, entry.answer, { expected_version: entry.base });
    var sent = nextRequestNumber();
    var used = csrfToken;
    return post(form.dataset.saveUrl.replace("__CODE__", encodeURIComponent(code)), JSON.stringify(payload), true)
      .then(function (reply) {
        if (reply.status === 400 && reply.body.status === "csrf") {
          return renewToken(used).then(function (outcome) {
            if (outcome === "renewed") return sendAnswer(code);
            if (outcome === "signed_out") return received(el, entry.seq, SIGNED_OUT, sent);
            if (outcome === "offline") { setState(el, "pending", texts.offline); return false; }
            return received(el, entry.seq, reply, sent);
          });
        }
        return received(el, entry.seq, reply, sent);
      })
      .catch(function () { serverTrouble = 0; setState(el, "pending", texts.offline); return false; });
  }

  // Saves and uploads of one item may answer out of order: an answer computed before a later
  // request must not undo what that later request showed.
  var requestNumber = 0;
  function nextRequestNumber() { requestNumber += 1; return requestNumber; }
  function showEvidenceMissing(el, sent, missing) {
    if (sent < Number(el.dataset.evidenceRequest || 0)) return;
    el.dataset.evidenceRequest = String(sent);
    el.dataset.evidenceMissing = String(missing);
  }

  function received(el, seq, reply, sent) {
    var code = el.dataset.itemCode;
    var entry = load(code);
    var body = reply.body;
    if (reply.status >= 500 || reply.status === 429) { serverTrouble = reply.status; setState(el, "pending", waitingText()); return false; }
    reachedServer();
    if (body.status === "signed_out") signedOut = true;
    if (reply.status === 200 && body.status === "saved") {
      setVersion(el, body.item.version);
      showEvidenceMissing(el, sent, body.item.evidence_missing);
      el.dataset.answered = String(body.item.value !== "" || body.item.not_applicable);
      showSummary(body);
      if (entry && entry.seq !== seq) { // changed again while this save was under way: send on top of it
        entry.base = body.item.version;
        store(entry);
      } else {
        remove(code);
        setState(el, "saved", format(texts.saved_by, { name: body.item.updated_by, time: body.item.updated_at_text }));
      }
    } else if (entry && reply.status === 409 && body.status === "conflict") {
      entry.state = "conflict";
      entry.current = body.current;
      entry.message = body.message;
      store(entry);
      showConflict(el, entry);
    } else if (entry) {
      entry.state = "error"; // refused (invalid, locked, signed out): kept until the person acts
      entry.message = body.message || texts.error;
      store(entry);
      setState(el, "error", texts.error + ": " + entry.message);
    }
    updateBanner();
    return true;
  }

  function reachedServer() {
    connectionLost = false;
    serverTrouble = 0;
    attempt = 0;
    showConnection();
  }

  function connectionFailed() {
    connectionLost = true;
    showConnection();
    updateBanner();
    retryLater();
  }

  function retryLater() {
    var delay = OAQueue.retryDelay(attempt);
    attempt += 1;
    if (!retryTimer) retryTimer = window.setTimeout(function () { retryTimer = null; sendAll(); }, delay);
  }

  function sendAll() {
    signedOut = false;
    queuedCodes().forEach(function (code) {
      var entry = load(code);
      if (entry && entry.state === "error") { entry.state = "pending"; store(entry); } // try again: maybe signed in anew
    });
    pump();
  }

  function askForSync() { // the service worker wakes an open page when the connection returns
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("oa-send");
    }).catch(function () {});
  }

  // --- files ------------------------------------------------------------------------------

  function hexDigest(blob) {
    return blob.arrayBuffer().then(function (bytes) { return crypto.subtle.digest("SHA-256", bytes); }).then(function (hash) {
      return Array.prototype.map.call(new Uint8Array(hash), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    });
  }

  function addFile(itemCode, blob, meta) {
    meta = meta || {};
    if (!itemElement(itemCode)) return Promise.reject(new Error("No item " + itemCode));
    return hexDigest(blob).then(function (hash) {
      var record = {
        localId: "f" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8),
        scope: scope,
        itemCode: itemCode,
        blob: blob,
        filename: meta.filename || blob.name || "photo.jpg",
        type: blob.type,
        capturedAt: meta.capturedAt || new Date(blob.lastModified || Date.now()).toISOString(),
        sha256: hash,
        // the original may have reached the server while its copy was being marked
        annotatesEvidenceId: meta.annotatesEvidenceId || sentIds[meta.annotatesLocalId] || null,
        annotatesLocalId: sentIds[meta.annotatesLocalId] ? null : meta.annotatesLocalId || null,
        state: "waiting",
        message: "",
        createdAt: Date.now()
      };
      files.push(record);
      keepFile(record);
      showFile(record);
      updateBanner();
      askForSync();
      pump();
      return record.localId;
    });
  }

  function keepFile(record) {
    var copy = Object.assign({}, record);
    delete copy.url;
    return keepOnPhone("files", record.localId, copy);
  }

  function dropFile(record) {
    files = files.filter(function (f) { return f !== record; });
    delete onlyHere[record.localId];
    delete onPhone[record.localId];
    if (record.url) URL.revokeObjectURL(record.url);
    var thumb = form.querySelector('[data-local-id="' + record.localId + '"]');
    if (thumb) thumb.remove();
    if (canStore) OAStore.del("files", record.localId).catch(function () {});
    showItemFiles(record.itemCode);
    showStorageProblem();
  }

  // A marked copy waiting on the phone needs its original's server id, also after the page was
  // closed between the two sends: kept in "meta" until no waiting file points at that original.
  function rememberSent(record, evidenceId) {
    sentIds[record.localId] = evidenceId;
    if (canStore && files.some(function (f) { return f.annotatesLocalId === record.localId; })) {
      OAStore.put("meta", { key: "sent:" + record.localId, value: evidenceId }).catch(function () {});
    }
    if (record.annotatesLocalId && canStore && !files.some(function (f) { return f !== record && f.annotatesLocalId === record.annotatesLocalId; })) {
      OAStore.del("meta", "sent:" + record.annotatesLocalId).catch(function () {});
    }
  }

  function sendFile(record) {
    var el = itemElement(record.itemCode);
    if (!el) { setFile(record, "failed", texts.error); return Promise.resolve(true); }
    var data = new FormData();
    data.append("item_code", record.itemCode);
    data.append("file", record.blob, record.filename);
    data.append("client_sha256", record.sha256);
    data.append("upload_key", record.localId); // sent again after a lost answer: the server keeps it once
    var annotates = record.annotatesEvidenceId || (record.annotatesLocalId && sentIds[record.annotatesLocalId]);
    if (annotates) data.append("annotates", String(annotates));
    setFile(record, "sending", "");
    var sent = nextRequestNumber();
    var used = csrfToken;
    return post(form.dataset.uploadUrl, data, false).then(function (reply) {
      var body = reply.body;
      if (reply.status >= 500 || reply.status === 429) { serverTrouble = reply.status; setFile(record, "waiting", ""); return false; }
      if (reply.status === 400 && body.status === "csrf") {
        return renewToken(used).then(function (outcome) {
          if (outcome === "renewed") { setFile(record, "waiting", ""); return true; }
          if (outcome === "offline") { setFile(record, "waiting", ""); return false; }
          if (outcome === "signed_out") return fileSignedOut(record, SIGNED_OUT.body.message);
          setFile(record, "failed", body.message);
          return true;
        });
      }
      if (body.status === "signed_out") return fileSignedOut(record, body.message);
      reachedServer();
      if (body.item) showEvidenceMissing(el, sent, body.item.evidence_missing);
      showMissing(body.missing_count);
      var held = (body.evidence || []).filter(function (ev) { return OAQueue.sameBytes(record.sha256, ev.original_sha256); })[0];
      if (reply.status === 200 && held) {
        // A file sent again after a lost answer is the one already kept, maybe shown since a reload.
        if (!el.querySelector('[data-evidence-id="' + held.id + '"]')) {
          el.querySelector("[data-evidence-list]").insertAdjacentHTML("beforeend", held.html);
        }
        rememberSent(record, held.id);
        dropFile(record); // the server holds these very bytes: the phone's copy may go
      } else {
        setFile(record, "failed", reply.status === 200 ? texts.file_not_confirmed : (body.message || texts.error));
      }
      updateBanner();
      return true;
    }).catch(function () { serverTrouble = 0; setFile(record, "waiting", ""); return false; });
  }

  // The session is gone: the file waits on the phone for the new sign-in, and so does the rest.
  function fileSignedOut(record, message) {
    signedOut = true;
    setFile(record, "waiting", message);
    return true;
  }

  function setFile(record, state, message) {
    record.state = state;
    record.message = message || "";
    if (state !== "sending") keepFile(record);
    showFile(record);
    updateBanner();
  }

  function fileStateText(record) {
    if (record.state === "sending") return texts.file_sending;
    if (record.state === "failed") return format(texts.file_failed, { reason: record.message });
    if (record.message) return record.message; // waiting for a new sign-in
    if (serverTrouble && navigator.onLine) return format(texts.server_trouble, { code: serverTrouble });
    return offline() ? texts.file_waiting_offline : texts.file_waiting;
  }

  function documentIcon(label) {
    var doc = document.createElement("div");
    doc.className = "evidence-doc";
    doc.innerHTML = '<span class="evidence-doc-icon" aria-hidden="true"></span>';
    doc.firstChild.textContent = label;
    return doc;
  }

  // A "waiting to send" thumbnail made from the Blob on the phone, until the server has the file.
  function showFile(record) {
    var el = itemElement(record.itemCode);
    if (!el) return;
    var list = el.querySelector("[data-queued-files]");
    var card = list.querySelector('[data-local-id="' + record.localId + '"]');
    if (!card) {
      card = document.createElement("figure");
      card.className = "evidence-card queued-file";
      card.dataset.localId = record.localId;
      if ((record.type || "").indexOf("image/") === 0) {
        record.url = record.url || URL.createObjectURL(record.blob);
        // Opens full screen like a sent photo, and can be marked there: the marked copy waits here
        // too and goes out after this photo, pointing at it (annotatesLocalId).
        var link = document.createElement("a");
        link.className = "evidence-thumb";
        link.href = record.url;
        link.target = "_blank";
        link.dataset.photoFullUrl = record.url;
        link.dataset.photoLocalId = record.localId;
        link.dataset.photoTitle = record.filename;
        var img = document.createElement("img");
        img.src = record.url;
        img.alt = format(texts.photo_alt, { name: record.filename });
        img.onerror = function () { link.replaceWith(documentIcon("?")); }; // bytes no browser can show
        link.appendChild(img);
        card.appendChild(link);
      } else {
        card.appendChild(documentIcon((record.type || "").indexOf("pdf") >= 0 ? "PDF" : "?"));
      }
      var caption = document.createElement("figcaption");
      caption.className = "small";
      caption.innerHTML = '<span class="queued-name"></span><span class="queued-state" data-queued-state></span>' +
        '<span class="queued-actions"><button type="button" class="btn btn-sm btn-outline-primary" data-file-retry></button>' +
        '<button type="button" class="btn btn-sm btn-outline-danger" data-file-remove></button></span>';
      caption.querySelector(".queued-name").textContent = record.filename;
      caption.querySelector("[data-file-retry]").textContent = texts.file_retry;
      caption.querySelector("[data-file-remove]").textContent = texts.file_remove;
      // several queued files on an item: each button's name says which file it acts on
      caption.querySelector("[data-file-retry]").setAttribute("aria-label", format(texts.file_retry_named, { name: record.filename }));
      caption.querySelector("[data-file-remove]").setAttribute("aria-label", format(texts.file_remove_named, { name: record.filename }));
      card.appendChild(caption);
      list.appendChild(card);
    }
    card.dataset.fileState = record.state;
    card.querySelector("[data-queued-state]").textContent = fileStateText(record);
    card.querySelector("[data-file-retry]").hidden = record.state !== "failed";
    card.querySelector("[data-file-remove]").hidden = record.state !== "failed";
    showItemFiles(record.itemCode);
  }

  function showItemFiles(code) {
    var el = itemElement(code);
    if (!el) return;
    var mine = files.filter(function (f) { return f.itemCode === code; });
    el.dataset.waitingFiles = String(mine.filter(function (f) { return f.state !== "failed"; }).length);
    el.dataset.failedFiles = String(mine.filter(function (f) { return f.state === "failed"; }).length);
  }

  // --- what the page shows ----------------------------------------------------------------

  function showSummary(body) {
    serverAnswered = body.progress.answered;
    form.ownerDocument.querySelectorAll("[data-progress-total]").forEach(function (n) { n.textContent = body.progress.total; });
    form.ownerDocument.querySelectorAll("[data-score-final]").forEach(function (n) { n.textContent = body.score.final; });
    form.ownerDocument.querySelectorAll("[data-score-level]").forEach(function (n) { n.textContent = body.score.level_label; });
    Object.keys(body.sections).forEach(function (code) {
      var progress = document.querySelector('[data-section-progress="' + CSS.escape(code) + '"]');
      if (progress) progress.textContent = body.sections[code].answered + "/" + body.sections[code].total;
      var points = document.querySelector('[data-section-score="' + CSS.escape(code) + '"]');
      var line = body.score.sections[code];
      if (points && line) points.textContent = format(texts.section_score, { earned: line.earned, possible: line.possible });
    });
    showMissing(body.missing_count);
    showAsked(body.not_asked);
  }

  // Conditional items: the server says which are not asked after each save (their controlling
  // answer may just have changed); the stylesheet hides those marked false.
  function showAsked(notAsked) {
    if (!notAsked) return;
    form.querySelectorAll("[data-condition-met]").forEach(function (el) {
      el.dataset.conditionMet = notAsked.indexOf(el.dataset.itemCode) === -1 ? "true" : "false";
    });
  }

  function showMissing(count) {
    var badge = document.querySelector("[data-missing-count]");
    if (!badge || count === null || count === undefined) return;
    badge.textContent = count;
    badge.hidden = count === 0;
  }

  function showConflict(el, entry) {
    setState(el, "conflict", texts.conflict);
    var box = el.querySelector("[data-conflict]");
    box.querySelector("[data-conflict-message]").textContent = entry.message;
    box.hidden = false;
  }

  function resolveConflict(el, keepMine) {
    var entry = load(el.dataset.itemCode);
    el.querySelector("[data-conflict]").hidden = true;
    if (!entry || !entry.current) return;
    if (keepMine) { // save mine on top of theirs
      entry.base = entry.current.version;
      entry.state = "pending";
      entry.current = null;
      store(entry);
      pump();
    } else {
      writeItem(el, entry.current);
      setVersion(el, entry.current.version);
      el.dataset.answered = String(entry.current.value !== "" || entry.current.not_applicable);
      remove(entry.code);
      setState(el, "saved", format(texts.saved_by, { name: entry.current.updated_by, time: entry.current.updated_at_text }));
    }
    updateBanner();
  }

  // Answered counts what the server holds plus what waits here: an item answered on the phone is
  // answered, whether or not it has reached the server yet. Like the server's count, scored items
  // only: bonus items and items not asked do not count.
  function answeredHere() {
    var delta = 0;
    queuedCodes().forEach(function (code) {
      var el = itemElement(code);
      if (!el || el.dataset.conditionMet === "false" || el.dataset.skipped || el.closest("#section-bonus")) return;
      delta += (OAQueue.answered(load(code).answer) ? 1 : 0) - (el.dataset.answered === "true" ? 1 : 0);
    });
    return serverAnswered + delta;
  }

  function updateBanner() {
    var pending = 0;
    var problems = 0;
    queuedCodes().forEach(function (code) {
      if (load(code).state === "pending") pending++; else problems++;
    });
    var waitingFiles = files.filter(function (f) { return f.state !== "failed"; }).length;
    var failedFiles = files.length - waitingFiles;
    problems += failedFiles;
    var state = problems ? "problem" : pending || waitingFiles ? (offline() ? "offline" : "pending") : "saved";
    var text = { saved: texts.banner_saved, pending: texts.banner_pending, offline: texts.banner_offline, problem: texts.banner_problem }[state];
    var line = format(text, { count: state === "problem" ? problems - failedFiles : pending });
    if (state === "offline" && serverTrouble && navigator.onLine) {
      line = format(texts.banner_server, { code: serverTrouble, count: pending + waitingFiles });
    }
    if (state === "problem" && failedFiles) { // the refused files, said as files, not as answers
      line = (problems > failedFiles ? line + " " : "") + format(texts.banner_files_failed, { count: failedFiles });
    }
    if (state === "problem" && (pending || waitingFiles) && serverTrouble && navigator.onLine) { // and why the rest waits
      line += " " + format(texts.banner_server, { code: serverTrouble, count: pending + waitingFiles });
    }
    if ((state === "pending" || state === "offline") && !(serverTrouble && navigator.onLine)) {
      line = pending ? line + (waitingFiles ? " " + format(texts.banner_files, { count: waitingFiles }) : "")
        : format(offline() ? texts.banner_files_offline : texts.banner_files, { count: waitingFiles });
    }
    if (signOffAfter && state === "pending") line += " " + texts.signoff_after;
    banner.hidden = false;
    banner.dataset.state = state;
    banner.dataset.pending = String(pending);
    banner.dataset.problems = String(problems);
    banner.dataset.waitingFiles = String(waitingFiles);
    banner.dataset.failedFiles = String(failedFiles);
    banner.querySelector("[data-banner-text]").textContent = line;
    banner.querySelector("[data-retry-now]").hidden = !(pending || waitingFiles); // also beside a refused file
    document.querySelectorAll("[data-progress-answered]").forEach(function (n) { n.textContent = answeredHere(); });
    var waiting = document.querySelector("[data-waiting-text]");
    var parts = [];
    if (pending + problems - failedFiles) parts.push(format(texts.bar_answers_waiting, { count: pending + problems - failedFiles }));
    if (waitingFiles) parts.push(format(texts.bar_files_waiting, { count: waitingFiles }));
    if (failedFiles) parts.push(format(texts.bar_files_failed, { count: failedFiles }));
    waiting.textContent = parts.map(function (p) { return " · " + p; }).join("");
    waiting.hidden = !parts.length;
    goOnToSignOff(state);
  }

  // Signing off needs the server: offline the button says so and waits; nothing typed is lost.
  function showConnection() {
    var link = document.querySelector(".bar-signoff");
    var noteEl = document.querySelector("[data-signoff-offline]");
    if (link) {
      link.classList.toggle("disabled", offline());
      link.setAttribute("aria-disabled", String(offline()));
      if (offline()) link.setAttribute("tabindex", "-1"); else link.removeAttribute("tabindex");
    }
    if (noteEl) noteEl.hidden = !offline();
    files.forEach(function (f) { if (f.state === "waiting") showFile(f); });
  }

  // --- evidence already on the server ---------------------------------------------------------

  function deleteEvidence(button) {
    if (!window.confirm(texts.confirm_delete)) return;
    var card = button.closest("[data-evidence-id]");
    var el = button.closest("[data-item-code]");
    var sent = nextRequestNumber();
    post(button.dataset.deleteUrl, new FormData(), false).then(function (reply) {
      if (reply.status === 200) {
        card.remove();
        showEvidenceMissing(el, sent, reply.body.item.evidence_missing);
        showMissing(reply.body.missing_count);
      } else {
        el.querySelector("[data-upload-status]").textContent = reply.body.message || texts.error;
      }
    }).catch(function () { el.querySelector("[data-upload-status]").textContent = texts.delete_offline; });
  }

  // --- wiring -----------------------------------------------------------------------------

  window.OAOffline = { addFile: addFile };

  var typingTimers = {};

  form.addEventListener("change", function (event) {
    var el = event.target.closest("[data-item-code]");
    if (!el) return;
    if (event.target.matches("[data-evidence-input]")) {
      Array.prototype.forEach.call(event.target.files, function (file) {
        addFile(el.dataset.itemCode, file, { filename: file.name });
      });
      event.target.value = ""; // queued already: the plain form must not send it again
      return;
    }
    if (event.target.type === "radio") { var na = el.querySelector("[data-na]"); if (na) na.checked = false; }
    if (event.target.matches("[data-na]") && event.target.checked) {
      el.querySelectorAll('input[type="radio"]').forEach(function (radio) { radio.checked = false; });
    }
    window.clearTimeout(typingTimers[el.dataset.itemCode]);
    delete typingTimers[el.dataset.itemCode];
    enqueue(el);
  });

  form.addEventListener("input", function (event) {
    var el = event.target.closest("[data-item-code]");
    if (!el || event.target.type === "radio" || event.target.type === "checkbox" || event.target.type === "file") return;
    var code = el.dataset.itemCode;
    window.clearTimeout(typingTimers[code]);
    typingTimers[code] = window.setTimeout(function () { delete typingTimers[code]; enqueue(el); }, 1200);
  });

  form.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-conflict-keep]")) resolveConflict(target.closest("[data-item-code]"), true);
    if (target.closest("[data-conflict-take]")) resolveConflict(target.closest("[data-item-code]"), false);
    var del = target.closest("[data-delete-url]");
    if (del) { event.preventDefault(); deleteEvidence(del); }
    var queued = target.closest("[data-local-id]");
    var record = queued && files.filter(function (f) { return f.localId === queued.dataset.localId; })[0];
    if (record && target.closest("[data-file-retry]")) { setFile(record, "waiting", ""); pump(); }
    if (record && target.closest("[data-file-remove]") && window.confirm(texts.confirm_remove_file)) { dropFile(record); updateBanner(); }
  });

  // Signing off shows what the server holds: with something still on its way (a note typed just
  // before the tap, on a weak signal) the page sends it first and opens the sign-off once saved,
  // so that nothing is signed without it and nothing has to be typed twice.
  var signOffAfter = null;
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".bar-signoff");
    if (!link) return;
    if (offline()) { event.preventDefault(); return; }
    Object.keys(typingTimers).forEach(function (code) {
      window.clearTimeout(typingTimers[code]);
      delete typingTimers[code];
      var el = itemElement(code);
      if (el) enqueue(el);
    });
    if (!stillToSend()) return;
    event.preventDefault();
    signOffAfter = link.href;
    updateBanner();
    sendAll();
  });

  function stillToSend() {
    return busy || queuedCodes().some(function (code) { return load(code).state === "pending"; }) ||
      files.some(function (f) { return f.state === "waiting" || f.state === "sending"; });
  }

  function goOnToSignOff(state) {
    if (!signOffAfter) return;
    if (state === "problem" || offline()) { signOffAfter = null; return; } // the person has to look first
    if (state === "saved") window.location.assign(signOffAfter);
  }

  function start() {
    if (!editable) { warnUnsendable(); return; }
    form.addEventListener("submit", function (event) { event.preventDefault(); sendAll(); }); // Enter in a field
    banner.querySelector("[data-retry-now]").addEventListener("click", sendAll);
    window.addEventListener("online", function () { connectionLost = false; serverTrouble = 0; attempt = 0; showConnection(); updateBanner(); sendAll(); });
    window.addEventListener("offline", function () { connectionLost = true; showConnection(); updateBanner(); });
    window.addEventListener("beforeunload", function (event) {
      if (Object.keys(onlyHere).length) event.preventDefault(); // only in memory: leaving would lose them
    });
    // Answers left unsent by an earlier visit win over what the page shows: they are newer.
    queuedCodes().forEach(function (code) {
      var entry = load(code);
      var el = itemElement(code);
      if (!el) { remove(code); return; }
      writeItem(el, entry.answer);
      if (entry.state === "conflict") { showConflict(el, entry); return; }
      entry.state = "pending";
      store(entry);
      setState(el, "pending", waitingText());
    });
    files.forEach(function (record) {
      if (record.state === "sending") record.state = "waiting"; // the page closed while it was sent
      showFile(record);
    });
    showConnection();
    updateBanner();
    // From here the page shows what the phone keeps (until now it showed only what the server sent).
    banner.dataset.loaded = "true";
    sendAll();
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/checklist/sw.js", { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "oa-send") sendAll();
    });
  }
  if (canStore) OAStore.put("meta", { key: "uid", value: uid }).catch(function () {});
  loadQueues().then(start, start);
})();
