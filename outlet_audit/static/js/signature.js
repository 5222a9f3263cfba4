/* Signature pads on the sign-off page: draw with a finger or mouse, keep the drawing as a PNG
 * data URL in a hidden field that is posted with the sign-off form. Without JavaScript the pads
 * stay hidden and the inspector signs off by name and time alone.
 * State for tests: data-signed="true|false" on each [data-signature-pad].
 */
(function () {
  "use strict";
  var container = document.querySelector("[data-signature-pads]");
  if (!container) return;
  var texts = JSON.parse(document.getElementById("signature-texts").textContent);
  container.hidden = false;

  container.querySelectorAll("[data-signature-pad]").forEach(function (pad) {
    var canvas = pad.querySelector("canvas");
    var input = pad.querySelector("[data-signature-input]");
    var stateText = pad.querySelector("[data-signature-state]");
    var context = canvas.getContext("2d");
    var drawing = false;
    var last = null;

    // Draw at the screen's pixel density so the signature is not blurred; keep the CSS size.
    function fitToScreen() {
      var ratio = window.devicePixelRatio || 1;
      var box = canvas.getBoundingClientRect();
      if (!box.width) return;
      canvas.width = Math.round(box.width * ratio);
      canvas.height = Math.round(box.height * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111";
      if (input.value) { // redraw a signature kept through a form error
        var image = new Image();
        image.onload = function () { context.drawImage(image, 0, 0, box.width, box.height); };
        image.src = input.value;
      }
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    function mark(signed) {
      pad.dataset.signed = signed ? "true" : "false";
      stateText.textContent = signed ? texts.signed : texts.not_signed;
    }

    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      last = point(event);
      canvas.setPointerCapture(event.pointerId);
      context.beginPath();
      context.arc(last.x, last.y, 1, 0, 2 * Math.PI);
      context.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    function finish() {
      if (!drawing) return;
      drawing = false;
      input.value = canvas.toDataURL("image/png");
      mark(true);
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    pad.querySelector("[data-signature-clear]").addEventListener("click", function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      input.value = "";
      mark(false);
    });

    fitToScreen();
    mark(Boolean(input.value));
  });
})();
