/* The zones map: buildings and compounds from the page's GeoJSON, coloured by zone, each
   labelled with its name and zone; no tiles unless a tile URL is configured. */
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("map");
    if (!el || !window.L) { return; }
    var map = L.map(el, {attributionControl: false, zoomSnap: 0.25});
    if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, {maxZoom: 20}).addTo(map); }
    fetch(el.dataset.src, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
      if (!data.features.length) {
        map.setView([37.87, 112.55], 15);
        el.insertAdjacentHTML("afterend", "<p class=\"empty\"></p>");
        el.nextElementSibling.textContent = el.dataset.empty;
        return;
      }
      var layer = L.geoJSON(data, {
        style: function (f) { return {color: "#333", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.75}; },
        pointToLayer: function (f, at) {
          return L.circleMarker(at, {radius: 12, color: "#333", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.85});
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          var text = p.name + (p.zone ? " · " + p.zone : "");
          var lines = p.counts.map(function (c) { return c.zone + " " + c.households + "户 " + c.people + "人"; });
          var label = document.createElement("span");
          label.textContent = text;  /* names are text, never HTML */
          l.bindTooltip(label, {permanent: true, direction: "center", className: "map-label"});
          var box = document.createElement("div");
          box.textContent = [text].concat(lines).join(" / ");
          l.bindPopup(box);
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), {padding: [20, 20], maxZoom: 19});
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
