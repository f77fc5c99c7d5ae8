// The follow-up page's single re-test at the door, without network (walk_lab 5: the station
// it replaces works offline, this form did not).
// - Online, the form posts as it always did: the server asks "将试管 … 记为 … 的单采复核？"
//   first, then records it.
// - Offline, the same question is asked on the row (a first tap asks, a second records), and
//   the recording goes into the phone's queue (queue.js: IndexedDB, under the form's client
//   id, so a double tap or a page reloaded is one entry). The row says "待上传" and the form
//   goes away; it is sent to `POST /api/v1/screening/followups/{id}/retest` once the phone
//   is back online (the server records a client id once). A tube already kept on this phone
//   for someone else is refused at once; what the server refuses (a tube another phone used)
//   is kept and listed with its reason, and the row's form comes back, until dismissed.
(function () {
  "use strict";
  var root = document.getElementById("followup-queue");
  if (!root || !window.Fangkong || !window.Fangkong.queue) return;
  var F = window.Fangkong, Q = F.queue;
  var S = JSON.parse(document.getElementById("followup-strings").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var owner = "followup-" + root.dataset.round + "-" + root.dataset.user;
  var BARCODE = /^[A-Z0-9-]{4,40}$/;

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function say(text, kind) { var el = $("fu-say"); el.textContent = text; el.className = "say " + (kind || ""); }
  function form(fid) {
    return root.ownerDocument.querySelector("form.retest[data-followup='" + String(fid).replace(/[^0-9]/g, "") + "']");
  }
  function badgeOf(f) { var li = f && f.closest("li"); return li && li.querySelector(".badge.pending"); }

  // --- showing ------------------------------------------------------------------------------
  function refresh() {
    document.querySelectorAll("form.retest").forEach(function (f) {
      if (f.dataset.recorded) return;
      f.hidden = false;
      var b = badgeOf(f);
      if (b) { b.hidden = true; b.textContent = ""; }
    });
    q.items().forEach(function (it) {
      var f = form(it.followup), b = badgeOf(f);
      if (!f) return;
      f.hidden = true;  // kept on the phone: not recorded twice from here
      if (b) { b.hidden = false; b.textContent = S.waiting + " · " + it.barcode; }
    });
    var ul = $("fu-refused-list"), kept = q.refused();
    ul.textContent = "";
    kept.forEach(function (r) {
      ul.appendChild(F.row(r.item.label + " — " + r.reason, S.ack, function () { q.dismiss(r.client_id); }));
    });
    $("fu-refused").hidden = !kept.length;
    $("fu-waiting").textContent = q.size();
    $("fu-netline").hidden = navigator.onLine !== false && !q.size() && !kept.length;
    badge.show();
  }

  // --- sending --------------------------------------------------------------------------------
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : root.dataset.csrf;
  }
  function sendOne(batch) {
    var item = batch[0];
    return fetch(root.dataset.api + "/" + item.followup + "/retest", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Content-Type": "application/json" },
      body: JSON.stringify({ barcode: item.barcode, client_id: item.client_id })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.status === 200) {
          var f = form(item.followup), b = badgeOf(f);
          if (f) { f.dataset.recorded = "1"; f.hidden = true; }
          if (b) {
            b.hidden = false; b.classList.remove("warn");
            b.textContent = S.recorded + " " + ((data.tube && data.tube.barcode) || item.barcode);
          }
          var state = f && f.closest("li").querySelector("[data-state]"), fu = data.followup;
          if (state && fu) {  // the row's status as the server now says it (re-sampled, awaiting the lab)
            state.textContent = fu.status_label; state.dataset.state = fu.status; state.classList.remove("warn");
          }
          say(fill(S.sent, { name: item.name }), "good");
          return [true];
        }
        var code = data && data.error && data.error.code;
        if (resp.status === 401 || code === "csrf") { say(S.login, "bad"); return Q.STOP; }
        if (resp.status >= 500 || resp.status === 429) return Q.LATER;
        var message = F.errorText(data, S.error);
        var f2 = form(item.followup), cid = f2 && f2.querySelector("input[name=client_id]");
        if (cid) cid.value = F.uuid();  // entered again, it is a new recording
        say(fill(S.refused.replace("%s", "%(it)s"), { it: item.label + " — " + message }), "bad");
        return [message];
      });
    });
  }

  var badge = Q.netBadge($("fu-net"), { online: S.online, offline: S.offline });
  var q = Q({ owner: owner, batch: 1, send: sendOne, net: badge, onchange: function () { refresh(); } });

  // --- recording offline ---------------------------------------------------------------------
  function unask(f) {
    delete f.dataset.sure;
    var p = f.previousElementSibling, b = f.querySelector("button");
    if (p && p.classList.contains("ask")) p.remove();
    if (b.dataset.label) { b.textContent = b.dataset.label; b.classList.replace("danger", "primary"); }
  }
  function record(f) {
    var input = f.querySelector("input[name=barcode]"), button = f.querySelector("button");
    var code = input.value.trim().toUpperCase();
    if (!BARCODE.test(code)) { input.setCustomValidity(S.error); f.reportValidity(); input.setCustomValidity(""); return; }
    var taken = q.items().filter(function (it) {  // one tube, one person: kept for another here
      return it.barcode === code && String(it.followup) !== String(f.dataset.followup);
    })[0];
    if (taken) { unask(f); say(fill(S.taken, { code: code, name: taken.name }), "bad"); return; }
    if (f.dataset.sure !== code) {  // which tube on whom, asked first as the server's page asks
      unask(f);
      f.dataset.sure = code;
      var p = document.createElement("p");
      p.className = "ask error";
      p.setAttribute("role", "alert");
      p.textContent = fill(S.ask, { code: code, name: f.dataset.name }) + " " + S.check;
      f.parentNode.insertBefore(p, f);  // above the form, the width of the row
      button.dataset.label = button.dataset.label || button.textContent;
      button.textContent = S.yes;
      button.classList.replace("primary", "danger");
      button.disabled = true;  // the second tap of a double tap does not answer the question
      setTimeout(function () { button.disabled = false; }, 800);
      return;
    }
    unask(f);
    var item = { client_id: f.querySelector("input[name=client_id]").value,
                 followup: parseInt(f.dataset.followup, 10), barcode: code, name: f.dataset.name,
                 label: f.dataset.name + " · " + code, at: new Date().toISOString() };
    q.add(item).then(function () {
      input.value = "";
      say(S.queued, "");
      refresh();
      if (navigator.onLine !== false) q.flush();
    }, function () { say(S.error, "bad"); });
  }

  document.querySelectorAll("form.retest").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (navigator.onLine !== false && !f.dataset.sure) return;  // online: the page asks, then records
      e.preventDefault();
      record(f);
    });
    f.querySelector("input[name=barcode]").addEventListener("input", function () { if (f.dataset.sure) unask(f); });
  });
  $("fu-send-now").addEventListener("click", function () { q.failures = 0; q.flush(); });
  window.addEventListener("online", refresh);
  window.addEventListener("offline", refresh);
  q.ready.then(function () { refresh(); if (navigator.onLine !== false) q.flush(); });
})();
