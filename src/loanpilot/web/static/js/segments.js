/* The segments page's charts (ECharts), drawn from the JSON island #segments-data
 * ({data: {segments: [{code, name, size, income_yuan, response, approval, by_age}]}, labels}).
 * Each chart element is <div class="chart" data-chart="NAME">; once drawn it gets
 * data-rendered="1". The same figures are in the table beside the charts. */
(function () {
  "use strict";

  var COLORS = ["#1f6feb", "#d97706", "#059669", "#b91c1c", "#7c3aed", "#0891b2", "#be185d",
    "#4d7c0f", "#92400e", "#475569"];

  function readIsland() {
    var island = document.getElementById("segments-data");
    if (!island) {
      return null;
    }
    try {
      return JSON.parse(island.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function pct(v) {
    return v === null || v === undefined ? "—" : (Number(v) * 100).toFixed(1) + "%";
  }

  function base(categories) {
    return {
      color: COLORS,
      animation: false,
      grid: { left: 56, right: 56, top: 40, bottom: 40, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      xAxis: { type: "category", data: categories, axisLabel: { hideOverlap: true, interval: 0, rotate: 20 } }
    };
  }

  var BUILDERS = {
    size: function (segs, labels) {
      var o = base(segs.map(function (s) { return s.name; }));
      o.yAxis = [{ type: "value", name: labels.size }, { type: "value", name: labels.yuan }];
      o.series = [
        { name: labels.size, type: "bar", data: segs.map(function (s) { return s.size; }) },
        { name: labels.income, type: "line", yAxisIndex: 1, data: segs.map(function (s) { return s.income_yuan; }) }
      ];
      return o;
    },
    rates: function (segs, labels) {
      var o = base(segs.map(function (s) { return s.name; }));
      o.yAxis = { type: "value", axisLabel: { formatter: function (v) { return pct(v); } } };
      o.tooltip.valueFormatter = pct;
      o.series = [
        { name: labels.response, type: "bar", data: segs.map(function (s) { return s.response; }) },
        { name: labels.approval, type: "bar", data: segs.map(function (s) { return s.approval; }) }
      ];
      return o;
    },
    channel: function (segs, labels) {
      var bands = [];
      segs.forEach(function (s) {
        (s.by_age || []).forEach(function (a) {
          if (bands.indexOf(a.band) < 0) {
            bands.push(a.band);
          }
        });
      });
      var o = base(bands);
      o.xAxis.axisLabel.rotate = 0;
      o.yAxis = { type: "value", max: 1, name: labels.digital, axisLabel: { formatter: function (v) { return pct(v); } } };
      o.tooltip.valueFormatter = pct;
      o.series = segs.map(function (s) {
        var byBand = {};
        (s.by_age || []).forEach(function (a) { byBand[a.band] = a.digital; });
        return { name: s.name, type: "bar", data: bands.map(function (b) { return byBand[b] === undefined ? null : byBand[b]; }) };
      });
      return o;
    }
  };

  function draw() {
    var island = readIsland();
    if (!island || typeof window.echarts === "undefined") {
      return;
    }
    var segs = (island.data && island.data.segments) || [];
    var labels = island.labels || {};
    var charts = [];
    var elements = document.querySelectorAll(".chart[data-chart]");
    for (var i = 0; i < elements.length; i++) {
      var build = BUILDERS[elements[i].getAttribute("data-chart")];
      if (!build || !segs.length) {
        continue;
      }
      var chart = window.echarts.init(elements[i], null, { renderer: "canvas" });
      chart.setOption(build(segs, labels));
      elements[i].setAttribute("data-rendered", "1");
      charts.push(chart);
    }
    window.addEventListener("resize", function () {
      for (var j = 0; j < charts.length; j++) {
        charts[j].resize();
      }
    });
  }

  window.LoanPilotSegments = { draw: draw };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
