/* The risk pages' chart (ECharts): the monthly PSI of a model's decision scores, drawn from the
 * JSON island #risk-psi-data into <div class="chart" data-chart="psi">, with the 0.1 (watch) and
 * 0.25 (shift) thresholds marked. The same figures are in the table under the chart. */
(function () {
  "use strict";

  function readData() {
    var island = document.getElementById("risk-psi-data");
    if (!island) {
      return null;
    }
    try {
      return JSON.parse(island.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function psiOption(d) {
    return {
      animation: false,
      color: ["#1f6feb"],
      grid: { left: 48, right: 32, top: 32, bottom: 40, containLabel: true },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return Number(v).toFixed(4); }
      },
      xAxis: { type: "category", data: d.months, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", name: d.labels.psi, min: 0 },
      series: [
        {
          name: d.labels.psi,
          type: "line",
          data: d.psi,
          symbolSize: 6,
          markLine: {
            silent: true,
            symbol: "none",
            lineStyle: { type: "dashed" },
            data: [
              { yAxis: d.watch, name: d.labels.watch, lineStyle: { color: "#d97706" } },
              { yAxis: d.shift, name: d.labels.shift, lineStyle: { color: "#b91c1c" } }
            ],
            label: { position: "insideEndTop", formatter: "{b} {c}" }
          }
        }
      ]
    };
  }

  function draw() {
    var data = readData();
    var element = document.querySelector(".chart[data-chart='psi']");
    if (!data || !element || typeof window.echarts === "undefined") {
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(psiOption(data));
    element.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
