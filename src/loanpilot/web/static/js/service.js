/* The customer-service analysis charts (ECharts), drawn from the JSON island #service-data
 * ({months, satisfaction, nps, by: {dimension: {labels, satisfaction, nps}}}) with the series
 * names in #service-labels. Each chart element is <div class="chart" data-chart="trend|by"
 * [data-dimension]>; once drawn it gets data-rendered="1". The same figures are in the tables. */
(function () {
  "use strict";

  var COLORS = ["#1f6feb", "#d97706", "#059669", "#b91c1c"];

  function island(id) {
    var el = document.getElementById(id);
    if (!el) {
      return null;
    }
    try {
      return JSON.parse(el.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function twoAxes(categories, sat, nps, names, kind) {
    return {
      color: COLORS, animation: false,
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 56, right: 56, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: categories.length > 8 ? 30 : 0 } },
      yAxis: [
        { type: "value", name: names.satisfaction, min: 1, max: 5 },
        { type: "value", name: names.nps, min: -100, max: 100 }
      ],
      series: [
        { name: names.satisfaction, type: kind, data: sat, connectNulls: false },
        { name: names.nps, type: kind, yAxisIndex: 1, data: nps, connectNulls: false }
      ]
    };
  }

  function draw() {
    var d = island("service-data");
    var names = island("service-labels") || { satisfaction: "CSAT", nps: "NPS" };
    if (!d || typeof echarts === "undefined") {
      return;
    }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var option = null;
      if (el.getAttribute("data-chart") === "trend") {
        option = twoAxes(d.months, d.satisfaction, d.nps, names, "line");
      } else {
        var by = d.by[el.getAttribute("data-dimension")];
        if (by) {
          option = twoAxes(by.labels, by.satisfaction, by.nps, names, "bar");
        }
      }
      if (!option) {
        return;
      }
      var chart = echarts.init(el);
      chart.setOption(option);
      el.setAttribute("data-rendered", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
