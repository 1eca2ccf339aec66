// Opens the city map at one feature with its popup, for links such as the search results':
// /m/<code>/map/?layer=landmarks&feature=123. Loaded after Leaflet and before the map's own
// script, it notes every map and GeoJSON layer as they are made; once the page has loaded it
// finds the feature (by the layer's class and the feature's database id), switches its layer on
// if it was hidden, fits the map to it and opens its popup as a click would. A feature the page
// does not hold (roads of a large town come as vector tiles) is read from the Features API
// (same session, same rights) and drawn as an outline with its names.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var layerName = params.get("layer");
  var featureId = params.get("feature");
  var CLASSES = {
    landmarks: "mueang-landmark",
    roads: "mueang-road",
    subdistricts: "mueang-subdistrict",
    cases: "mueang-case"
  };
  if (!window.L || !CLASSES[layerName] || !/^[0-9]{1,18}$/.test(featureId || "")) { return; }
  var maps = [];
  var groups = [];
  L.Map.addInitHook(function () { maps.push(this); });
  L.GeoJSON.addInitHook(function () { groups.push(this); });

  function find() {
    var found = null;
    groups.forEach(function (group) {
      group.eachLayer(function (layer) {
        if (!found && layer.feature && String(layer.feature.id) === featureId &&
            layer.options.className === CLASSES[layerName]) {
          found = {group: group, layer: layer};
        }
      });
    });
    return found;
  }

  function mark(focused) {
    document.querySelector(".mueang-map-frame").setAttribute("data-focused-feature", focused);
  }

  function popupOf(properties) {
    var box = document.createElement("div");
    ["name_th", "name_en"].forEach(function (name) {
      if (!properties[name]) { return; }
      var line = document.createElement("div");
      line.textContent = properties[name];
      box.appendChild(line);
    });
    return box;
  }

  function focusFromApi(map) {
    var code = window.location.pathname.split("/")[2];
    var url = "/api/collections/" + encodeURIComponent(code + "." + layerName) + "/items/" +
      featureId;
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/geo+json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (feature) {
        if (!feature || !feature.geometry) { return; }
        var outline = L.geoJSON(feature, {
          style: {color: "#000000", weight: 6, opacity: 0.8, className: "mueang-focus"},
          pointToLayer: function (_f, latlng) { return L.circleMarker(latlng, {radius: 9}); }
        }).addTo(map);
        map.fitBounds(outline.getBounds(), {maxZoom: 18, padding: [40, 40]});
        outline.bindPopup(popupOf(feature.properties || {})).openPopup();
        mark(featureId);
      });
  }

  function focus() {
    var map = maps[0];
    if (!map) { return; }
    var hit = find();
    if (!hit) { focusFromApi(map); return; }
    if (!map.hasLayer(hit.group)) { map.addLayer(hit.group); }
    var layer = hit.layer;
    var at;
    if (layer.getLatLng) {
      at = layer.getLatLng();
      map.setView(at, Math.max(map.getZoom(), 17));
    } else {
      map.fitBounds(layer.getBounds(), {maxZoom: 18, padding: [40, 40]});
      at = layer.getCenter();
    }
    mark(featureId);
    // The popup is bound to the layer group: a click on the feature, passed up to the group,
    // opens it with this feature's properties.
    layer.fire("click", {latlng: at}, true);
  }

  window.addEventListener("load", focus);
})();
