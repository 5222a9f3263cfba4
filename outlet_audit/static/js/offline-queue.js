/* What to send next and when to try again: pure functions shared by the checklist page and the
 * service worker (importScripts), tested on their own in the browser (tests/browser/test_offline_queue.py).
 *
 * self.OAQueue = {
 *   order(answers, files) -> tasks   answers in the order given, one per item (the newest wins);
 *                                    each item's files right after its answer, files of items
 *                                    without a queued answer after all answers; an annotated copy
 *                                    after the original it marks up.
 *   retryDelay(attempt) -> ms        2 s, 4 s, 8 s … at most a minute between tries.
 *   sameBytes(clientHex, serverHex)  the server holds what the phone sent (case-insensitive hex).
 *   answered(answer) -> bool         an answer that counts as given (a value, or not applicable).
 * }
 */
(function (root) {
  "use strict";

  var FIRST_DELAY = 2000;
  var MAX_DELAY = 60000;

  // answers: [{code, seq, ...}] in the order they were made; files: [{localId, itemCode,
  // createdAt, annotatesLocalId?}]. Returns [{kind: "answer", entry} | {kind: "file", entry}].
  function order(answers, files) {
    var newest = {};
    var codes = [];
    answers.forEach(function (entry) {
      var known = newest[entry.code];
      if (!known) codes.push(entry.code);
      if (!known || (entry.seq || 0) >= (known.seq || 0)) newest[entry.code] = entry;
    });
    var byItem = {};
    var sortedFiles = files.slice().sort(function (a, b) { return (a.createdAt || 0) - (b.createdAt || 0); });
    sortedFiles = originalsFirst(sortedFiles);
    sortedFiles.forEach(function (file) { (byItem[file.itemCode] = byItem[file.itemCode] || []).push(file); });
    var tasks = [];
    codes.forEach(function (code) {
      tasks.push({ kind: "answer", entry: newest[code] });
      (byItem[code] || []).forEach(function (file) { tasks.push({ kind: "file", entry: file }); });
      delete byItem[code];
    });
    sortedFiles.forEach(function (file) {
      if (byItem[file.itemCode]) tasks.push({ kind: "file", entry: file });
    });
    return tasks;
  }

  // A marked-up copy is sent after its original (it needs the original's server id).
  function originalsFirst(files) {
    var placed = {};
    var result = [];
    var waiting = files.slice();
    var progress = true;
    while (waiting.length && progress) {
      progress = false;
      waiting = waiting.filter(function (file) {
        var needs = file.annotatesLocalId;
        var inList = needs && files.some(function (other) { return other.localId === needs; });
        if (!inList || placed[needs]) {
          result.push(file);
          placed[file.localId] = true;
          progress = true;
          return false;
        }
        return true;
      });
    }
    return result.concat(waiting); // a loop of marks (impossible from the page) still goes out
  }

  function retryDelay(attempt) {
    var delay = FIRST_DELAY * Math.pow(2, Math.max(0, attempt || 0));
    return Math.min(delay, MAX_DELAY);
  }

  function sameBytes(clientHex, serverHex) {
    return !!clientHex && !!serverHex && String(clientHex).toLowerCase() === String(serverHex).toLowerCase();
  }

  function answered(answer) {
    return !!answer && (answer.value !== "" || !!answer.not_applicable);
  }

  root.OAQueue = { order: order, retryDelay: retryDelay, sameBytes: sameBytes, answered: answered };
})(typeof self !== "undefined" ? self : this);
