// The scanning station: hand scanner (keyboard + Enter) or camera (BarcodeDetector),
// tubes that close at their pool size, and the phone's offline queue (queue.js: IndexedDB)
// sent in batches to /sync when the network is back. Every event carries a UUID made here,
// so the server registers it once however often it is sent. What the server did not
// register is kept with its reason (the table's list of conflicts) until someone taps
// "Noted". The table's own state (open tube, recent scans, who was scanned) is in
// localStorage; an older page kept its queue and conflicts there too, and they are moved
// into the queue on first load.
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
      if (s && s.recent) return s;
    } catch (e) { /* start afresh */ }
    return { tube: null, recent: [], seen: {} };
  }
  function save() { localStorage.setItem(KEY, JSON.stringify(state)); }
  // Tubes the lab found invalid: the people scanned into them are to be sampled again, so
  // this phone forgets them (it would say "already scanned here"); the server decides.
  // Pooled tubes found positive likewise: their people are held at home for a single
  // re-test, and one who comes back must hear that from the server (go home at once), not
  // "already scanned here".
  state.seen = state.seen || {};
  ((root.dataset.voidTubes || "") + "," + (root.dataset.positiveTubes || "")).split(",").forEach(function (code) {
    if (!code) return;
    Object.keys(state.seen).forEach(function (k) { if (state.seen[k].tube === code) delete state.seen[k]; });
  });

  var uuid = window.Fangkong.uuid;
  function fmt(s, v) { return s.replace("%s", v); }
  // "%(name)s" placeholders, as in the server's messages
  function fill(s, d) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return d[k] == null ? "" : d[k]; }); }
  // a count's message: the server sends [for 1, for more] (English "1 place", "2 places")
  function one(forms, n) { return forms[n === 1 ? 0 : 1]; }

  // --- what was scanned ----------------------------------------------------------------
  // The server reads codes (registry/codes.py parse_code: FK1: prefix in any case, a
  // scanner's Enter, full-width characters, a code inside a URL); the phone only needs to
  // tell a person from a tube, recognise someone scanned twice at this table, and never
  // show or speak a whole ID number.
  var CODE = /^[A-Za-z0-9-]{4,40}$/;
  var ID_LIKE = /^\d{17}[\dxX]$/;
  function clean(text) {
    text = String(text || "");
    if (text.normalize) text = text.normalize("NFKC");  // full-width letters, digits, colon
    return text.replace(/^[\s\u0000-\u001f\u007f\ufeff]+|[\s\u0000-\u001f\u007f\ufeff]+$/g, "");
  }
  function personKey(text) {
    var t = clean(text);
    // a code typed by hand from its groups ("FK1: VX3P QE0M …", or without the colon) is
    // the same code, and so is one typed with look-alikes (O for 0, I or L for 1, _ for -:
    // codes.token_key)
    var token = codeToken(t);
    return (token || t.replace(/\s+/g, "")).toUpperCase()
      .replace(/O/g, "0").replace(/[IL]/g, "1").replace(/_/g, "-");
  }
  // The token of a printed or typed code, or null (codes.parse_code's prefixed forms):
  // "FK1:" anywhere (a URL too); "FK1" then a space ("FK1 VX3P QE0M …": the colon is hard
  // to find on a phone's keyboard); or "FK1" glued to a whole code of 22 characters.
  var TOKEN_LENGTH = 22;
  function codeToken(t) {
    var s = decodeSafe(t);
    var m = /FK1:([A-Za-z0-9_-]{16,32})/i.exec(s.replace(/\s+/g, ""));
    if (m) return m[1];
    m = /^FK1(\s*)([A-Za-z0-9_\-\s]+)$/i.exec(s);
    if (!m) return null;
    var token = m[2].replace(/\s+/g, "");
    if (!/^[A-Za-z0-9_-]{16,32}$/.test(token)) return null;
    return m[1] || token.length === TOKEN_LENGTH ? token : null;
  }
  function decodeSafe(t) { try { return decodeURIComponent(t); } catch (e) { return t; } }
  // Certainly a person: a printed code (FK1:…, or typed without the colon), a pick from the
  // look-up, or an ID number whose check digit is right (a tube barcode may be long and all
  // digits, but passes an ID number's check digit and date about once in 100,000; the
  // server refuses it too).
  function looksLikePerson(t) {
    return codeToken(t) !== null || /^r:\d+$/.test(t) || isIdNumber(t.replace(/\s+/g, ""));
  }
  function isIdNumber(t) {
    if (!ID_LIKE.test(t)) return false;
    var w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], sum = 0;
    for (var i = 0; i < 17; i++) sum += (+t.charAt(i)) * w[i];
    if ("10X98765432".charAt(sum % 11) !== t.charAt(17).toUpperCase()) return false;
    var y = +t.substr(6, 4), m = +t.substr(10, 2), d = +t.substr(12, 2);
    var day = new Date(Date.UTC(y, m - 1, d));
    return y >= 1900 && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
  }
  // Certainly a tube: shorter than any personal code or ID number.
  function isTube(t) { return CODE.test(t) && t.length < 16 && !looksLikePerson(t); }
  // What a refused scan was about, fit to show: an ID number only by its last four.
  function shownPerson(text) {
    var t = clean(text).replace(/\s+/g, "");
    if (ID_LIKE.test(t)) return "…" + t.slice(-4).toUpperCase();
    if (/^r:\d+$/.test(t)) return "";
    return t.length > 30 ? t.slice(0, 29) + "…" : t;
  }

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

  // Tubes the server holds open at this table (another phone, or this one reinstalled,
  // opened them): offered while this phone has none open, "go on filling" re-opens one.
  var openHere = [];
  try { openHere = JSON.parse(($("station-open-here") || {}).textContent || "[]") || []; } catch (e) { openHere = []; }
  function renderOpenHere() {
    var box = $("open-here");
    if (!box) return;
    box.textContent = "";
    var list = state.tube ? [] : openHere;
    box.hidden = !list.length;
    list.forEach(function (t) {
      var p = document.createElement("p");
      p.textContent = fill(S.open_here, { tube: t.barcode, count: t.count, capacity: t.capacity }) + " ";
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn primary";
      b.textContent = fill(S.go_on, { tube: t.barcode });
      b.addEventListener("click", function () {
        openHere = openHere.filter(function (x) { return x.barcode !== t.barcode; });
        openTube(t.barcode);
      });
      p.appendChild(b);
      box.appendChild(p);
    });
  }

  var online = navigator.onLine;
  function render() {
    renderOpenHere();
    var t = state.tube;
    $("net").textContent = online ? S.online : S.offline;
    $("net").className = "badge" + (online ? "" : " warn");
    $("waiting").textContent = q.size();
    $("waiting").className = "badge" + (q.size() ? " warn" : " muted");
    if (t) {
      $("tube-label").textContent = S.tube + " " + t.barcode;
      $("tube-left").textContent = Math.max(0, t.capacity - t.count);
      $("tube-left-label").textContent = one(S.left_label, Math.max(0, t.capacity - t.count));
      $("tube-count").textContent = t.count + "/" + t.capacity;
      $("seal").disabled = t.count === 0;
    } else {
      $("tube-label").textContent = S.no_tube;
      $("tube-left").textContent = "–";
      $("tube-left-label").textContent = S.left_label[1];
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
    var cl = $("conflicts"), conflicts = q.refused();
    cl.textContent = "";
    $("conflicts-title").hidden = !conflicts.length;
    $("conflicts-help").hidden = !conflicts.length;
    conflicts.forEach(function (c) {
      // the reason, then what it was about: the tube, what was scanned (when the server
      // could not name the person), and when
      var about = [];
      if (c.barcode) about.push(S.tube + " " + c.barcode);
      if (c.person && !c.name && c.reason.indexOf(c.person) < 0) about.push(fill(S.scanned, { code: c.person }));
      if (c.at) about.push(clock(c.at));
      var li = window.Fangkong.row(c.reason, S.ack, function () { q.dismiss(c.client_id); },
                                   c.kind === "held" ? "conflict alarm" : "conflict");
      if (about.length) {
        var small = document.createElement("small");
        small.className = "about";
        small.textContent = about.join(" · ");
        li.firstChild.appendChild(document.createElement("br"));
        li.firstChild.appendChild(small);
      }
      cl.appendChild(li);
    });
  }
  function remember(text, status, queued) {
    var r = { text: text, status: status || "" };
    if (queued) { r.id = queued.id; r.tail = queued.tail; }
    state.recent.push(r);
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

  function openTube(barcode) {
    if (looksLikePerson(barcode)) { say(S.scan_tube_first, "bad"); return; }
    if (!CODE.test(barcode)) { say(S.bad_barcode, "bad"); return; }
    var cap = $("single").checked ? 1 : pool;
    var ev = { client_id: uuid(), type: "open", barcode: barcode.toUpperCase(), capacity: cap, at: now(),
               point: root.dataset.point || null, table: root.dataset.table || null };
    if (online && !q.size()) {
      // The barcode as scanned (the server upper-cases it): a person's code scanned while no
      // tube is open is told apart from a tube by the server, which knows the codes.
      opening = post("/tubes", { barcode: barcode, capacity: cap, client_id: ev.client_id,
                                 point: ev.point ? +ev.point : null, table: ev.table ? +ev.table : null })
        .then(function (r) {
          opening = null;
          if (r.status === 200 || r.status === 201) {
            state.tube = { barcode: r.data.barcode, capacity: r.data.capacity, count: r.data.count };
            say(fmt(S.tube_open, r.data.barcode), "good");
          } else {
            say(answerText(r), "bad");
          }
          save(); render();
        }, function () { opening = null; wentOffline(); queueOpen(ev); });
    } else {
      queueOpen(ev);
    }
  }
  function queueOpen(ev) {
    q.add(ev);
    state.tube = { barcode: ev.barcode, capacity: ev.capacity, count: 0 };
    say(fmt(S.tube_open, ev.barcode), "good");
    save(); render();
  }

  function scanPerson(person, confirm, clientId) {
    var t = state.tube;
    if (!t) return;
    person = clean(person);
    var key = personKey(person);
    var before = state.seen[key];
    if (before && !clientId) {
      // offline the name is not known yet: "this code", never the raw code (FK1:…)
      say(fill(before.name ? S.already_here : S.already_here_code,
               { name: before.name || "", tube: before.tube || "", time: before.at ? clock(before.at) : "" }), "bad");
      return;
    }
    var ev = { client_id: clientId || uuid(), type: "scan", barcode: t.barcode, person: person,
               confirm: !!confirm, at: now() };
    if (online && !q.size()) {
      post("/scan", { client_id: ev.client_id, barcode: ev.barcode, person: ev.person,
                      confirm: ev.confirm, at: ev.at })
        .then(function (r) {
          if (r.status === 200) {
            accepted(key, r.data.name || "", r.data.tube);
          } else if (r.status === 409 && r.data.error && r.data.error.code === "out_of_scope") {
            askConfirm(r.data.error.message, person, ev.client_id);
          } else {
            var text = answerText(r);
            // held after a positive test: an alarm, not the usual refusal (send them home)
            var held = r.status === 409 && r.data.error && r.data.error.code === "held";
            if (held) { say(text, "alarm"); remember(text, "bad alarm"); save(); render(); return; }
            say(text, "bad");
            // what was scanned, where the answer cannot name the person
            var who = shownPerson(person), code = r.data.error && r.data.error.code;
            var unnamed = r.status === 400 || code === "unknown_person";
            remember(text + (unnamed && who && text.indexOf(who) < 0 ? " · " + fill(S.scanned, { code: who }) : ""), "bad");
          }
          save(); render();
        }, function () { wentOffline(); queueScan(ev, key); });
    } else {
      queueScan(ev, key);
    }
  }
  function queueScan(ev, key) {
    q.add(ev);
    accepted(key, "", null, ev.client_id);
  }
  // `queued`: the client id of a scan kept on this phone; its line in the list changes when
  // the server answers for it (registered, or refused with the reason).
  function accepted(key, name, tube, queued) {
    var t = state.tube;
    state.seen[key] = { tube: t.barcode, at: now(), name: name };
    if (tube) { t.count = tube.count; t.capacity = tube.capacity; } else { t.count += 1; }
    var tail = " · " + t.barcode + " " + t.count + "/" + t.capacity;
    remember((name || (queued ? S.kept : S.ok)) + tail, queued ? "queued" : "good",
             queued ? { id: queued, tail: tail } : null);
    var d = { name: name, tube: t.barcode, left: t.capacity - t.count };
    var first = name ? fill(S.registered, d) : (queued ? fill(S.queued_in, d) : fill(S.registered_in, d));
    if (t.count >= t.capacity) {
      say(first + " " + fill(S.tube_full_now, d), "good");
      // Full by this phone's count: seal it on the server too (a scan refused there must
      // not leave the tube open for a swab that is not in it).
      if (queued) q.add({ client_id: uuid(), type: "seal", barcode: t.barcode, at: now() });
      state.tube = null;
    } else {
      say(first + " " + fill(one(S.left_in, d.left), d), "good");
    }
    save(); render();
    if (queued) flushSoon();
  }

  function seal() {
    var t = state.tube;
    if (!t || !t.count) return;
    var ev = { client_id: uuid(), type: "seal", barcode: t.barcode, at: now() };
    var done = function () { say(fmt(S.tube_sealed, t.barcode), "good"); state.tube = null; save(); render(); };
    if (online && !q.size()) {
      post("/tubes/" + encodeURIComponent(t.barcode) + "/seal", {}).then(function (r) {
        if (r.status === 200) done(); else say(answerText(r), "bad");
      }, function () { wentOffline(); q.add(ev); done(); flushSoon(); });
    } else {
      q.add(ev); done(); flushSoon();
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
  // HH:MM on the community's clock (the site's time zone), whatever the phone's is set to
  function clock(at) {
    var o = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (root.dataset.tz) o.timeZone = root.dataset.tz;
    try { return new Date(at).toLocaleTimeString([], o); } catch (e) { delete o.timeZone; return new Date(at).toLocaleTimeString([], o); }
  }
  // A 404 from the round's own API here means this phone's user may no longer work it (taken
  // off their table, or the round is gone): say that, not a bare "not found" on every scan.
  function answerText(r) { return r.status === 404 ? S.not_yours : errorText(r.data); }

  // --- sending the queue -----------------------------------------------------------------
  // Events per /sync request: the server takes up to 2,000 (checks.MAX_BATCH); 500 is
  // about 60 KB of JSON, and bench/screening.py measures the upload at this size.
  var SYNC_BATCH = 500;
  function flushSoon() { q.soon(); }
  function flush() { return q.flush(); }
  function sendBatch(batch) {
    var events = batch.map(function (e) {  // as the page made them (not the queue's own fields)
      var ev = {};
      Object.keys(e).forEach(function (k) { if (k !== "owner" && k !== "seq") ev[k] = e[k]; });
      return ev;
    });
    return post("/sync", { events: events }).then(function (r) {
      if (r.status !== 200 || !r.data.results || r.data.results.length !== batch.length) {
        // Refused as a whole (the round closed, the sign-in expired…): nothing of the batch
        // was saved, so every event stays queued on this phone and is sent again later.
        say(answerText(r), "bad");
        return window.Fangkong.queue.LATER;
      }
      online = true;
      var refused = 0, heldNow = "";
      var answers = r.data.results.map(function (o, i) {
        var ev = batch[i];
        settled(ev.client_id, o);
        if (o.status === "ok") return true;
        // Not registered: kept on this phone, with the person and tube it was about, until
        // someone taps "Noted" (conflicts are also on the staff's review page).
        refused += 1;
        if (o.kind === "held") heldNow = o.message;
        return { reason: o.message || S.conflict, barcode: ev.barcode || "", name: o.name || "",
                 person: ev.type === "scan" ? shownPerson(ev.person) : "", at: ev.at || "",
                 status: o.status, kind: o.kind || "" };
      });
      remember(fmt(S.sent, r.data.ok), "good");  // a refused scan's own line is marked
      if (state.tube) {
        var last = r.data.results.filter(function (o) { return o.tube && o.tube.barcode === state.tube.barcode; }).pop();
        if (last) {
          // The server counts registrations; the phone counts swabs, and a swab whose scan
          // was not registered (a conflict, a malformed event) is in the tube all the same.
          state.tube.count = Math.max(state.tube.count, last.tube.count);
          state.tube.capacity = last.tube.capacity;
          if (last.tube.state === "sealed" && q.size() <= batch.length) state.tube = null;
        }
      }
      if (heldNow) say(heldNow, "alarm");  // someone held came: said first, as an alarm
      else if (refused) say(fill(one(S.not_registered, refused), { n: refused }), "bad");
      save();
      return answers;
    }, function (e) { wentOffline(); throw e; });
  }
  // The list's line for a scan kept on this phone says what became of it: registered (with
  // the name the server found) or not, with the reason.
  function settled(clientId, o) {
    state.recent.forEach(function (r) {
      if (!r.id || r.id !== clientId) return;
      if (o.status === "ok") { r.text = (o.name || S.ok) + r.tail; r.status = "good"; }
      else { r.text = (o.message || S.conflict) + r.tail; r.status = o.kind === "held" ? "bad alarm" : "bad"; }
      delete r.id;
    });
  }
  // An older page kept the queue and the conflicts in this table's localStorage entry.
  function carryOver(queue) {
    var old = state.queue || [], conflicts = state.conflicts || [];
    if (!old.length && !conflicts.length) return null;
    var n = 0;  // before anything queued from now on, in the order they were kept
    return Promise.all(old.map(function (ev) { ev.seq = ++n; return queue.add(ev); }).concat(
      conflicts.map(function (c) {
        return queue.keep({ client_id: c.client_id || uuid(), seq: ++n }, c.message || S.conflict,
                          { barcode: c.barcode || "", name: c.name || "", person: c.person || "",
                            at: c.at || "", status: c.status || "" });
      }))).then(window.Fangkong.queue.persistent).then(function (kept) {
      if (kept) { delete state.queue; delete state.conflicts; save(); }
    });
  }
  var q = window.Fangkong.queue({ owner: "station-" + roundId + "-" + root.dataset.user, batch: SYNC_BATCH,
                                  send: sendBatch, onchange: function () { render(); }, migrate: carryOver });

  // --- wiring --------------------------------------------------------------------------------
  var loaded = false;
  // A tube being opened online: what is scanned before the server answers waits for it, in
  // order (a quick hand scans the first person before the tube's answer is back; read
  // without a tube, that person's code would be taken for the next tube).
  var opening = null;
  function handle(code) {
    if (!loaded) { q.ready.then(function () { handle(code); }); return; }  // the queue is read first
    if (opening) { opening.then(function () { handle(code); }); return; }
    code = clean(code);
    if (!code) return;
    $("confirm-box").hidden = true;  // the next person: the last out-of-area question is moot
    var t = state.tube;
    if (t && isTube(code) && code.toUpperCase() !== t.barcode && !t.count) {
      state.tube = null;  // an empty tube (opened by mistake) is set aside: nothing to seal
      save();
      openTube(code);
      return;
    }
    if (t && isTube(code) && code.toUpperCase() !== t.barcode) {
      say(fill(S.tube_still_open, { tube: t.barcode, count: t.count, capacity: t.capacity,
                                    next: code.toUpperCase() }), "bad");
      return;
    }
    if (t && code.toUpperCase() === t.barcode) { say(fill(S.tube_already_open, { tube: t.barcode }), "bad"); return; }
    if (t) scanPerson(code); else openTube(code);
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
  setInterval(function () { if (navigator.onLine && q.size() && !q.stopped) flush(); }, 10000);

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
        // several people answer (two 刘梅): the first tap asks, saying whose address, and
        // a second tap on the same row adds; one answer stays one tap
        var several = rows.length > 1;
        rows.forEach(function (p) {
          ul.appendChild(window.Fangkong.row(p.name + " · " + p.address, S.add, function (e) {
            if (!state.tube) { say(S.scan_tube, "bad"); return; }
            var b = e.currentTarget;
            if (several && b.dataset.sure !== "1") {
              ul.querySelectorAll("button[data-sure]").forEach(function (o) {
                delete o.dataset.sure; o.textContent = S.add; o.classList.remove("danger");
              });
              b.dataset.sure = "1";
              b.textContent = S.add_sure;
              b.classList.add("danger");
              say(S.add_ask.replace("%(name)s", p.name).replace("%(address)s", p.address)
                .replace("%(tube)s", state.tube.barcode), "bad");
              b.disabled = true;  // the second tap of a double tap does not answer the question
              setTimeout(function () { b.disabled = false; }, 800);
              return;
            }
            delete b.dataset.sure;
            b.textContent = S.add;
            b.classList.remove("danger");
            scanPerson(p.person);
          }));
        });
      }, function () { say(S.network_error, "bad"); });
  });
  // opened from a home visit (the sampler's list): the person is looked up at once
  if ($("find-input").dataset.visit) $("find-form").requestSubmit();

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

  q.ready.then(function () {
    loaded = true;
    render();
    if (online && q.size()) flush();
    // A scan that came before this script (the page still loading) submitted the form the
    // plain way, as ?code=…: it is handled now, not lost, and taken off the address.
    var early = new URLSearchParams(window.location.search).get("code");
    if (early) {
      history.replaceState(null, "", window.location.pathname);
      handle(early);
    }
    $("station").dataset.ready = "1";
  });
})();
