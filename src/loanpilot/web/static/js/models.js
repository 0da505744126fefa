/* The marketing model page's cumulative-gains chart (ECharts), drawn from the JSON island
 * #models-gains-data ({population, gains, labels}) into <div class="chart" data-chart="gains">:
 * the share of all positives captured (y, %) by the top x % of customers ranked by the model,
 * beside the diagonal of random targeting. The same figures are in the table under the chart. */
(function () {
  "use strict";

  function readData() {
    var island = document.getElementById("models-gains-data");
    if (!island) {
      return null;
    }
    try {
      return JSON.parse(island.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function option(d) {
    var model = d.population.map(function (x, i) { return [x, d.gains[i]]; });
    return {
      animation: false,
      color: ["#1f6feb", "#94a3b8"],
      grid: { left: 56, right: 32, top: 40, bottom: 48, containLabel: true },
      legend: { top: 0 },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return Number(v).toFixed(1) + "%"; }
      },
      xAxis: { type: "value", min: 0, max: 100, name: d.labels.x, nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "value", min: 0, max: 100, name: d.labels.y },
      series: [
        { name: d.labels.model, type: "line", data: model, symbolSize: 6 },
        { name: d.labels.random, type: "line", data: [[0, 0], [100, 100]], symbol: "none",
          lineStyle: { type: "dashed" } }
      ]
    };
  }

  function draw() {
    var data = readData();
    var element = document.querySelector(".chart[data-chart='gains']");
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
