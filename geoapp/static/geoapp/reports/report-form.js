// The report form's pin: tap the map, or use the device's location with its accuracy.
// Nothing is sent anywhere but this form; the map draws only Mueang's own files.
(function () {
  "use strict";
  function field(name) { return document.querySelector("[name=\"" + name + "\"]"); }
  function start() {
    var map = window.mueangReportMap;
    var lat = field("latitude"), lon = field("longitude");
    var source = field("location_source"), accuracy = field("accuracy_m");
    var status = document.getElementById("report-location-status");
    if (!map || !lat || !lon) { return; }
    var marker = null, circle = null;
    function place(latitude, longitude, metres, from) {
      lat.value = latitude.toFixed(6);
      lon.value = longitude.toFixed(6);
      source.value = from;
      accuracy.value = metres === null ? "" : Math.round(metres);
      var where = [latitude, longitude];
      if (marker) { marker.setLatLng(where); } else { marker = L.marker(where).addTo(map); }
      if (circle) { map.removeLayer(circle); circle = null; }
      if (metres !== null) { circle = L.circle(where, {radius: metres, weight: 1}).addTo(map); }
      if (status) { status.textContent = status.dataset[from === "gps" ? "gps" : "pin"]; }
    }
    map.on("click", function (event) { place(event.latlng.lat, event.latlng.lng, null, "pin"); });
    if (lat.value && lon.value) {
      place(parseFloat(lat.value), parseFloat(lon.value), null, source.value || "pin");
    }
    var button = document.getElementById("report-use-gps");
    if (button && navigator.geolocation) {
      button.hidden = false;
      button.addEventListener("click", function () {
        button.disabled = true;
        navigator.geolocation.getCurrentPosition(function (position) {
          button.disabled = false;
          place(position.coords.latitude, position.coords.longitude, position.coords.accuracy, "gps");
          map.setView([position.coords.latitude, position.coords.longitude], 18);
        }, function () {
          button.disabled = false;
          if (status) { status.textContent = status.dataset.failed; }
        }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 0});
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
