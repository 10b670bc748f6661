// The products page: dialogs, confirmations, inline-edit keys, row selection.
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  // Dialogs open from any [data-dialog-open] button and close on Cancel or
  // Escape (native <dialog> behaviour).
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      var dialog = byId(opener.getAttribute("data-dialog-open"));
      if (dialog && !dialog.open) {
        dialog.showModal();
        var first = dialog.querySelector("input, textarea, select");
        if (first) first.focus();
      }
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var owner = closer.closest("dialog");
      if (owner) owner.close();
    }
  });

  document.body.addEventListener("productCreated", function () {
    var dialog = byId("product-create-dialog");
    if (dialog && dialog.open) dialog.close();
  });

  // hx-confirm questions are asked in the page's own dialog instead of
  // window.confirm, so they look like the app and say exactly what happens.
  document.addEventListener("htmx:confirm", function (event) {
    if (!event.detail.question) return;
    event.preventDefault();
    var dialog = byId("confirm-dialog");
    var source = event.detail.elt;
    byId("confirm-dialog-message").textContent = event.detail.question;
    byId("confirm-dialog-title").textContent =
      source.getAttribute("data-confirm-title") || "Please confirm";
    var accept = dialog.querySelector("[data-confirm-accept]");
    accept.textContent = source.getAttribute("data-confirm-label") || "Delete";
    function cleanUp() {
      accept.removeEventListener("click", onAccept);
      dialog.removeEventListener("close", cleanUp);
    }
    function onAccept() {
      cleanUp();
      dialog.close();
      event.detail.issueRequest(true);
    }
    accept.addEventListener("click", onAccept);
    dialog.addEventListener("close", cleanUp);
    dialog.showModal();
    dialog.querySelector("[data-confirm-cancel]").focus();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-confirm-cancel]")) byId("confirm-dialog").close();
  });

  // Inline edit: Escape cancels (Enter submits the form natively).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest("form.inline-edit");
    if (!form) return;
    event.preventDefault();
    var row = form.closest("tr");
    var productId = row.getAttribute("data-product-id");
    htmx.ajax("GET", form.getAttribute("data-cancel-url"), { target: row, swap: "outerHTML" })
      .then(function () {
        var edit = document.querySelector("#product-" + productId + " button[aria-label^='Edit']");
        if (edit) edit.focus();
      });
  });

  // After an inline save, focus returns to the row's Edit button.
  document.addEventListener("htmx:afterSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!source || !source.matches || !source.matches("form.inline-edit")) return;
    var target = event.detail.target;
    var row = target && target.id ? document.getElementById(target.id) : null;
    var edit = row && row.querySelector("button[aria-label^='Edit']");
    if (edit) edit.focus();
  });

  // Empty filter values stay out of the URL so shared links are short.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "product-filters") return;
    var parameters = event.detail.parameters;
    ["q", "sku", "name", "description", "active", "ordering"].forEach(function (key) {
      if (parameters[key] === "") delete parameters[key];
    });
    if (parameters.page_size === "50") delete parameters.page_size;
  });

  // Row selection and the bulk bar.
  function selectionChanged() {
    var boxes = document.querySelectorAll("#product-table .row-select");
    var checked = document.querySelectorAll("#product-table .row-select:checked");
    var count = byId("bulk-count");
    if (!count) return;
    count.textContent = checked.length
      ? checked.length + " selected"
      : "No products selected";
    document.querySelectorAll("[data-bulk-action]").forEach(function (button) {
      button.disabled = checked.length === 0;
    });
    var deleteButton = document.querySelector("[data-bulk-action='delete']");
    if (deleteButton) {
      deleteButton.setAttribute(
        "hx-confirm",
        "Delete " + checked.length + " product" + (checked.length === 1 ? "" : "s") +
          "? This cannot be undone."
      );
    }
    var all = byId("select-all");
    if (all) {
      all.checked = boxes.length > 0 && checked.length === boxes.length;
      all.indeterminate = checked.length > 0 && checked.length < boxes.length;
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "select-all") {
      document.querySelectorAll("#product-table .row-select").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.id === "select-all" || event.target.classList.contains("row-select")) {
      selectionChanged();
    }
  });
  document.addEventListener("htmx:afterSettle", selectionChanged);
})();
