/* Registers the inspector's service worker (served at /inspections/sw.js, scope /inspections/) and, when the page
   was loaded from the network, asks it to bring the offline copies up to date: the today list and the
   inspector's own visits of the next days (templates/inspections/sw.js). */
(function () {
  "use strict";
  var root = document.getElementById("offline-root");
  if (!root || !("serviceWorker" in navigator)) { return; }
  var stateEl = document.getElementById("offline-state");
  var T = window.OFFLINE_I18N || {};
  function ask(worker) {
    if (!navigator.onLine || !worker) { return; }
    worker.postMessage({type: "refresh"});
  }
  navigator.serviceWorker.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "refreshed" && stateEl) {
      stateEl.textContent = data.count >= 0 ? T.ready : T.failed;
      document.documentElement.dataset.offlineReady = data.count >= 0 ? "1" : "0";
    }
  });
  navigator.serviceWorker.register(root.dataset.worker, {scope: root.dataset.scope}).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    ask(navigator.serviceWorker.controller || registration.active);
  }).catch(function () { if (stateEl) { stateEl.textContent = T.failed; } });
})();
