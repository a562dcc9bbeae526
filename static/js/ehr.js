/*
 * Site-wide behaviour. Loaded with `defer` after Bootstrap and htmx on every page.
 * The CSP forbids inline scripts and event-handler attributes: behaviour is attached
 * here, from data attributes in the markup.
 */
(function () {
  "use strict";

  var ALERT_DISMISS_MS = 6000;

  // Tooltips: any element with data-bs-toggle="tooltip" (also in content htmx swaps in).
  function initTooltips(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (element) {
      window.bootstrap.Tooltip.getOrCreateInstance(element);
    });
  }

  // Success messages fade out on their own; warnings and errors stay until closed.
  function autoDismissAlerts(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll(".alert[data-autodismiss]").forEach(function (element) {
      window.setTimeout(function () {
        window.bootstrap.Alert.getOrCreateInstance(element).close();
      }, ALERT_DISMISS_MS);
    });
  }

  // A small error toast in #toast-area (base.html), built without innerHTML.
  function showToast(message) {
    var area = document.getElementById("toast-area");
    if (!area || !window.bootstrap) {
      window.alert(message);
      return;
    }
    var toast = document.createElement("div");
    toast.className = "toast align-items-center text-bg-danger border-0";
    toast.setAttribute("role", "alert");
    toast.setAttribute("aria-live", "assertive");
    toast.setAttribute("aria-atomic", "true");

    var row = document.createElement("div");
    row.className = "d-flex";
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", "Close");

    row.appendChild(body);
    row.appendChild(close);
    toast.appendChild(row);
    area.appendChild(toast);
    toast.addEventListener("hidden.bs.toast", function () {
      toast.remove();
    });
    window.bootstrap.Toast.getOrCreateInstance(toast, { delay: 8000 }).show();
  }

  // <form data-confirm="Really?"> (or a submit button with data-confirm) asks first.
  // Capture phase, so a refusal also stops htmx from sending the request.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var submitter = event.submitter;
      var message =
        (submitter && submitter.getAttribute("data-confirm")) ||
        (form instanceof HTMLFormElement && form.getAttribute("data-confirm"));
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener("DOMContentLoaded", function () {
    initTooltips(document);
    autoDismissAlerts(document);
  });

  // htmx: initialise what it swaps in, and say so when a request fails.
  document.addEventListener("htmx:load", function (event) {
    initTooltips(event.target);
  });
  document.addEventListener("htmx:responseError", function () {
    showToast("Something went wrong. Please try again, or reload the page.");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("The server could not be reached. Check your connection and try again.");
  });
})();
