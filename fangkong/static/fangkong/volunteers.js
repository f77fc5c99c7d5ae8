// Volunteers: small enhancements (pages work without this file).
document.addEventListener("DOMContentLoaded", function () {
  // Print buttons on the QR posters.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  // The call form shows only the audience field that the chosen audience needs.
  var audience = document.getElementById("f-audience");
  if (audience) {
    var sync = function () {
      document.querySelectorAll("[data-audience]").forEach(function (el) {
        el.hidden = el.getAttribute("data-audience") !== audience.value;
      });
    };
    audience.addEventListener("change", sync);
    sync();
  }
});
