// Antigen forms.
// - Every form gets a client id when the page loads, so a form sent twice (a double tap, a
//   retry after a timeout) is stored once.
// - Photos of the cassette are made smaller on the phone before they are sent (a phone's
//   photo is often over the server's 5 MB; 1600 px is plenty to read two lines).
// - Door to door (#antigen-door): kits and results go through the phone's offline queue
//   (queue.js: IndexedDB, photos included) and are sent to the JSON API in order, at once
//   when there is network, otherwise when it comes back. What the server refuses is kept
//   and listed on the page with its reason, never dropped silently.
(function () {
  "use strict";
  var uuid = window.Fangkong.uuid;
  document.querySelectorAll("input.client-id").forEach(function (el) { if (!el.value) el.value = uuid(); });

  var shrink = window.Fangkong.shrinkPhoto, SMALL_ENOUGH = window.Fangkong.SMALL_PHOTO;  // app.js

  var root = document.getElementById("antigen-door");

  // Forms posted the ordinary way (the resident's self-report): a big photo is replaced
  // by its smaller copy before the form goes.
  document.querySelectorAll("form").forEach(function (form) {
    var input = form.querySelector("input[type=file][name=photo]");
    if (!input || (root && form.classList.contains("queued"))) return;
    form.addEventListener("submit", function (e) {
      var f = input.files && input.files[0];
      if (!f || f.size <= SMALL_ENOUGH || form.dataset.shrunk || !window.DataTransfer) return;
      e.preventDefault();
      shrink(f).then(function (small) {
        if (small !== f) {
          var dt = new DataTransfer();
          dt.items.add(new File([small], "cassette.jpg", { type: "image/jpeg" }));
          input.files = dt.files;
        }
        form.dataset.shrunk = "1";
        form.submit();
      });
    });
  });

  if (!root) return;
  var S = JSON.parse(document.getElementById("antigen-strings").textContent);
  var api = root.dataset.api;
  var owner = root.dataset.round + "-" + root.dataset.user;
  var $ = function (id) { return document.getElementById(id); };
  var online = navigator.onLine;

  // --- showing ------------------------------------------------------------------------------
  function say(text, kind) { var el = $("say"); el.textContent = text; el.className = "say " + (kind || ""); }
  function fmt(s, v) { return s.replace("%s", v); }
  function cssEscape(v) { return String(v).replace(/[^0-9]/g, ""); }
  function person(rid) { return root.querySelector(".antigen-person[data-resident='" + cssEscape(rid) + "']"); }
  function household(hid) {
    var f = root.querySelector("form.queued[data-household='" + cssEscape(hid) + "']");
    return f && f.closest("details, section");
  }
  function resultLabel(value) {
    var opt = root.querySelector("select[name=result] option[value='" + value.replace(/[^a-z_]/g, "") + "']");
    return opt ? opt.textContent : value;
  }
  function net() {
    var el = $("net");
    el.textContent = online ? S.online : S.offline;
    el.classList.toggle("warn", !online);
  }
  function showPending(items) {
    root.querySelectorAll(".pending, .pending-kits").forEach(function (el) { el.hidden = true; el.textContent = ""; });
    var kits = {};
    items.forEach(function (it) {
      if (it.kind === "result") {
        var p = person(it.resident), el = p && p.querySelector(".pending");
        if (el) { el.hidden = false; el.textContent = S.waiting + S.sep + resultLabel(it.result); }
      } else {
        kits[it.household] = (kits[it.household] || 0) + it.count;
      }
    });
    Object.keys(kits).forEach(function (hid) {
      var h = household(hid), el = h && h.querySelector(".pending-kits");
      if (el) { el.hidden = false; el.textContent = "+" + kits[hid] + " " + S.waiting; }
    });
    $("waiting").textContent = items.length;
  }
  function refresh() { showPending(q.items()); showRefused(); return Promise.resolve(); }
  function recount(h) {
    if (!h) return;
    var badge = h.querySelector(".hh-count");
    if (!badge) return;
    var people = h.querySelectorAll(".antigen-person"), done = 0;
    people.forEach(function (p) { if (!p.querySelector(".badge.result").hidden) done += 1; });
    badge.textContent = done + "/" + people.length;
    badge.classList.toggle("warn", done < people.length);
  }
  function applied(item, data) {
    if (item.kind === "result") {
      var p = person(item.resident);
      if (p) {
        var b = p.querySelector(".badge.result");
        b.hidden = false; b.textContent = resultLabel(data.result || item.result);
        b.classList.toggle("warn", (data.result || item.result) !== "negative");
        p.dataset.result = data.result || item.result;  // a positive is kept: see enqueue
        recount(p.closest("details, section"));
      }
    } else {
      var h = household(item.household), t = h && h.querySelector(".kits-total");
      if (t && data.total !== undefined) t.textContent = data.total;
      var last = h && h.querySelector(".kits-last"), at = data.issued_at && new Date(data.issued_at);
      if (last && at && !isNaN(at)) {  // the newest issue is this one unless an older entry arrived late
        var hm = ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
        if (!last.dataset.at || new Date(last.dataset.at) < at) {
          last.textContent = S.last_at.replace("%(t)s", hm); last.hidden = false; last.dataset.at = at.toISOString();
        }
      }
    }
  }
  // What the server refused stays listed (kept by the queue, across reloads) until dismissed.
  function showRefused() {
    var list = q.refused(), ul = $("refused-list");
    ul.textContent = "";
    list.forEach(function (r) {
      ul.appendChild(window.Fangkong.row(r.item.label + " — " + r.reason, S.ack, function () { q.dismiss(r.client_id); }));
    });
    $("refused").hidden = !list.length;
  }
  function errorText(data) { return window.Fangkong.errorText(data, S.error); }

  // --- sending --------------------------------------------------------------------------------
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : root.dataset.csrf;
  }
  function send(item) {
    var opts = { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() } };
    if (item.kind === "kits") {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify({ household: item.household, count: item.count, client_id: item.client_id,
                                  issued_at: item.at });
      return fetch(api + "/kits", opts);
    }
    var fd = new FormData();
    fd.append("resident", item.resident); fd.append("result", item.result);
    fd.append("client_id", item.client_id); fd.append("tested_at", item.at);
    if (item.photo) fd.append("photo", item.photo, "cassette.jpg");
    opts.body = fd;
    return fetch(api + "/antigen-results", opts);
  }
  // One item a request; the queue sends them in order, one sync at a time.
  function sendOne(batch) {
    var item = batch[0];
    return send(item).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.status === 200 || resp.status === 201) {
          online = true;
          applied(item, data);
          say(fmt(S.sent, item.label), "good");
          return [true];
        }
        var code = data && data.error && data.error.code;
        if (resp.status === 401 || code === "csrf") { say(S.login, "bad"); return window.Fangkong.queue.STOP; }
        if (resp.status >= 500 || resp.status === 429) return window.Fangkong.queue.LATER;
        var message = errorText(data);
        say(fmt(S.refused, item.label + " — " + message), "bad");
        delete item.photo;  // kept to be read, not sent again
        return [message];
      });
    }, function (e) { online = false; throw e; });
  }
  function flush() {
    if (!navigator.onLine) { online = false; net(); return refresh(); }  // the phone knows: do not try
    return q.flush().then(function () { net(); return refresh(); });
  }
  // An older page kept its queue in its own IndexedDB database and the refused list in
  // localStorage: both are carried over on first load.
  var REFUSED = "fk-door-refused-" + owner;
  function carryOver(queue) {
    var list;
    try { list = JSON.parse(localStorage.getItem(REFUSED) || "[]"); } catch (e) { list = []; }
    return window.Fangkong.queue.adoptDatabase("fangkong-door", "queue").then(function () {
      var n = 0;
      return Promise.all(list.map(function (r) {
        return queue.keep({ client_id: uuid(), seq: ++n, label: r.label, at: r.at }, r.message);
      }));
    }).then(window.Fangkong.queue.persistent).then(function (kept) {
      if (kept && list.length) localStorage.removeItem(REFUSED);
    });
  }
  var q = window.Fangkong.queue({ owner: owner, batch: 1, send: sendOne, migrate: carryOver,
                                  onchange: function () { refresh(); } });

  function enqueue(form) {
    var kind = form.dataset.kind, cid = form.querySelector("input.client-id");
    var item = { client_id: cid.value, kind: kind,
                 household: parseInt(form.dataset.household, 10), at: new Date().toISOString(),
                 label: form.dataset.label };
    var ready;
    if (kind === "kits") {
      var n = parseInt(form.querySelector("input[name=count]").value, 10);
      if (!(n >= 1 && n <= 20)) { form.reportValidity(); return; }
      item.count = n;
      item.label = form.dataset.label + " · " + n + " " + (n === 1 ? S.kit : S.kits);
      ready = Promise.resolve(item);
    } else {
      item.resident = parseInt(form.dataset.resident, 10);
      item.result = form.querySelector("select[name=result]").value;
      if (!item.result) { form.reportValidity(); return; }
      // a positive is kept (the server refuses its change too): only the staff correct it
      var card = form.closest(".antigen-person");
      if (card && card.dataset.result === "positive" && item.result !== "positive") {
        say(S.positive_kept.replace("%(name)s", form.dataset.label), "bad");
        return;
      }
      // a positive alerts the community at once: the first tap asks, a second one sends
      var submit = form.querySelector("button");
      if (item.result === "positive" && form.dataset.sure !== "1") {
        form.dataset.sure = "1";
        submit.dataset.label = submit.dataset.label || submit.textContent;
        submit.textContent = S.positive_sure;
        submit.classList.replace("primary", "danger");
        say(S.positive_ask.replace("%(name)s", form.dataset.label), "bad");
        submit.disabled = true;  // the second tap of a double tap does not answer the question
        setTimeout(function () { submit.disabled = false; }, 800);
        return;
      }
      delete form.dataset.sure;
      if (submit.dataset.label) { submit.textContent = submit.dataset.label; submit.classList.replace("danger", "primary"); }
      item.label = form.dataset.label + " · " + resultLabel(item.result);
      var input = form.querySelector("input[type=file][name=photo]"), f = input && input.files && input.files[0];
      ready = shrink(f).then(function (p) { item.photo = p || null; return item; });
    }
    var button = form.querySelector("button");
    button.disabled = true;
    setTimeout(function () { button.disabled = false; }, 1200);  // a double tap is one entry
    ready.then(function (it) {
      return q.add(it).catch(function () {  // the photo did not fit: keep the entry without it
        if (!it.photo) throw new Error("queue");
        it.photo = null; say(S.photo_kept, "bad");
        return q.add(it);
      });
    }).then(function () {
      cid.value = uuid();  // the next entry from this form is a new one
      var photo = form.querySelector("input[type=file]");
      if (photo) photo.value = "";
      if (!navigator.onLine) { online = false; say(S.queued, ""); }
      return refresh().then(flush);
    }, function () { say(S.error, "bad"); });
  }

  root.querySelectorAll("form.queued").forEach(function (form) {
    form.addEventListener("submit", function (e) { e.preventDefault(); enqueue(form); });
    var pick = form.querySelector("select[name=result]");
    if (pick) pick.addEventListener("change", function () {  // another result: ask again
      var b = form.querySelector("button");
      delete form.dataset.sure;
      if (b.dataset.label) { b.textContent = b.dataset.label; b.classList.replace("danger", "primary"); }
    });
  });
  $("send-now").addEventListener("click", function () { online = navigator.onLine; flush(); });
  window.addEventListener("online", function () { online = true; net(); flush(); });
  window.addEventListener("offline", function () { online = false; net(); });
  setInterval(function () { if (navigator.onLine && !q.stopped && q.size()) flush(); }, 10000);
  net();
  q.ready.then(function () { refresh(); if (navigator.onLine) flush(); });
})();
