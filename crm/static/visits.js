// Visits on a phone with weak signal: drafts, idempotent submit and an offline queue.
//
// Loaded on every page for signed-in users (templates/liaisons/_sync.html), so that a
// visit queued while offline is sent when the connection returns ("online") or on the
// next page load, whatever page that is. On the visit form it also autosaves a draft per
// user and enterprise, shows server errors next to the fields, and keeps photos small.
//
// Storage is localStorage for drafts and the queue (service workers need HTTPS; intranets
// are often plain HTTP); the photos of a queued visit go to IndexedDB as Blobs (vendored
// idb-keyval), so a queue with photos survives a full localStorage quota. Without
// IndexedDB they are kept small, as data URLs, as before.
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
  var IDB = window.idbKeyval && window.indexedDB ? window.idbKeyval : null;
  var photoStore = null;
  try { photoStore = IDB ? IDB.createStore("crm-visit-photos-" + USER, "photos") : null; } catch (e) { IDB = null; }

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
  // Submissions saved in this tab (id → the page the save led to), for Back and bfcache.
  var SUBMITTED_KEY = "crm.visitSubmitted." + USER;
  function markSubmitted(id, target) {
    if (!id || !window.sessionStorage) { return; }
    try {
      var done = JSON.parse(sessionStorage.getItem(SUBMITTED_KEY) || "{}");
      done[id] = target;
      sessionStorage.setItem(SUBMITTED_KEY, JSON.stringify(done));
    } catch (e) { /* private mode: the server still stores one visit */ }
  }
  function submittedTarget(id) {
    if (!id || !window.sessionStorage) { return null; }
    try { return JSON.parse(sessionStorage.getItem(SUBMITTED_KEY) || "{}")[id] || null; } catch (e) { return null; }
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
  // Photos of queued visits: Blobs in IndexedDB under "<submission id>:<n>".
  function keepPhotos(uuid, photos) {
    if (!IDB || !photoStore) { return Promise.reject(new Error("no IndexedDB")); }
    return Promise.all(photos.map(function (p, i) {
      var key = uuid + ":" + i;
      return IDB.set(key, p.blob, photoStore).then(function () { return { name: p.name, idb: key }; });
    }));
  }
  function loadPhotos(photos) {
    return Promise.all((photos || []).map(function (p) {
      if (!p.idb) { return Promise.resolve(p); }
      return IDB.get(p.idb, photoStore).then(function (blob) { return blob ? { name: p.name, blob: blob } : null; });
    })).then(function (list) { return list.filter(Boolean); });
  }
  function dropPhotos(photos) {
    (photos || []).forEach(function (p) { if (p.idb && IDB) { IDB.del(p.idb, photoStore).catch(function () {}); } });
  }
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
        return loadPhotos(entry.photos).then(function (photos) {
          return postVisit(entry.url, buildFormData(entry.fields, photos, token), token,
                           timeoutFor(photos.length));
        }).then(function (res) {
          if (res.kind === "ok") { removeFromQueue(entry.uuid); dropPhotos(entry.photos); sent.push(entry.uuid); return true; }
          if (res.kind === "invalid" || res.kind === "refused") {
            // It can never go through as it is: hand it back as a draft with the errors.
            removeFromQueue(entry.uuid);
            dropPhotos(entry.photos);
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
  // "My week" brought back from the back-forward cache would show last figures: reload.
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted && document.querySelector("[data-week-row]")) { window.location.reload(); }
  });
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
        updateFolds();
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
        if (!el.name || el.disabled || el.type === "file" || el.name === "csrf_token" || el.name === "same_day") { return; }
        if (el.tagName === "BUTTON") { return; }
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
        if (!el.name || el.type === "file" || el.name === "csrf_token" || el.name === "same_day" || el.tagName === "BUTTON") { return; }
        var values = byName[el.name];
        if (el.type === "checkbox" || el.type === "radio") { el.checked = !!values && values.indexOf(el.value) !== -1; }
        else if (values !== undefined) { el.value = values[0]; }
        else if (el.tagName !== "SELECT" && el.type !== "hidden") { el.value = ""; }
      });
      updateLate(); updateFactors(); updatePolicies(); updateFolds();
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

    // -- errors by the fields, in the same markup the server renders
    function clearFieldErrors(name) {
      form.querySelectorAll(".js-error" + (name ? '[data-field="' + cssEscape(name) + '"]' : "")).forEach(function (el) { el.remove(); });
      if (!name) {
        form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
        form.querySelectorAll(".invalid-feedback[data-field]").forEach(function (el) { el.remove(); });
      }
    }
    function showFieldErrors(errors, message, keepOthers, noScroll) {
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
        var fold = wrap.closest("details[data-fold]");
        if (fold) { fold.open = true; }
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
      if (first && first.scrollIntoView && !noScroll) { first.scrollIntoView({ block: "center" }); }
    }
    function showError(text) {
      errorBox.textContent = text;
      errorBox.classList.remove("d-none");
      errorBox.scrollIntoView({ block: "center" });
    }

    // -- "already visited today": the server asks before storing anything
    var sameDayBox = form.querySelector("[data-same-day]");
    function askSameDay(body) {
      if (!sameDayBox) { showError(body.message || msg("failed")); return; }
      sameDayBox.querySelector("[data-same-day-text]").textContent = body.message || "";
      sameDayBox.querySelector("[data-same-day-link]").href = body.same_day.url;
      sameDayBox.classList.remove("d-none");
      sameDayBox.scrollIntoView({ block: "center" });
    }

    // -- folded sections: each shows what was chosen in its one line
    function foldText(fold) {
      var parts = [];
      fold.querySelectorAll(".fold-body input, .fold-body textarea, .fold-body select").forEach(function (el) {
        if (!el.name || el.type === "hidden" || el.type === "file" || el.hasAttribute("data-fold-ignore")) { return; }
        if (el.closest(".d-none") && !(el.type === "checkbox" && el.checked)) { return; }
        if (el.type === "checkbox" || el.type === "radio") {
          if (!el.checked) { return; }
          var label = form.querySelector('label[for="' + cssEscape(el.id) + '"]');
          var text = label ? (label.firstChild && label.firstChild.nodeType === 3 ? label.firstChild.textContent : label.textContent) : el.value;
          parts.push(text.trim());
        } else if (el.value.trim()) {
          var v = el.value.trim();
          parts.push(v.length > 24 ? v.slice(0, 24) + "…" : v);
        }
      });
      var photosChosen = fold.querySelector("[data-photo-previews]") ? chosenPhotos.length + keptPhotos() : 0;
      if (photosChosen) { parts.push(msg("photos-n", { n: photosChosen })); }
      return parts.join("、");
    }
    function updateFolds() {
      form.querySelectorAll("details[data-fold]").forEach(function (fold) {
        var line = fold.querySelector("[data-fold-summary]");
        if (!line) { return; }
        var text = foldText(fold);
        line.textContent = text || line.getAttribute("data-empty");
        line.classList.toggle("is-empty", !text);
      });
    }
    form.addEventListener("change", updateFolds);
    form.addEventListener("input", function (ev) { if (ev.target.tagName !== "INPUT" || ev.target.type !== "search") { updateFolds(); } });

    // -- policies: the best few are shown; a search finds the others (pinyin initials too)
    var policySearch = form.querySelector("[data-policy-search-input]");
    var MAX_FOUND = 20;
    function updatePolicies() {
      if (!policySearch) { return; }
      var q = policySearch.value.trim().toLowerCase().replace(/\s+/g, "");
      var found = 0, more = false;
      form.querySelectorAll("[data-policy-search]").forEach(function (opt) {
        var box = opt.querySelector("input");
        var hit = q && opt.getAttribute("data-policy-search").replace(/\s+/g, "").indexOf(q) !== -1;
        if (hit && !box.checked) { found += 1; if (found > MAX_FOUND) { hit = false; more = true; } }
        opt.classList.toggle("d-none", !(box.checked || hit));
      });
      form.querySelector("[data-policy-none]").classList.toggle("d-none", !q || found > 0);
      form.querySelector("[data-policy-more]").classList.toggle("d-none", !more);
    }
    if (policySearch) {
      policySearch.addEventListener("input", updatePolicies);
      policySearch.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); } });
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
      // Photos go to IndexedDB as they are (already shrunk for upload); without it they
      // are made small and kept as data URLs in the queue.
      var stored = keepPhotos(entry.uuid, photos).then(function (kept) {
        entry.photos = kept;
        return enqueue(entry) ? "" : null;
      }, function () {
        return Promise.all(photos.map(function (p) {
          return shrink(p.blob, QUEUE_PHOTO_SIDE, true).then(blobToDataUrl).then(function (data) { return { name: p.name, data: data }; });
        })).then(function (kept) {
          entry.photos = kept;
          if (enqueue(entry)) { return ""; }
          entry.photos = [];
          return enqueue(entry) ? " " + msg("queued-nophotos") : null;
        });
      });
      return stored.then(function (note) {
        if (note === null) { dropPhotos(entry.photos); finish(); showError(msg("storage-full")); return; }
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
      // The answer to "already visited today" travels with this submit only.
      var answer = ev.submitter && ev.submitter.name === "same_day" ? ev.submitter.value : "";
      if (answer) { fields.push(["same_day", answer]); }
      if (sameDayBox) { sameDayBox.classList.add("d-none"); }
      Promise.all(chosenPhotos.map(function (file) {
        return shrink(file, UPLOAD_PHOTO_SIDE, false).then(function (blob) { return { name: file.name, blob: blob }; });
      })).then(function (photos) {
        if (isNew && navigator.onLine === false) { return queueVisit(fields, photos); }
        var token = csrfToken();
        return postVisit(form.getAttribute("action") || location.pathname, buildFormData(fields, photos, token), token,
                         timeoutFor(photos.length)).then(function (res) {
          if (res.kind === "ok") {
            // Saved: the draft and this submission's id are done with. The saved page
            // takes the form's place in the history, so Back cannot return to it.
            clearTimeout(saveTimer);
            localStorage.removeItem(storageKey);
            dirty = false;
            markSubmitted(uuidInput.value, res.body.redirect);
            form.setAttribute("data-done", res.body.redirect);
            uuidInput.value = "";
            window.location.replace(res.body.redirect);
            return;
          }
          if (res.kind === "network" && isNew) { return queueVisit(fields, photos); }
          finish();
          if (res.kind === "refused" && res.body && res.body.same_day) { askSameDay(res.body); }
          else if (res.kind === "invalid") { showFieldErrors(res.body.errors, res.body.message); }
          else if (res.kind === "refused") { showError(res.body.message || msg("failed")); }
          else if (res.kind === "network") { showError(msg("offline-edit")); }
          else { showError(msg({ login: "login", expired: "expired", toolarge: "too-large" }[res.kind] || "failed")); }
        });
      });
    });

    if (uuidInput && !uuidInput.value) { uuidInput.value = uuid4(); }
    renumber(); updateLate(); updateFactors(); updatePolicies(); updateFolds();

    // A draft is put back without a tap (the banner offers to undo it), and the page
    // starts at the top with the banner on screen: a reload used to land mid-form with
    // the offer to restore far above, so the fields looked lost.
    var offered = readJSON(storageKey, null);
    if (offered && offered.fields && hasContent(offered.fields) && !posted && banner) {
      var when = new Date(offered.savedAt || Date.now());
      var blank = serialize();
      if ("scrollRestoration" in history) { history.scrollRestoration = "manual"; }
      applyFields(offered.fields);
      banner.querySelector("[data-draft-text]").textContent = (offered.message ? offered.message + " " : "") +
        msg("draft-restored", { time: localDate(when) + " " + pad(when.getHours()) + ":" + pad(when.getMinutes()) });
      banner.classList.remove("d-none");
      window.scrollTo(0, 0);
      if (offered.errors && Object.keys(offered.errors).length) { showFieldErrors(offered.errors, msg("draft-errors"), false, true); }
      banner.querySelector("[data-draft-undo]").addEventListener("click", function () {
        applyFields(blank);
        clearFieldErrors();
        errorBox.classList.add("d-none");
        localStorage.removeItem(storageKey);
        dirty = false;
        banner.classList.add("d-none");
      });
      banner.querySelector("[data-draft-keep]").addEventListener("click", function () {
        banner.classList.add("d-none");
      });
    }

    // A form whose visit was saved is never shown again: Back may bring the page back
    // from the back-forward cache (pageshow with persisted) or the browser may restore
    // its fields; both go on to the page the save led to.
    window.addEventListener("pageshow", function (ev) {
      if (!isNew) { return; }  // an edit form carries its visit's id on purpose
      var done = form.getAttribute("data-done") || submittedTarget(uuidInput && uuidInput.value);
      if (done && (ev.persisted || submittedTarget(uuidInput && uuidInput.value))) { window.location.replace(done); }
    });
  }
})();
