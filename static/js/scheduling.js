/*
 * Scheduling pages, loaded with `defer` by the pages that need it through base.html's
 * `app_scripts` block. Each part starts only when its elements exist.
 *
 * Calendar (#scheduling-calendar, FullCalendar 7 from the `vendor_scripts` block,
 * configured by the element's data attributes): events and shaded free slots from a JSON
 * endpoint; a click on a time loads the doctors free then (with "Book" links) into the
 * panel beside the calendar; a drag or resize reschedules through the server, and a
 * refusal shows the reason and puts the appointment back. Small screens (< 768 px) open
 * on the day view. Also: filters that exclude each other (data-clears, ids separated by
 * spaces), the patient picker of the booking and waitlist forms
 * ([data-patient-picker]) and appointment-type colours ([data-colour], also in rows htmx
 * swaps in). Filters submit on
 * change through core.js (data-auto-submit).
 */
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
  // one first. Capture phase: before core.js's auto-submit sends the form.
  function clearOther(event) {
    var field = event.target;
    if (!(field instanceof HTMLElement)) return;
    var clears = field.getAttribute("data-clears");
    if (clears && field.value) {
      clears.split(/\s+/).forEach(function (id) {
        var other = document.getElementById(id);
        if (other) other.value = "";
      });
    }
  }

  // Patient picker: a picked result puts the patient's id in the hidden field.
  function pickPatient(event) {
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
  }

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

    // A click on a time: the doctors free then, server-rendered into the panel (htmx).
    var panel = document.getElementById("calendar-free-panel");
    var panelBody = document.getElementById("calendar-free-body");
    function showFreeDoctors(info) {
      if (!data.freeUrl || !panel || !panelBody || !window.htmx) return;
      var url = data.freeUrl + "&at=" + encodeURIComponent(info.dateStr);
      window.htmx.ajax("GET", url, { target: panelBody, swap: "innerHTML" }).then(function () {
        panel.hidden = false;
        var first = panelBody.querySelector("a, button");
        if (first) first.focus();
      });
    }
    if (panel) {
      panel.addEventListener("click", function (event) {
        if (event.target.closest("[data-close-free-panel]")) panel.hidden = true;
      });
    }

    var small = window.matchMedia && window.matchMedia("(max-width: 767.98px)").matches;
    var calendar = new window.FullCalendar.Calendar(element, {
      initialView: small ? "timeGridDay" : data.initialView || "timeGridWeek",
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
      // The button's accessible name says what it shows (WCAG 2.5.3), not "This week".
      todayHint: data.textToday,
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
      dateClick: showFreeDoctors
    });
    calendar.render();
    element.scheduling = calendar;
  }

  // Deferred scripts run once the document is parsed: the elements are there to find.
  paintColours(document);
  document.addEventListener("htmx:load", function (event) {
    paintColours(event.target);
  });
  if (document.querySelector("[data-clears]")) {
    document.addEventListener("change", clearOther, true);
  }
  if (document.querySelector("[data-patient-picker]")) {
    document.addEventListener("click", pickPatient);
  }
  if (document.getElementById("scheduling-calendar")) {
    // FullCalendar is an earlier deferred script: wait for DOMContentLoaded, which follows
    // every deferred script (this file runs before it, while the state is "interactive").
    if (document.readyState === "complete") {
      initCalendar();
    } else {
      document.addEventListener("DOMContentLoaded", initCalendar);
    }
  }
})();
