// Draws the dashboard charts with the vendored Chart.js from the JSON the page embeds.
// The same numbers are in the tables below each chart, which stay the accessible version.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#66a182"];
  var number = new Intl.NumberFormat("vi-VN");
  function draw(id, chart, type) {
    var canvas = document.getElementById(id);
    if (!canvas || !chart || !chart.labels.length) { return; }
    new Chart(canvas, {
      type: type,
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (set, i) {
          return {
            label: set.label, data: set.data,
            backgroundColor: colours[i % colours.length],
            borderColor: colours[i % colours.length],
            fill: false
          };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: type === "bar" && id === "chart-unit" ? "y" : "x",
        plugins: { tooltip: { callbacks: { label: function (ctx) {
          return ctx.dataset.label + ": " + number.format(ctx.raw);
        } } } },
        scales: { y: { beginAtZero: true }, x: { beginAtZero: true } }
      }
    });
  }
  // Days are bars: a line between days would suggest values between them.
  draw("chart-day", data.day, "bar");
  draw("chart-unit", data.unit, "bar");
  draw("chart-target_group", data.target_group, "bar");
})();
