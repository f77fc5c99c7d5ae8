// The scanning station: hand scanner (keyboard + Enter) or camera (BarcodeDetector),
// tubes that close at their pool size, and an offline queue in localStorage that is sent
// in batches to /sync when the network is back. Every event carries a UUID made here, so
// the server registers it once however often it is sent.
(function () {
  "use strict";
  var root = document.getElementById("station");
  if (!root) return;
  var S = JSON.parse(document.getElementById("station-strings").textContent);
  var roundId = root.dataset.round;
  var api = root.dataset.api;
  var pool = parseInt(root.dataset.pool, 10) || 10;
  var KEY = "fk-station-" + roundId + "-" + root.dataset.user;
  var $ = function (id) { return document.getElementById(id); };

  // --- persistent state ---------------------------------------------------------
  var state = load();
  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(KEY) || "null");
      if (s && s.queue) return s;
    } catch (e) { /* start afresh */ }
    return { queue: [], tube: null, recent: [], conflicts: [], seen: {} };
  }
  function save() { localStorage.setItem(KEY, JSON.stringify(state)); }

  var uuid = window.Fangkong.uuid;
  function fmt(s, v) { return s.replace("%s", v); }

  // --- speaking and showing ---------------------------------------------------------
  function say(text, kind) {
    var el = $("say");
    el.textContent = text;
    el.className = "say " + (kind || "");
    if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
      try {
        speechSynthesis.cancel();
        var u = new SpeechSynthesisUtterance(text);
        u.lang = document.documentElement.lang || "zh-CN";
        speechSynthesis.speak(u);
      } catch (e) { /* speech is a bonus */ }
    }
  }

  var online = navigator.onLine;
  function render() {
    var t = state.tube;
    $("net").textContent = online ? S.online : S.offline;
    $("net").className = "badge" + (online ? "" : " warn");
    $("waiting").textContent = state.queue.length;
    $("waiting").className = "badge" + (state.queue.length ? " warn" : " muted");
    if (t) {
      $("tube-label").textContent = S.tube + " " + t.barcode;
      $("tube-left").textContent = Math.max(0, t.capacity - t.count);
      $("tube-count").textContent = t.count + "/" + t.capacity;
      $("seal").disabled = t.count === 0;
    } else {
      $("tube-label").textContent = S.no_tube;
      $("tube-left").textContent = "–";
      $("tube-count").textContent = "";
      $("seal").disabled = true;
    }
    var mode = t ? S.scan_person : S.scan_tube;
    $("scan-input").placeholder = mode;
    $("scan-label").textContent = mode;
    var ul = $("recent");
    ul.textContent = "";
    state.recent.slice(-12).reverse().forEach(function (r) {
      var li = document.createElement("li");
      li.className = "row " + r.status;
      li.textContent = r.text;
      ul.appendChild(li);
    });
    var cl = $("conflicts");
    cl.textContent = "";
    $("conflicts-title").hidden = !state.conflicts.length;
    state.conflicts.forEach(function (c, i) {
      cl.appendChild(window.Fangkong.row(c.message + (c.barcode ? " · " + c.barcode : ""), S.ack,
        function () { state.conflicts.splice(i, 1); save(); render(); }, "conflict"));
    });
  }
  function remember(text, status) {
    state.recent.push({ text: text, status: status || "" });
    if (state.recent.length > 50) state.recent = state.recent.slice(-50);
  }

  // --- talking to the server ---------------------------------------------------------
  function post(path, body) {
    return fetch(api + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (data) { return { status: resp.status, data: data }; },
        function () { return { status: resp.status, data: {} }; });
    });
  }
  function wentOffline() { online = false; render(); }

  // --- events -------------------------------------------------------------------------
  function now() { return new Date().toISOString(); }
  var CODE = /^[A-Za-z0-9-]{4,40}$/;

  function openTube(barcode) {
    if (!CODE.test(barcode)) { say(S.bad_barcode, "bad"); return; }
    var cap = $("single").checked ? 1 : pool;
    var ev = { client_id: uuid(), type: "open", barcode: barcode.toUpperCase(), capacity: cap, at: now(),
               point: root.dataset.point || null, table: root.dataset.table || null };
    if (online && !state.queue.length) {
      post("/tubes", { barcode: ev.barcode, capacity: cap, client_id: ev.client_id,
                       point: ev.point ? +ev.point : null, table: ev.table ? +ev.table : null })
        .then(function (r) {
          if (r.status === 200 || r.status === 201) {
            state.tube = { barcode: r.data.barcode, capacity: r.data.capacity, count: r.data.count };
            say(fmt(S.tube_open, r.data.barcode), "good");
          } else {
            say(errorText(r.data), "bad");
          }
          save(); render();
        }, function () { wentOffline(); queueOpen(ev); });
    } else {
      queueOpen(ev);
    }
  }
  function queueOpen(ev) {
    state.queue.push(ev);
    state.tube = { barcode: ev.barcode, capacity: ev.capacity, count: 0 };
    say(fmt(S.tube_open, ev.barcode), "good");
    save(); render();
  }

  function scanPerson(person, confirm, clientId) {
    var t = state.tube;
    if (!t) return;
    person = person.trim();
    var key = person.toUpperCase();
    if (state.seen[key] && !clientId) { say(S.already_here, "bad"); return; }
    var ev = { client_id: clientId || uuid(), type: "scan", barcode: t.barcode, person: person,
               confirm: !!confirm, at: now() };
    if (online && !state.queue.length) {
      post("/scan", { client_id: ev.client_id, barcode: ev.barcode, person: ev.person,
                      confirm: ev.confirm, at: ev.at })
        .then(function (r) {
          if (r.status === 200) {
            accepted(key, r.data.name || "", r.data.tube);
          } else if (r.status === 409 && r.data.error && r.data.error.code === "out_of_scope") {
            askConfirm(r.data.error.message, person, ev.client_id);
          } else {
            say(errorText(r.data), "bad");
            remember(errorText(r.data), "bad");
          }
          save(); render();
        }, function () { wentOffline(); queueScan(ev, key); });
    } else {
      queueScan(ev, key);
    }
  }
  function queueScan(ev, key) {
    state.queue.push(ev);
    accepted(key, "", null, true);
  }
  function accepted(key, name, tube, queued) {
    var t = state.tube;
    state.seen[key] = true;
    if (tube) { t.count = tube.count; t.capacity = tube.capacity; } else { t.count += 1; }
    remember((name || S.ok) + " · " + t.barcode + " " + t.count + "/" + t.capacity, queued ? "queued" : "good");
    if (t.count >= t.capacity) {
      say(S.tube_full, "good");
      state.tube = null;
    } else {
      say((name ? name + " " : "") + (queued ? S.queued : S.ok) + ". " + (t.capacity - t.count) + " " + S.places_left, "good");
    }
    save(); render();
    if (queued) flushSoon();
  }

  function seal() {
    var t = state.tube;
    if (!t || !t.count) return;
    var ev = { client_id: uuid(), type: "seal", barcode: t.barcode, at: now() };
    var done = function () { say(fmt(S.tube_sealed, t.barcode), "good"); state.tube = null; save(); render(); };
    if (online && !state.queue.length) {
      post("/tubes/" + encodeURIComponent(t.barcode) + "/seal", {}).then(function (r) {
        if (r.status === 200) done(); else say(errorText(r.data), "bad");
      }, function () { wentOffline(); state.queue.push(ev); done(); flushSoon(); });
    } else {
      state.queue.push(ev); done(); flushSoon();
    }
  }

  function askConfirm(message, person, clientId) {
    $("confirm-text").textContent = message;
    $("confirm-box").hidden = false;
    say(message, "bad");
    $("confirm-yes").onclick = function () { $("confirm-box").hidden = true; scanPerson(person, true, clientId); };
    $("confirm-no").onclick = function () { $("confirm-box").hidden = true; $("scan-input").focus(); };
  }

  function errorText(data) { return window.Fangkong.errorText(data, S.error); }

  // --- sending the queue -----------------------------------------------------------------
  // Events per /sync request: the server takes up to 2,000 (checks.MAX_BATCH); 500 is
  // about 60 KB of JSON, and bench/screening.py measures the upload at this size.
  var SYNC_BATCH = 500;
  var sending = false, timer = null;
  function flushSoon() { if (!timer) timer = setTimeout(function () { timer = null; flush(); }, 300); }
  function flush() {
    if (sending || !state.queue.length) return;
    sending = true;
    var batch = state.queue.slice(0, SYNC_BATCH);
    post("/sync", { events: batch }).then(function (r) {
      sending = false;
      if (r.status !== 200) {
        say(errorText(r.data), "bad");
        if (r.status === 400) {  // malformed events: keep them visible, take them out of the queue
          state.queue = state.queue.slice(batch.length);
          state.conflicts.push({ message: errorText(r.data), barcode: "" });
        }
        save(); render();
        return;
      }
      online = true;
      var sent = {};
      batch.forEach(function (e) { sent[e.client_id] = true; });
      state.queue = state.queue.filter(function (e) { return !sent[e.client_id]; });
      r.data.results.forEach(function (o) {
        if (o.status !== "ok") {
          state.conflicts.push({ message: (o.name ? o.name + ": " : "") + (o.message || S.conflict),
                                 barcode: (o.tube && o.tube.barcode) || "" });
        }
      });
      remember(fmt(S.sent, r.data.ok), r.data.conflicts ? "bad" : "good");
      if (state.tube) {
        var last = r.data.results.filter(function (o) { return o.tube && o.tube.barcode === state.tube.barcode; }).pop();
        var pending = state.queue.some(function (e) { return e.barcode === state.tube.barcode; });
        if (last) {
          // the server's count is the truth once nothing for this tube waits on the phone
          state.tube.count = pending ? Math.max(state.tube.count, last.tube.count) : last.tube.count;
          state.tube.capacity = last.tube.capacity;
          if (last.tube.state === "sealed" && !state.queue.length) state.tube = null;
        }
      }
      if (r.data.conflicts) say(S.conflict + ": " + r.data.conflicts, "bad");
      save(); render();
      if (state.queue.length) flushSoon();
    }, function () { sending = false; wentOffline(); });
  }

  // --- wiring --------------------------------------------------------------------------------
  function handle(code) {
    code = (code || "").trim();
    if (!code) return;
    if (state.tube) scanPerson(code); else openTube(code);
  }
  $("scan-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var v = $("scan-input").value;
    $("scan-input").value = "";
    handle(v);
    $("scan-input").focus();
  });
  // Sealing early cannot be undone: the first tap asks, in the tube card ("no" first);
  // "yes" seals the tube it asked about, never one opened since.
  var asked = null;
  $("seal").addEventListener("click", function () {
    var t = state.tube;
    if (!t || !t.count) return;
    asked = t.barcode;
    $("seal-text").textContent = S.seal_ask.replace("%(tube)s", t.barcode)
      .replace("%(n)s", t.count).replace("%(k)s", t.capacity);
    $("seal-box").hidden = false;
  });
  $("seal-no").addEventListener("click", function () { $("seal-box").hidden = true; $("scan-input").focus(); });
  $("seal-yes").addEventListener("click", function () {
    $("seal-box").hidden = true;
    if (state.tube && state.tube.barcode === asked) seal();
    $("scan-input").focus();
  });
  $("send-now").addEventListener("click", function () { online = navigator.onLine; flush(); });
  window.addEventListener("online", function () { online = true; render(); flush(); });
  window.addEventListener("offline", function () { online = false; render(); });
  setInterval(function () { if (navigator.onLine && state.queue.length) flush(); }, 10000);

  $("find-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = $("find-input").value.trim();
    if (!q) return;
    fetch(api + "/lookup?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (rows) {
        var ul = $("found");
        ul.textContent = "";
        if (!rows.length) { var li0 = document.createElement("li"); li0.className = "empty"; li0.textContent = S.not_found; ul.appendChild(li0); }
        rows.forEach(function (p) {
          ul.appendChild(window.Fangkong.row(p.name + " · " + p.address, S.add, function () {
            if (state.tube) scanPerson(p.person); else say(S.scan_tube, "bad");
          }));
        });
      }, function () { say(S.network_error, "bad"); });
  });

  $("new-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    post("/people", { place: +f.place.value, door: f.door.value, name: f.name.value,
                      id_number: f.id_number.value, phone: f.phone.value })
      .then(function (r) {
        if (r.status === 201) {
          f.reset();
          $("newperson").open = false;
          if (state.tube) scanPerson(r.data.person, true); else say(r.data.name + " ✓", "good");
        } else {
          say(errorText(r.data), "bad");
        }
      }, function () { say(S.network_error, "bad"); });
  });

  // Camera, where the browser can read barcodes itself.
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    var cam = $("camera");
    cam.hidden = false;
    cam.addEventListener("click", function () {
      var video = $("video");
      var detector = new window.BarcodeDetector();
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var last = "", lastAt = 0;
        var tick = function () {
          if (video.hidden) return;
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              var v = codes[0].rawValue, t = Date.now();
              if (v !== last || t - lastAt > 3000) { last = v; lastAt = t; handle(v); }
            }
            setTimeout(tick, 250);
          }, function () { setTimeout(tick, 500); });
        };
        tick();
        cam.onclick = function () { video.hidden = true; stream.getTracks().forEach(function (t) { t.stop(); }); };
      }, function () { say(S.camera_error, "bad"); });
    });
  }

  render();
  if (online && state.queue.length) flush();
})();
