/* The checklist page: save each answer as it changes, keep unsent answers on the device, upload evidence.
 *
 * Every change goes into a queue in localStorage, one entry per item (key: assessment + item code),
 * holding the answer and the version the page started from. Entries are sent one POST per item;
 * a failed connection leaves them queued and they are sent again with a growing delay, and at
 * once when the browser is back online. The server answers with the new version, progress and
 * score (computed there: this script never scores), or 409 with the other person's answer.
 *
 * State for people and tests: data-save-state="saved|pending|error|conflict" on each item,
 * data-state="saved|pending|offline|problem" and data-pending/data-problems on #save-banner.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");

  var form = document.getElementById("checklist-form");
  if (!form) return;

  var texts = JSON.parse(document.getElementById("checklist-texts").textContent);
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var banner = document.getElementById("save-banner");
  var prefix = "outlet-audit:checklist:" + form.dataset.assessmentId + ":";
  var memory = {}; // the queue itself when localStorage is unavailable (private browsing, full)
  var inFlight = null; // the item whose save is under way: one at a time, gentle on a weak connection
  var retryDelay = 0;
  var retryTimer = null;
  var connectionLost = false;
  var waitingUploads = [];
  if (form.dataset.editable !== "true") { warnUnsendable(); return; } // function declarations are hoisted

  function format(template, params) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_, key) { return params[key] === undefined ? "" : params[key]; });
  }

  function itemElement(code) {
    return form.querySelector('[data-item-code="' + CSS.escape(code) + '"]');
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

  // --- the queue --------------------------------------------------------------------------

  function load(code) {
    try {
      var stored = window.localStorage.getItem(prefix + code);
      if (stored) return JSON.parse(stored);
    } catch (error) { /* unavailable: fall back to memory */ }
    return memory[code] || null;
  }

  function store(entry) {
    memory[entry.code] = entry;
    try { window.localStorage.setItem(prefix + entry.code, JSON.stringify(entry)); } catch (error) { /* kept in memory */ }
  }

  function remove(code) {
    delete memory[code];
    try { window.localStorage.removeItem(prefix + code); } catch (error) { /* nothing stored */ }
  }

  function persisted(code) {
    try { return window.localStorage.getItem(prefix + code) !== null; } catch (error) { return false; }
  }

  function queuedCodes() {
    var codes = Object.keys(memory);
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var key = window.localStorage.key(i);
        if (key.indexOf(prefix) === 0 && codes.indexOf(key.slice(prefix.length)) < 0) codes.push(key.slice(prefix.length));
      }
    } catch (error) { /* memory only */ }
    return codes;
  }

  function enqueue(el) {
    var code = el.dataset.itemCode;
    var previous = load(code);
    var entry = {
      code: code,
      answer: readItem(el),
      base: previous ? previous.base : Number(el.dataset.version), // the version this page started from
      seq: previous ? previous.seq + 1 : 1,
      state: previous && previous.state === "conflict" ? "conflict" : "pending",
      current: previous ? previous.current : null,
      message: previous ? previous.message : ""
    };
    store(entry); // in conflict the person still has to choose; the new text is what "keep mine" sends
    if (entry.state === "pending") {
      setState(el, "pending", texts.pending);
      sendNext();
    }
    updateBanner();
  }

  // Answers queued on this device for a checklist that can no longer be changed (signed off
  // meanwhile): say so, with the item codes, instead of dropping them silently.
  function warnUnsendable() {
    var codes = queuedCodes();
    if (!codes.length) return;
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
      if (type.indexOf("application/json") < 0) return { status: 0, body: { status: "signed_out", message: texts.signed_out } };
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    });
  }

  function sendNext() {
    if (inFlight) return;
    var next = queuedCodes().filter(function (code) { var entry = load(code); return entry && entry.state === "pending"; })[0];
    if (next) send(next);
  }

  function send(code) {
    var entry = load(code);
    var el = itemElement(code);
    if (!el) { remove(code); sendNext(); return; }
    inFlight = code;
    setState(el, "pending", texts.sending);
    var payload = Object.assign({}, entry.answer, { expected_version: entry.base });
    var sent = nextRequestNumber();
    post(form.dataset.saveUrl.replace("__CODE__", encodeURIComponent(code)), JSON.stringify(payload), true)
      .then(function (reply) { inFlight = null; if (received(el, entry.seq, reply, sent)) sendNext(); })
      .catch(function () { inFlight = null; connectionFailed(el); });
  }

  // Saves and uploads of one item run side by side and may answer out of order: an answer
  // computed before a later request must not undo what that later request showed.
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
    if (reply.status >= 500 || reply.status === 429) { connectionFailed(el); return false; }
    connectionLost = false;
    retryDelay = 0;
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

  function connectionFailed(el) {
    connectionLost = true;
    setState(el, "pending", texts.offline);
    updateBanner();
    retryLater();
  }

  function retryLater() { // 2 s, 4 s, 8 s … at most a minute between tries
    retryDelay = Math.min(Math.max(retryDelay * 2, 2000), 60000);
    if (!retryTimer) retryTimer = window.setTimeout(function () { retryTimer = null; sendAll(); }, retryDelay);
  }

  function sendAll() {
    queuedCodes().forEach(function (code) {
      var entry = load(code);
      if (entry && entry.state === "error") { entry.state = "pending"; store(entry); } // try again: maybe signed in anew
    });
    sendNext();
    waitingUploads.splice(0).forEach(function (job) { upload(job.el, job.file); });
  }

  // --- what the page shows ----------------------------------------------------------------

  function showSummary(body) {
    form.ownerDocument.querySelectorAll("[data-progress-answered]").forEach(function (n) { n.textContent = body.progress.answered; });
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
      sendNext();
    } else {
      writeItem(el, entry.current);
      setVersion(el, entry.current.version);
      el.dataset.answered = String(entry.current.value !== "" || entry.current.not_applicable);
      remove(entry.code);
      setState(el, "saved", format(texts.saved_by, { name: entry.current.updated_by, time: entry.current.updated_at_text }));
    }
    updateBanner();
  }

  function updateBanner() {
    var pending = 0;
    var problems = 0;
    queuedCodes().forEach(function (code) {
      var entry = load(code);
      if (!entry) return;
      if (entry.state === "pending") pending++; else problems++;
    });
    var state = problems ? "problem" : pending ? (connectionLost || !navigator.onLine ? "offline" : "pending") : "saved";
    var text = { saved: texts.banner_saved, pending: texts.banner_pending, offline: texts.banner_offline, problem: texts.banner_problem }[state];
    banner.hidden = false;
    banner.dataset.state = state;
    banner.dataset.pending = String(pending);
    banner.dataset.problems = String(problems);
    banner.querySelector("[data-banner-text]").textContent = format(text, { count: state === "problem" ? problems : pending });
    banner.querySelector("[data-retry-now]").hidden = state !== "pending" && state !== "offline";
  }

  // --- evidence ---------------------------------------------------------------------------

  function upload(el, file) {
    var status = el.querySelector("[data-upload-status]");
    status.textContent = format(texts.uploading, { name: file.name });
    var data = new FormData();
    data.append("item_code", el.dataset.itemCode);
    data.append("file", file, file.name);
    function later() { // the file stays in this page until it is sent
      waitingUploads.push({ el: el, file: file });
      status.textContent = texts.upload_offline;
      retryLater();
    }
    var sent = nextRequestNumber();
    post(form.dataset.uploadUrl, data, false).then(function (reply) {
      var body = reply.body;
      if (reply.status >= 500 || reply.status === 429) { later(); return; }
      var list = el.querySelector("[data-evidence-list]");
      (body.evidence || []).forEach(function (evidence) { list.insertAdjacentHTML("beforeend", evidence.html); });
      if (body.item) showEvidenceMissing(el, sent, body.item.evidence_missing);
      showMissing(body.missing_count);
      status.textContent = reply.status === 200 ? texts.uploaded : format(texts.upload_failed, { reason: body.message });
    }).catch(later);
  }

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

  var typingTimers = {};

  form.addEventListener("change", function (event) {
    var el = event.target.closest("[data-item-code]");
    if (!el) return;
    if (event.target.matches("[data-evidence-input]")) {
      Array.prototype.forEach.call(event.target.files, function (file) { upload(el, file); });
      event.target.value = ""; // sent already: the plain form must not send it again
      return;
    }
    if (event.target.type === "radio") { var na = el.querySelector("[data-na]"); if (na) na.checked = false; }
    if (event.target.matches("[data-na]") && event.target.checked) {
      el.querySelectorAll('input[type="radio"]').forEach(function (radio) { radio.checked = false; });
    }
    window.clearTimeout(typingTimers[el.dataset.itemCode]);
    enqueue(el);
  });

  form.addEventListener("input", function (event) {
    var el = event.target.closest("[data-item-code]");
    if (!el || event.target.type === "radio" || event.target.type === "checkbox" || event.target.type === "file") return;
    var code = el.dataset.itemCode;
    window.clearTimeout(typingTimers[code]);
    typingTimers[code] = window.setTimeout(function () { enqueue(el); }, 1200);
  });

  form.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-conflict-keep]")) resolveConflict(target.closest("[data-item-code]"), true);
    if (target.closest("[data-conflict-take]")) resolveConflict(target.closest("[data-item-code]"), false);
    var del = target.closest("[data-delete-url]");
    if (del) { event.preventDefault(); deleteEvidence(del); }
  });

  form.addEventListener("submit", function (event) { event.preventDefault(); sendAll(); }); // Enter in a field
  banner.querySelector("[data-retry-now]").addEventListener("click", sendAll);
  window.addEventListener("online", function () { connectionLost = false; retryDelay = 0; sendAll(); });
  window.addEventListener("offline", function () { connectionLost = true; updateBanner(); });
  window.addEventListener("beforeunload", function (event) {
    var unsaved = queuedCodes().some(function (code) { return memory[code] && !persisted(code); });
    if (unsaved) event.preventDefault(); // only in memory: leaving would lose them
  });

  // Answers left unsent by an earlier visit win over what the server rendered: they are newer.
  queuedCodes().forEach(function (code) {
    var entry = load(code);
    var el = itemElement(code);
    if (!entry || !el) { remove(code); return; }
    writeItem(el, entry.answer);
    if (entry.state === "conflict") { showConflict(el, entry); return; }
    entry.state = "pending";
    store(entry);
    setState(el, "pending", texts.pending);
  });
  updateBanner();
  sendAll();
})();
