/* The console dashboard's charts (ECharts), drawn from the JSON island #dashboard-data.
 * Each chart element is <div class="chart" data-chart="NAME">; once drawn it gets
 * data-rendered="1". The same figures are in the tables under the charts. */
(function () {
  "use strict";

  var COLORS = ["#1f6feb", "#d97706", "#059669", "#b91c1c"];

  function readData() {
    var island = document.getElementById("dashboard-data");
    if (!island) {
      return null;
    }
    try {
      return JSON.parse(island.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function fmt(value, digits) {
    if (value === null || value === undefined) {
      return "—";
    }
    return Number(value).toLocaleString(undefined, {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits
    });
  }

  function base(categories) {
    return {
      color: COLORS,
      animation: false,
      grid: { left: 56, right: 56, top: 36, bottom: 48, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      xAxis: {
        type: "category",
        data: categories,
        axisLabel: { interval: 0, rotate: categories.length > 8 ? 35 : 0, hideOverlap: true }
      }
    };
  }

  function monthlyApplications(d) {
    var option = base(d.months);
    option.yAxis = [
      { type: "value", name: d.labels.count, minInterval: 1 },
      { type: "value", name: "%", min: 0, max: 100, splitLine: { show: false } }
    ];
    option.series = [
      { name: d.labels.applications, type: "bar", data: d.applications, yAxisIndex: 0 },
      {
        name: d.labels.approval_rate,
        type: "line",
        data: d.approval_rate,
        yAxisIndex: 1,
        connectNulls: false,
        tooltip: { valueFormatter: function (v) { return fmt(v, 2) + "%"; } }
      }
    ];
    return option;
  }

  function monthlyDisbursed(d) {
    var option = base(d.months);
    option.yAxis = { type: "value", name: d.labels.wan };
    option.series = [
      {
        name: d.labels.disbursed,
        type: "bar",
        data: d.disbursed,
        tooltip: { valueFormatter: function (v) { return fmt(v, 2) + " " + d.labels.wan; } }
      }
    ];
    return option;
  }

  function branchAmounts(d) {
    var option = base(d.branches);
    option.yAxis = { type: "value", name: d.labels.wan };
    var money = { valueFormatter: function (v) { return fmt(v, 2) + " " + d.labels.wan; } };
    option.series = [
      { name: d.labels.disbursed, type: "bar", data: d.branch_disbursed, tooltip: money },
      { name: d.labels.balance, type: "bar", data: d.branch_balance, tooltip: money }
    ];
    return option;
  }

  function branchNpl(d) {
    var option = base(d.branches);
    option.color = [COLORS[3]];
    option.yAxis = { type: "value", name: "%" };
    option.series = [
      {
        name: d.labels.npl_ratio,
        type: "bar",
        data: d.branch_npl_ratio,
        tooltip: { valueFormatter: function (v) { return fmt(v, 2) + "%"; } }
      }
    ];
    return option;
  }

  var BUILDERS = {
    "monthly-applications": monthlyApplications,
    "monthly-disbursed": monthlyDisbursed,
    "branch-amounts": branchAmounts,
    "branch-npl": branchNpl
  };

  function draw() {
    var data = readData();
    if (!data || typeof window.echarts === "undefined") {
      return;
    }
    var charts = [];
    var elements = document.querySelectorAll(".chart[data-chart]");
    for (var i = 0; i < elements.length; i++) {
      var element = elements[i];
      var build = BUILDERS[element.getAttribute("data-chart")];
      if (!build) {
        continue;
      }
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(build(data));
      element.setAttribute("data-rendered", "1");
      charts.push(chart);
    }
    window.addEventListener("resize", function () {
      for (var j = 0; j < charts.length; j++) {
        charts[j].resize();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
