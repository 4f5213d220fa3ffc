// Visits on a phone with weak signal: drafts, idempotent submit and an offline queue.
//
// Loaded on every page for signed-in users (templates/liaisons/_sync.html), so that a
// visit queued while offline is sent when the connection returns ("online") or on the
// next page load, whatever page that is. On the visit form it also autosaves a draft per
// user and enterprise, shows server errors next to the fields, and keeps photos small.
//
// Storage is localStorage (service workers need HTTPS; intranets are often plain HTTP).
// Every submit carries the form's client_uuid, so sending a queued visit twice, a double
// tap or a retry after a lost answer all store one visit on the server.
// No inline scripts anywhere: the CSP forbids them. Messages come from data-msg-* on
// #visit-sync, translated by the server.
(function () {
  "use strict";

  var root = document.getElementById("visit-sync");
  if (!root || !window.localStorage || !window.fetch || !window.FormData) { return; }

  var USER = root.getAttribute("data-user");
  var QUEUE_KEY = "crm.visitQueue." + USER;
  var DRAFT_PREFIX = "crm.visitDraft." + USER + ".";
  var QUEUE_PHOTO_SIDE = 1280;   // photos kept offline are made small to fit localStorage
  var UPLOAD_PHOTO_SIDE = 2048;  // the server keeps at most this size anyway
  var SHRINK_ABOVE = 1.5 * 1024 * 1024;

  // ---------------------------------------------------------------- helpers
  function msg(name, vars) {
    var text = root.getAttribute("data-msg-" + name) || "";
    Object.keys(vars || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(vars[k])); });
    return text;
  }
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localDate(d) {
    d = d || new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  function uuid4() {
    // crypto.randomUUID needs a secure context; getRandomValues works over plain HTTP.
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function readJSON(key, fallback) {
    try { var raw = localStorage.getItem(key); return raw ? JSON.parse(raw) : fallback; } catch (e) { return fallback; }
  }
  function writeJSON(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; }
  }
  function cssEscape(s) { return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/"/g, '\\"'); }

  // ---------------------------------------------------------------- network
  // One POST of a visit. Resolves to {kind, status, body}; kind is one of
  // ok | invalid | refused | login | expired | toolarge | network | error.
  function postVisit(url, formData, token, timeoutMs) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, timeoutMs) : null;
    return fetch(url, {
      method: "POST", body: formData, credentials: "same-origin", signal: ctrl ? ctrl.signal : undefined,
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (res) {
      if (timer) { clearTimeout(timer); }
      var isJSON = (res.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      var body = isJSON ? res.json() : Promise.resolve(null);
      return body.then(function (data) {
        if (res.redirected && /\/login/.test(res.url)) { return { kind: "login", status: res.status }; }
        if (res.ok && data && data.ok) { return { kind: "ok", status: res.status, body: data }; }
        if (res.status === 422 && data) { return { kind: "invalid", status: 422, body: data }; }
        if ((res.status === 403 || res.status === 404 || res.status === 409) && data) {
          return { kind: "refused", status: res.status, body: data };
        }
        if (res.status === 400) { return { kind: "expired", status: 400 }; }
        if (res.status === 413) { return { kind: "toolarge", status: 413 }; }
        if (res.status === 502 || res.status === 503 || res.status === 504) { return { kind: "network", status: res.status }; }
        return { kind: "error", status: res.status, body: data };
      });
    }, function () {
      if (timer) { clearTimeout(timer); }
      return { kind: "network", status: 0 };  // offline, DNS, reset, timeout
    });
  }

  function dataUrlToBlob(dataUrl) {
    var parts = dataUrl.split(",");
    var type = (parts[0].match(/data:([^;]+)/) || [])[1] || "image/jpeg";
    var bin = atob(parts[1]);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Blob([bytes], { type: type });
  }
  function blobToDataUrl(blob) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = reject;
      r.readAsDataURL(blob);
    });
  }
  // Scale a photo down (and drop its metadata) in the browser: uploads on a weak
  // signal are much faster. The server checks and re-encodes whatever arrives.
  function shrink(file, maxSide, force) {
    if (!force && file.size <= SHRINK_ABOVE) { return Promise.resolve(file); }
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, maxSide / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          if (!blob || (!force && blob.size >= file.size)) { resolve(file); return; }
          resolve(new File([blob], (file.name || "photo").replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", force ? 0.7 : 0.85);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }

  function buildFormData(fields, photos, token) {
    var fd = new FormData();
    fields.forEach(function (pair) { if (pair[0] !== "csrf_token") { fd.append(pair[0], pair[1]); } });
    fd.append("csrf_token", token);
    (photos || []).forEach(function (p) {
      if (p.blob) { fd.append("photos", p.blob, p.name); }
      else if (p.data) { fd.append("photos", dataUrlToBlob(p.data), p.name); }
    });
    return fd;
  }
  function timeoutFor(photoCount) { return 30000 + 15000 * photoCount; }

  // ---------------------------------------------------------------- queue
  function loadQueue() { return readJSON(QUEUE_KEY, []); }
  function saveQueue(q) { return writeJSON(QUEUE_KEY, q); }
  function removeFromQueue(uuid) { saveQueue(loadQueue().filter(function (e) { return e.uuid !== uuid; })); }
  function enqueue(entry) {
    var q = loadQueue().filter(function (e) { return e.uuid !== entry.uuid; });
    q.push(entry);
    return saveQueue(q);
  }

  var hideTimer = null;
  function showStatus(text, tone, link) {
    clearTimeout(hideTimer);
    root.className = "alert shadow alert-" + tone;
    root.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link; a.className = "ms-2 alert-link"; a.textContent = msg("open");
      root.appendChild(a);
    }
  }
  function renderQueueStatus() {
    var q = loadQueue();
    if (q.length) { showStatus(msg("pending", { n: q.length }), "warning"); }
    else if (root.className.indexOf("alert-warning") !== -1) { root.className = "alert shadow d-none"; }
    // Mark enterprises with a queued visit on "my week".
    document.querySelectorAll("[data-week-row]").forEach(function (row) {
      var id = row.getAttribute("data-week-row");
      var badge = row.querySelector("[data-queue-badge]");
      var queued = q.some(function (e) { return String(e.enterpriseId) === id; });
      if (badge) {
        badge.className = queued ? "badge text-bg-warning" : "";
        badge.textContent = queued ? msg("queue-badge") : "";
      }
    });
  }

  var flushing = false;
  function flushQueue() {
    if (flushing || navigator.onLine === false) { return Promise.resolve(); }
    var queue = loadQueue();
    if (!queue.length) { renderQueueStatus(); return Promise.resolve(); }
    flushing = true;
    showStatus(msg("syncing"), "info");
    var sent = [], failed = [];
    var chain = Promise.resolve(true);
    queue.forEach(function (entry) {
      chain = chain.then(function (goOn) {
        if (!goOn) { return false; }
        var token = csrfToken() || entry.csrf;  // this page's token is the freshest
        return postVisit(entry.url, buildFormData(entry.fields, entry.photos, token), token,
                         timeoutFor((entry.photos || []).length)).then(function (res) {
          if (res.kind === "ok") { removeFromQueue(entry.uuid); sent.push(entry.uuid); return true; }
          if (res.kind === "invalid" || res.kind === "refused") {
            // It can never go through as it is: hand it back as a draft with the errors.
            removeFromQueue(entry.uuid);
            var fields = entry.fields;
            if (res.status === 409) {  // the id clashes: the corrected draft needs a new one
              fields = fields.map(function (p) { return p[0] === "client_uuid" ? [p[0], uuid4()] : p; });
            }
            writeJSON(DRAFT_PREFIX + entry.draftKey, {
              savedAt: entry.queuedAt, fields: fields, url: entry.url,
              errors: (res.body && res.body.errors) || {}, message: res.body && res.body.message
            });
            failed.push(entry);
            return true;
          }
          return false;  // offline again, signed out, server trouble: try later
        });
      });
    });
    return chain.then(function () {
      flushing = false;
      renderQueueStatus();
      if (failed.length) { showStatus(msg("needs-fix", { n: failed.length }), "danger", failed[0].url); }
      else if (sent.length && !loadQueue().length) {
        showStatus(msg("synced", { n: sent.length }), "success");
        hideTimer = setTimeout(function () { root.className = "alert shadow d-none"; }, 8000);
      }
      if (sent.length || failed.length) {
        document.dispatchEvent(new CustomEvent("crm:visits-synced", { detail: { sent: sent, failed: failed } }));
      }
    });
  }

  window.addEventListener("online", function () { flushQueue(); });
  renderQueueStatus();
  flushQueue();

  // ---------------------------------------------------------------- the visit form
  var form = document.querySelector("form[data-visit-form]");
  if (form) { initForm(form); }

  function initForm(form) {
    var isNew = form.getAttribute("data-visit-form") === "new";
    var draftKey = form.getAttribute("data-draft-key");
    var storageKey = DRAFT_PREFIX + draftKey;
    var posted = form.getAttribute("data-posted") === "1";
    var lateDays = parseInt(form.getAttribute("data-late-days"), 10) || 7;
    var maxPhotos = parseInt(form.getAttribute("data-max-photos"), 10) || 6;
    var problemsBox = form.querySelector("[data-problems]");
    var template = form.querySelector("template[data-problem-template]");
    var submitBtn = form.querySelector("[data-submit]");
    var errorBox = document.querySelector("[data-form-error]");
    var queuedBox = document.querySelector("[data-queued-notice]");
    var banner = document.querySelector("[data-draft-banner]");
    var uuidInput = form.querySelector('[name="client_uuid"]');
    var busy = false, dirty = false, saveTimer = null;
    var chosenPhotos = [];

    // -- problems: rows are numbered 0..n-1 so names match what the server reports
    function problemRows() { return Array.prototype.slice.call(problemsBox.querySelectorAll("[data-problem-row]")); }
    function renumber() {
      problemRows().forEach(function (row, i) {
        row.querySelectorAll("[name]").forEach(function (el) {
          el.name = el.name.replace(/^problems-(\d+|__i__)-/, "problems-" + i + "-");
          el.id = el.name;
        });
        row.querySelectorAll("label[for]").forEach(function (label) {
          label.htmlFor = label.htmlFor.replace(/^problems-(\d+|__i__)-/, "problems-" + i + "-");
        });
        var no = row.querySelector("[data-problem-no]");
        if (no) { no.textContent = String(i + 1); }
      });
    }
    function rowIsBlank(row) {
      return !Array.prototype.some.call(row.querySelectorAll("input[type=text], textarea"), function (el) { return el.value.trim(); });
    }
    function addProblem(focus) {
      var row = problemsBox.querySelector("[data-problem-row].d-none");
      if (row) { row.classList.remove("d-none"); }
      else {
        problemsBox.insertAdjacentHTML("beforeend", template.innerHTML.split("__i__").join(String(problemRows().length)));
        row = problemRows()[problemRows().length - 1];
      }
      renumber();
      if (focus) { var input = row.querySelector("input"); if (input) { input.focus(); } }
      return row;
    }
    // Start with no visible row: one tap on "register a problem" opens one.
    if (!posted) { problemRows().forEach(function (row) { if (rowIsBlank(row)) { row.classList.add("d-none"); } }); }
    form.querySelector("[data-add-problem]").addEventListener("click", function () { addProblem(true); });
    problemsBox.addEventListener("click", function (ev) {
      var btn = ev.target.closest("[data-remove-problem]");
      if (!btn) { return; }
      btn.closest("[data-problem-row]").remove();
      renumber();
      changed();
    });

    // -- late entries need a reason
    var dateInput = form.querySelector('[name="visit_date"]');
    var lateBox = form.querySelector("[data-late-reason]");
    function referenceDate() { return isNew ? localDate() : form.getAttribute("data-reference-date"); }
    function updateLate() {
      if (!dateInput || !lateBox) { return; }
      var d = Date.parse(dateInput.value), ref = Date.parse(referenceDate());
      var late = !isNaN(d) && !isNaN(ref) && (ref - d) / 86400000 > lateDays;
      var input = lateBox.querySelector("input");
      lateBox.classList.toggle("d-none", !late && !(input && input.value) && !lateBox.querySelector(".invalid-feedback"));
    }
    if (dateInput) { dateInput.addEventListener("change", updateLate); dateInput.addEventListener("input", updateLate); }

    // -- a factor's note appears when the factor is ticked
    function updateFactors() {
      form.querySelectorAll("input[name=factors]").forEach(function (box) {
        var note = form.querySelector('[data-factor-note="' + box.value + '"]');
        if (!note) { return; }
        var input = note.querySelector("input");
        note.classList.toggle("d-none", !box.checked && !(input && input.value));
      });
    }
    form.addEventListener("change", function (ev) { if (ev.target.name === "factors") { updateFactors(); } });

    // -- photos: chosen in several goes, previewed, removable, shrunk before upload
    var photoInput = form.querySelector('input[type=file][name=photos]');
    var previews = form.querySelector("[data-photo-previews]");
    function keptPhotos() {
      var existing = parseInt(form.getAttribute("data-kept-photos"), 10) || 0;
      return existing - form.querySelectorAll('input[name=remove_photos]:checked').length;
    }
    function photoError(text) { showFieldErrors({ photos: [text] }, null, true); }
    function renderPreviews() {
      if (!previews) { return; }
      previews.textContent = "";
      chosenPhotos.forEach(function (file, i) {
        var fig = document.createElement("figure");
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = file.name;
        img.setAttribute("data-testid", "photo-preview");
        var btn = document.createElement("button");
        btn.type = "button"; btn.className = "btn btn-sm btn-light photo-remove"; btn.textContent = "×";
        btn.setAttribute("aria-label", msg("remove"));
        btn.addEventListener("click", function () { chosenPhotos.splice(i, 1); renderPreviews(); });
        fig.appendChild(img); fig.appendChild(btn); previews.appendChild(fig);
      });
    }
    if (photoInput) {
      photoInput.addEventListener("change", function () {
        clearFieldErrors("photos");
        Array.prototype.forEach.call(photoInput.files, function (file) {
          if (!/^image\/(jpeg|png)$/.test(file.type)) { photoError(msg("photo-type")); return; }
          if (chosenPhotos.length + keptPhotos() >= maxPhotos) { photoError(msg("photo-count")); return; }
          chosenPhotos.push(file);
        });
        photoInput.value = "";
        renderPreviews();
      });
    }

    // -- location, only when asked for (never required)
    var locateBtn = form.querySelector("[data-locate]");
    var clearLoc = form.querySelector("[data-clear-location]");
    var locText = form.querySelector("[data-location-text]");
    var lat = form.querySelector('[name="latitude"]'), lon = form.querySelector('[name="longitude"]');
    if (locateBtn) {
      locateBtn.addEventListener("click", function () {
        if (!window.isSecureContext || !navigator.geolocation) { locText.textContent = msg("geo-insecure"); return; }
        locText.textContent = msg("geo-wait");
        navigator.geolocation.getCurrentPosition(function (pos) {
          lat.value = pos.coords.latitude.toFixed(6);
          lon.value = pos.coords.longitude.toFixed(6);
          locText.textContent = msg("geo-ok", { m: Math.round(pos.coords.accuracy || 0) });
          clearLoc.classList.remove("d-none");
          changed();
        }, function () { locText.textContent = msg("geo-failed"); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
      clearLoc.addEventListener("click", function () {
        lat.value = ""; lon.value = ""; clearLoc.classList.add("d-none");
        locText.textContent = msg("geo-optional");
        changed();
      });
    }

    // -- serialising, drafts
    function serialize() {
      var out = [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.disabled || el.type === "file" || el.name === "csrf_token") { return; }
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
        if (el.closest("[data-problem-row].d-none")) { return; }
        out.push([el.name, el.value]);
      });
      return out;
    }
    function hasContent(fields) {
      return fields.some(function (p) {
        return p[1] && ["client_uuid", "queued_on", "version_token", "visit_date", "mode", "status_seen"].indexOf(p[0]) === -1;
      });
    }
    function applyFields(fields) {
      var maxRow = -1;
      fields.forEach(function (p) { var m = /^problems-(\d+)-/.exec(p[0]); if (m) { maxRow = Math.max(maxRow, +m[1]); } });
      problemRows().forEach(function (row) { row.remove(); });
      for (var i = 0; i <= maxRow; i++) { addProblem(false); }
      var byName = {};
      fields.forEach(function (p) { (byName[p[0]] = byName[p[0]] || []).push(p[1]); });
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "file" || el.name === "csrf_token") { return; }
        var values = byName[el.name];
        if (el.type === "checkbox" || el.type === "radio") { el.checked = !!values && values.indexOf(el.value) !== -1; }
        else if (values !== undefined) { el.value = values[0]; }
        else if (el.tagName !== "SELECT" && el.type !== "hidden") { el.value = ""; }
      });
      updateLate(); updateFactors();
    }
    function saveDraft() {
      clearTimeout(saveTimer);
      if (!dirty) { return; }
      var fields = serialize();
      if (hasContent(fields)) { writeJSON(storageKey, { savedAt: Date.now(), fields: fields, url: location.pathname }); }
    }
    function changed() { dirty = true; clearTimeout(saveTimer); saveTimer = setTimeout(saveDraft, 300); }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    // A phone may kill the tab at any moment: write the draft when the page is hidden.
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { saveDraft(); } });
    window.addEventListener("pagehide", saveDraft);

    var offered = readJSON(storageKey, null);
    if (offered && offered.fields && hasContent(offered.fields) && !posted && banner) {
      var when = new Date(offered.savedAt || Date.now());
      banner.querySelector("[data-draft-text]").textContent = (offered.message ? offered.message + " " : "") +
        msg("draft", { time: localDate(when) + " " + pad(when.getHours()) + ":" + pad(when.getMinutes()) });
      banner.classList.remove("d-none");
      banner.querySelector("[data-draft-restore]").addEventListener("click", function () {
        applyFields(offered.fields);
        banner.classList.add("d-none");
        dirty = true; saveDraft();
        if (offered.errors && Object.keys(offered.errors).length) { showFieldErrors(offered.errors, msg("draft-errors")); }
        else { showStatus(msg("restored"), "success"); hideTimer = setTimeout(function () { renderQueueStatus(); if (!loadQueue().length) { root.className = "alert shadow d-none"; } }, 4000); }
      });
      banner.querySelector("[data-draft-discard]").addEventListener("click", function () {
        localStorage.removeItem(storageKey);
        banner.classList.add("d-none");
      });
    }

    // -- errors by the fields, in the same markup the server renders
    function clearFieldErrors(name) {
      form.querySelectorAll(".js-error" + (name ? '[data-field="' + cssEscape(name) + '"]' : "")).forEach(function (el) { el.remove(); });
      if (!name) {
        form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
        form.querySelectorAll(".invalid-feedback[data-field]").forEach(function (el) { el.remove(); });
      }
    }
    function showFieldErrors(errors, message, keepOthers) {
      if (!keepOthers) { clearFieldErrors(); }
      var first = null;
      Object.keys(errors || {}).forEach(function (name) {
        var wrap = form.querySelector('[data-field-wrap="' + cssEscape(name) + '"]');
        var input = form.querySelector('[name="' + cssEscape(name) + '"]');
        if (!wrap && input) { wrap = input.closest(".mb-3, .mb-2") || input.parentNode; }
        if (!wrap) { wrap = form.querySelector("[data-problems]") || form; }
        if (wrap.classList.contains("d-none")) { wrap.classList.remove("d-none"); }
        var row = wrap.closest("[data-problem-row]");
        if (row) { row.classList.remove("d-none"); }
        if (input && input.type !== "checkbox" && input.type !== "radio" && input.type !== "hidden") { input.classList.add("is-invalid"); }
        errors[name].forEach(function (text) {
          var div = document.createElement("div");
          div.className = "invalid-feedback d-block js-error";
          div.setAttribute("data-field", name);
          div.textContent = text;
          wrap.appendChild(div);
        });
        first = first || wrap;
      });
      if (!keepOthers) {
        errorBox.textContent = message || msg("fix");
        errorBox.classList.remove("d-none");
      }
      if (first && first.scrollIntoView) { first.scrollIntoView({ block: "center" }); }
    }
    function showError(text) {
      errorBox.textContent = text;
      errorBox.classList.remove("d-none");
      errorBox.scrollIntoView({ block: "center" });
    }

    // -- submit: fetch, or queue when offline
    function finish() { busy = false; submitBtn.disabled = false; submitBtn.textContent = submitBtn.getAttribute("data-label"); }
    submitBtn.setAttribute("data-label", submitBtn.textContent);

    function queueVisit(fields, photos) {
      var today = localDate();
      fields = fields.filter(function (p) { return p[0] !== "queued_on"; }).concat([["queued_on", today]]);
      var entry = {
        uuid: uuidInput.value, url: form.getAttribute("action") || location.pathname, fields: fields,
        photos: [], csrf: csrfToken(), queuedAt: Date.now(), draftKey: draftKey,
        enterpriseId: form.getAttribute("data-enterprise-id"), enterpriseName: form.getAttribute("data-enterprise-name")
      };
      return Promise.all(photos.map(function (p) {
        return shrink(p.blob, QUEUE_PHOTO_SIDE, true).then(blobToDataUrl).then(function (data) { return { name: p.name, data: data }; });
      })).then(function (kept) {
        entry.photos = kept;
        var note = "";
        if (!enqueue(entry)) {
          entry.photos = [];
          if (!enqueue(entry)) { finish(); showError(msg("storage-full")); return; }
          note = " " + msg("queued-nophotos");
        }
        localStorage.removeItem(storageKey);
        dirty = false;
        errorBox.classList.add("d-none");
        queuedBox.textContent = msg("queued") + note;
        queuedBox.classList.remove("d-none");
        queuedBox.scrollIntoView({ block: "center" });
        submitBtn.disabled = true;
        submitBtn.textContent = msg("queue-badge");
        renderQueueStatus();
      });
    }

    document.addEventListener("crm:visits-synced", function (ev) {
      if (uuidInput && ev.detail.sent.indexOf(uuidInput.value) !== -1) {
        queuedBox.className = "alert alert-success";
        queuedBox.textContent = msg("queued-sent");
      }
    });

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (busy) { return; }  // a double tap sends once (and the server would store once anyway)
      busy = true;
      submitBtn.disabled = true;
      submitBtn.textContent = msg("saving");
      clearFieldErrors();
      errorBox.classList.add("d-none");
      saveDraft();
      var fields = serialize();
      Promise.all(chosenPhotos.map(function (file) {
        return shrink(file, UPLOAD_PHOTO_SIDE, false).then(function (blob) { return { name: file.name, blob: blob }; });
      })).then(function (photos) {
        if (isNew && navigator.onLine === false) { return queueVisit(fields, photos); }
        var token = csrfToken();
        return postVisit(form.getAttribute("action") || location.pathname, buildFormData(fields, photos, token), token,
                         timeoutFor(photos.length)).then(function (res) {
          if (res.kind === "ok") {
            localStorage.removeItem(storageKey);
            dirty = false;
            window.location.assign(res.body.redirect);
            return;
          }
          if (res.kind === "network" && isNew) { return queueVisit(fields, photos); }
          finish();
          if (res.kind === "invalid") { showFieldErrors(res.body.errors, res.body.message); }
          else if (res.kind === "refused") { showError(res.body.message || msg("failed")); }
          else if (res.kind === "network") { showError(msg("offline-edit")); }
          else { showError(msg({ login: "login", expired: "expired", toolarge: "too-large" }[res.kind] || "failed")); }
        });
      });
    });

    if (uuidInput && !uuidInput.value) { uuidInput.value = uuid4(); }
    renumber(); updateLate(); updateFactors();
  }
})();
