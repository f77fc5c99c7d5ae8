// Small progressive enhancements (pages work without them), and the two helpers the
// station and door-to-door scripts share (`Fangkong.uuid`, `.row`, `.errorText`); base.html loads
// this file before any page script.
window.Fangkong = {
  // A client id for an event made on the phone (crypto.randomUUID where the browser has it).
  uuid: function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  },
  // The message of an API error answer ({error: {message, fields}}): the first field's
  // message if there is one, else the general one, else `fallback`.
  errorText: function (data, fallback) {
    if (data && data.error) {
      var f = data.error.fields || {};
      var first = Object.keys(f).length ? f[Object.keys(f)[0]][0] : "";
      return first || data.error.message || fallback;
    }
    return fallback;
  },
  // A list row: its text, and a small button `label` that runs `onClick`.
  row: function (text, label, onClick, className) {
    var li = document.createElement("li");
    li.className = "row" + (className ? " " + className : "");
    var span = document.createElement("span");
    span.className = "grow";
    span.textContent = text;
    var b = document.createElement("button");
    b.type = "button"; b.className = "btn small"; b.textContent = label;
    b.addEventListener("click", onClick);
    li.appendChild(span); li.appendChild(b);
    return li;
  }
};
document.addEventListener("DOMContentLoaded", function () {
  // Close the menu when tapping outside it.
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });
});
