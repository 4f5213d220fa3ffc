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
  // Person pickers: <input type="search" data-person-picker="/enterprises/people.json?role=…"
  // data-person-target="id of the hidden input" list="datalist id">. Typing asks the server
  // for matching names; choosing one puts its id into the hidden input.
  Array.prototype.forEach.call(document.querySelectorAll("[data-person-picker]"), function (box) {
    var hidden = document.getElementById(box.getAttribute("data-person-target"));
    var list = document.getElementById(box.getAttribute("list"));
    var url = box.getAttribute("data-person-picker");
    var ids = {}, timer = null, asked = "";
    if (hidden && hidden.value && box.value) { ids[box.value] = hidden.value; }
    function fill(people) {
      list.textContent = "";
      people.forEach(function (p) {
        ids[p.label] = String(p.id);
        var opt = document.createElement("option");
        opt.value = p.label;
        list.appendChild(opt);
      });
    }
    function ask() {
      var q = box.value.trim();
      if (!q || q === asked || ids[box.value]) { return; }
      asked = q;
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q),
            {headers: {"X-Requested-With": "fetch"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {people: []}; })
        .then(function (data) { if (box.value.trim() === q) { fill(data.people || []); } })
        .catch(function () { /* offline: the typed name is resolved on the server */ });
    }
    box.addEventListener("input", function () {
      if (hidden) { hidden.value = ids[box.value] || ""; }
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
  });
})();
