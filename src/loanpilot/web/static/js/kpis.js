/* The KPI page's trend chart (ECharts), drawn from the JSON island #kpis-data
 * ({periods, kpis: [{code, name, unit, values}], initial}). The select [data-trend-select]
 * switches the KPI shown; the same figures are in the table beside the chart. Once drawn the
 * chart element gets data-rendered="1". */
(function () {
  "use strict";

  function island() {
    var el = document.getElementById("kpis-data");
    if (!el) {
      return null;
    }
    try {
      return JSON.parse(el.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function option(d, code) {
    var k = d.kpis.filter(function (x) { return x.code === code; })[0] || d.kpis[0];
    return {
      color: ["#1f6feb"], animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 56, right: 24, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: d.periods },
      yAxis: { type: "value", name: k.unit, scale: true },
      series: [{ name: k.name, type: "line", data: k.values, connectNulls: false, label: { show: true } }]
    };
  }

  function draw() {
    var d = island();
    var el = document.querySelector("[data-chart=trend]");
    if (!d || !el || typeof echarts === "undefined") {
      return;
    }
    var chart = echarts.init(el);
    chart.setOption(option(d, d.initial));
    el.setAttribute("data-rendered", "1");
    var select = document.querySelector("[data-trend-select]");
    if (select) {
      select.addEventListener("change", function () { chart.setOption(option(d, select.value), true); });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
