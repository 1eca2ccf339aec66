// Opens a job's result once it is finished, for progress blocks inside [data-follow-result].
(function () {
  "use strict";
  document.addEventListener("job:update", function (event) {
    var state = event.detail;
    if (!event.target.closest("[data-follow-result]")) { return; }
    if (state.status === "succeeded" && state.result_url) {
      // A moment on the full bar, so the officer sees that it finished.
      window.setTimeout(function () { window.location.assign(state.result_url); }, 800);
    }
  });
})();
