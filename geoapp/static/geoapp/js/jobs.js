// Keeps each job progress block (geoapp/jobs/progress.html) current by polling its status JSON.
(function () {
  "use strict";
  var FINISHED = { succeeded: true, failed: true, cancelled: true };

  function show(el, visible) {
    if (visible) { el.removeAttribute("hidden"); } else { el.setAttribute("hidden", ""); }
  }

  function render(block, state) {
    var bar = block.querySelector(".job-bar");
    if (state.progress === null || state.progress === undefined) {
      bar.removeAttribute("value");
      bar.textContent = "";
    } else {
      bar.value = state.progress;
      bar.textContent = Math.round(state.progress * 100) + "%";
    }
    block.dataset.status = state.status;
    block.querySelector(".job-status-label").textContent = state.status_label;
    var count = block.querySelector(".job-count");
    count.textContent = state.total ? (block.dataset.countFormat || "{done} / {total}")
      .replace("{done}", state.done.toLocaleString()).replace("{total}", state.total.toLocaleString()) : "";
    block.querySelector(".job-message").textContent = state.message || "";
    var error = block.querySelector(".job-error");
    error.textContent = state.error || "";
    show(error, !!state.error);
    var result = block.querySelector(".job-result");
    if (state.result_url) { result.querySelector("a").href = state.result_url; }
    show(result, !!state.result_url);
    show(block.querySelector(".job-cancel"), !FINISHED[state.status]);
    block.dispatchEvent(new CustomEvent("job:update", { detail: state, bubbles: true }));
  }

  function poll(block) {
    var url = block.dataset.statusUrl;
    var delay = 500;
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (state) {
          render(block, state);
          if (!FINISHED[state.status]) {
            delay = Math.min(2000, delay + 250);
            window.setTimeout(tick, delay);
          }
        })
        .catch(function () { window.setTimeout(tick, 5000); });
    }
    if (!FINISHED[block.dataset.status]) { window.setTimeout(tick, 300); }
  }

  document.querySelectorAll(".job-progress[data-status-url]").forEach(poll);
})();
