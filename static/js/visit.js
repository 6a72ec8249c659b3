/* The visit page: autosave each checklist answer (kept in localStorage until the server confirms it, so a
   reload or a dropped connection loses nothing), photo uploads with retry, and the start time/position. */
(function () {
  "use strict";
  var app = document.getElementById("visit-app");
  if (!app) { return; }
  var T = window.VISIT_I18N || {};
  var visitId = app.dataset.visit;
  var storeKey = "visit-answers-" + visitId;
  var csrf = app.querySelector("input[name=csrfmiddlewaretoken]").value;
  var stateEl = document.getElementById("save-state");
  var uploading = 0;
  var failedUploads = 0;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  function store(data) {
    try { localStorage.setItem(storeKey, JSON.stringify(data)); } catch (e) { /* storage full: server copy only */ }
  }
  function setState(text) { if (stateEl) { stateEl.textContent = text; } }
  function post(url, body) {
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf, "X-Requested-With": "fetch"}});
  }

  function readItem(fieldset) {
    var item = fieldset.dataset.item;
    var checked = fieldset.querySelector("input[type=radio]:checked");
    return {result: checked ? checked.value : "", remark: fieldset.querySelector("textarea").value};
  }
  function writeItem(fieldset, value) {
    fieldset.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === value.result; });
    fieldset.querySelector("textarea").value = value.remark;
  }

  // One answer in flight at a time: quick taps on several items are sent one after another, never in parallel
  // (the demo's SQLite takes one writer at a time), and a failed attempt is retried after 1 s, 2 s, 4 s … 30 s.
  var busy = null;
  var failures = 0;
  var retryTimer = null;
  var debounce = null;

  // Resolves true when the server confirmed the value or refused it for good, false when it should be retried.
  function save(item) {
    var pending = load();
    var value = pending[item];
    if (!value) { return Promise.resolve(true); }
    var body = new FormData();
    body.append("item", item);
    body.append("result", value.result);
    body.append("remark", value.remark);
    setState(T.saving);
    return post(app.dataset.answerUrl, body).then(function (response) {
      return response.json().then(function (data) {
        var fieldset = app.querySelector('fieldset[data-item="' + item + '"]');
        if (response.ok) {
          var now = load();
          if (now[item] && now[item].result === value.result && now[item].remark === value.remark) {
            delete now[item];
            store(now);
          }
          fieldset.classList.remove("unsaved");
          fieldset.querySelector(".item-state").textContent = T.saved;
          setState(Object.keys(load()).length ? T.saving : T.saved);
          return true;
        } else if (response.status === 400 || response.status === 403) {
          // Refused for good (e.g. submitted elsewhere): show why and stop retrying this value.
          var left = load(); delete left[item]; store(left);
          fieldset.querySelector(".item-state").textContent = data.error || "";
          setState(data.error || "");
          return true;
        }
        throw new Error("server");
      });
    }).catch(function () {
      var fieldset = app.querySelector('fieldset[data-item="' + item + '"]');
      if (fieldset) { fieldset.classList.add("unsaved"); }
      setState(T.offline);
      return false;
    });
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 6) - 1)) * (0.75 + Math.random() * 0.5);
    retryTimer = setTimeout(function () { retryTimer = null; pump(); }, delay);
  }

  // Send the waiting answers one by one; resolves true once none is left, false when a retry was scheduled.
  function pump() {
    if (busy) { return busy; }
    var items = Object.keys(load());
    if (!items.length) { failures = 0; return Promise.resolve(true); }
    busy = save(items[0]).then(function (ok) {
      busy = null;
      if (ok) { failures = 0; return pump(); }
      failures += 1;
      scheduleRetry();
      return false;
    });
    return busy;
  }

  // Now, without waiting for a scheduled retry (coming back online, the submit button).
  function flush() {
    clearTimeout(retryTimer);
    retryTimer = null;
    return pump();
  }

  function changed(fieldset) {
    var item = fieldset.dataset.item;
    var pending = load();
    pending[item] = readItem(fieldset);
    store(pending);
    fieldset.classList.add("unsaved");
    clearTimeout(debounce);
    // While a retry is scheduled the new value waits for it (it is sent with the others, in turn).
    debounce = setTimeout(function () { if (!retryTimer) { pump(); } }, 500);
  }

  app.querySelectorAll("fieldset.item").forEach(function (fieldset) {
    fieldset.addEventListener("change", function (event) {
      if (event.target.type === "file") { return; }
      changed(fieldset);
    });
    fieldset.querySelector("textarea").addEventListener("input", function () { changed(fieldset); });
    var input = fieldset.querySelector(".photo-input");
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, function (file) { upload(fieldset, file, newId()); });
      input.value = "";
    });
  });

  // What was typed but not confirmed by the server comes back after a reload, and is sent again.
  var restored = load();
  Object.keys(restored).forEach(function (item) {
    var fieldset = app.querySelector('fieldset[data-item="' + item + '"]');
    if (fieldset) { writeItem(fieldset, restored[item]); fieldset.classList.add("unsaved"); }
    else { delete restored[item]; }
  });
  store(restored);
  flush();
  window.addEventListener("online", function () { failures = 0; flush(); });
  setInterval(function () { if (Object.keys(load()).length && !busy && !retryTimer) { pump(); } }, 10000);

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function upload(fieldset, file, clientId, row) {
    if (!row) {
      row = document.createElement("li");
      fieldset.querySelector(".pending").appendChild(row);
    }
    row.className = "uploading";
    row.textContent = file.name + " · " + T.uploading;
    uploading += 1;
    var body = new FormData();
    body.append("file", file);
    body.append("item", fieldset.dataset.item);
    body.append("client_id", clientId);
    post(app.dataset.uploadUrl, body).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || T.uploadFailed); }
        row.remove();
        var li = document.createElement("li");
        if (data.kind === "photo") {
          var img = document.createElement("img");
          img.src = data.url; img.alt = "";
          li.appendChild(img);
        } else {
          var a = document.createElement("a"); a.href = data.url; a.textContent = data.kind; li.appendChild(a);
        }
        fieldset.querySelector(".thumbs").appendChild(li);
      });
    }).catch(function (error) {
      failedUploads += 1;
      row.className = "failed";
      row.textContent = file.name + " · " + T.uploadFailed + (error && error.message ? "：" + error.message : "") + " ";
      var retry = document.createElement("button");
      retry.type = "button"; retry.className = "small retry"; retry.textContent = T.retry;
      retry.addEventListener("click", function () { failedUploads -= 1; upload(fieldset, file, clientId, row); });
      row.appendChild(retry);
    }).finally(function () { uploading -= 1; });
  }

  var startButton = document.getElementById("start-visit");
  function start(position) {
    var body = new FormData();
    if (position) {
      body.append("latitude", position.coords.latitude);
      body.append("longitude", position.coords.longitude);
      body.append("accuracy", Math.round(position.coords.accuracy));
    }
    return post(app.dataset.startUrl, body).then(function (response) {
      if (response.ok) { setState(T.started); if (startButton) { startButton.remove(); } }
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

  var submitForm = document.getElementById("submit-form");
  if (submitForm) {
    submitForm.addEventListener("submit", function (event) {
      var button = document.getElementById("submit-visit");
      if (uploading > 0 || failedUploads > 0) {
        event.preventDefault(); setState(T.pendingUploads); return;
      }
      if (Object.keys(load()).length) {
        event.preventDefault(); setState(T.unsaved);
        flush().then(function () { if (!Object.keys(load()).length) { submitForm.submit(); } });
        return;
      }
      button.disabled = true;  // a double tap sends one request; the server also answers a repeat with the same visit
    });
  }
  window.visitApp = {flush: flush, pending: function () { return Object.keys(load()).length; }};
})();
