// A delivery run's checklist that works in a stairwell without signal: each door's tap is
// kept in this phone (localStorage, the station's queue pattern) with its client id and
// sent when there is a connection; the server answers a repeat of the same client id with
// the first confirmation, so sending twice never confirms twice. A refused door is kept
// with the server's reason. (Moves to static/fangkong/queue.js when that lands on main.)
(function () {
  var status = document.getElementById("run-status");
  if (!status) return;
  var KEY = "fk-run-" + status.getAttribute("data-run");
  var $ = function (id) { return document.getElementById(id); };
  var queue = [];
  try { queue = JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { queue = []; }
  var sending = false;

  function save() { localStorage.setItem(KEY, JSON.stringify(queue)); }
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var f = document.querySelector("input[name=csrfmiddlewaretoken]");
    return f ? f.value : "";
  }
  function mark(item, text, refused) {
    var li = $("stop-" + item.stop);
    if (!li) return;
    li.setAttribute("data-state", item.delivered ? "delivered" : "failed");
    var form = li.querySelector("form");
    if (form) form.remove();
    var badge = li.querySelector(".badge.state") || document.createElement("span");
    badge.className = "badge state" + (refused ? " warn" : "");
    badge.textContent = text;
    li.appendChild(badge);
  }
  function render() {
    var w = $("waiting");
    w.textContent = queue.filter(function (q) { return !q.refused; }).length;
    w.className = "badge" + (queue.length ? " warn" : " muted");
    queue.forEach(function (q) {
      mark(q, q.refused ? q.refused : ($(q.delivered ? "t-delivered" : "t-failed").textContent + " · " + $("t-unsent").textContent), !!q.refused);
    });
  }
  function send() {
    if (sending) return;
    var next = queue.filter(function (q) { return !q.refused; })[0];
    if (!next) return;
    sending = true;
    fetch("/api/v1/services/stops/" + next.stop + "/confirm", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify({ client_id: next.client_id, delivered: next.delivered, reason: next.reason || "" })
    }).then(function (resp) {
      return resp.json().then(function (d) { return { status: resp.status, data: d }; },
        function () { return { status: resp.status, data: {} }; });
    }).then(function (r) {
      sending = false;
      if (r.status === 200 || r.status === 201) {
        queue.splice(queue.indexOf(next), 1);
        mark(next, $(next.delivered ? "t-delivered" : "t-failed").textContent + (next.reason ? ": " + next.reason : ""));
      } else if (r.status >= 400 && r.status < 500 && r.status !== 429 && r.status !== 401) {
        next.refused = Fangkong.errorText(r.data, String(r.status));
      } else { save(); render(); return; }  // try again later
      save(); render(); send();
    }, function () { sending = false; render(); });
  }
  document.querySelectorAll(".door-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = e.submitter || form.querySelector("button[name=delivered]");
      var delivered = button.value === "1";
      var reason = (form.querySelector("input[name=reason]") || {}).value || "";
      if (!delivered && !reason.trim()) { alert($("t-reason").textContent); return; }
      var stop = form.querySelector("input[name=stop]").value;
      if (queue.some(function (q) { return q.stop === stop; })) return;
      queue.push({ stop: stop, client_id: Fangkong.uuid(), delivered: delivered, reason: reason.trim() });
      save(); render(); send();
    });
  });
  window.addEventListener("online", send);
  setInterval(send, 15000);
  render(); send();
})();
