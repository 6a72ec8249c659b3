/* Registers the inspector's service worker (served at /inspections/sw.js, scope /inspections/) and, when the page
   was loaded from the network, asks it to bring the offline copies up to date: the today list and the
   inspector's own visits of the next days (templates/inspections/sw.js). */
(function () {
  "use strict";
  var root = document.getElementById("offline-root");
  if (!root || !("serviceWorker" in navigator)) { return; }
  var stateEl = document.getElementById("offline-state");
  var T = window.OFFLINE_I18N || {};
  // The today list refreshes every time (the inspector opens it before leaving); a visit page at most every ten
  // minutes: the list and its pages are a dozen requests on a phone's connection.
  var stamp = "offline-refreshed-" + root.dataset.user;
  function ask(worker) {
    if (!navigator.onLine || !worker) { return; }
    var last = Number(localStorage.getItem(stamp) || 0);
    if (!root.dataset.always && Date.now() - last < 10 * 60 * 1000) { document.documentElement.dataset.offlineReady = "1"; return; }
    worker.postMessage({type: "refresh"});
  }
  navigator.serviceWorker.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "refreshed") {
      if (data.count >= 0) { localStorage.setItem(stamp, String(Date.now())); }
      if (stateEl) { stateEl.textContent = data.count >= 0 ? T.ready : T.failed; }
      document.documentElement.dataset.offlineReady = data.count >= 0 ? "1" : "0";
    }
  });
  navigator.serviceWorker.register(root.dataset.worker, {scope: root.dataset.scope}).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    ask(navigator.serviceWorker.controller || registration.active);
  }).catch(function () { if (stateEl) { stateEl.textContent = T.failed; } });
})();
