/* The uplift page's charts (ECharts), drawn from the JSON island #uplift-data
 * ({learners: [{name, label, qini: {share, value, random, perfect}, uplift: {share, value, random}}],
 *   labels: {x, qini_y, uplift_y, model, random, perfect}}); share is in % of the hold-out.
 * <div class="chart" data-chart="qini" data-learner="NAME">: that learner's Qini curve with the
 * random and the perfect line; <div class="chart" data-chart="uplift">: every learner's uplift
 * curve with the random line. Once drawn a chart gets data-rendered="1". The Qini figures are
 * also in the table under the charts. */
(function () {
  "use strict";

  var COLORS = ["#1f6feb", "#d97706", "#059669", "#7c3aed"];
  var GREY = "#94a3b8";
  var GREEN = "#16a34a";

  function island() {
    var el = document.getElementById("uplift-data");
    if (!el) {
      return null;
    }
    try {
      return JSON.parse(el.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function points(share, values) {
    return share.map(function (x, i) { return [x, values[i]]; });
  }

  function axes(d, yName) {
    return {
      animation: false,
      grid: { left: 56, right: 24, top: 64, bottom: 48, containLabel: true },
      legend: { top: 0 },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return v === null ? "—" : Number(v).toFixed(1); }
      },
      xAxis: { type: "value", min: 0, max: 100, name: d.labels.x, nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "value", name: yName, nameGap: 14 }
    };
  }

  function line(name, data, color, dashed) {
    return {
      name: name, type: "line", data: data, symbol: "none", color: color,
      lineStyle: dashed ? { type: "dashed", color: color } : { width: 2, color: color }
    };
  }

  function qiniOption(d, learner, color) {
    var q = learner.qini;
    var option = axes(d, d.labels.qini_y);
    option.series = [line(learner.label, points(q.share, q.value), color, false)];
    if (q.perfect) {
      option.series.push(line(d.labels.perfect, points(q.share, q.perfect), GREEN, true));
    }
    option.series.push(line(d.labels.random, points(q.share, q.random), GREY, true));
    return option;
  }

  function upliftOption(d) {
    var option = axes(d, d.labels.uplift_y);
    var series = [];
    var random = null;
    d.learners.forEach(function (l, i) {
      if (!l.uplift) {
        return;
      }
      series.push(line(l.label, points(l.uplift.share, l.uplift.value), COLORS[i % COLORS.length], false));
      random = random || points(l.uplift.share, l.uplift.random);
    });
    if (random) {
      series.push(line(d.labels.random, random, GREY, true));
    }
    option.series = series;
    return option;
  }

  function mount(element, option) {
    if (!element || typeof window.echarts === "undefined") {
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    element.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function draw() {
    var d = island();
    if (!d || !d.learners) {
      return;
    }
    d.learners.forEach(function (l, i) {
      if (!l.qini) {
        return;
      }
      var el = document.querySelector(".chart[data-chart='qini'][data-learner='" + l.name + "']");
      mount(el, qiniOption(d, l, COLORS[i % COLORS.length]));
    });
    mount(document.querySelector(".chart[data-chart='uplift']"), upliftOption(d));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
