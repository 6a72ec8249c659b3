/* The visit page, online or not (issue 18): each answer, photo, the start (time and, with the inspector's consent,
   position) and the submit go to the outbox (static/js/outbox.js) and are sent from there; the page shows how many
   wait (待同步 n 项), what the server refused and why, and asks which version stands when another inspector
   changed the same item. Reopened without a connection (the service worker keeps the page), it puts back what is
   still waiting. Photos are compressed here to the size the server sets before they are queued. */
(function () {
  "use strict";
  // The read-only page of a submitted visit has only the outbox part (#visit-outbox): what it still holds or refused.
  var app = document.getElementById("visit-app") || document.getElementById("visit-outbox");
  if (!app || !window.Outbox) { return; }
  var T = window.VISIT_I18N || {};
  var visitId = Number(app.dataset.visit);
  var stateEl = document.getElementById("save-state");
  var outboxEl = document.getElementById("outbox-state");
  var problemsEl = document.getElementById("outbox-problems");
  var typing = {};  // item -> debounce timer of a change not yet queued
  var labels = {};
  app.querySelectorAll("fieldset.item label.choice").forEach(function (label) {
    var input = label.querySelector("input");
    labels[input.value] = label.textContent.trim();
  });

  function setState(text) { if (stateEl) { stateEl.textContent = text; } }
  function fieldsetOf(item) { return app.querySelector('fieldset[data-item="' + item + '"]'); }
  function readItem(fieldset) {
    var checked = fieldset.querySelector("input[type=radio]:checked");
    return {result: checked ? checked.value : "", remark: fieldset.querySelector("textarea").value};
  }
  function writeItem(fieldset, value) {
    fieldset.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === value.result; });
    fieldset.querySelector("textarea").value = value.remark;
    renderAnswered();
  }

  // ---- 已答 n/11, and a jump to the first item not answered yet (counted on the page: offline too) ----
  var answeredEl = document.querySelector("#answered-count .n");
  var jumpButton = document.getElementById("jump-unanswered");
  function unanswered() {
    return Array.prototype.filter.call(app.querySelectorAll("fieldset.item"), function (fieldset) {
      return !fieldset.querySelector("input[type=radio]:checked");
    });
  }
  function renderAnswered() {
    if (!answeredEl) { return; }
    var total = app.querySelectorAll("fieldset.item").length;
    var left = unanswered().length;
    answeredEl.textContent = String(total - left);
    if (jumpButton) { jumpButton.hidden = left === 0; }
  }
  if (jumpButton) {
    jumpButton.addEventListener("click", function () {
      var first = unanswered()[0];
      if (!first) { return; }
      first.scrollIntoView({block: "start"});
      first.querySelector("input[type=radio]").focus({preventScroll: true});
    });
  }
  function mine(row) { return row.visit === visitId; }

  // ---- answers ----
  function queueAnswer(fieldset) {
    var item = fieldset.dataset.item;
    delete typing[item];
    var value = readItem(fieldset);
    return Outbox.add("answer", visitId, {item: Number(item), result: value.result, remark: value.remark,
      base: fieldset.dataset.version || ""});
  }
  function changed(fieldset, delay) {
    var item = fieldset.dataset.item;
    fieldset.classList.add("unsaved");
    fieldset.querySelector(".item-state").textContent = T.queued;
    clearTimeout(typing[item]);
    typing[item] = setTimeout(function () { queueAnswer(fieldset); }, delay);
  }
  function queueTyping() {
    return Promise.all(Object.keys(typing).map(function (item) {
      clearTimeout(typing[item]);
      return queueAnswer(fieldsetOf(item));
    }));
  }

  // ---- photos ----
  function toBlob(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }
  // Down to the longest edge and the byte size the server asks for (data-photo-edge, data-photo-bytes).
  function compress(file) {
    var maxBytes = Number(app.dataset.photoBytes), maxEdge = Number(app.dataset.photoEdge);
    if (!window.createImageBitmap) { return Promise.resolve(file); }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, maxEdge / Math.max(bitmap.width, bitmap.height));
      var attempt = function (quality) {
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(bitmap.width * scale));
        canvas.height = Math.max(1, Math.round(bitmap.height * scale));
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return toBlob(canvas, quality).then(function (blob) {
          if (blob && blob.size > maxBytes) {
            if (quality > 0.45) { return attempt(quality - 0.15); }
            if (scale > 0.2) { scale *= 0.75; return attempt(0.8); }
          }
          return blob || file;
        });
      };
      return attempt(0.85);
    }, function () { return file; });  // not decodable here (e.g. HEIC): the server decides
  }
  function pendingThumb(fieldset, row, blob) {
    var li = document.createElement("li");
    li.className = "queued-photo";
    li.dataset.upload = row.payload.upload;
    if (blob) {
      var img = document.createElement("img");
      img.src = URL.createObjectURL(blob); img.alt = "";
      li.appendChild(img);
    }
    var note = document.createElement("small");
    note.textContent = T.photoQueued;
    li.appendChild(note);
    fieldset.querySelector(".pending").appendChild(li);
  }
  function addPhoto(fieldset, file) {
    return compress(file).then(function (blob) {
      var upload = Outbox.newId();
      var chunkBytes = Number(app.dataset.chunkBytes);
      var name = (file.name || "photo").replace(/\.[^.]*$/, "") + (blob.type === "image/jpeg" ? ".jpg" : "");
      return Outbox.add("photo", visitId, {item: Number(fieldset.dataset.item), upload: upload, name: name,
        content_type: blob.type || file.type, size: blob.size, chunks: Math.max(1, Math.ceil(blob.size / chunkBytes))},
        blob).then(function (row) { pendingThumb(fieldset, row, blob); });
    });
  }

  app.querySelectorAll("fieldset.item").forEach(function (fieldset) {
    fieldset.addEventListener("change", function (event) {
      if (event.target.type === "file") { return; }
      if (event.target.type === "radio") { renderAnswered(); }
      changed(fieldset, 300);
    });
    fieldset.querySelector("textarea").addEventListener("input", function () { changed(fieldset, 800); });
    var input = fieldset.querySelector(".photo-input");
    var photoButton = fieldset.querySelector(".photo-button");
    if (photoButton) { photoButton.addEventListener("click", function () { input.click(); }); }
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      input.value = "";
      files.reduce(function (chain, file) { return chain.then(function () { return addPhoto(fieldset, file); }); },
        Promise.resolve());
    });
  });

  renderAnswered();

  // ---- start: the time, and the position only if the inspector lets the browser give it ----
  var startButton = document.getElementById("start-visit");
  function start(position) {
    var payload = {};
    if (position) {
      payload = {latitude: position.coords.latitude, longitude: position.coords.longitude,
        accuracy: Math.round(position.coords.accuracy)};
    }
    return Outbox.add("begin", visitId, payload).then(function () {
      setState(T.started);
      if (startButton) { startButton.remove(); }
    });
  }
  if (startButton) {
    startButton.addEventListener("click", function () {
      startButton.disabled = true;
      if (!navigator.geolocation) { start(null); return; }
      navigator.geolocation.getCurrentPosition(function (p) { start(p); }, function () { start(null); },
        {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
    });
  }

  // ---- submit: straight to the server when nothing waits and there is a connection, else queued ----
  var submitForm = document.getElementById("submit-form");
  var submitQueued = false;
  function showSubmitQueued() {
    submitQueued = true;
    var button = document.getElementById("submit-visit");
    if (button) { button.disabled = true; }
    setState(T.submitQueued);
  }
  if (submitForm) {
    submitForm.addEventListener("submit", function (event) {
      if (navigator.onLine && !Object.keys(typing).length && !Outbox.counts().pending && !Outbox.counts().conflict) {
        document.getElementById("submit-visit").disabled = true;  // a double tap sends one request
        return;
      }
      event.preventDefault();
      if (submitQueued) { return; }
      queueTyping().then(function () {
        return Outbox.add("submit", visitId, {summary: document.getElementById("id_summary").value});
      }).then(showSubmitQueued);
    });
  }

  // ---- what the outbox says ----
  function kindLabel(row) {
    var text = T["kind_" + row.kind] || row.kind;
    if (row.payload && row.payload.item) {
      var fieldset = fieldsetOf(row.payload.item);
      if (fieldset) { text += " " + fieldset.querySelector(".pos").textContent; }
    }
    return text;
  }
  function version(title, value) {
    var box = document.createElement("div");
    box.className = "version";
    var head = document.createElement("strong");
    head.textContent = title;
    var body = document.createElement("p");
    body.textContent = (labels[value.result] || T.blank) + (value.remark ? " — " + value.remark : "");
    box.appendChild(head); box.appendChild(body);
    return box;
  }
  function button(text, className, onClick) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "small " + className; b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }
  function renderProblems(rows) {
    problemsEl.textContent = "";
    rows.filter(function (row) { return mine(row) && row.state !== "pending"; }).forEach(function (row) {
      var li = document.createElement("li");
      li.className = "outbox-" + row.state;
      li.dataset.kind = row.kind;
      var title = document.createElement("p");
      title.textContent = kindLabel(row) + "：" + (row.state === "conflict" ? T.conflict : T.refusedPrefix) +
        (row.reason ? "（" + row.reason + "）" : "");
      li.appendChild(title);
      if (row.state === "conflict" && row.data && row.data.theirs) {
        var pair = document.createElement("div");
        pair.className = "versions";
        pair.appendChild(version(T.mine, row.data.mine || row.payload));
        pair.appendChild(version(T.theirs + "（" + row.data.theirs.by + "）", row.data.theirs));
        li.appendChild(pair);
        li.appendChild(button(T.keepMine, "keep-mine", function () { Outbox.resolve(row, true); }));
        li.appendChild(button(T.takeTheirs, "take-theirs", function () {
          var fieldset = fieldsetOf(row.payload.item);
          if (fieldset) {
            writeItem(fieldset, row.data.theirs);
            fieldset.dataset.version = row.data.theirs.version;
            fieldset.classList.remove("unsaved");
          }
          Outbox.resolve(row, false);
        }));
      } else {
        li.appendChild(button(T.dismiss, "dismiss", function () { Outbox.dismiss(row); }));
      }
      problemsEl.appendChild(li);
    });
  }
  function renderState() {
    var counts = Outbox.counts();
    var blocked = Outbox.blocked();
    var text = counts.pending ? T.pending.replace("{n}", counts.pending) : T.allSynced;
    if (counts.pending && !navigator.onLine) { text += " · " + T.offline; }
    if (blocked) { text += " · " + blocked; }
    if (replayed) { text += " · " + T.replayed.replace("{n}", replayed); }
    outboxEl.textContent = text;
    outboxEl.className = counts.pending ? "outbox-waiting" : "outbox-clear";
  }

  var lastAccepted = "";
  var replayed = 0;  // changes the server had applied already (sent again): accepted, nothing changed
  Outbox.onChange(function (event, rows) {
    if (event.type === "accepted") { lastAccepted = event.row.kind; }
    if (event.type === "accepted" && event.verdict && event.verdict.replay) { replayed += 1; }
    if (event.type === "idle" && lastAccepted === "answer" && !Object.keys(typing).length) { setState(T.saved); }
    if (event.type === "idle" && lastAccepted && navigator.serviceWorker && navigator.serviceWorker.controller) {
      // Keep the offline copy of this page in step with what the server now holds.
      navigator.serviceWorker.controller.postMessage({type: "page", url: app.dataset.visitUrl});
      lastAccepted = "";
    }
    if (event.type === "accepted" && mine(event.row)) {
      var row = event.row, verdict = event.verdict;
      if (row.kind === "answer") {
        var fieldset = fieldsetOf(row.payload.item);
        if (fieldset) {
          if (verdict.version) { fieldset.dataset.version = verdict.version; }
          var waiting = rows.some(function (r) { return r.kind === "answer" && mine(r) && String(r.payload.item) === String(row.payload.item); });
          if (!waiting && !typing[row.payload.item]) {
            fieldset.classList.remove("unsaved");
            fieldset.querySelector(".item-state").textContent = T.saved;
          }
        }
      } else if (row.kind === "photo") {
        var thumb = app.querySelector('li.queued-photo[data-upload="' + row.payload.upload + '"]');
        if (thumb) { thumb.remove(); }
        var target = fieldsetOf(row.payload.item);
        if (target && verdict.url) {
          var li = document.createElement("li");
          var img = document.createElement("img");
          img.src = verdict.url; img.alt = "";
          li.appendChild(img);
          target.querySelector(".thumbs").appendChild(li);
        }
      } else if (row.kind === "sign") {
        var sig = document.getElementById("signature-state");
        if (sig) {
          sig.textContent = row.payload.refused ? T.refused : T.signed;
          sig.className = "msg-success";
        }
      } else if (row.kind === "submit" && submitForm) {
        window.location.assign(app.dataset.visitUrl);
      }
    }
    if (event.type === "refused" && mine(event.row) && event.row.kind === "photo") {
      var gone = app.querySelector('li.queued-photo[data-upload="' + event.row.payload.upload + '"]');
      if (gone) { gone.classList.add("refused"); }
    }
    if (event.type === "refused" && mine(event.row) && event.row.kind === "submit") {
      submitQueued = false;
      var submitButton = document.getElementById("submit-visit");
      if (submitButton) { submitButton.disabled = false; }
    }
    if (rows) { renderProblems(rows); }
    renderState();
  });

  // What waits in the outbox comes back on the page (a reload, or the page reopened offline from the copy).
  function restore(rows) {
    rows.filter(mine).forEach(function (row) {
      if (row.kind === "answer" && row.state !== "refused") {
        var fieldset = fieldsetOf(row.payload.item);
        if (fieldset) {
          writeItem(fieldset, row.payload);
          fieldset.classList.add("unsaved");
          fieldset.querySelector(".item-state").textContent = T.queued;
        }
      } else if (row.kind === "photo" && row.state === "pending") {
        var target = fieldsetOf(row.payload.item);
        if (target) { Outbox.blob(row.payload.upload).then(function (blob) { pendingThumb(target, row, blob); }); }
      } else if (row.kind === "begin") {
        if (startButton) { startButton.remove(); startButton = null; }
        setState(T.started);
      } else if (row.kind === "sign" && row.state === "pending") {
        var sig = document.getElementById("signature-state");
        if (sig) sig.textContent = (row.payload.refused ? T.refused : T.signed) + T.notYetSynced;
      } else if (row.kind === "submit" && row.state === "pending") {
        showSubmitQueued();
      }
    });
  }

  Outbox.configure({syncUrl: app.dataset.syncUrl, chunkUrl: app.dataset.chunkUrl, user: app.dataset.user,
    csrf: (app.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "", chunkBytes: Number(app.dataset.chunkBytes)})
    .then(function (rows) { restore(rows); return Outbox.flush(); });
  window.addEventListener("online", renderState);
  window.addEventListener("offline", renderState);

  window.visitApp = {
    flush: function () { return queueTyping().then(Outbox.flush); },
    pending: function () { return Object.keys(typing).length + Outbox.counts().pending; }
  };
})();
