/* The alert page's chart (ECharts): the measured series of the metric that fired, drawn from the
 * JSON island #alert-series-data into <div class="chart" data-chart="alert-series">, with the
 * threshold of a level rule marked. The same figures are in the table under the chart. */
(function () {
  "use strict";

  function readData() {
    var island = document.getElementById("alert-series-data");
    if (!island) {
      return null;
    }
    try {
      return JSON.parse(island.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function scale(d, v) {
    return d.unit === "ratio" ? Math.round(v * 10000) / 100 : v;
  }

  function option(d) {
    var suffix = d.unit === "ratio" ? "%" : "bp";
    var series = {
      name: d.label,
      type: "line",
      data: d.values.map(function (v) { return scale(d, v); }),
      symbolSize: 6
    };
    if (d.threshold !== null && d.threshold !== undefined) {
      series.markLine = {
        silent: true,
        symbol: "none",
        lineStyle: { type: "dashed", color: "#b91c1c" },
        data: [{ yAxis: scale(d, d.threshold) }],
        label: { position: "insideEndTop", formatter: "{c}" + suffix }
      };
    }
    return {
      animation: false,
      color: ["#1f6feb"],
      grid: { left: 48, right: 32, top: 24, bottom: 40, containLabel: true },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return Number(v).toFixed(2) + suffix; }
      },
      xAxis: { type: "category", data: d.periods, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", axisLabel: { formatter: "{value}" + suffix } },
      series: [series]
    };
  }

  function draw() {
    var data = readData();
    var element = document.querySelector(".chart[data-chart='alert-series']");
    if (!data || !element || typeof window.echarts === "undefined") {
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option(data));
    element.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
