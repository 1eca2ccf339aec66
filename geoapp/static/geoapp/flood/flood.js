// Flood pages: the print button of the aid list (no inline handlers: the CSP forbids them).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-flood-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
