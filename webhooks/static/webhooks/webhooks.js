// Webhooks page behaviours: reveal/hide the signing secret.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-reveal-target]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-reveal-target"));
    if (!input) return;
    var revealed = input.type === "password";
    input.type = revealed ? "text" : "password";
    button.textContent = revealed ? "Hide" : "Reveal";
    button.setAttribute("aria-pressed", revealed ? "true" : "false");
  });

  // A toggle whose request failed goes back to where it was.
  document.addEventListener("htmx:responseError", function (event) {
    var source = event.detail.elt;
    if (source && source.matches && source.matches("input.switch")) {
      source.checked = !source.checked;
    }
  });
})();
