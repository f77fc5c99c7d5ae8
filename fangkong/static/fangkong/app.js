// Small progressive enhancements; pages work without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Close the menu when tapping outside it.
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });
});
