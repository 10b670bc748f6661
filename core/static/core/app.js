// Small shared behaviours: toasts, copy buttons, confirmations, dialogs.
(function () {
  "use strict";

  // Shows a short message that disappears by itself. kind: "success" | "error" | "info".
  window.showToast = function (text, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (kind || "info");
    toast.textContent = text;
    box.appendChild(toast);
    setTimeout(function () { toast.remove(); }, kind === "error" ? 8000 : 4000);
  };

  function fadeServerToasts() {
    document.querySelectorAll("#toasts .toast").forEach(function (toast) {
      setTimeout(function () { toast.remove(); }, 5000);
    });
  }

  // Server responses can ask for a toast with the HX-Trigger header:
  // {"showToast": {"text": "...", "kind": "success"}}
  document.addEventListener("showToast", function (event) {
    var detail = event.detail || {};
    window.showToast(detail.text || detail.value, detail.kind);
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Trigger")) return;
    window.showToast("Something went wrong (" + (xhr ? xhr.status : "network") + "). Please try again.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    window.showToast("The server could not be reached. Check your connection and try again.", "error");
  });

  document.addEventListener("click", function (event) {
    var copyButton = event.target.closest("[data-copy-target]");
    if (copyButton) {
      var source = document.querySelector(copyButton.getAttribute("data-copy-target"));
      if (source) {
        var value = source.value !== undefined ? source.value : source.textContent;
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(value);
        } else {
          source.select && source.select();
          document.execCommand("copy");
        }
        window.showToast("Copied", "success");
      }
    }
    var confirmButton = event.target.closest("[data-confirm]");
    if (confirmButton && !window.confirm(confirmButton.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", fadeServerToasts);
})();
