// Site-wide behaviour. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  // Confirm destructive actions: <button data-confirm="...">.
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
  // Auto-refresh while a background job runs: <div data-refresh="5">.
  var r = document.querySelector("[data-refresh]");
  if (r) { setTimeout(function () { window.location.reload(); }, 1000 * (parseInt(r.getAttribute("data-refresh"), 10) || 5)); }
})();
