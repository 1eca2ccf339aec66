{% load static %}/* Mueang field app: service worker {{ app_version }}.
 * Keeps the app shell for offline use. It never touches the outbox (IndexedDB, owned by the
 * page), so a new version cannot lose unsent records; the new shell is cached completely
 * before the new worker takes over, so offline use keeps working across an update. */
const VERSION = "{{ app_version }}";
const CACHE = "mueang-field-{{ code }}-" + VERSION;
const PREFIX = "mueang-field-{{ code }}-";
const PAGE = "{% url 'field-app' code %}";
const SHELL = [
  PAGE,
  "{% static 'vendor/leaflet/leaflet.css' %}",
  "{% static 'vendor/leaflet/leaflet.js' %}",
  "{% static 'vendor/idb/idb.umd.js' %}",
  "{% static 'geoapp/field/photo.js' %}",
  "{% static 'geoapp/field/app.js' %}",
  "{% static 'geoapp/field/app.css' %}",
  "{% static 'geoapp/favicon.svg' %}",
  "{% url 'field-app-manifest' code %}",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, {cache: "reload", credentials: "same-origin"}))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "version") event.source.postMessage({version: VERSION});
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.includes("/field/api/")) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    // The page: fresh when online (and kept), the kept copy when not.
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(PAGE, copy));
          return response;
        }
        return caches.match(PAGE).then((kept) => kept || response);
      }).catch(() => caches.match(PAGE))
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((kept) => kept || fetch(request)));
  }
});
