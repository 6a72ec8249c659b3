/* Behaviour every page may use, kept out of the HTML so that the Content-Security-Policy can refuse inline event
   handlers and style attributes: forms that ask before they are sent, bars drawn from a data attribute, and the
   logout that first drops the inspector's offline copies (templates/inspections/sw.js). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    var logout = form && form.action && new URL(form.action, location.href).pathname === "/accounts/logout/";
    if (logout && window.caches && !form.dataset.cleared) {
      // The offline copies of visit pages go before the session does (the outbox stays: it is sent only under
      // the account that filled it, when that account signs in again).
      event.preventDefault();
      form.dataset.cleared = "1";
      var done = function () { form.submit(); };
      Object.keys(localStorage).forEach(function (key) {
        if (key.indexOf("offline-refreshed-") === 0) { localStorage.removeItem(key); }
      });
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) { return name.indexOf("regulator-data-") === 0; })
          .map(function (name) { return caches.delete(name); }));
      }).then(done, done);
    }
  });
  document.querySelectorAll("[data-bar-percent]").forEach(function (bar) {
    bar.style.width = bar.dataset.barPercent + "%";
  });
})();
