/*
 * Laboratory, Results tab (#lab-chart-data): one trend chart per numeric test on a time
 * axis (Chart.js with its date adapter); preliminary values are drawn hollow.
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawTrends);
  } else {
    drawTrends();
  }
})();
