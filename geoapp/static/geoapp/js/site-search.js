// The header search box as an ARIA combobox: suggestions from /m/<code>/search/suggest/ as the
// user types; arrow keys move through them, Enter opens the chosen one (or, with none chosen,
// submits the form to the results page, which also works without this script), Escape closes.
// Texts from the data are set with textContent only, never as markup.
(function () {
  "use strict";
  var form = document.querySelector("form.site-search");
  if (!form) { return; }
  var input = form.querySelector("[role=combobox]");
  var list = form.querySelector("[role=listbox]");
  var status = form.querySelector("[role=status]");
  var suggestUrl = form.getAttribute("data-suggest-url");
  var MIN_CHARS = 2;
  var DELAY_MS = 150;
  var timer = null;
  var latest = 0;
  var active = -1;

  function options() { return list.querySelectorAll("[role=option]"); }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(index) {
    var all = options();
    if (!all.length) { return; }
    active = (index + all.length) % all.length;
    all.forEach(function (option, i) { option.setAttribute("aria-selected", String(i === active)); });
    input.setAttribute("aria-activedescendant", all[active].id);
    all[active].scrollIntoView({block: "nearest"});
  }

  function open(option) { window.location.assign(option.getAttribute("data-url")); }

  function optionFor(result, index) {
    var option = document.createElement("li");
    option.id = "site-search-option-" + index;
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", "false");
    option.setAttribute("data-url", result.url);
    option.className = "site-search-option";
    var name = document.createElement("span");
    name.className = "site-search-name";
    name.textContent = result.label;
    var detail = document.createElement("span");
    detail.className = "site-search-detail";
    detail.textContent = [result.kind_label, result.detail, result.other_label]
      .filter(Boolean).join(" · ");
    option.appendChild(name);
    option.appendChild(detail);
    // mousedown, not click: the input keeps focus, and the list is not closed by blur first.
    option.addEventListener("mousedown", function (event) { event.preventDefault(); open(option); });
    return option;
  }

  function show(results) {
    list.replaceChildren.apply(list, results.map(optionFor));
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (results.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    } else {
      close();
    }
    status.textContent = results.length ?
      list.getAttribute("data-count-text").replace("%s", results.length) :
      list.getAttribute("data-none-text");
  }

  function suggest() {
    var text = input.value.trim();
    if (text.length < MIN_CHARS) { close(); return; }
    var request = ++latest;
    fetch(suggestUrl + "?" + new URLSearchParams({q: text}), {
      credentials: "same-origin", headers: {Accept: "application/json"}
    }).then(function (response) {
      return response.ok ? response.json() : {results: []};
    }).then(function (body) {
      if (request === latest) { show(body.results || []); }
    }).catch(function () { close(); });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, DELAY_MS);
  });
  input.addEventListener("keydown", function (event) {
    var all = options();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) { if (all.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); } else { return; } }
      event.preventDefault();
      choose(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      open(all[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
})();
