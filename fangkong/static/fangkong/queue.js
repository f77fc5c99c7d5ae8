// One offline queue for work done on a phone: the station's scans, door-to-door kits and
// results, and next the delivery runs. What it promises:
// - Kept on the phone in IndexedDB (in memory where the browser has none, e.g. private
//   mode), so a reload or a flat battery loses nothing.
// - Each item is stored under the client id made when the work was done: adding it twice,
//   or sending it twice, is one entry (the server stores a client id once).
// - Sent in order, one sync at a time; while the network or the server is away it tries
//   again after growing pauses (5 s, 10 s … 1 min), at once when the phone is back online or
//   someone taps "send now".
// - What the server refuses is kept with its reason, across reloads, until dismissed.
//
//   var q = Fangkong.queue({ owner: "round-7-user-3", batch: 500, send: fn, onchange: fn, net: badge });
//   q.ready.then(...); q.add(item); q.size(); q.items(); q.refused(); q.dismiss(id); q.flush();
//
// Fangkong.queue.netBadge(el, {online: "在线", offline: "离线：…"}) is the page's "online /
// offline" badge: what the phone says and what the last try to reach the server found (give
// it to the queue as `net`; the page's own reads tell it with `badge.reached(ok)`).
//
// send(items) sends the first `batch` items and resolves with one answer an item, in order:
// true (stored), or the reason it was refused ({reason: "…", …} kept with the item); items
// past the answers stay queued. It resolves with Fangkong.queue.LATER when the server cannot
// take them now (busy, or the batch refused as a whole), with Fangkong.queue.STOP when only
// the person can help (signed out: no retry until flush() is called), and rejects when the
// network failed.
(function () {
  "use strict";
  var DB = "fangkong-queue", VERSION = 1;
  var LATER = { later: true }, STOP = { stop: true };
  var FIRST_PAUSE = 5000, LONGEST_PAUSE = 60000;
  var opened = null;

  function open() {
    if (opened) return opened;
    opened = new Promise(function (resolve) {
      if (!window.indexedDB) return resolve(null);
      var req;
      try { req = indexedDB.open(DB, VERSION); } catch (e) { return resolve(null); }
      req.onupgradeneeded = function () {
        var db = req.result;
        db.createObjectStore("items", { keyPath: "client_id" }).createIndex("owner", "owner");
        db.createObjectStore("refused", { keyPath: "client_id" }).createIndex("owner", "owner");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { resolve(null); };
    });
    return opened;
  }
  // One transaction on one store; resolves with the request's result (null without a database).
  function tx(store, mode, fn) {
    return open().then(function (db) {
      if (!db) return null;
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode), req = fn(t.objectStore(store));
        t.oncomplete = function () { resolve(req && req.result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  function putAll(store, rows) {
    if (!rows.length) return Promise.resolve();
    return tx(store, "readwrite", function (st) { rows.forEach(function (r) { st.put(r); }); return null; });
  }
  function bySeq(a, b) { return a.seq - b.seq; }

  function Queue(opts) {
    var self = this;
    this.owner = opts.owner;
    this.send = opts.send;
    this.batch = opts.batch || 1;
    this.onchange = opts.onchange || function () {};
    this.net = opts.net || null;
    this.pending = [];
    this.kept = [];
    this.syncing = null;
    this.failures = 0;
    this.timer = null;
    this.stopped = false;
    this.lastSeq = 0;
    // Rows left by an older version of the page go in first (see migrate), then this owner's
    // rows are read back.
    this.ready = Promise.resolve().then(function () { return opts.migrate ? opts.migrate(self) : null; })
      .catch(function () { return null; })
      .then(function () {
        return Promise.all([
          tx("items", "readonly", function (st) { return st.index("owner").getAll(self.owner); }),
          tx("refused", "readonly", function (st) { return st.index("owner").getAll(self.owner); })]);
      }).then(function (rows) {
        merge(self.pending, rows[0] || []);
        merge(self.kept, rows[1] || []);
        self.pending.concat(self.kept).forEach(function (r) { self.lastSeq = Math.max(self.lastSeq, r.seq || 0); });
      }, function () { /* memory only */ })
      .then(function () {
        window.addEventListener("online", function () { self.failures = 0; self.flush(); });
        self.onchange();
        return self;
      });
  }
  function merge(list, rows) {
    var have = {};
    list.forEach(function (r) { have[r.client_id] = true; });
    rows.forEach(function (r) { if (!have[r.client_id]) list.push(r); });
    list.sort(bySeq);
  }

  Queue.prototype.nextSeq = function () {
    this.lastSeq = Math.max(Date.now() * 1000, this.lastSeq + 1);
    return this.lastSeq;
  };
  Queue.prototype.size = function () { return this.pending.length; };
  Queue.prototype.items = function () { return this.pending.slice(); };
  Queue.prototype.refused = function () { return this.kept.slice(); };

  // Queue an item (it must carry its client_id); the same client id again replaces it.
  // Resolves once it is stored on the phone; rejects if it could not be (e.g. a photo too big
  // for the phone's storage: the item stays queued in memory, the caller may store it smaller).
  Queue.prototype.add = function (item) {
    item.owner = this.owner;
    if (item.seq == null) item.seq = this.nextSeq();
    this.pending = this.pending.filter(function (r) { return r.client_id !== item.client_id; });
    this.pending.push(item);
    this.pending.sort(bySeq);
    this.onchange();
    return tx("items", "readwrite", function (st) { return st.put(item); }).then(function () { return item; });
  };
  // Keep something refused with its reason (also used to carry over an older page's list).
  Queue.prototype.keep = function (item, reason, extra) {
    var row = { client_id: item.client_id, owner: this.owner, seq: item.seq || this.nextSeq(),
                item: item, reason: reason };
    Object.keys(extra || {}).forEach(function (k) { row[k] = extra[k]; });
    this.kept = this.kept.filter(function (r) { return r.client_id !== row.client_id; });
    this.kept.push(row);
    this.kept.sort(bySeq);
    return tx("refused", "readwrite", function (st) { return st.put(row); });
  };
  Queue.prototype.dismiss = function (clientId) {
    this.kept = this.kept.filter(function (r) { return r.client_id !== clientId; });
    this.onchange();
    return tx("refused", "readwrite", function (st) { return st.delete(clientId); });
  };
  Queue.prototype.forget = function (ids) {
    var gone = {};
    ids.forEach(function (id) { gone[id] = true; });
    this.pending = this.pending.filter(function (r) { return !gone[r.client_id]; });
    return tx("items", "readwrite", function (st) { ids.forEach(function (id) { st.delete(id); }); return null; });
  };

  // Send what is queued; one sync at a time (a second call gets the running one).
  Queue.prototype.flush = function () {
    var self = this;
    if (this.syncing) return this.syncing;
    clearTimeout(this.timer);
    this.timer = null;
    this.stopped = false;
    if (!this.pending.length) return Promise.resolve();
    if (navigator.onLine === false) return Promise.resolve();  // the "online" event brings it back
    var now = Date.now();
    var due = this.pending.filter(function (r) { return isDue(r, now); });
    if (!due.length) { this.wakeUp(); return Promise.resolve(); }
    var batch = due.slice(0, this.batch);
    this.syncing = Promise.resolve().then(function () { return self.send(batch); }).then(function (answers) {
      if (self.net) self.net.reached(true);  // the server answered (even "later")
      if (answers === STOP) { self.stopped = true; return false; }
      if (answers === LATER || !answers) { self.retryLater(); return false; }
      var done = [], refused = [];
      answers.slice(0, batch.length).forEach(function (a, i) {
        done.push(batch[i].client_id);
        if (a !== true) refused.push([batch[i], a]);
      });
      self.failures = 0;
      return Promise.all(refused.map(function (r) {
        var reason = typeof r[1] === "string" ? r[1] : r[1].reason;
        return self.keep(r[0], reason, typeof r[1] === "string" ? null : r[1]);
      })).then(function () { return self.forget(done); }).then(function () { return done.length > 0; });
    }, function () { if (self.net) self.net.reached(false); self.retryLater(); return false; })
      .then(function (more) {
        self.syncing = null;
        self.onchange();
        if (more && self.pending.length) return self.flush();
        self.wakeUp();
      }, function () { self.syncing = null; self.retryLater(); self.onchange(); });
    return this.syncing;
  };
  // An item may wait on the phone before it is sent (`not_before`, ms since the epoch: a
  // door's answer during its "Undo" seconds). It is stored at once, so a page closed
  // meanwhile keeps it; it goes out once its time has come, on this page or the next.
  function isDue(r, now) { return !r.not_before || r.not_before <= now; }
  Queue.prototype.wakeUp = function () {
    var self = this, now = Date.now();
    var next = this.pending.filter(function (r) { return !isDue(r, now); })
      .reduce(function (t, r) { return Math.min(t, r.not_before); }, Infinity);
    if (next === Infinity || this.timer) return;
    this.timer = setTimeout(function () { self.timer = null; self.flush(); }, next - now + 50);
  };
  Queue.prototype.retryLater = function () {
    var self = this;
    this.failures += 1;
    var pause = Math.min(LONGEST_PAUSE, FIRST_PAUSE * Math.pow(2, this.failures - 1));
    pause = pause * (0.8 + Math.random() * 0.4);  // phones of one team do not all come back at once
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.timer = null; if (!self.stopped) self.flush(); }, pause);
  };
  // Send soon (after a short pause, so that work done in a burst goes together).
  Queue.prototype.soon = function () {
    var self = this;
    if (this.timer || this.syncing) return;
    this.timer = setTimeout(function () { self.timer = null; self.flush(); }, 300);
  };

  // --- carrying over what older pages kept ---------------------------------------------------
  // Rows of an IndexedDB store of an older page (all of them, whoever they belong to), put in
  // this queue's store; the old database is then deleted. Only where the browser can list its
  // databases (opening one that does not exist would create it).
  function adoptDatabase(name, store) {
    if (!window.indexedDB || !indexedDB.databases) return Promise.resolve(0);
    return indexedDB.databases().then(function (dbs) {
      if (!dbs.some(function (d) { return d.name === name; })) return 0;
      return new Promise(function (resolve) {
        var req = indexedDB.open(name);
        req.onerror = function () { resolve([]); };
        req.onsuccess = function () {
          var db = req.result;
          if (!db.objectStoreNames.contains(store)) { db.close(); return resolve([]); }
          var get = db.transaction(store, "readonly").objectStore(store).getAll();
          get.onsuccess = function () { db.close(); resolve(get.result || []); };
          get.onerror = function () { db.close(); resolve([]); };
        };
      }).then(function (rows) {
        return putAll("items", rows).then(function () {
          indexedDB.deleteDatabase(name);
          return rows.length;
        });
      });
    });
  }

  // --- the online / offline badge ------------------------------------------------------------
  // One badge for the pages that queue work: "online" while the phone says so and the last
  // try to reach the server got an answer; "offline…" (warn) when the phone went offline or a
  // send or read failed on the network — until one gets through or the phone is back online.
  function netBadge(el, words) {
    var reachable = true;
    function online() { return navigator.onLine !== false && reachable; }
    function show() {
      if (!el) return;
      el.textContent = online() ? words.online : words.offline;
      el.classList.toggle("warn", !online());
    }
    window.addEventListener("online", function () { reachable = true; show(); });
    window.addEventListener("offline", show);
    show();
    return { show: show, online: online, reached: function (ok) { reachable = !!ok; show(); } };
  }

  function queue(opts) { return new Queue(opts); }
  queue.netBadge = netBadge;
  queue.LATER = LATER;
  queue.STOP = STOP;
  queue.adoptDatabase = adoptDatabase;
  // Whether the queue outlives the page (IndexedDB opened): only then may an older page's
  // copy be removed once carried over.
  queue.persistent = function () { return open().then(function (db) { return !!db; }); };
  window.Fangkong = window.Fangkong || {};
  window.Fangkong.queue = queue;
})();
