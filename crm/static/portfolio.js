/* The leader's portfolio: "其余 N 家" / "再显示 N 家" fetch the next enterprises' cards
   in place (the link is a plain page without a script, or when the fetch fails). */
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest("a[data-portfolio-more]");
    if (!link || !window.fetch) { return; }
    var holder = link.closest("[data-portfolio-more-holder]");
    if (!holder) { return; }
    ev.preventDefault();
    if (link.getAttribute("aria-busy")) { return; }
    link.setAttribute("aria-busy", "true");
    link.classList.add("disabled");
    fetch(link.href, {headers: {"X-Requested-With": "fetch"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        holder.insertAdjacentHTML("beforebegin", html);
        holder.parentNode.removeChild(holder);
      })
      .catch(function () { window.location.href = link.href; });
  });
})();
