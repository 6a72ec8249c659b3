/* The representative signs on the screen: pointer events draw on a canvas, saved as a PNG data URL. */
(function () {
  "use strict";
  var app = document.getElementById("visit-app");
  var canvas = document.getElementById("signature-pad");
  if (!app || !canvas) { return; }
  var T = window.VISIT_I18N || {};
  var csrf = app.querySelector("input[name=csrfmiddlewaretoken]").value;
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

  function send(body, okText) {
    return fetch(app.dataset.signatureUrl, {method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf}}).then(function (response) {
      return response.json().then(function (data) {
        stateEl.textContent = response.ok ? okText : (data.error || "");
        stateEl.className = response.ok ? "msg-success" : "msg-error";
      });
    }).catch(function () { stateEl.textContent = T.offline; stateEl.className = "msg-error"; });
  }
  document.getElementById("signature-save").addEventListener("click", function () {
    var body = new FormData();
    body.append("signer_name", document.getElementById("signer-name").value);
    body.append("signer_role", document.getElementById("signer-role").value);
    body.append("data_url", canvas.toDataURL("image/png"));
    send(body, T.signed);
  });
  document.getElementById("refusal-save").addEventListener("click", function () {
    var body = new FormData();
    body.append("refused", "1");
    body.append("refusal_reason", document.getElementById("refusal-reason").value);
    send(body, T.refused);
  });
})();
