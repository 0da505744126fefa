/* Appraisal pages: the plan editor's live weights total (#weights-total, from every
 * input[data-weight]) and the run page's score distribution chart (ECharts), drawn from the JSON
 * island #appraisal-data ({bands, counts, labels}). The same figures are in the tables. */
(function () {
  "use strict";

  function weights() {
    var out = document.getElementById("weights-total");
    if (!out) {
      return;
    }
    function update() {
      var total = 0;
      var bad = false;
      document.querySelectorAll("input[data-weight]").forEach(function (el) {
        var text = (el.value || "").trim();
        if (!text) {
          return;
        }
        var value = Number(text.replace(/,/g, ""));
        if (isNaN(value)) {
          bad = true;
        } else {
          total += value;
        }
      });
      var rounded = Math.round(total * 100) / 100;
      out.textContent = rounded + "%";
      out.setAttribute("data-total", String(rounded));
      var ok = !bad && Math.abs(rounded - 100) < 0.005;
      out.classList.toggle("ok", ok);
      out.classList.toggle("bad", !ok);
    }
    document.addEventListener("input", function (e) {
      if (e.target && e.target.hasAttribute && e.target.hasAttribute("data-weight")) {
        update();
      }
    });
    update();
  }

  function chart() {
    var island = document.getElementById("appraisal-data");
    var el = document.querySelector("[data-chart='distribution']");
    if (!island || !el || typeof echarts === "undefined") {
      return;
    }
    var d;
    try {
      d = JSON.parse(island.textContent || "{}");
    } catch (e) {
      return;
    }
    var c = echarts.init(el);
    c.setOption({
      color: ["#1f6feb"], animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 24, top: 24, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: d.bands, name: d.labels.total },
      yAxis: { type: "value", name: d.labels.people, minInterval: 1 },
      series: [{ name: d.labels.people, type: "bar", data: d.counts }]
    });
    el.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { c.resize(); });
  }

  function start() {
    weights();
    chart();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
