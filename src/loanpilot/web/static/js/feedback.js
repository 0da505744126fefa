/* The feedback list's charts (ECharts): tickets by topic (bar) and by month (line), drawn from the
 * JSON island #feedback-chart-data into <div class="chart" data-chart="feedback-topics"> and
 * <div class="chart" data-chart="feedback-months">. */
(function () {
  "use strict";

  function readData() {
    var island = document.getElementById("feedback-chart-data");
    if (!island) {
      return null;
    }
    try {
      return JSON.parse(island.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function option(part, kind) {
    return {
      animation: false,
      color: ["#1f6feb"],
      grid: { left: 40, right: 16, top: 16, bottom: 56, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: part.categories, axisLabel: { interval: 0, rotate: kind === "bar" ? 30 : 0, hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: kind, data: part.values, symbolSize: 6 }]
    };
  }

  function drawOne(selector, part, kind) {
    var element = document.querySelector(selector);
    if (!element || !part) {
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option(part, kind));
    element.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function draw() {
    var data = readData();
    if (!data || typeof window.echarts === "undefined") {
      return;
    }
    drawOne(".chart[data-chart='feedback-topics']", data.topics, "bar");
    drawOne(".chart[data-chart='feedback-months']", data.months, "line");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
