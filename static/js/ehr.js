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

// === Patients ===
// A collapse or modal marked data-focus-first="true" moves the focus to its first field
// when it opens (the break-the-glass reason, the date of death), so keyboard users can
// type at once.
(function () {
  "use strict";

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
})();

// === end Patients ===

// === Inpatient ===
// Bed board: filters that apply on change, the selected bed kept highlighted across the
// board's refreshes, and no refresh while someone is using the bed panel. Census: the
// Chart.js charts, drawn from the JSON in #census-data.
(function () {
  "use strict";

  // <form data-autosubmit>: a changed select submits the form (filters).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLSelectElement)) return;
    var form = field.form;
    if (form && form.hasAttribute("data-autosubmit")) form.submit();
  });

  function selectedBed() {
    var panel = document.getElementById("bed-panel");
    return panel ? panel.getAttribute("data-bed") : null;
  }

  function markSelected() {
    var id = selectedBed();
    document.querySelectorAll(".bed-tile.is-selected").forEach(function (tile) {
      if (tile.getAttribute("data-bed") !== id) tile.classList.remove("is-selected");
    });
    if (id) {
      var tile = document.getElementById("bed-" + id);
      if (tile) tile.classList.add("is-selected");
    }
  }

  // The poller asks for the selected bed's panel too, so it stays true as well…
  document.addEventListener("htmx:configRequest", function (event) {
    var source = event.detail.elt;
    if (source && source.classList && source.classList.contains("board-poller")) {
      var id = selectedBed();
      if (id) event.detail.parameters.bed = id;
    }
  });

  // …but does not refresh while the user works in the panel (a half-filled form).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    if (!source || !source.classList || !source.classList.contains("board-poller")) return;
    var panel = document.getElementById("bed-panel");
    var active = document.activeElement;
    if (panel && active && panel.contains(active) && active.matches("select, input, textarea")) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:afterSettle", markSelected);

  // On a tablet the panel sits below the board: bring it into view when a bed is chosen.
  document.addEventListener("htmx:afterSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!source || !source.classList || !source.classList.contains("bed-tile")) return;
    if (window.matchMedia("(max-width: 991.98px)").matches) {
      var panel = document.getElementById("bed-panel");
      if (panel) panel.scrollIntoView({ block: "start" });
    }
  });

  // Census charts.
  function drawCensus() {
    var source = document.getElementById("census-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var styles = getComputedStyle(document.documentElement);
    var brand = styles.getPropertyValue("--ehr-brand").trim() || "#0e5a8a";
    var colours = {
      available: "#2e9a5f",
      reserved: "#7a62c9",
      occupied: brand,
      cleaning: "#e0a526",
      blocked: "#c4413b"
    };
    var common = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: "bottom" } }
    };

    var states = document.getElementById("census-states-chart");
    if (states) {
      new window.Chart(states, {
        type: "bar",
        data: {
          labels: data.wards,
          datasets: data.states.map(function (state) {
            return { label: state.label, data: state.values, backgroundColor: colours[state.key] };
          })
        },
        options: Object.assign({}, common, {
          indexAxis: "y",
          scales: { x: { stacked: true, ticks: { precision: 0 } }, y: { stacked: true } }
        })
      });
    }

    var occupancy = document.getElementById("census-occupancy-chart");
    if (occupancy) {
      new window.Chart(occupancy, {
        type: "line",
        data: {
          labels: data.days,
          datasets: [{
            label: data.labels.occupancy,
            data: data.occupancy,
            borderColor: brand,
            backgroundColor: "rgba(14, 90, 138, 0.12)",
            fill: true,
            tension: 0.25,
            pointRadius: 2
          }]
        },
        options: Object.assign({}, common, {
          scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } }
        })
      });
    }

    var movements = document.getElementById("census-movements-chart");
    if (movements) {
      new window.Chart(movements, {
        type: "bar",
        data: {
          labels: data.days,
          datasets: [
            { label: data.labels.admissions, data: data.admissions, backgroundColor: "#2e9a5f" },
            { label: data.labels.discharges, data: data.discharges, backgroundColor: brand },
            { label: data.labels.transfers, data: data.transfers, backgroundColor: "#e0a526" }
          ]
        },
        options: Object.assign({}, common, { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } })
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawCensus);
  } else {
    drawCensus();
  }
})();
// === end Inpatient ===

// === Clinical ===
// Vital-sign trend charts (Chart.js, loaded by the Vitals tab) drawn from the JSON in
// #vitals-chart-data, with the adult normal range as dashed lines; the ICD-10-CM search
// results (htmx) put the picked code into the diagnosis field.
(function () {
  "use strict";

  var COLOURS = ["#0e5a8a", "#c2410c", "#13776a", "#7c3aed"];
  var RANGE_COLOUR = "rgba(91, 103, 118, 0.55)";

  function dateLabel(iso) {
    var date = new Date(iso);
    return date.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "2-digit" });
  }

  function rangeLine(label, value, count) {
    var points = [];
    for (var i = 0; i < count; i += 1) points.push(value);
    return {
      label: label,
      data: points,
      borderColor: RANGE_COLOUR,
      borderDash: [5, 4],
      borderWidth: 1,
      pointRadius: 0,
      pointHitRadius: 0,
      fill: false
    };
  }

  function drawVitals() {
    var source = document.getElementById("vitals-chart-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var labels = data.labels.map(dateLabel);
    var texts = data.texts;
    var titles = {};
    data.charts.forEach(function (chart) { titles[chart.key] = chart.label; });
    var series = {
      blood_pressure: [
        ["systolic_bp", texts.systolic],
        ["diastolic_bp", texts.diastolic]
      ]
    };
    document.querySelectorAll("canvas[data-vitals-chart]").forEach(function (canvas) {
      var key = canvas.getAttribute("data-vitals-chart");
      var parts = series[key] || [[key, titles[key]]];
      var datasets = [];
      var hasData = false;
      parts.forEach(function (part, index) {
        var values = data.series[part[0]] || [];
        if (values.some(function (v) { return v !== null; })) hasData = true;
        datasets.push({
          label: part[1],
          data: values,
          borderColor: COLOURS[index % COLOURS.length],
          backgroundColor: COLOURS[index % COLOURS.length],
          borderWidth: 2,
          pointRadius: 2.5,
          spanGaps: true,
          tension: 0.2
        });
        var range = data.ranges[part[0]];
        if (range && range[0] !== null && parts.length === 1) {
          datasets.push(rangeLine(texts.normal_low, range[0], labels.length));
          datasets.push(rangeLine(texts.normal_high, range[1], labels.length));
        }
      });
      var column = canvas.closest("[data-vitals-chart-col]");
      if (!hasData) {
        if (column) column.hidden = true;
        return;
      }
      new window.Chart(canvas, {
        type: "line",
        data: { labels: labels, datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: {
            legend: {
              display: parts.length > 1,
              labels: {
                boxWidth: 12,
                filter: function (item) {
                  return item.text !== texts.normal_low && item.text !== texts.normal_high;
                }
              }
            }
          },
          scales: { x: { ticks: { maxTicksLimit: 6, maxRotation: 0 } } }
        }
      });
    });
  }

  // ICD-10-CM search: a picked result fills the code field and shows its title.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-icd-code]");
    if (!button) return;
    event.preventDefault();
    var picker = button.closest(".icd-picker");
    if (!picker) return;
    var input = picker.querySelector("input[name='code']");
    var chosen = picker.querySelector(".icd-chosen");
    var results = picker.querySelector(".icd-results");
    input.value = button.getAttribute("data-icd-code");
    input.classList.remove("is-invalid");
    if (chosen) {
      chosen.textContent = "";
      var code = document.createElement("span");
      code.className = "icd-code";
      code.textContent = button.getAttribute("data-icd-code");
      chosen.appendChild(code);
      chosen.appendChild(document.createTextNode(" " + button.getAttribute("data-icd-title")));
    }
    if (results) results.textContent = "";
    input.focus();
  });

  // Chart.js is a deferred script after this one: it has run by DOMContentLoaded.
  if (document.readyState === "complete") {
    drawVitals();
  } else {
    document.addEventListener("DOMContentLoaded", drawVitals);
  }
})();
// === end Clinical ===

// === Scheduling ===
// Calendars (FullCalendar 7, configured by the data attributes of #scheduling-calendar):
// events from a JSON endpoint; a click on a doctor's free slot opens the booking form;
// a drag or resize reschedules through the server, and a refusal shows the reason and
// puts the appointment back. Also: the patient picker of the booking and waitlist forms,
// type colours (data-colour), and filters that submit on change.
(function () {
  "use strict";

  var COLOUR = /^#[0-9a-fA-F]{6}$/;

  // Colour swatches: set through the CSSOM (allowed by the CSP), never a style attribute.
  function paintColours(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-colour]").forEach(function (element) {
      var colour = element.getAttribute("data-colour");
      if (COLOUR.test(colour)) element.style.backgroundColor = colour;
    });
  }

  // Selects that exclude each other (a doctor's or a clinic's calendar) clear the other
  // one first, and date filters submit too. Capture phase: before the autosubmit.
  document.addEventListener(
    "change",
    function (event) {
      var field = event.target;
      if (!(field instanceof HTMLElement)) return;
      var clears = field.getAttribute("data-clears");
      if (clears && field.value) {
        var other = document.getElementById(clears);
        if (other) other.value = "";
      }
      if (field.hasAttribute("data-autosubmit-input") && field.form) field.form.submit();
    },
    true
  );

  // Patient picker: a picked result puts the patient's id in the hidden field.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-patient-id]");
    if (!button) return;
    var picker = button.closest("[data-patient-picker]");
    if (!picker) return;
    event.preventDefault();
    var hidden = picker.querySelector("input[type='hidden']");
    var chosen = picker.querySelector("[data-patient-chosen]");
    var label = picker.querySelector("[data-patient-label]");
    var search = picker.querySelector("input[type='search']");
    var results = picker.querySelector(".patient-results");
    hidden.value = button.getAttribute("data-patient-id");
    if (label) label.textContent = button.getAttribute("data-patient-label");
    if (chosen) chosen.classList.remove("is-empty");
    if (results) results.textContent = "";
    if (search) {
      search.value = "";
      search.classList.remove("is-invalid");
    }
    if (chosen) chosen.focus();
  });

  function showMessage(text, kind) {
    var box = document.getElementById("calendar-message");
    if (!box) {
      window.alert(text);
      return;
    }
    box.hidden = false;
    box.className = "calendar-message alert alert-" + kind;
    box.textContent = text;
  }

  function initCalendar() {
    var element = document.getElementById("scheduling-calendar");
    if (!element || !window.FullCalendar || element.getAttribute("data-ready")) return;
    element.setAttribute("data-ready", "true");
    var data = element.dataset;

    function move(info) {
      var url = info.event.extendedProps.moveUrl;
      if (!url) {
        info.revert();
        return;
      }
      showMessage(data.textMoving, "info");
      var body = new URLSearchParams();
      body.set("start", info.event.startStr);
      if (info.event.endStr) body.set("end", info.event.endStr);
      window
        .fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "X-CSRFToken": data.csrfToken,
            "X-Requested-With": "XMLHttpRequest",
            Accept: "application/json"
          },
          body: body
        })
        .then(function (response) {
          return response.json().then(function (payload) {
            return { ok: response.ok, payload: payload };
          });
        })
        .then(function (result) {
          if (!result.ok) {
            info.revert();
            showMessage(result.payload.error || data.textError, "danger");
            return;
          }
          showMessage(result.payload.message, "success");
          // The move books a new appointment (the original stays, cancelled): reload.
          calendar.refetchEvents();
        })
        .catch(function () {
          info.revert();
          showMessage(data.textError, "danger");
        });
    }

    function freeSlotAt(date) {
      var found = null;
      calendar.getEvents().forEach(function (event) {
        if (found || !event.extendedProps.freeSlot) return;
        if (event.start <= date && date < event.end) found = event;
      });
      return found;
    }

    var calendar = new window.FullCalendar.Calendar(element, {
      initialView: data.initialView || "timeGridWeek",
      initialDate: data.initialDate || undefined,
      timeZone: data.timeZone || "local",
      firstDay: 1,
      nowIndicator: true,
      allDaySlot: false,
      slotMinTime: "07:00:00",
      slotMaxTime: "20:00:00",
      scrollTime: "08:00:00",
      slotDuration: "00:15:00",
      height: "auto",
      dayMaxEvents: true,
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotHeaderFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      headerToolbar: {
        start: "prev,next today",
        center: "title",
        end: "timeGridDay,timeGridWeek,dayGridMonth"
      },
      todayText: data.textToday,
      buttons: {
        timeGridDay: { text: data.textDay },
        timeGridWeek: { text: data.textWeek },
        dayGridMonth: { text: data.textMonth }
      },
      editable: data.editable === "true",
      eventStartEditable: data.editable === "true",
      eventDurationEditable: data.editable === "true",
      events: { url: data.eventsUrl },
      eventSourceFailure: function () {
        showMessage(data.textError, "danger");
      },
      eventDrop: move,
      eventResize: move,
      dateClick: function (info) {
        if (!data.bookUrl) return;
        var slot = freeSlotAt(info.date);
        if (!slot) return;
        window.location.assign(
          data.bookUrl +
            "?doctor=" + encodeURIComponent(data.doctor) +
            "&start=" + encodeURIComponent(slot.startStr)
        );
      }
    });
    calendar.render();
    element.scheduling = calendar;
  }

  function init() {
    paintColours(document);
    initCalendar();
  }

  document.addEventListener("htmx:load", function (event) {
    paintColours(event.target);
  });

  // FullCalendar is a deferred script after this one: it has run by DOMContentLoaded.
  if (document.readyState === "complete") {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
// === end Scheduling ===
