/*
 * Inpatient pages (templates/inpatient/), loaded with `defer` by the pages that need it
 * through base.html's `app_scripts` block. Each part starts only when its elements exist.
 *
 * Bed board (.board-poller): the selected bed kept highlighted across the board's
 * refreshes, and no refresh while someone is using the bed panel. Census (#census-data):
 * the Chart.js charts (Chart.js comes first, from the `vendor_scripts` block). The
 * discharge summary's Print button is core.js's [data-print].
 */
(function () {
  "use strict";

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

  function initBedBoard() {
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
  }

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

  // Deferred scripts run once the document is parsed: the elements are there to find.
  if (document.querySelector(".board-poller")) initBedBoard();
  if (document.getElementById("census-data")) {
    // Chart.js is an earlier deferred script: wait for DOMContentLoaded, which follows
    // every deferred script (this file runs before it, while the state is "interactive").
    if (document.readyState === "complete") {
      drawCensus();
    } else {
      document.addEventListener("DOMContentLoaded", drawCensus);
    }
  }
})();
