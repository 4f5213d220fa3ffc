// Registry pages: list selection for bulk assignment, print button. No inline scripts (CSP).
(function () {
  "use strict";
  var items = function () { return Array.prototype.slice.call(document.querySelectorAll("[data-bulk-item]")); };
  var counter = document.querySelector("[data-selected-count]");

  function refresh() {
    if (!counter) { return; }
    var ids = {};
    items().forEach(function (box) { if (box.checked) { ids[box.value] = true; } });
    counter.textContent = String(Object.keys(ids).length);
  }

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches("[data-bulk-all]")) {
      items().forEach(function (box) { box.checked = el.checked; });
    } else if (el.matches("[data-bulk-item]")) {
      // The phone cards and the desk table show the same rows: keep their boxes in step.
      items().forEach(function (box) { if (box.value === el.value) { box.checked = el.checked; } });
    } else {
      return;
    }
    refresh();
  });
  refresh();

  var print = document.querySelector("[data-print]");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
