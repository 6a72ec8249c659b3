/* The outbox of the visit page (issue 18): every change to a visit (start and position, an answer, a photo, the
   signature or refusal, the submit) is written to IndexedDB first, with an id made here, and sent from there
   in order, one request at a time, with backoff. It survives a closed tab, a killed browser and a restarted
   phone; the server applies each id once (inspections/sync.py), so sending again is always safe.

   Records: {seq, id, user, visit, kind, payload, device_time, state: "pending" | "refused" | "conflict", reason,
   data}. Photos: their compressed blob in the "blobs" store, uploaded in chunks that resume where they stopped.
   Hand-written, no library: the IndexedDB calls needed here are few, and the site has no build step. */
(function () {
  "use strict";
  var DB_NAME = "regulator-outbox";
  var dbPromise = null;
  var listeners = [];
  var config = {syncUrl: "", chunkUrl: "", user: "", csrf: "", chunkBytes: 256 * 1024};
  var running = false;
  var failures = 0;
  var retryTimer = null;
  var inFlight = null;
  var counts = {pending: 0, refused: 0, conflict: 0};
  var blocked = "";

  function open() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        var mutations = db.createObjectStore("mutations", {keyPath: "seq", autoIncrement: true});
        mutations.createIndex("id", "id", {unique: true});
        db.createObjectStore("blobs", {keyPath: "upload"});
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    // Ask the browser not to evict the outbox when the phone runs short of space (it may still say no).
    if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
    return dbPromise;
  }

  function tx(stores, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(stores, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        result = work(t);
      });
    });
  }

  function req(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function all() {
    return open().then(function (db) {
      return req(db.transaction("mutations").objectStore("mutations").getAll());
    }).then(function (rows) {
      return rows.filter(function (row) { return String(row.user) === String(config.user); });
    });
  }

  function put(row) { return tx(["mutations"], "readwrite", function (t) { t.objectStore("mutations").put(row); }); }

  function remove(row) {
    return tx(["mutations", "blobs"], "readwrite", function (t) {
      t.objectStore("mutations").delete(row.seq);
      if (row.kind === "photo" && row.payload && row.payload.upload) { t.objectStore("blobs").delete(row.payload.upload); }
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function notify(event) {
    return all().then(function (rows) {
      counts = {pending: 0, refused: 0, conflict: 0};
      rows.forEach(function (row) { counts[row.state] = (counts[row.state] || 0) + 1; });
      listeners.forEach(function (listener) { listener(event || {type: "changed"}, rows); });
      return rows;
    });
  }

  // Queue a change. An answer replaces a still-waiting answer to the same item (only the last value matters),
  // unless that one is being sent right now.
  function add(kind, visit, payload, blob) {
    var row = {id: newId(), user: String(config.user), visit: Number(visit), kind: kind, payload: payload,
      device_time: new Date().toISOString(), state: "pending", reason: "", data: null};
    return all().then(function (rows) {
      var stale = rows.filter(function (old) {
        return kind === "answer" && old.kind === "answer" && old.visit === row.visit && old.state !== "refused" &&
          String(old.payload.item) === String(payload.item) && (!inFlight || old.seq !== inFlight.seq);
      });
      return tx(["mutations", "blobs"], "readwrite", function (t) {
        stale.forEach(function (old) { t.objectStore("mutations").delete(old.seq); });
        if (blob) { t.objectStore("blobs").put({upload: payload.upload, blob: blob}); }
        t.objectStore("mutations").add(row);
      });
    }).then(function () { return notify({type: "queued", row: row}); }).then(function () {
      schedule(300);
      return row;
    });
  }

  // The cookie's token when there is one: a page kept offline may carry a token from before the last sign-in.
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : config.csrf;
  }

  function post(url, body, contentType) {
    var headers = {"X-CSRFToken": csrfToken(), "X-Requested-With": "fetch"};
    if (contentType) { headers["Content-Type"] = contentType; }
    return fetch(url, {method: "POST", body: body, credentials: "same-origin", headers: headers});
  }

  function chunkUrl(upload) { return config.chunkUrl.replace("00000000-0000-0000-0000-000000000000", upload); }

  // Upload the chunks the server does not have yet; resolves when all are there.
  function uploadChunks(row) {
    var upload = row.payload.upload;
    return open().then(function (db) { return req(db.transaction("blobs").objectStore("blobs").get(upload)); })
      .then(function (stored) {
        if (!stored) { throw {refused: true, reason: (window.OUTBOX_I18N || {}).photoLost || "photo lost"}; }
        return fetch(chunkUrl(upload), {credentials: "same-origin"}).then(function (response) {
          if (response.status === 401) { throw {signedOut: true}; }
          if (!response.ok) { throw new Error("status"); }
          return response.json();
        }).then(function (status) {
          var have = {};
          if (status.done) { return null; }  // a replay of a photo already on the visit: nothing to send
          status.received.forEach(function (index) { have[index] = true; });
          var chain = Promise.resolve();
          for (var index = 0; index < row.payload.chunks; index += 1) {
            if (have[index]) { continue; }
            (function (i) {
              chain = chain.then(function () {
                var piece = stored.blob.slice(i * config.chunkBytes, (i + 1) * config.chunkBytes);
                var url = chunkUrl(upload) + "?index=" + i + "&visit=" + row.visit + "&total=" + row.payload.chunks;
                return post(url, piece, "application/octet-stream").then(function (response) {
                  if (response.status === 401) { throw {signedOut: true}; }
                  if (response.status === 400) {
                    return response.json().then(function (data) { throw {refused: true, reason: data.error}; });
                  }
                  if (!response.ok) { throw new Error("status"); }
                  listeners.forEach(function (l) { l({type: "chunk", row: row, index: i}, null); });
                });
              });
            })(index);
          }
          return chain;
        });
      });
  }

  function send(row) {
    var before = row.kind === "photo" ? uploadChunks(row) : Promise.resolve();
    return before.then(function () {
      var body = JSON.stringify({id: row.id, user: row.user, visit: row.visit, kind: row.kind, payload: row.payload,
        device_time: row.device_time, sent_at: new Date().toISOString()});
      return post(config.syncUrl, body, "application/json");
    }).then(function (response) {
      if (response.status === 401) { throw {signedOut: true}; }
      if (response.status === 400) {
        return response.json().then(function (data) { return {verdict: "refused", reason: data.error, retry: false}; });
      }
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }, function (error) {
      if (error && error.refused) { return {verdict: "refused", reason: error.reason, retry: false}; }
      throw error;
    });
  }

  // Send the queue, oldest first, one at a time. A retryable refusal (the phone's clock, a submit whose items
  // are not all in yet) stops the queue where it is and tries again later; a network error backs off.
  function run() {
    if (running) { return Promise.resolve(); }
    running = true;
    var step = function () {
      return all().then(function (rows) {
        var next = rows.filter(function (row) { return row.state === "pending"; })
          .sort(function (a, b) { return a.seq - b.seq; })[0];
        if (!next) { failures = 0; blocked = ""; return notify({type: "idle"}); }
        inFlight = next;
        return send(next).then(function (verdict) {
          inFlight = null;
          if (verdict.verdict === "accepted") {
            failures = 0; blocked = "";
            return remove(next).then(function () { return notify({type: "accepted", row: next, verdict: verdict}); })
              .then(step);
          }
          if (verdict.verdict === "refused" && verdict.retry) {
            if (verdict.missing_chunks && failures < 3) { failures += 1; return step(); }
            blocked = verdict.reason;
            return notify({type: "blocked", row: next, verdict: verdict}).then(function () { backoff(); });
          }
          next.state = verdict.verdict === "conflict" ? "conflict" : "refused";
          next.reason = verdict.reason || "";
          next.data = verdict;
          failures = 0; blocked = "";
          return put(next).then(function () { return notify({type: next.state, row: next, verdict: verdict}); })
            .then(step);
        }, function (error) {
          inFlight = null;
          if (error && error.signedOut) {
            blocked = (window.OUTBOX_I18N || {}).signedOut || "signed out";
            return notify({type: "signed-out"});
          }
          blocked = "";
          return notify({type: "offline"}).then(function () { backoff(); });
        });
      });
    };
    var work = function () { return step().finally(function () { running = false; }); };
    // One tab sends at a time (two tabs of the same visit would only send the same ids twice, which is harmless).
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("regulator-outbox", work).catch(function () { running = false; });
    }
    return work();
  }

  function backoff() {
    failures += 1;
    var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 6) - 1)) * (0.75 + Math.random() * 0.5);
    schedule(delay);
  }

  function schedule(delay) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { retryTimer = null; run(); }, delay);
  }

  function flush() { failures = 0; clearTimeout(retryTimer); retryTimer = null; return run(); }

  // The inspector chose a version of a conflicting item: theirs drops the change; mine sends it again as a new
  // change made knowing theirs.
  function resolve(row, keepMine) {
    return remove(row).then(function () {
      if (!keepMine) { return notify({type: "resolved", row: row}); }
      var payload = Object.assign({}, row.payload, {base: row.data && row.data.theirs ? row.data.theirs.version : ""});
      return add("answer", row.visit, payload);
    });
  }

  function dismiss(row) { return remove(row).then(function () { return notify({type: "dismissed", row: row}); }); }

  function blob(upload) {
    return open().then(function (db) { return req(db.transaction("blobs").objectStore("blobs").get(upload)); })
      .then(function (stored) { return stored ? stored.blob : null; });
  }

  window.Outbox = {
    configure: function (options) { Object.assign(config, options); return notify({type: "ready"}); },
    add: add, all: all, flush: flush, resolve: resolve, dismiss: dismiss, blob: blob, newId: newId,
    onChange: function (listener) { listeners.push(listener); },
    counts: function () { return counts; },
    blocked: function () { return blocked; },
    busy: function () { return running; }
  };
  window.addEventListener("online", function () { flush(); });
  setInterval(function () { if (counts.pending && !running && !retryTimer) { run(); } }, 15000);
})();
