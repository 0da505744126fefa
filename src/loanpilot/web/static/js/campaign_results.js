/* The campaign results page's charts (ECharts), drawn from the JSON island #results-data
 * ({stages, treatment, control, lift, budget, labels}). Each chart element is
 * <div class="chart" data-chart="NAME">; once drawn it gets data-rendered="1". The same figures
 * are in the tables beside the charts. */
(function () {
  "use strict";

  var COLORS = ["#1f6feb", "#d97706", "#059669", "#b91c1c"];

  function island() {
    var el = document.getElementById("results-data");
    if (!el) {
      return null;
    }
    try {
      return JSON.parse(el.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function funnel(d) {
    return {
      color: COLORS, animation: false,
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 56, right: 24, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: d.labels.stages },
      yAxis: { type: "log", min: 1, logBase: 10 },
      series: [
        { name: d.labels.treatment, type: "bar", data: d.treatment.map(function (v) { return v || null; }) },
        { name: d.labels.control, type: "bar", data: d.control.map(function (v) { return v || null; }) }
      ]
    };
  }

  function lift(d) {
    var names = d.lift.map(function (x) { return d.labels.stages[d.stages.indexOf(x.stage)]; });
    var pts = function (v) { return Math.round(v * 10000) / 100; };
    return {
      color: COLORS, animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 56, right: 24, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: names },
      yAxis: { type: "value", name: d.labels.lift },
      series: [
        { name: d.labels.lift, type: "scatter", symbolSize: 10,
          data: d.lift.map(function (x) { return pts(x.estimate); }) },
        { name: "CI", type: "custom", encode: { x: 0, y: [1, 2] },
          renderItem: function (params, api) {
            var lo = api.coord([api.value(0), api.value(1)]);
            var hi = api.coord([api.value(0), api.value(2)]);
            return { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] },
              style: { stroke: "#475569", lineWidth: 2 } };
          },
          data: d.lift.map(function (x, i) { return [i, pts(x.low), pts(x.high)]; }) }
      ]
    };
  }

  function budget(d) {
    var cats = d.budget.map(function (x) { return d.labels.categories[x.category] || x.category; });
    var yuan = function (fen) { return Math.round(fen) / 100; };
    return {
      color: COLORS, animation: false,
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 56, right: 24, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: cats },
      yAxis: { type: "value" },
      series: [
        { name: d.labels.planned, type: "bar", data: d.budget.map(function (x) { return yuan(x.planned_fen); }) },
        { name: d.labels.spent, type: "bar", data: d.budget.map(function (x) { return yuan(x.spent_fen); }) }
      ]
    };
  }

  var CHARTS = { funnel: funnel, lift: lift, budget: budget };

  function draw() {
    var d = island();
    if (!d || typeof echarts === "undefined") {
      return;
    }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var make = CHARTS[el.getAttribute("data-chart")];
      if (!make) {
        return;
      }
      var chart = echarts.init(el);
      chart.setOption(make(d));
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
