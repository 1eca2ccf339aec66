// The set-password link page: copy the link, or print the handover slip.
document.addEventListener("DOMContentLoaded", () => {
  const link = document.getElementById("set-password-link");
  const copy = document.getElementById("copy-link");
  const print = document.getElementById("print-link");
  if (link && copy) {
    copy.addEventListener("click", async () => {
      link.select();
      try {
        await navigator.clipboard.writeText(link.value);
      } catch {
        document.execCommand("copy");  // pages served over plain http have no clipboard API
      }
      copy.textContent = copy.dataset.copied;
    });
  }
  if (print) print.addEventListener("click", () => window.print());
});
