/*
 * The city map's edit tools (editors of infrastructure only: the page adds this script, and the
 * config it reads, for them alone). Leaflet-Geoman draws, moves and reshapes; the features of
 * the chosen layer near the view are loaded as GeoJSON (vector tiles cannot be edited or
 * snapped to), with roads as a snapping guide. Every save names the version it edits
 * (If-Match); right after a save the panel offers "undo", which restores the version before
 * through the feature's history. Texts come translated from the page (#mueang-edit-config).
 */
(function () {
  "use strict";

  var configNode = document.getElementById("mueang-edit-config");
  if (!configNode || !window.mueangMap || !window.L || !L.PM) {
    return;
  }
  var config = JSON.parse(configNode.dataset.config);
  var text = config.labels;
  var map = window.mueangMap.map;
  var state = {
    layerName: Object.keys(config.layers)[0],
    editable: null,
    guide: null,
    selected: null, // {layer, id (null: new), etag}
    undo: null, // {id, last, layerName}
    loading: 0,
  };

  L.PM.setOptIn(true); // only the edit tools' own layers are editable or snapped to
  if (!map.pm) {
    map.pm = new L.PM.Map(map); // the map was made before Geoman loaded
  }
  map.pm.setGlobalOptions({
    snappable: true,
    snapDistance: 20,
    // Drawn features must opt in too, or Geoman would not let them be edited after drawing.
    markerStyle: { icon: markerIcon(), pmIgnore: false, snapIgnore: false },
    pathOptions: {
      color: "#c2185b",
      weight: 4,
      className: "mueang-edit-shape",
      pmIgnore: false,
      snapIgnore: false,
    },
  });

  function markerIcon() {
    return L.divIcon({ className: "mueang-edit-marker", iconSize: [18, 18] });
  }

  // --- The panel ----------------------------------------------------------------------------

  var panel = L.DomUtil.create("div", "mueang-edit-panel leaflet-bar");
  L.DomEvent.disableClickPropagation(panel);
  L.DomEvent.disableScrollPropagation(panel);
  var toggle = element(panel, "button", "mueang-edit-toggle", text.edit);
  toggle.type = "button";
  var body = element(panel, "div", "mueang-edit-body");
  body.hidden = true;
  var chooser = element(body, "label", "mueang-edit-layer", text.layer + " ");
  var select = element(chooser, "select");
  Object.keys(config.layers).forEach(function (name) {
    var option = element(select, "option", "", config.layers[name].label);
    option.value = name;
  });
  var status = element(body, "p", "mueang-edit-status");
  status.setAttribute("role", "status");
  var form = element(body, "form", "mueang-edit-form");
  form.hidden = true;
  var undoBox = element(body, "p", "mueang-edit-undo");
  undoBox.hidden = true;

  var Panel = L.Control.extend({
    options: { position: "topright" },
    onAdd: function () {
      return panel;
    },
  });
  new Panel().addTo(map);

  function element(parent, tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content) {
      node.textContent = content;
    }
    parent.appendChild(node);
    return node;
  }

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("mueang-edit-error", Boolean(isError));
  }

  toggle.addEventListener("click", function () {
    if (body.hidden) {
      start();
    } else {
      stop();
    }
  });
  select.addEventListener("change", function () {
    deselect();
    state.layerName = select.value;
    drawTools();
    load();
  });

  function start() {
    // The map's other layers stop taking clicks (popups), so clicks draw and choose; a popup
    // already open (a search result opens one) would cover the feature to edit: close it.
    map.closePopup();
    map.getContainer().classList.add("mueang-editing");
    body.hidden = false;
    toggle.textContent = text.stop;
    toggle.setAttribute("aria-expanded", "true");
    drawTools();
    load();
    map.on("moveend", load);
  }

  function stop() {
    deselect();
    map.off("moveend", load);
    map.pm.removeControls();
    [state.editable, state.guide].forEach(function (group) {
      if (group) {
        map.removeLayer(group);
      }
    });
    state.editable = state.guide = null;
    map.getContainer().classList.remove("mueang-editing");
    body.hidden = true;
    toggle.textContent = text.edit;
    toggle.setAttribute("aria-expanded", "false");
  }

  function drawTools() {
    var geometry = config.layers[state.layerName].geometry;
    map.pm.removeControls();
    map.pm.addControls({
      position: "topleft",
      drawMarker: geometry === "Point",
      drawPolyline: geometry === "MultiLineString",
      drawPolygon: geometry === "MultiPolygon",
      drawCircleMarker: false,
      drawCircle: false,
      drawRectangle: false,
      drawText: false,
      editMode: false,
      dragMode: false,
      cutPolygon: false,
      removalMode: false,
      rotateMode: false,
    });
  }

  // --- Loading the features near the view ---------------------------------------------------

  function bboxParam() {
    var b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (v) {
        return v.toFixed(6);
      })
      .join(",");
  }

  function load() {
    if (state.selected) {
      return; // the feature being edited stays as it is until saved or cancelled
    }
    if (map.getZoom() < config.min_zoom) {
      say(text.zoom_in);
      return;
    }
    var layerName = state.layerName;
    var wanted = [fetchItems(layerName)];
    if (layerName !== "roads" && config.layers.roads) {
      wanted.push(fetchItems("roads"));
    }
    state.loading += 1;
    say(text.loading);
    Promise.all(wanted)
      .then(function (answers) {
        if (layerName !== state.layerName || state.selected) {
          return;
        }
        showEditable(answers[0]);
        showGuide(answers[1] || null);
        say(answers[0].truncated ? text.truncated : text.pick);
        map.fire("mueang:edit-loaded");
      })
      .catch(function (error) {
        say(error.message, true);
      })
      .finally(function () {
        state.loading -= 1;
      });
  }

  function fetchItems(layerName) {
    var url = config.layers[layerName].items_url + "?bbox=" + bboxParam();
    return request("GET", url).then(function (answer) {
      if (!answer.ok) {
        throw new Error(answer.body.description);
      }
      return answer.body;
    });
  }

  function showEditable(collection) {
    if (state.editable) {
      map.removeLayer(state.editable);
    }
    state.editable = L.geoJSON(collection, {
      pmIgnore: false,
      snapIgnore: false,
      className: "mueang-edit-shape",
      style: function () {
        return { color: "#c2185b", weight: 4 };
      },
      pointToLayer: function (feature, latlng) {
        return L.marker(latlng, { icon: markerIcon(), pmIgnore: false, snapIgnore: false });
      },
      onEachFeature: function (feature, layer) {
        layer.featureId = feature.id;
        layer.etag = feature.etag;
        layer.properties = feature.properties;
        layer.on("click", function (event) {
          if (map.pm.globalDrawModeEnabled()) {
            return; // a click while drawing places a vertex (snapped to this shape), no more
          }
          L.DomEvent.stop(event);
          choose(layer);
        });
        layer.on("add", function () {
          var node = layer.getElement && layer.getElement();
          if (node) {
            node.setAttribute("data-feature-id", feature.id);
          }
        });
      },
    }).addTo(map);
  }

  function showGuide(collection) {
    if (state.guide) {
      map.removeLayer(state.guide);
      state.guide = null;
    }
    if (collection) {
      state.guide = L.geoJSON(collection, {
        pmIgnore: true,
        snapIgnore: false,
        interactive: false,
        style: function () {
          return { color: "#777", weight: 2, dashArray: "4 4" };
        },
      }).addTo(map);
    }
  }

  // --- Choosing, the attribute form ---------------------------------------------------------

  map.on("pm:create", function (event) {
    map.pm.disableDraw(); // one feature at a time: it is saved (or cancelled) first
    deselect();
    var layer = event.layer;
    layer.featureId = null;
    layer.etag = null;
    layer.properties = {};
    if (state.editable) {
      state.editable.addLayer(layer);
    }
    choose(layer);
  });

  function choose(layer) {
    if (state.selected && state.selected.layer === layer) {
      return;
    }
    deselect();
    state.selected = { layer: layer, id: layer.featureId };
    if (layer.pm) {
      layer.pm.enable({ snappable: true, draggable: true });
    }
    fillForm(layer);
  }

  function deselect() {
    var selected = state.selected;
    state.selected = null;
    form.hidden = true;
    form.textContent = "";
    if (selected && selected.layer.pm) {
      selected.layer.pm.disable();
    }
    if (selected && selected.id === null && state.editable) {
      state.editable.removeLayer(selected.layer); // a drawn feature never saved
    }
  }

  function fillForm(layer) {
    form.textContent = "";
    form.hidden = false;
    var layerConfig = config.layers[state.layerName];
    var title = layer.featureId ? layerConfig.label + " #" + layer.featureId : text.new_feature;
    element(form, "h2", "mueang-edit-title", title);
    layerConfig.fields.forEach(function (field) {
      var label = element(form, "label", "mueang-edit-field");
      element(label, "span", "", field.label);
      label.appendChild(input(field, layer.properties[field.name]));
    });
    var actions = element(form, "p", "mueang-edit-actions");
    var save = element(actions, "button", "mueang-edit-save", text.save);
    save.type = "submit";
    var cancel = element(actions, "button", "mueang-edit-cancel", text.cancel);
    cancel.type = "button";
    cancel.addEventListener("click", function () {
      reloadAfter(null);
    });
    if (layer.featureId) {
      var remove = element(actions, "button", "mueang-edit-delete", text.delete);
      remove.type = "button";
      remove.addEventListener("click", function () {
        if (remove.dataset.armed) {
          send("DELETE", layer, null);
        } else {
          remove.dataset.armed = "1";
          remove.textContent = text.confirm_delete;
        }
      });
    }
  }

  function input(field, value) {
    var node;
    if (field.choices) {
      node = document.createElement("select");
      field.choices.forEach(function (choice) {
        var option = element(node, "option", "", choice[1]);
        option.value = choice[0];
      });
    } else {
      node = document.createElement("input");
      node.type = field.kind === "number" ? "number" : "text";
      if (field.max_length) {
        node.maxLength = field.max_length;
      }
      if (field.kind === "number") {
        node.min = "0";
        node.step = "1";
      }
    }
    node.name = field.name;
    node.value = value === null || value === undefined ? (field.default || "") : value;
    return node;
  }

  function formValues() {
    var values = {};
    config.layers[state.layerName].fields.forEach(function (field) {
      var raw = form.elements[field.name].value;
      values[field.name] = field.kind === "number" ? (raw === "" ? null : Number(raw)) : raw;
    });
    return values;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var selected = state.selected;
    if (selected) {
      send(selected.id ? "PUT" : "POST", selected.layer, formValues());
    }
  });

  // --- Saving, deleting, undoing ------------------------------------------------------------

  function send(method, layer, properties) {
    var layerName = state.layerName;
    var items = config.layers[layerName].items_url;
    var url = method === "POST" ? items : items + "/" + layer.featureId;
    var payload =
      method === "DELETE"
        ? null
        : { type: "Feature", geometry: layer.toGeoJSON(7).geometry, properties: properties };
    say(text.saving);
    request(method, url, payload, layer.etag).then(function (answer) {
      if (!answer.ok) {
        say(text.failed + " " + answer.body.description, true);
        return;
      }
      offerUndo(layerName, answer.body, method === "DELETE" ? text.deleted : text.saved);
      reloadAfter(answer.body);
    });
  }

  function offerUndo(layerName, saved, message) {
    state.undo = { id: saved.id, last: saved.last_entry, layerName: layerName };
    undoBox.textContent = "";
    undoBox.hidden = false;
    element(undoBox, "span", "mueang-edit-saved", message + " ");
    var undo = element(undoBox, "button", "mueang-edit-undo-button", text.undo);
    undo.type = "button";
    undo.addEventListener("click", runUndo);
    if (saved.history_url) {
      var link = element(undoBox, "a", "mueang-edit-history", text.history);
      link.href = saved.history_url;
    }
  }

  function runUndo() {
    var undo = state.undo;
    if (!undo) {
      return;
    }
    var url = config.layers[undo.layerName].items_url + "/" + undo.id + "/undo";
    request("POST", url, { last: undo.last }).then(function (answer) {
      state.undo = null;
      undoBox.textContent = "";
      if (!answer.ok) {
        say(text.failed + " " + answer.body.description, true);
        return;
      }
      element(undoBox, "span", "mueang-edit-undone", text.undone + " ");
      if (answer.body.history_url) {
        var link = element(undoBox, "a", "mueang-edit-history", text.history);
        link.href = answer.body.history_url;
      }
      reloadAfter(answer.body);
    });
  }

  function reloadAfter(saved) {
    deselect();
    if (saved) {
      map.fire("mueang:edit-saved", { saved: saved });
    }
    load();
  }

  function request(method, url, payload, etag) {
    var headers = { Accept: "application/json", "X-CSRFToken": config.csrf_token };
    if (payload) {
      headers["Content-Type"] = "application/geo+json";
    }
    if (etag) {
      headers["If-Match"] = etag;
    }
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: payload ? JSON.stringify(payload) : undefined,
    }).then(function (response) {
      return response.json().then(
        function (body) {
          return { ok: response.ok, status: response.status, body: body };
        },
        function () {
          return { ok: false, status: response.status, body: { description: text.unreadable } };
        }
      );
    });
  }
})();
