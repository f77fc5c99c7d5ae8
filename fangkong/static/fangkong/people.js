// The people page: the place list offers only the places where the chosen role sits (a
// grid worker: the grids; a building leader: the buildings). A role for the whole
// community (staff, volunteer, supplier) with one community to choose gets it chosen;
// a grid or a building is never chosen for the person. The server checks it all the same.
document.addEventListener("DOMContentLoaded", function () {
  var role = document.getElementById("p-role"), place = document.getElementById("p-place");
  if (!role || !place) return;
  var PART = { grid: true, leader: true };
  function fit() {
    var r = role.value, fits = [];
    place.querySelectorAll("option[data-roles]").forEach(function (o) {
      var ok = !r || o.dataset.roles.split(" ").indexOf(r) >= 0;
      o.hidden = !ok; o.disabled = !ok;
      if (ok) fits.push(o);
    });
    place.querySelectorAll("optgroup").forEach(function (g) {
      g.hidden = !g.querySelector("option:not([hidden])");
    });
    var chosen = place.selectedOptions[0];
    if (chosen && chosen.disabled) place.value = "";
    if (r && !place.value && fits.length === 1 && !PART[r]) place.value = fits[0].value;
  }
  role.addEventListener("change", fit);
  fit();
});
