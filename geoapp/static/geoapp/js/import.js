// The import wizard: when a dry run or import ends, reload to show its report and next step.
(function () {
  "use strict";
  var FINISHED = { succeeded: true, failed: true, cancelled: true };
  document.querySelectorAll("[data-reload-on-finish]").forEach(function (holder) {
    var block = holder.querySelector(".job-progress");
    if (!block || FINISHED[block.dataset.status]) { return; }
    holder.addEventListener("job:update", function (event) {
      if (FINISHED[event.detail.status]) {
        // Let the bar show its last state for a moment before the page changes.
        window.setTimeout(function () { window.location.reload(); }, 600);
      }
    });
  });
})();
