// Closing a report as done: when the officer picks or takes the after photo, ask the device
// where it is now (with its accuracy) and send that with the photo. The server checks the
// distance to the report (50 m) and the accuracy (50 m); nothing goes anywhere else.
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("step-done");
    if (!form) { return; }
    var photo = form.querySelector("[name=photo]");
    var lat = form.querySelector("[name=latitude]");
    var lon = form.querySelector("[name=longitude]");
    var accuracy = form.querySelector("[name=accuracy_m]");
    var status = document.getElementById("done-location");
    var button = form.querySelector("button[type=submit]");
    if (!photo || !navigator.geolocation) { return; }
    photo.setAttribute("accept", "image/jpeg,image/png,image/webp");
    photo.setAttribute("capture", "environment");
    photo.addEventListener("change", function () {
      lat.value = lon.value = accuracy.value = "";
      if (!photo.files.length) { return; }
      if (status) { status.textContent = status.dataset.waiting; }
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(7);
        lon.value = position.coords.longitude.toFixed(7);
        accuracy.value = Math.round(position.coords.accuracy * 10) / 10;
        if (status) {
          status.textContent = status.dataset.found + " " + Math.round(position.coords.accuracy) + " m";
        }
        button.disabled = false;
      }, function () {
        if (status) { status.textContent = status.dataset.failed; }
        button.disabled = false;
      }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 0});
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
