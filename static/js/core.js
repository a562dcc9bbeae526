/*
 * Site-wide behaviour, loaded by base.html with `defer` on every page, after Bootstrap,
 * htmx and the page's vendor scripts and before the page's app script (static/js/<app>.js,
 * from the `app_scripts` block). The CSP forbids inline scripts and event-handler
 * attributes: behaviour is attached here, from data attributes in the markup.
 *
 *   data-bs-toggle="tooltip"   a Bootstrap tooltip (also in content htmx swaps in)
 *   .alert[data-autodismiss]   a success message that fades out on its own
 *   data-copy="<input id>"     a button that copies the input's value
 *   data-confirm="Really?"     a form (or submit button) that asks first
 *   data-print                 a button that opens the browser's print dialog (the
 *                              printables: slip, demographics sheet, discharge summary)
 *   data-focus-first="true"    a collapse or modal that focuses its first field when shown
 *   data-auto-submit           on a <form>: a change to any of its selects or inputs
 *                              submits it; on one field: a change to that field does
 *   table.data-table           each body/footer cell gets its column's header as
 *                              data-label (the phone layout's card labels, core.css §11)
 *   .table-responsive          focusable (tabindex=0) while its table scrolls sideways,
 *                              so keyboard users can scroll it
 *   htmx errors                shown as a toast in #toast-area
 *   #notification-poller       the bell's background poll (ehr.core.bell): skipped while
 *                              the tab is hidden, sent at once when it shows again;
 *   [data-bell-toast]          a toast the poll brought (a new urgent notification):
 *                              shown once, removed when closed
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

  // Copy buttons: data-copy="<id of an input>" copies its value and says so.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    var done = function () {
      button.textContent = button.getAttribute("data-copied") || "Copied";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        field.select();
      });
    } else {
      field.select();
      if (document.execCommand && document.execCommand("copy")) done();
    }
  });

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

  // <button data-print>: the printables' Print button (no inline handler under the CSP).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (!button) return;
    event.preventDefault();
    window.print();
  });

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

  // A collapse or modal marked data-focus-first="true" moves the focus to its first field
  // when it opens (the break-the-glass reason, the date of death), so keyboard users can
  // type at once.
  function focusFirstField(event) {
    var container = event.target;
    if (!(container instanceof HTMLElement) || container.getAttribute("data-focus-first") !== "true") {
      return;
    }
    var field = container.querySelector("textarea, input:not([type=hidden]), select");
    if (field) field.focus();
  }

  document.addEventListener("shown.bs.collapse", focusFirstField);
  document.addEventListener("shown.bs.modal", focusFirstField);

  // The one auto-submit convention (filters): data-auto-submit on a <form> submits it when
  // any of its selects or inputs changes; on a single field, only that field does. Bubble
  // phase, so capture-phase handlers (a filter that clears another) have run first.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLSelectElement || field instanceof HTMLInputElement)) return;
    var form = field.form;
    if (!form) return;
    if (field.hasAttribute("data-auto-submit") || form.hasAttribute("data-auto-submit")) {
      form.submit();
    }
  });

  // Tables on phones stack into cards (core.css §11); each cell is labelled with its
  // column's header. A template's own data-label wins; a header whose only text is
  // visually hidden ("Actions") gives no label.
  function columnLabels(table) {
    var labels = [];
    var headRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!headRow) return labels;
    Array.prototype.forEach.call(headRow.cells, function (th) {
      var text = th.textContent.replace(/\s+/g, " ").trim();
      var hidden = th.querySelector(".visually-hidden");
      if (hidden && hidden.textContent.replace(/\s+/g, " ").trim() === text) text = "";
      for (var span = th.colSpan || 1; span > 0; span -= 1) labels.push(text);
    });
    return labels;
  }

  function labelTableCells(root) {
    var tables = root.matches && root.matches("table.data-table") ? [root] : [];
    var closest = root.closest ? root.closest("table.data-table") : null;
    if (closest) tables.push(closest);
    tables = tables.concat(Array.prototype.slice.call(root.querySelectorAll("table.data-table")));
    tables.forEach(function (table) {
      var labels = columnLabels(table);
      if (!labels.length) return;
      Array.prototype.forEach.call(table.querySelectorAll(":scope > tbody > tr, :scope > tfoot > tr"), function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var label = labels[column];
          if (label && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", label);
          column += cell.colSpan || 1;
        });
      });
    });
  }

  // A table wider (or taller) than its wrapper scrolls; the wrapper takes the focus then, so
  // the arrow keys scroll it (WCAG 2.1.1, axe's scrollable-region-focusable).
  function focusableScrollers() {
    document.querySelectorAll(".table-responsive").forEach(function (wrapper) {
      var scrolls =
        wrapper.scrollWidth > wrapper.clientWidth + 1 ||
        wrapper.scrollHeight > wrapper.clientHeight + 1;
      if (scrolls && !wrapper.hasAttribute("tabindex")) {
        wrapper.setAttribute("tabindex", "0");
        wrapper.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && wrapper.hasAttribute("data-scroll-focus")) {
        wrapper.removeAttribute("tabindex");
        wrapper.removeAttribute("data-scroll-focus");
      }
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(focusableScrollers, 150);
  });

  document.addEventListener("DOMContentLoaded", function () {
    initTooltips(document);
    autoDismissAlerts(document);
    labelTableCells(document);
    focusableScrollers();
  });

  // htmx: initialise what it swaps in, and say so when a request fails.
  document.addEventListener("htmx:load", function (event) {
    initTooltips(event.target);
    labelTableCells(event.target);
    focusableScrollers();
  });
  // The bell's poll: a hidden tab does not poll (htmx:confirm cancels the request); when
  // the tab shows again it polls at once (the poller's hx-trigger includes ehr:poll).
  function isPoller(element) {
    return element instanceof Element && element.id === "notification-poller";
  }

  document.addEventListener("htmx:confirm", function (event) {
    if (isPoller(event.detail.elt) && document.visibilityState === "hidden") {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    var poller = document.getElementById("notification-poller");
    if (poller && document.visibilityState === "visible" && window.htmx) {
      window.htmx.trigger(poller, "ehr:poll");
    }
  });

  // Toasts the poll appended to #toast-area: show each once; drop it when closed.
  function showBellToasts() {
    if (!window.bootstrap) return;
    document.querySelectorAll("#toast-area [data-bell-toast]:not([data-shown])").forEach(function (toast) {
      toast.setAttribute("data-shown", "");
      toast.addEventListener("hidden.bs.toast", function () {
        toast.remove();
      });
      window.bootstrap.Toast.getOrCreateInstance(toast).show();
    });
  }

  document.addEventListener("htmx:afterSettle", showBellToasts);
  document.addEventListener("htmx:oobAfterSwap", showBellToasts);

  // A failed background poll says nothing: the next one tries again.
  function isBackground(event) {
    var elt = event.detail && event.detail.elt;
    return isPoller(elt) || (elt instanceof Element && elt.id === "job-status");
  }

  document.addEventListener("htmx:responseError", function (event) {
    if (isBackground(event)) return;
    showToast("Something went wrong. Please try again, or reload the page.");
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (isBackground(event)) return;
    showToast("The server could not be reached. Check your connection and try again.");
  });
})();
