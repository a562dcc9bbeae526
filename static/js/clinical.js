/*
 * Clinical pages, loaded with `defer` by the pages that need it through base.html's
 * `app_scripts` block. Each part starts only when its elements exist.
 *
 * Vitals tab (#vitals-chart-data): trend charts (Chart.js, from the `vendor_scripts`
 * block) with the adult normal range as dashed lines. Diagnosis form (.icd-picker): the
 * ICD-10-CM search results (htmx) put the picked code into the diagnosis field.
 */
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
  function pickCode(event) {
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
  }

  // Deferred scripts run once the document is parsed: the elements are there to find.
  if (document.querySelector(".icd-picker")) document.addEventListener("click", pickCode);
  if (document.getElementById("vitals-chart-data")) {
    // Chart.js is an earlier deferred script: wait for DOMContentLoaded, which follows
    // every deferred script (this file runs before it, while the state is "interactive").
    if (document.readyState === "complete") {
      drawVitals();
    } else {
      document.addEventListener("DOMContentLoaded", drawVitals);
    }
  }
})();
