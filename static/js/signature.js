/* The representative signs on the screen: pointer events draw on a canvas, queued as a PNG data URL (or the
   refusal and its reason) in the visit page's outbox. */
(function () {
  "use strict";
  var app = document.getElementById("visit-app");
  var canvas = document.getElementById("signature-pad");
  if (!app || !canvas) { return; }
  var T = window.VISIT_I18N || {};
  var ctx = canvas.getContext("2d");
  var drawing = false, inked = false, last = null;
  var stateEl = document.getElementById("signature-state");

  function fit() {
    var width = Math.min(canvas.parentElement.clientWidth - 4, 600);
    if (width > 0 && !inked) { canvas.width = width; canvas.height = Math.round(width * 0.45); }
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
  }
  fit();
  function point(event) {
    var rect = canvas.getBoundingClientRect();
    return {x: (event.clientX - rect.left) * canvas.width / rect.width,
            y: (event.clientY - rect.top) * canvas.height / rect.height};
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true; last = point(event); canvas.setPointerCapture(event.pointerId); event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event);
    ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
    last = p; inked = true; event.preventDefault();
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  document.getElementById("signature-clear").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); inked = false;
  });

  // Queued in the outbox (static/js/outbox.js) like every other change; checked here first so that an obvious
  // mistake is said at once rather than after the sync.
  function queue(payload, text) {
    return window.Outbox.add("sign", Number(app.dataset.visit), payload).then(function () {
      stateEl.textContent = text + T.notYetSynced;
      stateEl.className = "msg-success";
    });
  }
  function refuse(text) { stateEl.textContent = text; stateEl.className = "msg-error"; }
  document.getElementById("signature-save").addEventListener("click", function () {
    var name = document.getElementById("signer-name").value.trim();
    if (!name) { refuse(T.signerMissing); return; }
    if (!inked) { refuse(T.inkMissing); return; }
    queue({signer_name: name, signer_role: document.getElementById("signer-role").value,
      data_url: canvas.toDataURL("image/png")}, T.signed);
  });
  document.getElementById("refusal-save").addEventListener("click", function () {
    var reason = document.getElementById("refusal-reason").value.trim();
    if (!reason) { refuse(T.reasonMissing); return; }
    queue({refused: true, refusal_reason: reason}, T.refused);
  });
})();
