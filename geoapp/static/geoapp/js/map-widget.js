// Starts Django's OpenLayers map widgets from JSON options (no inline script: the CSP forbids it).
// Without a configured basemap the widget draws on a blank layer: nothing is fetched elsewhere.
(function () {
  "use strict";
  function baseLayer(options) {
    if (options.basemap_url) {
      return new ol.layer.Tile({
        source: new ol.source.XYZ({url: options.basemap_url, attributions: options.basemap_attribution})
      });
    }
    return new ol.layer.Vector({source: new ol.source.Vector()});
  }
  function start() {
    document.querySelectorAll("div.dj_map_wrapper > script[type=\"application/json\"]").forEach(function (node) {
      if (node.dataset.started) { return; }
      node.dataset.started = "1";
      var options = JSON.parse(node.textContent);
      options.base_layer = baseLayer(options);
      window["geodjango_" + options.name.replace(/-/g, "_")] = new MapWidget(options);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
