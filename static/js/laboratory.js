/*
 * Laboratory, Results tab (#lab-chart-data): one trend chart per numeric test on a time
 * axis (Chart.js with its date adapter); preliminary values are drawn hollow.
 * Turnaround page (#lab-turnaround-data): the median minutes per stage, stacked bars.
 */
(function () {
  "use strict";

  function drawTrends() {
    var source = document.getElementById("lab-chart-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var specs = {};
    data.charts.forEach(function (chart) { specs[chart.key] = chart; });
    document.querySelectorAll("canvas[data-lab-chart]").forEach(function (canvas) {
      var spec = specs[canvas.getAttribute("data-lab-chart")];
      if (!spec) return;
      new window.Chart(canvas, {
        type: "line",
        data: {
          datasets: [{
            label: spec.label,
            data: spec.points.map(function (p) { return { x: p.x, y: p.y }; }),
            borderColor: "#0d6efd",
            backgroundColor: spec.points.map(function (p) { return p.preliminary ? "#ffffff" : "#0d6efd"; }),
            borderWidth: 2,
            pointRadius: 3,
            tension: 0
          }]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: false } },
          scales: { x: { type: "time", ticks: { maxTicksLimit: 6, maxRotation: 0 } } }
        }
      });
    });
  }

  function drawTurnaround() {
    var source = document.getElementById("lab-turnaround-data");
    var canvas = document.querySelector("canvas[data-lab-turnaround]");
    if (!source || !canvas || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var colours = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1"];
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.stages.map(function (stage, i) {
          return { label: stage.label, data: stage.values, backgroundColor: colours[i % colours.length] };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: "min" } } }
      }
    });
  }

  function start() {
    drawTrends();
    drawTurnaround();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
