/* A photo full screen: tap a thumbnail, zoom (pinch, wheel, buttons, + and -) and move it (drag, arrows),
 * close with Esc, the close button or the phone's back. Where the checklist can still be changed,
 * mark a problem on it (circle, arrow, a few words, in red, with undo) and save the marked copy as a
 * new file of the item that points at the original (form field `annotates`); the original is never
 * changed.
 *
 * Thumbnails are found by [data-photo-full-url] through one listener on the document, so cards added
 * later (an upload's answer, the offline queue's) open too. A card that says data-duplicate-of="N"
 * gets photo N flagged as well ("same file as photo …"), wherever it was added from.
 *
 * The marks are kept as shapes in the photo's own pixels and drawn again after each change: undo
 * drops the last one, and the saved copy is drawn at the photo's full size whatever the zoom.
 */
(function () {
  "use strict";

  var dialog = document.getElementById("photo-viewer");
  if (!dialog) return;
  var texts = JSON.parse(document.getElementById("photo-viewer-texts").textContent);
  var stage = dialog.querySelector("[data-pv-stage]");
  var layer = dialog.querySelector("[data-pv-layer]");
  var image = dialog.querySelector("[data-pv-image]");
  var canvas = dialog.querySelector("[data-pv-canvas]");
  var title = dialog.querySelector("[data-pv-title]");
  var status = dialog.querySelector("[data-pv-status]");
  var loading = dialog.querySelector("[data-pv-loading]");
  var markButton = dialog.querySelector("[data-pv-mark]");
  var markTools = dialog.querySelector("[data-pv-mark-tools]");
  var markUrl = dialog.dataset.markUrl;
  var RED = "#e0101b";
  var MIN_SCALE_FACTOR = 1; // never smaller than the whole photo in view
  var MAX_SCALE = 8; // photo pixels shown 8 times over at most

  var opener = null; // the thumbnail that opened the viewer: focus returns to it
  var photo = null; // {id, itemCode, url}
  var view = { scale: 1, x: 0, y: 0, fit: 1 };
  var pointers = {}; // active pointers by id: {x, y}
  var gesture = null; // {kind: "pan"|"pinch"|"draw", ...}
  var marks = [];
  var draft = null; // the shape being drawn
  var tool = "circle";
  var pushedHistory = false;

  function format(template, params) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_, key) { return params[key] === undefined ? "" : params[key]; });
  }

  // --- opening and closing ----------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-photo-full-url]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return; // a new tab still works
    event.preventDefault();
    open(link);
  });

  function open(link) {
    opener = link;
    var item = link.closest("[data-item-code]");
    var form = link.closest("form[data-editable]");
    photo = {
      id: link.dataset.photoId,
      localId: link.dataset.photoLocalId || null, // a photo still waiting on the phone (checklist.js)
      title: link.dataset.photoTitle || "",
      url: link.dataset.photoFullUrl,
      itemCode: item ? item.dataset.itemCode : null
    };
    // Marking needs a photo among the item's own files (not the outlet's self-assessment shown beside
    // it, nor a signature) on a checklist that can still be changed.
    var markable = !!(markUrl && markButton && photo.itemCode && link.closest("[data-evidence-list], [data-queued-files]") &&
      !link.hasAttribute("data-photo-signature") && form && form.dataset.editable === "true");
    if (markButton) markButton.hidden = !markable;
    title.textContent = link.dataset.photoTitle || "";
    var thumbnailImage = link.querySelector("img");
    image.alt = thumbnailImage ? thumbnailImage.alt : title.textContent;
    status.textContent = "";
    setMode("view");
    image.removeAttribute("src");
    layer.hidden = true;
    loading.hidden = false;
    if (!dialog.open) dialog.showModal();
    document.documentElement.classList.add("pv-open");
    if (!pushedHistory) { history.pushState({ photoViewer: true }, ""); pushedHistory = true; }
    dialog.querySelector("[data-pv-close]").focus();
    image.onload = function () { loading.hidden = true; layer.hidden = false; fitPhoto(); };
    image.onerror = function () {
      // No connection and the photo itself not on the phone (a prepared visit keeps thumbnails):
      // show the thumbnail the page has, said as such; a marked copy of it would be too coarse.
      var small = thumbnailImage && thumbnailImage.naturalWidth ? thumbnailImage.currentSrc || thumbnailImage.src : "";
      if (small && !navigator.onLine && image.getAttribute("src") !== small) {
        status.textContent = texts.small_copy;
        if (markButton) markButton.hidden = true;
        image.src = small;
        return;
      }
      loading.hidden = true;
      status.textContent = texts.cannot_load;
    };
    image.src = photo.url;
  }

  function close(fromHistory) {
    if (!dialog.open) return;
    if (marks.length && !window.confirm(texts.discard)) return;
    marks = [];
    dialog.close();
    document.documentElement.classList.remove("pv-open");
    if (pushedHistory && !fromHistory) { pushedHistory = false; history.back(); }
    pushedHistory = false;
    if (opener && document.contains(opener)) opener.focus();
  }

  dialog.addEventListener("cancel", function (event) { // Esc: leave marking first, then the viewer
    event.preventDefault();
    if (dialog.dataset.mode === "mark") cancelMarking(); else close(false);
  });
  window.addEventListener("popstate", function () {
    if (!dialog.open) return;
    pushedHistory = false;
    if (marks.length && !window.confirm(texts.discard)) { history.pushState({ photoViewer: true }, ""); pushedHistory = true; return; }
    marks = [];
    close(true);
  });
  dialog.querySelector("[data-pv-close]").addEventListener("click", function () { close(false); });

  // Keep Tab inside the dialog (showModal makes the page behind inert; this also wraps around).
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Tab") {
      var focusable = Array.prototype.filter.call(
        dialog.querySelectorAll("button, input, [tabindex]"),
        function (el) { return !el.disabled && el.offsetParent !== null; });
      if (!focusable.length) return;
      var first = focusable[0], last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
      return;
    }
    if (event.target.matches("input")) return;
    var step = 60;
    var keys = {
      "+": function () { zoomBy(1.5); }, "=": function () { zoomBy(1.5); }, "-": function () { zoomBy(1 / 1.5); },
      "0": fitPhoto,
      ArrowLeft: function () { panBy(step, 0); }, ArrowRight: function () { panBy(-step, 0); },
      ArrowUp: function () { panBy(0, step); }, ArrowDown: function () { panBy(0, -step); }
    };
    if (keys[event.key]) { event.preventDefault(); keys[event.key](); }
  });

  // --- zoom and pan -----------------------------------------------------------------------

  function fitPhoto() {
    var box = stage.getBoundingClientRect();
    var width = image.naturalWidth || 1, height = image.naturalHeight || 1;
    layer.style.width = width + "px";
    layer.style.height = height + "px";
    view.fit = Math.min(box.width / width, box.height / height);
    view.scale = view.fit;
    view.x = (box.width - width * view.scale) / 2;
    view.y = (box.height - height * view.scale) / 2;
    apply();
  }

  function apply() {
    layer.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.scale + ")";
    dialog.dataset.zoom = (view.scale / view.fit).toFixed(2); // for tests and styles: 1 = the whole photo
  }

  function zoomAt(factor, cx, cy) { // keep the photo point under (cx, cy) where it is
    var scale = Math.min(Math.max(view.scale * factor, view.fit * MIN_SCALE_FACTOR), Math.max(MAX_SCALE, view.fit));
    factor = scale / view.scale;
    view.x = cx - (cx - view.x) * factor;
    view.y = cy - (cy - view.y) * factor;
    view.scale = scale;
    keepInView();
    apply();
  }

  function zoomBy(factor) {
    var box = stage.getBoundingClientRect();
    zoomAt(factor, box.width / 2, box.height / 2);
  }

  function panBy(dx, dy) { view.x += dx; view.y += dy; keepInView(); apply(); }

  function keepInView() { // the photo may not leave the screen: centred when smaller, edges kept otherwise
    var box = stage.getBoundingClientRect();
    var width = image.naturalWidth * view.scale, height = image.naturalHeight * view.scale;
    view.x = width <= box.width ? (box.width - width) / 2 : Math.min(0, Math.max(box.width - width, view.x));
    view.y = height <= box.height ? (box.height - height) / 2 : Math.min(0, Math.max(box.height - height, view.y));
  }

  dialog.querySelectorAll("[data-pv-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var how = button.dataset.pvZoom;
      if (how === "fit") fitPhoto(); else zoomBy(how === "in" ? 1.5 : 1 / 1.5);
    });
  });

  stage.addEventListener("wheel", function (event) {
    event.preventDefault();
    var box = stage.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
  }, { passive: false });

  stage.addEventListener("dblclick", function (event) {
    if (dialog.dataset.mode === "mark") return;
    var box = stage.getBoundingClientRect();
    if (view.scale > view.fit * 1.05) fitPhoto(); else zoomAt(2.5, event.clientX - box.left, event.clientY - box.top);
  });

  window.addEventListener("resize", function () { if (dialog.open && image.naturalWidth) fitPhoto(); });

  function local(event) {
    var box = stage.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  function photoPoint(point) { // stage pixels -> photo pixels
    return { x: (point.x - view.x) / view.scale, y: (point.y - view.y) / view.scale };
  }

  function twoPointers() {
    var ids = Object.keys(pointers);
    var a = pointers[ids[0]], b = pointers[ids[1]];
    return { cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2, distance: Math.max(Math.hypot(a.x - b.x, a.y - b.y), 1) };
  }

  stage.addEventListener("pointerdown", function (event) {
    if (!image.naturalWidth) return;
    stage.setPointerCapture(event.pointerId);
    pointers[event.pointerId] = local(event);
    var count = Object.keys(pointers).length;
    if (count === 2) { // a second finger: zoom and move, and whatever was being drawn is dropped
      draft = null;
      redraw();
      var pair = twoPointers();
      gesture = { kind: "pinch", last: pair, lastDistance: pair.distance };
    } else if (count === 1) {
      var point = pointers[event.pointerId];
      if (dialog.dataset.mode === "mark") startMark(photoPoint(point));
      else gesture = { kind: "pan", x: point.x, y: point.y };
    }
  });

  stage.addEventListener("pointermove", function (event) {
    if (!pointers[event.pointerId]) return;
    pointers[event.pointerId] = local(event);
    if (!gesture) return;
    if (gesture.kind === "pinch" && Object.keys(pointers).length >= 2) {
      var pair = twoPointers();
      view.x += pair.cx - gesture.last.cx;
      view.y += pair.cy - gesture.last.cy;
      gesture.last = pair;
      zoomAt(pair.distance / gesture.lastDistance, pair.cx, pair.cy);
      gesture.lastDistance = pair.distance;
    } else if (gesture.kind === "pan") {
      var point = pointers[event.pointerId];
      panBy(point.x - gesture.x, point.y - gesture.y);
      gesture.x = point.x;
      gesture.y = point.y;
    } else if (gesture.kind === "draw" && draft) {
      var at = photoPoint(pointers[event.pointerId]);
      draft.x2 = at.x;
      draft.y2 = at.y;
      redraw();
    }
  });

  function pointerEnd(event) {
    if (!pointers[event.pointerId]) return;
    delete pointers[event.pointerId];
    if (gesture && gesture.kind === "draw" && draft) finishMark();
    var left = Object.keys(pointers);
    if (left.length === 1 && dialog.dataset.mode !== "mark") {
      gesture = { kind: "pan", x: pointers[left[0]].x, y: pointers[left[0]].y };
    } else if (!left.length) {
      gesture = null;
    }
  }
  stage.addEventListener("pointerup", pointerEnd);
  stage.addEventListener("pointercancel", pointerEnd);

  // --- marking ----------------------------------------------------------------------------

  function setMode(mode) {
    relayout(function () {
      dialog.dataset.mode = mode;
      if (markTools) markTools.hidden = mode !== "mark";
      if (markButton) markButton.hidden = mode === "mark" || markButton.hidden;
      canvas.hidden = mode !== "mark" && !marks.length;
    });
  }

  // The marking tools take room from the photo: keep the point in the middle where it was, and a
  // photo shown whole still whole.
  function relayout(change) {
    if (!dialog.open || !image.naturalWidth) { change(); return; }
    var before = stage.getBoundingClientRect();
    var whole = view.scale <= view.fit * 1.001;
    var centre = photoPoint({ x: before.width / 2, y: before.height / 2 });
    change();
    var after = stage.getBoundingClientRect();
    view.fit = Math.min(after.width / image.naturalWidth, after.height / image.naturalHeight);
    if (whole || view.scale < view.fit) view.scale = view.fit;
    view.x = after.width / 2 - centre.x * view.scale;
    view.y = after.height / 2 - centre.y * view.scale;
    keepInView();
    apply();
  }

  if (markButton) {
    markButton.addEventListener("click", function () {
      marks = [];
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      redraw();
      setMode("mark");
      selectTool("circle");
      status.textContent = format(texts.marking, { number: photo.id || photo.title });
      dialog.querySelector('[data-pv-tool="circle"]').focus();
    });
    dialog.querySelectorAll("[data-pv-tool]").forEach(function (button) {
      button.addEventListener("click", function () { selectTool(button.dataset.pvTool); });
    });
    dialog.querySelector("[data-pv-undo]").addEventListener("click", function () { marks.pop(); redraw(); });
    dialog.querySelector("[data-pv-cancel]").addEventListener("click", cancelMarking);
    dialog.querySelector("[data-pv-save]").addEventListener("click", save);
  }

  function cancelMarking() {
    if (marks.length && !window.confirm(texts.discard)) return;
    marks = [];
    redraw();
    markButton.hidden = false;
    setMode("view");
    status.textContent = "";
    markButton.focus();
  }

  function selectTool(name) {
    tool = name;
    dialog.querySelectorAll("[data-pv-tool]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.pvTool === name));
    });
    dialog.querySelector("[data-pv-text-entry]").hidden = name !== "text";
    dialog.querySelector("[data-pv-hint]").hidden = name === "text";
    if (name === "text") dialog.querySelector("[data-pv-text-input]").focus();
  }

  function startMark(at) {
    if (at.x < 0 || at.y < 0 || at.x > canvas.width || at.y > canvas.height) return; // beside the photo
    if (tool === "text") {
      var input = dialog.querySelector("[data-pv-text-input]");
      var words = input.value.trim();
      if (!words) { status.textContent = texts.text_first; input.focus(); return; }
      marks.push({ type: "text", x: at.x, y: at.y, text: words });
      input.value = "";
      redraw();
      return;
    }
    draft = { type: tool, x1: at.x, y1: at.y, x2: at.x, y2: at.y };
    gesture = { kind: "draw" };
  }

  function finishMark() {
    var size = Math.hypot(draft.x2 - draft.x1, draft.y2 - draft.y1);
    if (size > lineWidth() * 2) marks.push(draft); // a tap is not a mark
    draft = null;
    redraw();
  }

  // In the photo's pixels: about 2.5 screen pixels on a phone showing the whole photo, whatever its size.
  function lineWidth() { return Math.max(6, Math.round(Math.max(canvas.width, canvas.height) / 140)); }

  function redraw() {
    var context = canvas.getContext("2d");
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawMarks(context, draft ? marks.concat([draft]) : marks);
    var undo = dialog.querySelector("[data-pv-undo]");
    if (undo) undo.disabled = !marks.length;
    var saveButton = dialog.querySelector("[data-pv-save]");
    if (saveButton) saveButton.disabled = !marks.length;
    dialog.dataset.marks = String(marks.length);
  }

  // Red with a thin white edge: it shows on the grey, brown and red of a sorting hall.
  function drawMarks(context, shapes) {
    var width = lineWidth();
    context.lineCap = "round";
    context.lineJoin = "round";
    shapes.forEach(function (shape) {
      [["#ffffff", width * 1.8], [RED, width]].forEach(function (pass) {
        context.strokeStyle = pass[0];
        context.fillStyle = pass[0];
        context.lineWidth = pass[1];
        if (shape.type === "circle") strokeEllipse(context, shape);
        else if (shape.type === "arrow") strokeArrow(context, shape, width);
      });
      if (shape.type === "text") fillWords(context, shape, width);
    });
  }

  function strokeEllipse(context, shape) {
    var rx = Math.abs(shape.x2 - shape.x1) / 2, ry = Math.abs(shape.y2 - shape.y1) / 2;
    context.beginPath();
    context.ellipse((shape.x1 + shape.x2) / 2, (shape.y1 + shape.y2) / 2, Math.max(rx, 1), Math.max(ry, 1), 0, 0, 2 * Math.PI);
    context.stroke();
  }

  function strokeArrow(context, shape, width) { // drawn from where the finger started to the tip
    var angle = Math.atan2(shape.y2 - shape.y1, shape.x2 - shape.x1);
    var head = width * 5;
    context.beginPath();
    context.moveTo(shape.x1, shape.y1);
    context.lineTo(shape.x2, shape.y2);
    context.moveTo(shape.x2 - head * Math.cos(angle - 0.45), shape.y2 - head * Math.sin(angle - 0.45));
    context.lineTo(shape.x2, shape.y2);
    context.lineTo(shape.x2 - head * Math.cos(angle + 0.45), shape.y2 - head * Math.sin(angle + 0.45));
    context.stroke();
  }

  function fillWords(context, shape, width) {
    context.font = "bold " + width * 7 + "px sans-serif";
    context.textBaseline = "middle";
    context.lineWidth = width * 1.5;
    context.strokeStyle = "#ffffff";
    context.strokeText(shape.text, shape.x, shape.y);
    context.fillStyle = RED;
    context.fillText(shape.text, shape.x, shape.y);
  }

  // --- saving the marked copy -------------------------------------------------------------

  function markedCopy() { // the photo at its full size with the marks on it, as a JPEG
    var copy = document.createElement("canvas");
    copy.width = image.naturalWidth;
    copy.height = image.naturalHeight;
    var context = copy.getContext("2d");
    context.drawImage(image, 0, 0);
    drawMarks(context, marks);
    return new Promise(function (resolve, reject) {
      copy.toBlob(function (blob) { if (blob) resolve(blob); else reject(new Error("toBlob")); }, "image/jpeg", 0.9);
    });
  }

  function sha256Hex(blob) { // only in a secure context (https, localhost); the server checks when given
    if (!window.crypto || !window.crypto.subtle) return Promise.resolve("");
    return blob.arrayBuffer().then(function (buffer) { return window.crypto.subtle.digest("SHA-256", buffer); })
      .then(function (digest) {
        return Array.prototype.map.call(new Uint8Array(digest), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      });
  }

  function save() {
    var saveButton = dialog.querySelector("[data-pv-save]");
    saveButton.disabled = true;
    status.textContent = texts.saving;
    var filename = photo.id ? "marked-" + photo.id + ".jpg" : "marked-" + (photo.title || "photo.jpg").replace(/\.[^.]*$/, "") + ".jpg";
    var original = photo;
    markedCopy().then(function (blob) {
      if (window.OAOffline && window.OAOffline.addFile) { // the offline queue keeps it until it is sent
        return window.OAOffline.addFile(original.itemCode, blob, {
          filename: filename, capturedAt: null,
          annotatesEvidenceId: original.id ? Number(original.id) : null, annotatesLocalId: original.localId
        }).then(function () { done(texts.queued); });
      }
      return sha256Hex(blob).then(function (hash) { return upload(original, blob, filename, hash); });
    }).catch(function () {
      status.textContent = texts.offline;
      saveButton.disabled = false;
    });
  }

  function upload(original, blob, filename, hash) {
    var data = new FormData();
    data.append("item_code", original.itemCode);
    data.append("annotates", original.id);
    if (hash) data.append("client_sha256", hash);
    data.append("file", blob, filename);
    var token = document.querySelector('meta[name="csrf-token"]');
    return fetch(markUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.content : "", "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) throw new Error("not json");
      return response.json().then(function (body) {
        if (response.status !== 200) {
          status.textContent = format(texts.failed, { reason: body.message || response.status });
          dialog.querySelector("[data-pv-save]").disabled = false;
          return;
        }
        var card = document.querySelector('[data-evidence-id="' + CSS.escape(original.id) + '"]');
        (body.evidence || []).slice().reverse().forEach(function (evidence) {
          if (card) card.insertAdjacentHTML("afterend", evidence.html);
        });
        done(texts.saved);
      });
    });
  }

  function done(message) {
    marks = [];
    redraw();
    close(false);
    var item = opener && opener.closest("[data-item-code]");
    var itemStatus = item && item.querySelector("[data-upload-status]");
    if (itemStatus) itemStatus.textContent = message;
  }

  // --- the same file attached twice -------------------------------------------------------

  // A card added with data-duplicate-of="N" flags card N too, unless it says so already.
  function flagEarlier(card) {
    var earlier = document.querySelector('[data-evidence-id="' + CSS.escape(card.dataset.duplicateOf) + '"]');
    if (!earlier || earlier.querySelector("[data-duplicate-flag]")) return;
    var flag = document.createElement("div");
    flag.className = "evidence-duplicate";
    flag.setAttribute("role", "note");
    flag.dataset.duplicateFlag = "";
    var link = document.createElement("a");
    link.href = "#evidence-" + card.dataset.evidenceId;
    link.textContent = format(texts.same_file, { number: card.dataset.evidenceId });
    flag.appendChild(link);
    var caption = earlier.querySelector("figcaption");
    var number = caption && caption.querySelector(".evidence-number");
    if (number) number.after(flag); else if (caption) caption.prepend(flag);
    earlier.dataset.duplicateOf = card.dataset.evidenceId;
  }

  // A card removed (the person deleted one of the two): the other no longer says "same file as" it.
  function unflag(card) {
    var links = document.querySelectorAll('[data-duplicate-flag] a[href="#evidence-' + CSS.escape(card.dataset.evidenceId) + '"]');
    links.forEach(function (link) {
      var flag = link.closest("[data-duplicate-flag]");
      link.remove();
      if (flag.querySelector("a")) return;
      delete flag.closest("[data-evidence-id]").dataset.duplicateOf;
      flag.remove();
    });
  }

  function cardsIn(node, selector) {
    if (node.nodeType !== 1) return [];
    return (node.matches(selector) ? [node] : []).concat(Array.prototype.slice.call(node.querySelectorAll(selector)));
  }

  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) { cardsIn(node, "[data-duplicate-of]").forEach(flagEarlier); });
      record.removedNodes.forEach(function (node) { cardsIn(node, "[data-evidence-id]").forEach(unflag); });
    });
  }).observe(document.body, { childList: true, subtree: true });
})();
