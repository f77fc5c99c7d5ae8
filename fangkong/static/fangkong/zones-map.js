/* The zones map: buildings and compounds from the page's GeoJSON, coloured by zone, each
   labelled with its name and zone; no tiles unless a tile URL is configured.
   The editor (staff who manage the place): choose a building, "start drawing", tap the
   corners of its outline (or its one point), undo, cancel, save: the form posts the
   GeoJSON geometry to the save action (zones_shape_save). Leaflet only, no plug-in. */
(function () {
  "use strict";
  var DEFAULT_VIEW = [37.87, 112.55];  /* Taiyuan: only if the page names no centre */

  /* Where a map with no outlines yet opens: the installation's FANGKONG_MAP_CENTER, handed
     over as the map element's data-center ("lat,lng", checked at start by the server). */
  function emptyView(el) {
    var at = (el.dataset.center || "").split(",").map(function (x) { return x.trim() === "" ? NaN : Number(x); });
    return at.length === 2 && isFinite(at[0]) && isFinite(at[1]) ? at : DEFAULT_VIEW;
  }

  function label(f, l) {
    var p = f.properties;
    var text = p.name + (p.zone ? " · " + p.zone : "");
    var lines = p.counts.map(function (c) { return c.zone + " " + c.households + "户 " + c.people + "人"; });
    var tip = document.createElement("span");
    tip.textContent = text;  /* names are text, never HTML */
    lines.forEach(function (line) {  /* the counts on the label itself: the printed map has no taps */
      var row = document.createElement("span");
      row.className = "map-count";
      row.textContent = line;
      tip.appendChild(row);
    });
    /* the zone's colour on the label itself, a bar at its side, and the label above its
       building, pointing at it: a centred label covered a small sealed block so only its
       orange neighbours showed at the opening zoom (walked 2026-12-07) */
    if (p.colour) { tip.style.setProperty("--zone", p.colour); }
    l.bindTooltip(tip, {permanent: true, direction: "top", offset: [0, -4], className: "map-label"});
    var box = document.createElement("div");
    box.textContent = [text].concat(lines).join(" / ");
    l.bindPopup(box);
  }

  /* Labels that would cover each other at this zoom (neighbouring buildings on a phone):
     a sealed place's label is never hidden (the printed notice must name every sealed
     building; two sealed neighbours may overlap), then the most severe zone's label stays,
     then buildings before compounds; a hidden one shows again when zoomed in, its building
     still answers a tap (the popup), and the table under the map names every zoned place. */
  function declutter(layer) {
    var labels = [];
    layer.eachLayer(function (l) {
      var t = l.getTooltip && l.getTooltip(), el = t && t.getElement();
      if (!el) { return; }
      el.style.visibility = "";
      var p = l.feature.properties;
      el.classList.toggle("map-sealed", !!p.sealed);
      labels.push({el: el, sealed: !!p.sealed,
                   rank: [p.sealed ? 0 : 1, -(p.severity || 0), p.kind === "compound" ? 1 : 0]});
    });
    labels.sort(function (a, b) { return a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.rank[2] - b.rank[2]; });
    var kept = [];
    labels.forEach(function (x) {
      var r = x.el.getBoundingClientRect();
      var hit = !x.sealed && kept.some(function (k) {
        return r.left < k.right && k.left < r.right && r.top < k.bottom && k.top < r.bottom;
      });
      if (hit) { x.el.style.visibility = "hidden"; } else { kept.push(r); }
    });
  }

  function editor(map, form, shown) {
    var start = document.getElementById("draw-start");
    if (!start) { return; }
    var tools = document.getElementById("draw-tools");
    var save = document.getElementById("draw-save");
    var hint = document.getElementById("draw-hint");
    var field = document.getElementById("f-geometry");
    var points = [], drawing = false, sketch = L.layerGroup().addTo(map);

    function kind() { return form.querySelector("input[name=shape]:checked").value; }
    function need() { return kind() === "point" ? 1 : 3; }
    function say() {
      if (!drawing) { hint.textContent = form.dataset.ready; return; }
      var base = kind() === "point" ? form.dataset.hintPoint : form.dataset.hintOutline;
      hint.textContent = kind() === "point" ? base : base + " " + form.dataset.count.replace("{n}", points.length);
    }
    function redraw() {
      sketch.clearLayers();
      var ll = points.map(function (p) { return [p[1], p[0]]; });
      if (kind() === "point" && ll.length) {
        L.circleMarker(ll[0], {radius: 12, color: "#0b5cad", weight: 3, fillOpacity: 0.3, interactive: false}).addTo(sketch);
      } else if (ll.length >= 3) {
        L.polygon(ll, {color: "#0b5cad", weight: 3, dashArray: "6 4", fillOpacity: 0.15, interactive: false}).addTo(sketch);
      } else if (ll.length === 2) {
        L.polyline(ll, {color: "#0b5cad", weight: 3, dashArray: "6 4", interactive: false}).addTo(sketch);
      }
      ll.forEach(function (at, i) {
        L.circleMarker(at, {radius: i === 0 ? 7 : 5, color: "#0b5cad", weight: 2, fillColor: "#fff",
                            fillOpacity: 1, interactive: false}).addTo(sketch);
      });
      save.disabled = points.length < need();
      document.getElementById("draw-undo").disabled = !points.length;
      say();
    }
    function stop() {
      drawing = false; points = []; sketch.clearLayers();
      start.hidden = false; tools.hidden = true; save.hidden = true; save.disabled = true;
      el(map).classList.remove("drawing");
      say();
    }
    function el(m) { return m.getContainer(); }

    start.addEventListener("click", function () {
      drawing = true; points = [];
      start.hidden = true; tools.hidden = false; save.hidden = false;
      el(map).classList.add("drawing");
      map.closePopup();
      redraw();
      el(map).scrollIntoView({block: "center"});
    });
    form.querySelectorAll("input[name=shape]").forEach(function (r) {
      r.addEventListener("change", function () { if (kind() === "point") { points = points.slice(-1); } redraw(); });
    });
    document.getElementById("draw-undo").addEventListener("click", function () { points.pop(); redraw(); });
    document.getElementById("draw-cancel").addEventListener("click", stop);
    map.on("click", function (e) {
      if (!drawing) { return; }
      map.closePopup();
      var at = [Math.round(e.latlng.lng * 1e7) / 1e7, Math.round(e.latlng.lat * 1e7) / 1e7];
      if (kind() === "point") { points = [at]; } else { points.push(at); }
      redraw();
    });
    form.addEventListener("submit", function (ev) {
      if (points.length < need()) { ev.preventDefault(); return; }
      var g = kind() === "point" ? {type: "Point", coordinates: points[0]}
        : {type: "Polygon", coordinates: [points.concat([points[0]])]};
      field.value = JSON.stringify(g);
      save.disabled = true;  /* one save per tap */
    });
    if (!shown) { say(); }
  }

  function start() {
    var el = document.getElementById("map");
    if (!el || !window.L) { return; }
    var map = L.map(el, {attributionControl: false, zoomSnap: 0.25});
    L.control.scale({imperial: false}).addTo(map);
    if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, {maxZoom: 20}).addTo(map); }
    var form = document.getElementById("draw");
    fetch(el.dataset.src, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
      if (!data.features.length) {
        map.setView(emptyView(el), 17);
        el.insertAdjacentHTML("afterend", "<p class=\"empty\"></p>");
        el.nextElementSibling.textContent = el.dataset.empty;
      } else {
        var layer = L.geoJSON(data, {
          /* a sealed block: a thick black outline too, told from a controlled (orange) one
             without the colour (a grey printout, a dim phone) */
          style: function (f) {
            return {color: f.properties.sealed ? "#000" : "#333", weight: f.properties.sealed ? 3 : 1,
                    fillColor: f.properties.colour, fillOpacity: 0.75};
          },
          pointToLayer: function (f, at) {
            return L.circleMarker(at, {radius: 12, color: "#333", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.85});
          },
          onEachFeature: label
        }).addTo(map);
        map.on("zoomend moveend", function () { declutter(layer); });
        map.fitBounds(layer.getBounds(), {padding: [20, 20], maxZoom: 19});
        declutter(layer);
        /* printed as the notice's attachment: the map is taller on paper; redraw it to fit */
        var fit = function () { map.invalidateSize(); map.fitBounds(layer.getBounds(), {padding: [20, 20], maxZoom: 19, animate: false}); declutter(layer); };
        window.addEventListener("beforeprint", fit);
        window.addEventListener("afterprint", fit);
      }
      el.dataset.ready = "1";
      if (form) { editor(map, form, true); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
