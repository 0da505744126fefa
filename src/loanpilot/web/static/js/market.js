/* The market pages' charts (ECharts), drawn from the JSON island #market-data.
 * Share page: {periods, region: [{name, values}], line: [...], all: [...]} (values in %).
 * Positioning page: {subtypes, ours, min, median, max, labels} (APRs in %).
 * Each chart element is <div class="chart" data-chart="NAME">; once drawn it gets
 * data-rendered="1". The same figures are in the tables beside the charts. */
(function () {
  "use strict";

  var COLORS = ["#1f6feb", "#d97706", "#059669", "#b91c1c", "#7c3aed", "#0891b2"];

  function island() {
    var el = document.getElementById("market-data");
    if (!el) {
      return null;
    }
    try {
      return JSON.parse(el.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function pctAxis() {
    return { type: "value", scale: true, axisLabel: { formatter: "{value}%" } };
  }

  function trend(d, groups) {
    var series = [];
    groups.forEach(function (group) {
      (d[group] || []).forEach(function (s) {
        series.push({ name: s.name, type: "line", connectNulls: false, data: s.values,
          lineStyle: group === "all" ? { width: 3 } : undefined });
      });
    });
    return {
      color: COLORS, animation: false,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v.toFixed(2) + "%"; } },
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: d.periods },
      yAxis: pctAxis(),
      series: series
    };
  }

  function positioning(d) {
    var base = d.min;
    var span = d.max.map(function (hi, i) { return hi == null || d.min[i] == null ? null : hi - d.min[i]; });
    return {
      color: COLORS, animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [d.labels.range, d.labels.median, d.labels.ours] },
      grid: { left: 56, right: 24, top: 40, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: d.subtypes, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: pctAxis(),
      series: [
        { name: "base", type: "bar", stack: "range", data: base, silent: true,
          itemStyle: { color: "transparent" }, tooltip: { show: false } },
        { name: d.labels.range, type: "bar", stack: "range", data: span, barWidth: 18,
          itemStyle: { color: "#cbd5e1" } },
        { name: d.labels.median, type: "scatter", data: d.median, symbol: "rect",
          symbolSize: [22, 3], itemStyle: { color: "#475569" } },
        { name: d.labels.ours, type: "scatter", data: d.ours, symbolSize: 12,
          itemStyle: { color: "#1f6feb" } }
      ]
    };
  }

  var CHARTS = {
    "share-region": function (d) { return trend(d, ["all", "region"]); },
    "share-line": function (d) { return trend(d, ["line"]); },
    "positioning": positioning
  };

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
