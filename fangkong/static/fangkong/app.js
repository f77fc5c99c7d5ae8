// Small progressive enhancements (pages work without them), and the helpers the
// station and door-to-door scripts share (`Fangkong.uuid`, `.row`, `.errorText`, `.shrinkPhoto`); base.html loads
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
  // A phone's photo made smaller before it is sent (the antigen cassette, a door): a file
  // over 700 KB is redrawn at most 1600 px on its long side as a JPEG (plenty to read a
  // cassette or see a bag at a door; a phone's photo is often over the server's 5 MB).
  // Resolves to a File named like the original with .jpg, or the original file when it is
  // small, cannot be read here, or would not get smaller. The server checks it all the same.
  SMALL_PHOTO: 700 * 1024, PHOTO_SIDE: 1600,
  shrinkPhoto: function (file) {
    var F = window.Fangkong;
    if (!file || file.size <= F.SMALL_PHOTO || !window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, F.PHOTO_SIDE / Math.max(bmp.width, bmp.height));
      var c = document.createElement("canvas");
      c.width = Math.round(bmp.width * scale); c.height = Math.round(bmp.height * scale);
      c.getContext("2d").drawImage(bmp, 0, 0, c.width, c.height);
      if (bmp.close) bmp.close();
      return new Promise(function (resolve) {
        c.toBlob(function (b) {
          if (!b || b.size >= file.size) { resolve(file); return; }
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([b], name, { type: "image/jpeg" }));
        }, "image/jpeg", 0.82);
      });
    }).catch(function () { return file; });
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
  // htmx's reads (the menu's unread count every minute, a page's parts kept fresh) are not
  // tried while the phone is offline (a stairwell; the delivery run's page stays open
  // there): each try only failed, with errors in the console. The next one online reads.
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (navigator.onLine === false) e.preventDefault();
  });
  // Close the menu when tapping outside it.
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });
});
