/*
 * Clinical pages, loaded with `defer` by the pages that need it through base.html's
 * `app_scripts` block. Each part starts only when its elements exist.
 *
 * Vitals tab (#vitals-chart-data): trend charts on a time axis (Chart.js and its
 * date-fns adapter, from the `vendor_scripts` block), straight lines between readings,
 * the adult normal ranges as shaded bands (both on the blood pressure chart), a single
 * reading as a point. Diagnosis form (.icd-picker): the ICD-10-CM search results (htmx)
 * put the picked code into the diagnosis field.
 */
(function () {
  "use strict";

  var COLOURS = ["#0e5a8a", "#c2410c", "#13776a", "#7c3aed"];
  // Normal-range bands: the series' own colour, faint, so that on the blood pressure
  // chart each band reads as its line's range.
  var BAND_ALPHA = "1f";
  var BAND_EDGE_ALPHA = "66";
  // The site's date format (Django "j M Y, H:i", as in the vitals table) in date-fns
  // tokens, for the time axis and the tooltips.
  var TIME_FORMATS = {
    tooltip: "d MMM yyyy, HH:mm",
    display: {
      minute: "d MMM HH:mm",
      hour: "d MMM HH:mm",
      day: "d MMM yyyy",
      week: "d MMM yyyy",
      month: "MMM yyyy",
      quarter: "MMM yyyy",
      year: "yyyy"
    }
  };
  var HALF_DAY_MS = 12 * 60 * 60 * 1000;

  // The server sends each time in its own time zone ("2026-12-04T10:20:00+01:00"):
  // read without the offset, the chart shows the wall-clock time the table shows,
  // whatever the browser's zone.
  function wallClock(iso) {
    return iso.slice(0, 19);
  }

  // Draws each chart's normal ranges (options.plugins.vitalsBands.bands: [{low, high,
  // colour}]) as shaded bands behind the lines, edged top and bottom.
  var bandsPlugin = {
    id: "vitalsBands",
    beforeDatasetsDraw: function (chart, args, options) {
      var bands = (options && options.bands) || [];
      var area = chart.chartArea;
      var y = chart.scales.y;
      if (!bands.length || !area || !y) return;
      var ctx = chart.ctx;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      bands.forEach(function (band) {
        var top = y.getPixelForValue(band.high);
        var bottom = y.getPixelForValue(band.low);
        ctx.fillStyle = band.colour + BAND_ALPHA;
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
        ctx.strokeStyle = band.colour + BAND_EDGE_ALPHA;
        ctx.lineWidth = 1;
        ctx.setLineDash([4, 3]);
        [top, bottom].forEach(function (edge) {
          ctx.beginPath();
          ctx.moveTo(area.left, edge);
          ctx.lineTo(area.right, edge);
          ctx.stroke();
        });
      });
      ctx.restore();
    }
  };

  function drawVitals() {
    var source = document.getElementById("vitals-chart-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var times = data.labels.map(wallClock);
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
      var bands = [];
      var first = null;
      var last = null;
      parts.forEach(function (part, index) {
        var colour = COLOURS[index % COLOURS.length];
        var points = [];
        (data.series[part[0]] || []).forEach(function (value, i) {
          if (value === null) return;
          points.push({ x: times[i], y: value });
          if (first === null || times[i] < first) first = times[i];
          if (last === null || times[i] > last) last = times[i];
        });
        datasets.push({
          label: part[1],
          data: points,
          borderColor: colour,
          backgroundColor: colour,
          borderWidth: 2,
          pointRadius: 3,
          pointHoverRadius: 5,
          tension: 0
        });
        var range = data.ranges[part[0]];
        if (range && range[0] !== null && range[1] !== null) {
          bands.push({ low: range[0], high: range[1], colour: colour });
        }
      });
      var column = canvas.closest("[data-vitals-chart-col]");
      if (first === null) {
        if (column) column.hidden = true;
        return;
      }
      var x = {
        type: "time",
        time: { tooltipFormat: TIME_FORMATS.tooltip, displayFormats: TIME_FORMATS.display },
        ticks: { maxTicksLimit: 6, maxRotation: 0, autoSkip: true }
      };
      if (first === last) {
        // One reading: half a day either side, so that it stands as a point mid-chart.
        var at = new Date(first).getTime();
        x.min = at - HALF_DAY_MS;
        x.max = at + HALF_DAY_MS;
      }
      var y = {};
      if (bands.length) {
        // The bands stay in view even when every value lies far outside them.
        y.suggestedMin = Math.min.apply(null, bands.map(function (b) { return b.low; }));
        y.suggestedMax = Math.max.apply(null, bands.map(function (b) { return b.high; }));
      }
      new window.Chart(canvas, {
        type: "line",
        data: { datasets: datasets },
        plugins: [bandsPlugin],
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "nearest", axis: "x", intersect: false },
          plugins: {
            legend: { display: parts.length > 1, labels: { boxWidth: 12 } },
            vitalsBands: { bands: bands }
          },
          scales: { x: x, y: y }
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
