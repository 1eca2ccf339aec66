// The case form's map: click to place the case point (longitude and latitude fields).
// Without JavaScript the form still works: type a house number, or the coordinates.
(function () {
  "use strict";
  function field(name) { return document.querySelector("[name=\"" + name + "\"]"); }
  function start() {
    var element = document.getElementById("case-map");
    var lon = field("lon"), lat = field("lat"), building = field("building");
    if (!element || !lon || !lat || typeof L === "undefined") { return; }
    element.hidden = false;
    var map = L.map(element, {attributionControl: false});
    window.mueangCaseMap = map;
    var boundary = JSON.parse(document.getElementById("case-map-boundary").textContent);
    var outline = L.geoJSON(boundary, {style: {color: "#555", weight: 2, fill: false}}).addTo(map);
    map.fitBounds(outline.getBounds());
    var current = JSON.parse(document.getElementById("case-map-point").textContent);
    if (current) {
      // The case's point now: kept unless a new one is clicked.
      L.circleMarker([current[1], current[0]], {radius: 6, className: "case-form-current"}).addTo(map);
      map.setView([current[1], current[0]], 16);
    }
    var marker = null;
    function place(latitude, longitude) {
      lat.value = latitude.toFixed(6);
      lon.value = longitude.toFixed(6);
      if (marker) { marker.setLatLng([latitude, longitude]); }
      else { marker = L.circleMarker([latitude, longitude], {radius: 8, className: "case-form-point"}).addTo(map); }
    }
    map.on("click", function (event) {
      place(event.latlng.lat, event.latlng.lng);
      if (building) { building.value = ""; }
    });
    if (lat.value && lon.value) {
      place(parseFloat(lat.value), parseFloat(lon.value));
      map.setView([parseFloat(lat.value), parseFloat(lon.value)], 16);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
