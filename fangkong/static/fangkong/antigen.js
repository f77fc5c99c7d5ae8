// Antigen forms: each form gets a fresh client id when the page loads, so a form sent
// twice (a double tap, a retry after a timeout) is stored once.
(function () {
  "use strict";
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  document.querySelectorAll("input.client-id").forEach(function (el) { if (!el.value) el.value = uuid(); });
})();
