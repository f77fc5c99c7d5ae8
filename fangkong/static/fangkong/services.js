// A delivery run's checklist that works in a stairwell without signal: each door's tap
// goes into the shared offline queue (queue.js: IndexedDB, one entry per client id, sent in
// order when the network is back); the server answers a repeat of the same client id with
// the first confirmation, so sending twice never confirms twice. A refused door is kept
// with the server's reason and shown on its row. After each sync (and on opening, coming
// back online, every minute) the list is read again from the server (GET
// /api/v1/services/runs/{id}): a door another carrier confirmed loses its buttons and "还剩 N
// 户" is the server's less the doors tapped on this phone — found on a phone: a second
// carrier's page still offered a door already delivered and said 18 doors where the server
// had 16. The badge says online or
// offline (queue.js netBadge, the station's too).
(function () {  // the help form: "who" of 上门采样 shown only while that kind of help is chosen
  document.querySelectorAll("fieldset[data-for-category]").forEach(function (box) {
    var select = box.form && box.form.elements.namedItem("category");
    if (!select) return;
    var show = function () { box.hidden = select.value !== box.getAttribute("data-for-category"); };
    select.addEventListener("change", show);
    show();
  });
})();
(function () {  // "Print" buttons (the manifest)
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
(function () {
  var status = document.getElementById("run-status");
  if (!status || !window.Fangkong || !window.Fangkong.queue) return;
  var $ = function (id) { return document.getElementById(id); };
  var run = status.getAttribute("data-run");
  var owner = "run-" + run + "-user-" + status.getAttribute("data-user");
  var net = window.Fangkong.queue.netBadge($("net"), { online: $("t-online").textContent,
                                                      offline: $("t-offline").textContent });

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var f = document.querySelector("input[name=csrfmiddlewaretoken]");
    return f ? f.value : "";
  }
  // "N of M doors to go": the doors neither confirmed by the server nor tapped on this phone
  // (a door waiting here to be sent, or in its "Undo" seconds, is counted as marked: the
  // badge beside says how many wait to be sent; found walking a run: "还剩 24 户" did not
  // move after a tap). A tap refused by the server counts again. With none left on the
  // server, its words for how the run ended ("配送结束，1 户未送达"): `ended`, from its
  // last answer; with every door marked but some still on the phone, that is said.
  var ended = null;
  function left() {
    var waiting = {};
    if (typeof q !== "undefined") q.items().forEach(function (it) { waiting[String(it.stop)] = true; });
    var open = document.querySelectorAll("#stops li.stop[data-state=pending]");
    var n = 0;
    open.forEach(function (li) { if (!waiting[li.getAttribute("data-stop")]) n += 1; });
    if (open.length === 0 && ended) {
      $("left").textContent = ended.text;
      $("left").classList.toggle("warn-text", ended.unresolved > 0);
      // and under the last door, where the thumb that confirmed it is
      $("ended").textContent = ended.text;
      $("ended").classList.toggle("warn-text", ended.unresolved > 0);
      $("ended").hidden = false;
    } else if (n > 0) {
      $("ended").hidden = true;
      $("left").textContent = $("t-left").textContent.replace("__N__", n);
      $("left").classList.remove("warn-text");
    } else if (open.length > 0) {
      $("ended").hidden = true;
      $("left").textContent = $("t-all-marked").textContent;
      $("left").classList.remove("warn-text");
    }
  }
  // A door the server has as confirmed (by this phone, or another carrier's): no buttons, its
  // state, and its steps when it was not delivered
  function confirmed(d) {
    var li = $("stop-" + d.id);
    if (!li || d.state === "pending") return;
    var had = li.getAttribute("data-state");
    li.setAttribute("data-state", d.state);
    if (had === d.state && !li.querySelector("form")) return;
    var after = d.state === "delivered" && d.history && d.history.length > 1;
    mark({ stop: d.id }, after ? $("t-after-all").textContent : $(d.state === "delivered" ? "t-delivered" : "t-failed").textContent,
         d.state === "failed");
    var undo = li.querySelector(".undo");
    if (undo) undo.remove();
    var old = li.querySelector("ol.history");
    if (old) old.remove();
    if (d.state === "failed" || after) {
      var ol = document.createElement("ol");
      ol.className = "plain history";
      d.history.forEach(function (h) { var i = document.createElement("li"); i.textContent = h.words; ol.appendChild(i); });
      li.appendChild(ol);
    }
  }
  // The list as the server has it now (after each sync, on opening, back online, each minute)
  var reading = null;
  function fromServer() {
    if (reading || navigator.onLine === false || document.hidden) return reading;
    reading = fetch("/api/v1/services/runs/" + run, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        net.reached(true);
        if (resp.status === 404) { gone(); return null; }
        return resp.ok ? resp.json() : null;
      }, function () { net.reached(false); return null; })
      .then(function (data) {
        reading = null;
        if (!data) return;
        data.checklist.forEach(confirmed);
        // a tap refused because the door was confirmed on another phone says nothing more
        // than the door's state now: let it go
        var done = {};
        data.checklist.forEach(function (d) { if (d.state !== "pending") done[String(d.id)] = true; });
        q.refused().forEach(function (r) { if (done[String(r.item.stop)]) q.dismiss(r.client_id); });
        ended = { text: data.outcome, unresolved: data.unresolved };
        left();
      }, function () { reading = null; });
    return reading;
  }
  // A run done (closed to its carriers) or given to another team: the list stays as it is,
  // its buttons go (the server would refuse them), and the line says so
  function gone() {
    var pending = document.querySelectorAll("#stops li.stop[data-state=pending]").length;
    if (pending === 0 && ended) return left();
    document.querySelectorAll("#stops .door-form").forEach(function (f) { f.remove(); });
    $("left").textContent = $("t-gone").textContent;
    $("left").classList.add("warn-text");
  }
  var soon = null;
  function refreshSoon() { clearTimeout(soon); soon = setTimeout(fromServer, 400); }
  function label(item) { return $(item.delivered ? "t-delivered" : "t-failed").textContent; }
  function mark(item, text, refused) {
    var li = $("stop-" + item.stop);
    if (!li) return;
    var form = li.querySelector("form");
    if (form) form.remove();
    var badge = li.querySelector(".badge.state") || document.createElement("span");
    badge.className = "badge state" + (refused ? " warn" : "");
    badge.textContent = text;
    li.appendChild(badge);
  }
  function sendOne(batch) {
    var item = batch[0];
    return fetch("/api/v1/services/stops/" + item.stop + "/confirm", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify({ client_id: item.client_id, delivered: item.delivered, reason: item.reason || "",
                             why: item.why || "" })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.status === 200 || resp.status === 201) {
          var done = label(item) + (item.reason ? $("t-sep").textContent + item.reason : "");
          var li = $("stop-" + item.stop);
          if (li) li.setAttribute("data-state", item.delivered ? "delivered" : "failed");
          if (data.run_outcome) ended = { text: data.run_outcome, unresolved: data.run_unresolved || 0 };
          left();
          refreshSoon();  // and the other carriers' doors meanwhile
          if (!item.photo) { mark(item, done); return [true]; }
          return sendPhoto(item).then(function (answer) {
            if (answer === window.Fangkong.queue.LATER) return answer;
            mark(item, done + " · " + answer);
            return [true];
          });
        }
        var code = data && data.error && data.error.code;
        if (resp.status === 409) refreshSoon();  // confirmed by someone else: show it as it is
        if (resp.status === 401 || code === "csrf") return window.Fangkong.queue.STOP;
        if (resp.status >= 500 || resp.status === 429) return window.Fangkong.queue.LATER;
        return [Fangkong.errorText(data, String(resp.status))];
      });
    });
  }
  // The door's photo goes after its confirmation (a retry confirms nothing twice and keeps
  // the first photo); a refused photo does not hold the door back: its reason is shown.
  function sendPhoto(item) {
    var form = new FormData();
    form.append("file", item.photo, item.photo.name || "door.jpg");
    form.append("client_id", item.client_id);
    return fetch("/api/v1/services/stops/" + item.stop + "/photo", {
      method: "POST", credentials: "same-origin", body: form,
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" }
    }).then(function (resp) {
      if (resp.status === 200 || resp.status === 201) return $("t-photo-set").textContent;
      if (resp.status >= 500 || resp.status === 429) return window.Fangkong.queue.LATER;
      return resp.json().catch(function () { return {}; }).then(function (data) {
        return $("t-photo-no").textContent + $("t-sep").textContent + Fangkong.errorText(data, String(resp.status));
      });
    });
  }
  function refresh() {
    left();  // a tap on this phone (or its Undo) moves the count at once
    var w = $("waiting");
    w.textContent = q.size();
    w.className = "badge" + (q.size() ? " warn" : " muted");
    q.items().forEach(function (it) {  // a door in its "Undo" seconds keeps its button
      if (!holding[it.client_id]) mark(it, label(it) + " · " + $("t-unsent").textContent);
    });
    q.refused().forEach(function (r) { mark(r.item, label(r.item) + " ✗ " + r.reason, true); });
  }
  var q = window.Fangkong.queue({ owner: owner, batch: 1, send: sendOne, onchange: refresh, net: net });

  document.querySelectorAll(".door-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = e.submitter || form.querySelector("button[name=delivered]");
      var delivered = button.value === "1";
      var reason = ((form.querySelector("input[name=reason]") || {}).value || "").trim();
      // why, as chosen: only "nobody answered" sends someone to see a person watched over
      var why = delivered ? "" : ((form.querySelector("select[name=why]") || {}).value || "");
      if (!delivered && !why) { alert($("t-reason").textContent); return; }
      if (!delivered && why === "other" && !reason) { alert($("t-reason").textContent); return; }
      var stop = form.querySelector("input[name=stop]").value;
      if (q.items().some(function (it) { return it.stop === stop; })) return;
      var file = form.querySelector("input[name=photo]");
      if (form.dataset.busy) return;  // a double tap while the photo is made smaller
      form.dataset.busy = "1";
      // the camera's photo made smaller on the phone first (app.js: the antigen page's too)
      Fangkong.shrinkPhoto(file && file.files && file.files[0] || null).then(function (photo) {
        delete form.dataset.busy;
        if (photo && photo.size > Number(status.getAttribute("data-photo-max") || 5242880)) { alert($("t-photo-big").textContent); return; }
        var item = { client_id: Fangkong.uuid(), stop: stop, delivered: delivered, reason: reason, why: why };
        if (photo) item.photo = photo;  // kept in IndexedDB with the door until both are sent
        hold(form, item);
      });
    });
  });
  // A door's answer waits a few seconds with "Undo" before it is sent: a wrong tap (the
  // next door's button, a thumb on the stairs) is taken back before anyone sees it. It is
  // kept on the phone from the tap (queue.js `not_before`): leaving the page meanwhile (the
  // next floor, a call) loses nothing, it is sent when its seconds are over.
  var UNDO_SECONDS = Number(status.getAttribute("data-undo") || 5);
  var holding = {};  // client ids whose "Undo" is on the page
  function hold(form, item) {
    item.not_before = Date.now() + UNDO_SECONDS * 1000;
    holding[item.client_id] = true;
    q.add(item);
    var li = form.closest("li");
    form.hidden = true;
    var box = document.createElement("span");
    box.className = "undo";
    var text = document.createElement("span");
    text.textContent = label(item) + " ";
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "btn small";
    var n = UNDO_SECONDS;
    var tick = function () { btn.textContent = $("t-undo").textContent + " (" + n + ")"; };
    tick();
    box.appendChild(text);
    box.appendChild(btn);
    li.appendChild(box);
    var timer = setInterval(function () {
      n -= 1;
      if (n > 0) { tick(); return; }
      clearInterval(timer);
      box.remove();
      delete holding[item.client_id];
      refresh();
      if (navigator.onLine) q.flush();
    }, 1000);
    btn.addEventListener("click", function () {
      clearInterval(timer);
      box.remove();
      form.hidden = false;
      delete holding[item.client_id];
      q.forget([item.client_id]).then(refresh, refresh);
    });
  }
  document.querySelectorAll(".door-form input[name=photo]").forEach(function (input) {
    input.addEventListener("change", function () {
      var l = input.closest("label");
      if (l && input.files && input.files[0]) l.classList.add("chosen");
    });
  });
  q.ready.then(function () { refresh(); if (navigator.onLine) q.flush(); fromServer(); });
  window.addEventListener("online", refreshSoon);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refreshSoon(); });
  setInterval(fromServer, 60000);
})();
