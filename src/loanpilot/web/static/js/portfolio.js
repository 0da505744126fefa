/* The portfolio pages' charts (ECharts), drawn from the JSON island #portfolio-data
 * ({page, data, labels}). Each chart element is <div class="chart" data-chart="NAME">; once drawn
 * it gets data-rendered="1". The same figures are in the tables beside the charts. */
(function () {
  "use strict";

  var COLORS = ["#1f6feb", "#d97706", "#059669", "#b91c1c", "#7c3aed", "#0891b2", "#be185d",
    "#4d7c0f", "#92400e", "#475569"];

  function readIsland() {
    var island = document.getElementById("portfolio-data");
    if (!island) {
      return null;
    }
    try {
      return JSON.parse(island.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function pct(v, digits) {
    if (v === null || v === undefined) {
      return "—";
    }
    return (Number(v) * 100).toFixed(digits === undefined ? 2 : digits) + "%";
  }

  function pctAxis() {
    return { type: "value", axisLabel: { formatter: function (v) { return pct(v, 1); } } };
  }

  function wan(fen) {
    return fen === null || fen === undefined ? null : Math.round(fen / 100) / 10000;
  }

  function base(categories) {
    return {
      color: COLORS,
      animation: false,
      grid: { left: 56, right: 40, top: 40, bottom: 40, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      xAxis: { type: "category", data: categories, axisLabel: { hideOverlap: true } }
    };
  }

  var PAGES = {};

  /* Five classes from normal to loss, buckets from M0 to M7+: green through amber to dark red. */
  var CLASS_COLORS = ["#059669", "#d97706", "#ea580c", "#b91c1c", "#7f1d1d"];
  var BUCKET_COLORS = ["#059669", "#eab308", "#f59e0b", "#f97316", "#ea580c", "#dc2626", "#b91c1c", "#7f1d1d"];

  /* One 100 % bar of the whole book split into its parts (items: {label, balance_fen}); the
   * tooltip gives each part's share and balance, the bar labels the parts of 5 % or more. */
  function mix(d, items, colors) {
    var total = items.reduce(function (s, x) { return s + (x.balance_fen || 0); }, 0);
    return {
      color: colors,
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var fen = items[p.seriesIndex].balance_fen;
          return p.seriesName + ": " + pct(p.value) + " (" + wan(fen) + " " + d.labels.wan + ")";
        }
      },
      legend: { top: 0, type: "scroll", itemWidth: 14, itemHeight: 10 },
      grid: { left: 4, right: 4, top: 34, bottom: 4 },
      xAxis: { type: "value", max: 1, show: false },
      yAxis: { type: "category", data: [d.labels.share], show: false },
      series: items.map(function (x) {
        var share = total ? x.balance_fen / total : 0;
        return {
          name: x.label, type: "bar", stack: "mix", barWidth: 30, data: [share],
          label: { show: share >= 0.05, color: "#fff", formatter: function (p) { return pct(p.value, 1); } }
        };
      })
    };
  }

  /* Bars of the parts other than ``skip`` (normal, M0), on their own axis. */
  function rest(d, items, colors, skip) {
    var o = base([]);
    var names = [];
    var data = [];
    items.forEach(function (x, i) {
      if (x.key !== skip) {
        names.push(x.label);
        data.push({ value: wan(x.balance_fen), itemStyle: { color: colors[i % colors.length] } });
      }
    });
    o.xAxis.data = names;
    o.legend = { show: false };
    o.yAxis = { type: "value", name: d.labels.wan };
    o.tooltip.valueFormatter = function (v) { return v + " " + d.labels.wan; };
    o.series = [{
      name: d.labels.balance, type: "bar", data: data,
      label: { show: true, position: "top", fontSize: 10, formatter: function (p) { return p.value ? Number(p.value).toLocaleString() : ""; } }
    }];
    return o;
  }

  function classItems(d) {
    return d.by_class.map(function (c) { return { key: c["class"], label: c.label, balance_fen: c.balance_fen }; });
  }

  function bucketItems(d) {
    return d.by_bucket.map(function (b) { return { key: b.bucket, label: b.bucket, balance_fen: b.balance_fen }; });
  }

  PAGES.overview = {
    "by-class-mix": function (d) { return mix(d, classItems(d), CLASS_COLORS); },
    "by-class": function (d) { return rest(d, classItems(d), CLASS_COLORS, "normal"); },
    "by-bucket-mix": function (d) { return mix(d, bucketItems(d), BUCKET_COLORS); },
    "by-bucket": function (d) { return rest(d, bucketItems(d), BUCKET_COLORS, "M0"); },
    "trend-balance": function (d) {
      var o = base(d.trend.map(function (t) { return t.as_of; }));
      o.yAxis = { type: "value", name: d.labels.wan };
      o.series = [{ name: d.labels.balance, type: "bar", data: d.trend.map(function (t) { return wan(t.balance_fen); }) }];
      return o;
    },
    "trend-ratios": function (d) {
      var o = base(d.trend.map(function (t) { return t.as_of; }));
      o.yAxis = pctAxis();
      o.tooltip.valueFormatter = function (v) { return pct(v); };
      o.color = [COLORS[3], COLORS[1], COLORS[0]];
      o.series = ["npl_ratio", "dpd30_ratio", "overdue_ratio"].map(function (k) {
        return { name: d.labels[k], type: "line", data: d.trend.map(function (t) { return t[k]; }) };
      });
      return o;
    }
  };

  PAGES.roll = {
    "roll-heatmap": function (d) {
      var cells = [];
      (d.balance_share || []).forEach(function (row, i) {
        row.forEach(function (v, j) {
          if (v !== null) {
            cells.push([j, i, Math.round(v * 10000) / 100]);
          }
        });
      });
      return {
        animation: false,
        tooltip: { formatter: function (p) { return d.buckets[p.value[1]] + " → " + d.state_labels[p.value[0]] + ": " + p.value[2] + "%"; } },
        grid: { left: 56, right: 24, top: 16, bottom: 72, containLabel: true },
        xAxis: { type: "category", data: d.state_labels, splitArea: { show: true } },
        yAxis: { type: "category", data: d.buckets, inverse: true, splitArea: { show: true } },
        visualMap: { min: 0, max: 100, calculable: true, orient: "horizontal", left: "center", bottom: 0, inRange: { color: ["#f8fafc", "#fde68a", "#b91c1c"] } },
        series: [{ type: "heatmap", data: cells, label: { show: true, formatter: function (p) { return p.value[2] >= 0.1 ? p.value[2].toFixed(1) : ""; } } }]
      };
    },
    "flow-trend": function (d) {
      var t = d.trend || { months: [], series: {} };
      var o = base(t.months);
      o.yAxis = pctAxis();
      o.tooltip.valueFormatter = function (v) { return pct(v); };
      o.series = Object.keys(t.series).map(function (b) {
        return { name: b + "→", type: "line", connectNulls: false, data: t.series[b] };
      });
      return o;
    }
  };

  /* Up to this many curves get a legend (wrapped over as many lines as it needs, never paged);
   * more are told apart by shade, light for the earliest group to dark for the latest. */
  var LEGEND_MAX = 24;

  function shade(i, n) {
    var t = n > 1 ? i / (n - 1) : 1;
    var from = [191, 219, 254];
    var to = [30, 58, 138];
    var c = from.map(function (f, k) { return Math.round(f + (to[k] - f) * t); });
    return "rgb(" + c.join(",") + ")";
  }

  PAGES.vintages = {
    "vintage-curves": function (d, element) {
      var longest = 0;
      d.groups.forEach(function (g) { longest = Math.max(longest, g.mob.length ? g.mob[g.mob.length - 1] + 1 : 0); });
      var mobs = [];
      for (var k = 0; k < longest; k++) { mobs.push(k); }
      var o = base(mobs);
      var many = d.groups.length > LEGEND_MAX;
      o.xAxis.name = d.labels.mob;
      o.xAxis.nameLocation = "middle";
      o.xAxis.nameGap = 28;
      o.yAxis = pctAxis();
      o.tooltip.valueFormatter = function (v) { return pct(v); };
      if (many) {
        o.legend = { show: false };
        o.tooltip = {
          trigger: "item",
          formatter: function (p) { return p.seriesName + " · " + d.labels.mob + " " + p.dataIndex + ": " + pct(p.value); }
        };
        o.grid.top = 16;
      } else {
        var width = (element && element.clientWidth) || 800;
        var perLine = Math.max(1, Math.floor((width - 40) / 86));
        var lines = Math.ceil(d.groups.length / perLine);
        o.legend = { type: "plain", top: 0, left: "center", itemWidth: 16, itemGap: 8 };
        o.grid.top = 16 + lines * 22;
        element.style.height = (300 + lines * 22) + "px";
      }
      o.series = d.groups.map(function (g, i) {
        var values = mobs.map(function () { return null; });
        g.mob.forEach(function (m, j) { values[m] = g[d.metric][j]; });
        var line = { name: g.label, type: "line", showSymbol: false, data: values, emphasis: { focus: "series" } };
        if (many) {
          line.lineStyle = { width: 1.2, color: shade(i, d.groups.length) };
          line.itemStyle = { color: shade(i, d.groups.length) };
        }
        return line;
      });
      return o;
    },
    "fpd": function (d) {
      var o = base(d.fpd.map(function (r) { return r.cohort; }));
      o.yAxis = pctAxis();
      o.tooltip.valueFormatter = function (v) { return pct(v); };
      o.color = [COLORS[3]];
      o.series = [{ name: d.labels.fpd_rate, type: "bar", data: d.fpd.map(function (r) { return r.fpd_rate; }) }];
      return o;
    }
  };

  PAGES.concentration = {
    "concentration": function (d) {
      var rows = d.rows.slice(0, 20);
      var o = base(rows.map(function (r) { return r.label; }));
      o.xAxis.axisLabel.rotate = rows.length > 6 ? 30 : 0;
      o.yAxis = pctAxis();
      o.tooltip.valueFormatter = function (v) { return pct(v); };
      o.series = [
        { name: d.labels.share, type: "bar", data: rows.map(function (r) { return r.share; }) },
        { name: "Σ", type: "line", data: rows.map(function (r) { return r.cumulative_share; }) }
      ];
      return o;
    }
  };

  PAGES.applicants = {
    "funnel": function (d) {
      var o = base(d.funnel.map(function (r) { return r.month; }));
      o.yAxis = [{ type: "value", minInterval: 1 }, pctAxis()];
      o.series = [
        { name: d.labels.applications, type: "bar", data: d.funnel.map(function (r) { return r.applications; }) },
        { name: d.labels.approved, type: "bar", data: d.funnel.map(function (r) { return r.approved; }) },
        { name: d.labels.disbursed, type: "bar", data: d.funnel.map(function (r) { return r.disbursed; }) },
        { name: d.labels.approval_rate, type: "line", yAxisIndex: 1, data: d.funnel.map(function (r) { return r.approval_rate; }), tooltip: { valueFormatter: function (v) { return pct(v); } } },
        { name: d.labels.pass_through, type: "line", yAxisIndex: 1, data: d.funnel.map(function (r) { return r.pass_through; }), tooltip: { valueFormatter: function (v) { return pct(v); } } }
      ];
      return o;
    },
    "psi-bins": function (d) {
      var bins = d.score_psi ? d.score_psi.bins : [];
      var o = base(bins.map(function (b) { return b.label; }));
      o.xAxis.axisLabel.rotate = 30;
      o.yAxis = pctAxis();
      o.tooltip.valueFormatter = function (v) { return pct(v, 1); };
      o.color = ["#94a3b8", COLORS[0]];
      o.series = [
        { name: d.labels.baseline, type: "bar", data: bins.map(function (b) { return b.expected_share; }) },
        { name: d.labels.recent, type: "bar", data: bins.map(function (b) { return b.actual_share; }) }
      ];
      return o;
    }
  };

  function draw() {
    var island = readIsland();
    if (!island || typeof window.echarts === "undefined") {
      return;
    }
    var builders = PAGES[island.page] || {};
    var data = island.data || {};
    data.labels = island.labels || {};
    var charts = [];
    var elements = document.querySelectorAll(".chart[data-chart]");
    for (var i = 0; i < elements.length; i++) {
      var element = elements[i];
      var build = builders[element.getAttribute("data-chart")];
      if (!build) {
        continue;
      }
      var option = build(data, element);
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(option);
      element.setAttribute("data-rendered", "1");
      charts.push(chart);
    }
    window.addEventListener("resize", function () {
      for (var j = 0; j < charts.length; j++) {
        charts[j].resize();
      }
    });
  }

  window.LoanPilotPortfolio = { draw: draw };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
