// Starts GOV.UK Frontend's components (no inline script: the CSP forbids it)
// and again on the fragments htmx swaps in.
import { initAll } from "../vendor/govuk-frontend-6.6.0/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

document.body.addEventListener("htmx:afterSettle", (event) => {
  const scope = event.detail.elt;
  if (scope instanceof Element) {
    initAll({ scope });
  }
});

// Filter forms marked data-autosubmit refresh their results when a box changes;
// the submit button stays for keyboard and no-JavaScript users.
document.addEventListener("change", (event) => {
  const form = event.target.closest && event.target.closest("form[data-autosubmit]");
  if (form && window.htmx) {
    window.htmx.trigger(form, "submit");
  }
});
