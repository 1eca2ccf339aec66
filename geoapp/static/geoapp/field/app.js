/* Mueang field app: larval surveys and spray rounds offline, sent by an outbox in IndexedDB.
 *
 * Nothing lost, nothing doubled (decision 0019):
 * - every record is written to IndexedDB first ("records" and "outbox"), then sent by this page
 *   itself: when the page opens, on the "online" event, after each save and on a timer with
 *   backoff. No Background Sync (Safari has none; FIELD.md pain point 3).
 * - every outbox entry keeps its Idempotency-Key until the server has answered, so a retry after
 *   a dropped connection or a reload is a replay the server recognises.
 * - an entry the server refuses stays, marked with the reasons, and the others go on; the
 *   volunteer fixes or removes it. The unsent count is always on screen; logout and leaving the
 *   page warn while it is not zero.
 */
(function () {
  "use strict";

  const body = document.body;
  const CODE = body.dataset.code;
  const VERSION = body.dataset.version;
  const API = new URL(body.dataset.api, location.href).pathname; // .../field/api/
  const T = document.getElementById("messages").dataset;
  const BACKOFF_MAX_MS = 5 * 60 * 1000;
  const POLL_MS = 30 * 1000;

  const state = {
    db: null,
    boot: null,
    sending: false,
    failures: 0,
    timer: null,
    house: null,
    editing: null,
    photos: [],
    map: null,
    layer: null,
    registration: null,
  };

  // --- Storage --------------------------------------------------------------------------------

  async function openDb() {
    return idb.openDB("mueang-field-" + CODE, 1, {
      upgrade(db) {
        db.createObjectStore("meta");
        db.createObjectStore("records", {keyPath: "client_uuid"});
        const outbox = db.createObjectStore("outbox", {keyPath: "id", autoIncrement: true});
        outbox.createIndex("uuid", "uuid");
      },
    });
  }

  function uuid4() {
    return crypto.randomUUID();
  }

  async function outboxAll() {
    return state.db.getAll("outbox");
  }

  async function showCount() {
    const n = await state.db.count("outbox");
    document.querySelector("#outbox-count [data-count]").textContent = String(n);
    document.getElementById("outbox-count").classList.toggle("pending", n > 0);
    return n;
  }

  // --- Bootstrap (what the phone keeps for offline work) ---------------------------------------

  async function bootstrap() {
    let boot = await state.db.get("meta", "boot");
    if (navigator.onLine) {
      try {
        const response = await fetch(API + "bootstrap/", {credentials: "same-origin", redirect: "manual"});
        if (response.ok) {
          boot = await response.json();
          await state.db.put("meta", boot, "boot");
          await mergeServerSurveys(boot.surveys || []);
        } else if (response.type === "opaqueredirect") {
          notice(T.login);
        }
      } catch (error) {
        /* offline: the kept copy serves */
      }
    }
    state.boot = boot;
    return boot;
  }

  async function mergeServerSurveys(surveys) {
    const tx = state.db.transaction(["records", "outbox"], "readwrite");
    const pending = new Set((await tx.objectStore("outbox").getAll()).map((e) => e.uuid));
    for (const survey of surveys) {
      if (pending.has(survey.client_uuid)) continue; // the phone's own edit waits to be sent
      await tx.objectStore("records").put({...survey, kind: "survey", base_version: survey.version});
    }
    await tx.done;
  }

  // --- Sending ----------------------------------------------------------------------------------

  function headersFor(entry) {
    const headers = {"Idempotency-Key": entry.key, "X-CSRFToken": (state.boot && state.boot.csrf_token) || ""};
    if (entry.kind !== "photo") headers["Content-Type"] = "application/json";
    else headers["Content-Type"] = "image/jpeg";
    return headers;
  }

  async function sendOne(entry) {
    const response = await fetch(entry.url, {
      method: entry.method,
      body: entry.body,
      headers: headersFor(entry),
      credentials: "same-origin",
      redirect: "manual",
    });
    if (response.type === "opaqueredirect" || response.status === 401) return {login: true};
    let answer = {};
    try {
      answer = await response.json();
    } catch (error) {
      answer = {};
    }
    return {status: response.status, answer};
  }

  async function settle(entry, result) {
    const {status, answer} = result;
    if (status === 201 || status === 200 || (status === 409 && answer.status === "conflict")) {
      const tx = state.db.transaction(["outbox", "records"], "readwrite");
      await tx.objectStore("outbox").delete(entry.id);
      if (entry.kind !== "photo") {
        const record = await tx.objectStore("records").get(entry.uuid);
        if (record && record.pending_key === entry.key) {
          record.pending_key = null;
          record.sent = true;
          record.conflict = answer.status === "conflict";
          if (answer.version && answer.status !== "conflict") {
            record.version = answer.version;
            record.base_version = answer.version;
          }
          await tx.objectStore("records").put(record);
        }
      }
      await tx.done;
      return "done";
    }
    if (status === 409) return "later"; // a photo whose survey has not arrived yet
    if (status === 403 && !answer.status) {
      await bootstrap(); // a CSRF token out of date: fetch a fresh one, then try again
      return "later";
    }
    if (status >= 500) return "retry";
    entry.state = "error";
    entry.error = Object.values(answer.errors || {}).flat().join(" ") || "HTTP " + status;
    await state.db.put("outbox", entry);
    return "refused";
  }

  async function flush() {
    if (state.sending) return;
    state.sending = true;
    let networkFailed = false;
    try {
      const entries = (await outboxAll()).filter((e) => e.state !== "error");
      for (const entry of entries) {
        let result;
        try {
          result = await sendOne(entry);
        } catch (error) {
          networkFailed = true; // dropped connection: keep the entry and its key, try later
          break;
        }
        if (result.login) {
          notice(T.login);
          networkFailed = true;
          break;
        }
        const outcome = await settle(entry, result);
        if (outcome === "retry") {
          networkFailed = true;
          break;
        }
      }
    } finally {
      state.sending = false;
    }
    state.failures = networkFailed ? state.failures + 1 : 0;
    await render();
    schedule();
  }

  function schedule() {
    clearTimeout(state.timer);
    const delay = state.failures
      ? Math.min(BACKOFF_MAX_MS, 2000 * 2 ** (state.failures - 1))
      : POLL_MS;
    state.timer = setTimeout(async () => {
      if ((await state.db.count("outbox")) > 0) flush();
      else schedule();
    }, delay);
  }

  // --- Records ----------------------------------------------------------------------------------

  async function queue(kind, record, url, payload) {
    // One pending send per record: a newer edit replaces the older unsent one (with a new key).
    const key = "k-" + uuid4();
    const tx = state.db.transaction(["outbox", "records"], "readwrite");
    const outbox = tx.objectStore("outbox");
    for (const old of await outbox.index("uuid").getAll(record.client_uuid)) {
      if (old.kind === kind) await outbox.delete(old.id);
    }
    await outbox.add({
      kind,
      uuid: record.client_uuid,
      url,
      method: "POST",
      body: JSON.stringify(payload),
      key,
      state: "pending",
      created: Date.now(),
    });
    await tx.objectStore("records").put({...record, kind, pending_key: key, sent: false});
    await tx.done;
  }

  async function queuePhoto(surveyUuid, blob) {
    const id = uuid4();
    await state.db.add("outbox", {
      kind: "photo",
      uuid: id,
      survey_uuid: surveyUuid,
      url: API + "photos/" + id + "/?survey=" + surveyUuid,
      method: "PUT",
      body: blob,
      size: blob.size,
      key: "k-" + uuid4(),
      state: "pending",
      created: Date.now(),
    });
  }

  // --- Photos: resized on the phone (photo.js) ------------------------------------------------

  function resize(file) {
    return window.mueangPhoto.resize(file);
  }

  // --- Survey form --------------------------------------------------------------------------------

  function houseLabel(house) {
    return house.label || "#" + house.id;
  }

  function containerRows(existing) {
    const counts = {};
    for (const row of (existing && existing.containers) || []) {
      counts[row.type + ":" + row.location] = row;
    }
    const rows = document.getElementById("container-rows");
    rows.textContent = "";
    for (const type of state.boot.container_types) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = type.name_th;
      tr.append(th);
      for (const location of ["indoor", "outdoor"]) {
        const row = counts[type.number + ":" + location] || {containers: 0, positive: 0};
        for (const field of ["containers", "positive"]) {
          const td = document.createElement("td");
          const input = document.createElement("input");
          input.type = "number";
          input.inputMode = "numeric";
          input.min = "0";
          input.max = "10000";
          input.name = `c-${type.number}-${location}-${field}`;
          input.value = row[field] ? String(row[field]) : "";
          input.placeholder = "0";
          input.setAttribute("aria-label", `${type.name_th} ${location} ${field}`);
          td.append(input);
          tr.append(td);
        }
      }
      rows.append(tr);
    }
  }

  async function openSurvey(house, houseNumber) {
    state.house = house;
    const records = await state.db.getAll("records");
    const round = state.boot.current_round;
    const existing = records
      .filter((r) => r.kind === "survey" && r.round_number === round &&
        (house ? r.building_id === house.id : r.house_number === houseNumber))
      .sort((a, b) => (a.surveyed_at < b.surveyed_at ? 1 : -1))[0];
    state.editing = existing || null;
    state.photos = [];
    document.getElementById("photo-count").textContent = "";
    document.getElementById("survey-house").textContent = house ? houseLabel(house) : T.survey;
    document.getElementById("survey-version").textContent = existing
      ? `${T.version} ${existing.base_version || 0}` : "";
    document.getElementById("house-number-row").hidden = Boolean(house);
    const form = document.getElementById("survey-form");
    form.reset();
    form.elements.status.value = existing ? existing.status : "surveyed";
    containerRows(existing);
    hideError("survey-error");
    show("survey");
  }

  function readContainers(form) {
    const rows = [];
    let problem = "";
    for (const type of state.boot.container_types) {
      for (const location of ["indoor", "outdoor"]) {
        const get = (f) => form.elements[`c-${type.number}-${location}-${f}`];
        const inputs = [get("containers"), get("positive")];
        const values = inputs.map((i) => (i.value.trim() === "" ? 0 : Number(i.value)));
        inputs.forEach((i) => i.classList.remove("invalid"));
        if (values.some((v) => !Number.isInteger(v) || v < 0 || v > 10000)) {
          inputs.forEach((i) => i.classList.add("invalid"));
          problem = problem || T.whole;
          continue;
        }
        if (values[1] > values[0]) {
          inputs[1].classList.add("invalid");
          problem = problem || T.positive;
          continue;
        }
        if (values[0] || values[1]) {
          rows.push({type: type.number, location, containers: values[0], positive: values[1]});
        }
      }
    }
    return {rows, problem};
  }

  async function saveSurvey(event) {
    event.preventDefault();
    const form = event.target;
    const status = form.elements.status.value;
    const {rows, problem} = readContainers(form);
    if (problem) return showError("survey-error", problem);
    const house = state.house;
    const number = form.elements.house_number.value.trim();
    if (!house && !number) return showError("survey-error", T.pick);
    const existing = state.editing;
    const place = house ? house.place_id : state.boot.places[0].id;
    const record = {
      client_uuid: existing ? existing.client_uuid : uuid4(),
      base_version: existing ? existing.base_version || 0 : 0,
      version: existing ? existing.version || 0 : 0,
      place_id: place,
      building_id: house ? house.id : null,
      house_number: house ? "" : number,
      round_number: state.boot.current_round,
      surveyed_at: existing ? existing.surveyed_at : new Date().toISOString(),
      status,
      containers: status === "surveyed" ? rows : [],
    };
    const payload = {...record};
    delete payload.version;
    await queue("survey", record, API + "surveys/", payload);
    for (const blob of state.photos) await queuePhoto(record.client_uuid, blob);
    state.photos = [];
    notice(T.saved);
    show("houses");
    await render();
    flush();
  }

  async function addPhotos(event) {
    const files = Array.from(event.target.files || []);
    for (const file of files) state.photos.push(await resize(file));
    event.target.value = "";
    document.getElementById("photo-count").textContent = `${state.photos.length} ${T.photos}`;
  }

  // --- Spray round form -----------------------------------------------------------------------------

  async function saveRound(event) {
    event.preventDefault();
    const form = event.target;
    const zone = (state.boot.zones || []).find((z) => z.key === form.elements.zone_key.value);
    const numbers = ["households_targeted", "households_sprayed", "households_refused", "households_closed"];
    const counts = Object.fromEntries(numbers.map((n) => [n, Number(form.elements[n].value || 0)]));
    if (numbers.some((n) => !Number.isInteger(counts[n]) || counts[n] < 0)) {
      return showError("spray-error", T.whole);
    }
    if (!zone || !form.elements.done_on.value || !form.elements.team.value.trim()) {
      return showError("spray-error", T.pick);
    }
    const record = {
      client_uuid: uuid4(),
      base_version: 0,
      zone_key: zone.key,
      round_number: zone.round_number,
      planned_date: zone.planned_date,
      done_on: form.elements.done_on.value,
      done_at: form.elements.done_at.value || null,
      team: form.elements.team.value.trim(),
      method: form.elements.method.value,
      chemical: form.elements.chemical.value.trim(),
      notes: form.elements.notes.value.trim(),
      ...counts,
    };
    hideError("spray-error");
    await queue("round", record, API + "rounds/", record);
    form.reset();
    notice(T.saved);
    await render();
    flush();
  }

  // --- Indices preview (the rule of analysis.larval, decision 0016) -------------------------------

  function indices(records, round) {
    const visits = new Map();
    for (const r of records) {
      if (r.kind !== "survey" || r.round_number !== round) continue;
      const house = r.building_id ? "b" + r.building_id : "p" + r.place_id + ":" + r.house_number;
      const best = visits.get(house);
      const rank = (v) => [v.status === "surveyed" ? 1 : 0, v.surveyed_at];
      if (!best || rank(r) > rank(best)) visits.set(house, r);
    }
    let surveyed = 0, positiveHouses = 0, containers = 0, positive = 0;
    for (const v of visits.values()) {
      if (v.status !== "surveyed") continue;
      surveyed += 1;
      const c = v.containers.reduce((s, row) => s + row.containers, 0);
      const p = v.containers.reduce((s, row) => s + row.positive, 0);
      containers += c;
      positive += p;
      if (p > 0) positiveHouses += 1;
    }
    const pct = (a, b) => (b ? (100 * a) / b : null);
    return {
      houses_surveyed: surveyed,
      houses_positive: positiveHouses,
      containers,
      containers_positive: positive,
      hi: pct(positiveHouses, surveyed),
      ci: pct(positive, containers),
      bi: pct(positive, surveyed),
    };
  }

  // --- Screen ---------------------------------------------------------------------------------------

  function show(name) {
    for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== "view-" + name;
    for (const tab of document.querySelectorAll(".tabs button")) {
      if (tab.dataset.view === name) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    if (name === "houses" && state.map) setTimeout(() => state.map.invalidateSize(), 0);
  }

  function notice(text) {
    const p = document.getElementById("notice");
    p.textContent = text;
    p.hidden = false;
  }

  function showError(id, text) {
    const p = document.getElementById(id);
    p.textContent = text;
    p.hidden = false;
  }

  function hideError(id) {
    document.getElementById(id).hidden = true;
  }

  function showNet() {
    const net = document.getElementById("net");
    net.textContent = navigator.onLine ? T.online : T.offline;
    net.classList.toggle("offline", !navigator.onLine);
  }

  function drawMap() {
    if (!window.L || state.map) return;
    const map = L.map("map", {zoomControl: true, attributionControl: false, preferCanvas: true});
    state.map = map;
    state.layer = L.layerGroup().addTo(map);
    const bounds = [];
    for (const zone of state.boot.zones || []) {
      if (zone.outline) {
        const outline = L.geoJSON(zone.outline, {style: {color: "#b03a2e", weight: 2, fillOpacity: 0.05}});
        outline.addTo(map);
        bounds.push(outline.getBounds());
      }
    }
    for (const house of state.boot.houses) bounds.push(L.latLngBounds([[house.lat, house.lon]]));
    for (const place of state.boot.places) {
      if (place.lat != null) bounds.push(L.latLngBounds([[place.lat, place.lon]]));
    }
    if (bounds.length) map.fitBounds(bounds.reduce((a, b) => a.extend(b)), {padding: [10, 10]});
    else map.setView([13.75, 100.5], 12);
  }

  async function render() {
    const records = await state.db.getAll("records");
    const round = state.boot.current_round;
    const done = new Set(records.filter((r) => r.kind === "survey" && r.round_number === round).map((r) => r.building_id));
    // Houses: the list and the map.
    const filter = document.getElementById("house-filter").value.trim();
    const list = document.getElementById("houses");
    list.textContent = "";
    for (const house of state.boot.houses) {
      if (filter && !houseLabel(house).includes(filter)) continue;
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.house = String(house.id);
      button.textContent = houseLabel(house) + (done.has(house.id) ? " ✓" : "");
      button.classList.toggle("done", done.has(house.id));
      button.addEventListener("click", () => openSurvey(house));
      li.append(button);
      list.append(li);
    }
    if (state.layer) {
      state.layer.clearLayers();
      for (const house of state.boot.houses) {
        L.circleMarker([house.lat, house.lon], {
          radius: 7,
          color: done.has(house.id) ? "#0b6e4f" : "#555",
          fillOpacity: done.has(house.id) ? 0.8 : 0.3,
        }).on("click", () => openSurvey(house)).addTo(state.layer);
      }
    }
    // Indices.
    const result = indices(records, round);
    const fmt = (v) => (v === null ? "–" : v.toFixed(2));
    for (const name of ["hi", "ci", "bi"]) {
      document.querySelector(`[data-index="${name}"]`).textContent = fmt(result[name]);
    }
    document.getElementById("summary-counts").textContent = T.counts
      .replace("{h}", result.houses_surveyed).replace("{p}", result.houses_positive)
      .replace("{cp}", result.containers_positive).replace("{c}", result.containers);
    body.dataset.preview = JSON.stringify(result);
    // Spray zones.
    const zones = document.getElementById("spray-zone");
    if (!zones.options.length) {
      for (const zone of state.boot.zones || []) {
        zones.append(new Option(`${zone.key} (${zone.round_number})`, zone.key));
      }
    }
    // Outbox.
    const entries = await outboxAll();
    const outbox = document.getElementById("outbox");
    outbox.textContent = "";
    for (const entry of entries) {
      const li = document.createElement("li");
      li.dataset.state = entry.state;
      const what = {survey: T.survey, round: T.round, photo: T.photo}[entry.kind];
      li.append(document.createTextNode(what + (entry.error ? ": " + entry.error : "")));
      if (entry.state === "error") {
        if (entry.kind === "survey") {
          const fix = document.createElement("button");
          fix.type = "button";
          fix.textContent = T.fix;
          fix.addEventListener("click", async () => {
            const record = await state.db.get("records", entry.uuid);
            const house = state.boot.houses.find((h) => h.id === (record && record.building_id));
            await openSurvey(house || null, record && record.house_number);
          });
          li.append(" ", fix);
        }
        const remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = T.delete;
        remove.addEventListener("click", async () => {
          if (!confirm(T.remove)) return;
          await state.db.delete("outbox", entry.id);
          await render();
        });
        li.append(" ", remove);
      }
      outbox.append(li);
    }
    for (const record of records) {
      if (record.conflict) {
        const li = document.createElement("li");
        li.dataset.state = "conflict";
        li.textContent = T.survey + ": " + T.conflict;
        outbox.append(li);
      }
    }
    await showCount();
  }

  // --- GPS --------------------------------------------------------------------------------------------

  function locate() {
    const out = document.getElementById("gps-result");
    if (!navigator.geolocation) {
      out.textContent = T.gpsNone;
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const accuracy = Math.round(position.coords.accuracy);
        const limit = state.boot.gps_limit_m;
        out.textContent = `${T.gpsOk} ±${accuracy} ${T.metres}`;
        out.classList.toggle("poor", accuracy > limit);
        if (accuracy > limit) {
          out.textContent += ". " + T.gpsPoor;
          return;
        }
        const here = L.latLng(position.coords.latitude, position.coords.longitude);
        if (state.map) state.map.setView(here, 18);
        let best = null;
        for (const house of state.boot.houses) {
          const d = here.distanceTo([house.lat, house.lon]);
          if (!best || d < best.d) best = {house, d};
        }
        if (best && best.d <= Math.max(limit, 15)) openSurvey(best.house);
      },
      () => {
        out.textContent = T.gpsNone;
      },
      {enableHighAccuracy: true, timeout: 15000, maximumAge: 0}
    );
  }

  // --- Service worker -------------------------------------------------------------------------------

  async function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    try {
      state.registration = await navigator.serviceWorker.register(body.dataset.worker, {scope: body.dataset.scope});
    } catch (error) {
      return;
    }
  }

  async function checkVersion() {
    // The server says which version is current; a newer one is fetched by the worker. The
    // outbox is in IndexedDB, which no worker version touches.
    if (state.boot && state.boot.app_version !== VERSION && state.registration) {
      try {
        await state.registration.update();
        notice(T.updated);
      } catch (error) {
        /* offline: next time */
      }
    }
  }

  // --- Start ----------------------------------------------------------------------------------------

  async function start() {
    state.db = await openDb();
    showNet();
    await registerWorker();
    await bootstrap();
    if (!state.boot) {
      notice(T.login);
      return;
    }
    body.dataset.ready = "true";
    drawMap();
    await render();
    checkVersion();
    flush();
    window.addEventListener("online", () => {
      showNet();
      state.failures = 0;
      bootstrap().then(checkVersion);
      flush();
    });
    window.addEventListener("offline", showNet);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") flush();
    });
  }

  window.addEventListener("beforeunload", (event) => {
    const count = Number(document.querySelector("#outbox-count [data-count]").textContent);
    if (count > 0) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.getElementById("logout-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const n = await showCount();
    if (n > 0 && !confirm(T.unsentLogout)) return;
    event.target.elements.csrfmiddlewaretoken.value = (state.boot && state.boot.csrf_token) || "";
    document.querySelector("#outbox-count [data-count]").textContent = "0"; // warned already
    event.target.submit();
  });

  for (const tab of document.querySelectorAll(".tabs button")) {
    tab.addEventListener("click", () => show(tab.dataset.view));
  }
  document.getElementById("outbox-count").addEventListener("click", () => show("outbox"));
  document.getElementById("survey-form").addEventListener("submit", saveSurvey);
  document.getElementById("survey-cancel").addEventListener("click", () => show("houses"));
  document.getElementById("photo-input").addEventListener("change", addPhotos);
  document.getElementById("spray-form").addEventListener("submit", saveRound);
  document.getElementById("send-now").addEventListener("click", () => {
    state.failures = 0;
    flush();
  });
  document.getElementById("gps").addEventListener("click", locate);
  document.getElementById("house-filter").addEventListener("input", render);

  window.mueangField = {flush, indices: () => JSON.parse(body.dataset.preview || "null"), state};
  start();
})();
