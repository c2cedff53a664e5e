// PFF console: progressive enhancement only. Every page works without this
// file; with it, forms ask before destructive actions, trees fold all at
// once, keys copy, and plots draw. No inline script, no eval: the strict
// Content-Security-Policy allows this file and nothing else.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Ask before a destructive or consequential action.
  document.addEventListener("submit", function (ev) {
    var btn = ev.submitter || ev.target.querySelector("[data-confirm]");
    var msg = btn && btn.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
    }
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("[data-tree],[data-copy]");
    if (!t) return;
    if (t.hasAttribute("data-tree")) {
      var open = t.getAttribute("data-tree") === "open";
      document.querySelectorAll(".tree details").forEach(function (d) { d.open = open; });
    } else {
      var input = document.getElementById(t.getAttribute("data-copy"));
      if (input && navigator.clipboard) {
        navigator.clipboard.writeText(input.value).then(function () { t.textContent = "Copied"; });
      } else if (input) {
        input.select();
      }
    }
  });

  function data(el) {
    var src = document.getElementById(el.getAttribute("data-source"));
    return src ? JSON.parse(src.textContent) : null;
  }

  var palette = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#0a7ea4", "#bf3989", "#6e7781", "#9a6700", "#116329", "#953800", "#3e1f79"];

  // Loss and validation MRR per epoch, on two axes.
  function trainingPlot(el) {
    var d = data(el);
    if (!d || !window.uPlot || !d.epoch.length) return;
    var opts = {
      width: el.clientWidth || 600, height: 300,
      scales: { x: { time: false }, loss: {}, mrr: { range: [0, 1] } },
      series: [
        { label: "epoch" },
        { label: "loss", scale: "loss", stroke: "#0969da", width: 2 },
        { label: "valid MRR", scale: "mrr", stroke: "#cf222e", width: 2, spanGaps: true, points: { show: true, size: 6 } }
      ],
      axes: [
        { label: "epoch" },
        { scale: "loss", label: "loss" },
        { scale: "mrr", label: "MRR", side: 1, grid: { show: false } }
      ]
    };
    var plot = new window.uPlot(opts, [d.epoch, d.loss, d.mrr], el);
    window.addEventListener("resize", function () { plot.setSize({ width: el.clientWidth, height: 300 }); });
  }

  // The embedding map: points by type on a canvas, the nearest one's name
  // on hover.
  function mapPlot(el) {
    var d = data(el);
    if (!d || !d.types) return;
    var canvas = document.createElement("canvas");
    var legend = document.createElement("p");
    var tip = document.createElement("div");
    tip.className = "map-tip";
    tip.hidden = true;
    el.appendChild(canvas);
    el.appendChild(legend);
    document.body.appendChild(tip);
    var pts = [], minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    d.types.forEach(function (t, ti) {
      var item = document.createElement("span");
      var key = document.createElement("span");
      key.className = "swatch";
      key.style.background = palette[ti % palette.length];
      item.appendChild(key);
      item.appendChild(document.createTextNode(t.type + " (" + t.x.length + ")"));
      legend.appendChild(item);
      for (var i = 0; i < t.x.length; i++) {
        pts.push({ x: t.x[i], y: t.y[i], c: palette[ti % palette.length], label: t.labels[i] + " · " + t.type });
        minX = Math.min(minX, t.x[i]); maxX = Math.max(maxX, t.x[i]);
        minY = Math.min(minY, t.y[i]); maxY = Math.max(maxY, t.y[i]);
      }
    });
    var w, h, pad = 12;
    function sx(x) { return pad + (x - minX) / ((maxX - minX) || 1) * (w - 2 * pad); }
    function sy(y) { return h - pad - (y - minY) / ((maxY - minY) || 1) * (h - 2 * pad); }
    function draw() {
      var ratio = window.devicePixelRatio || 1;
      w = el.clientWidth || 800; h = 500;
      canvas.width = w * ratio; canvas.height = h * ratio;
      canvas.style.width = w + "px"; canvas.style.height = h + "px";
      var ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      ctx.globalAlpha = 0.75;
      pts.forEach(function (p) {
        ctx.fillStyle = p.c;
        ctx.beginPath();
        ctx.arc(sx(p.x), sy(p.y), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      });
    }
    canvas.addEventListener("mousemove", function (ev) {
      var r = canvas.getBoundingClientRect(), mx = ev.clientX - r.left, my = ev.clientY - r.top;
      var best = null, bestD = 64;
      pts.forEach(function (p) {
        var dx = sx(p.x) - mx, dy = sy(p.y) - my, dd = dx * dx + dy * dy;
        if (dd < bestD) { best = p; bestD = dd; }
      });
      if (!best) { tip.hidden = true; return; }
      tip.textContent = best.label;
      tip.hidden = false;
      tip.style.left = (ev.pageX + 12) + "px";
      tip.style.top = (ev.pageY + 12) + "px";
    });
    canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
    window.addEventListener("resize", draw);
    draw();
  }

  function plots(root) {
    root.querySelectorAll("[data-plot]").forEach(function (el) {
      if (el.getAttribute("data-drawn")) return;
      el.setAttribute("data-drawn", "1");
      try {
        if (el.getAttribute("data-plot") === "training") trainingPlot(el);
        if (el.getAttribute("data-plot") === "map") mapPlot(el);
      } catch (e) {
        el.textContent = "The plot could not be drawn: " + e.message;
      }
    });
  }

  // Content htmx swaps in (the map, a live panel) may hold plots too.
  document.addEventListener("htmx:afterSettle", function () { plots(document); });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { plots(document); });
  } else {
    plots(document);
  }
})();
