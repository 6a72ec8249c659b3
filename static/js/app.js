/* Behaviour every page may use, kept out of the HTML so that the Content-Security-Policy can refuse inline event
   handlers and style attributes: forms that ask before they are sent, and bars drawn from a data attribute. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.querySelectorAll("[data-bar-percent]").forEach(function (bar) {
    bar.style.width = bar.dataset.barPercent + "%";
  });
})();
