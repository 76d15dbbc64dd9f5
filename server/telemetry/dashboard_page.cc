#include "telemetry/dashboard_page.h"

namespace kinglet::server {

const std::string& DashboardPage() {
  static const std::string page = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Kinglet — on-device latency</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; }
  h1 { font-size: 20px; margin: 0 0 12px; }
  .controls { margin-bottom: 16px; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 16px; }
  .chart { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; }
  .chart h2 { font-size: 14px; margin: 4px 0 8px; }
  .legend span { display: inline-block; margin-right: 12px; font-size: 12px; }
  .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
  table { border-collapse: collapse; background: #fff; margin-top: 16px; }
  th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; font-variant-numeric: tabular-nums; }
  th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
  #status { color: #a00; }
  .axis { stroke: #999; stroke-width: 1; }
  .grid { stroke: #eee; stroke-width: 1; }
  text { font-size: 11px; fill: #555; }
</style>
</head>
<body>
<h1>Kinglet — on-device latency</h1>
<div class="controls">
  Model <select id="model"></select>
  Range <select id="hours"><option value="1">1 h</option><option value="6">6 h</option>
  <option value="24" selected>24 h</option><option value="168">7 d</option></select>
  <span id="status"></span>
</div>
<div class="charts" id="charts"></div>
<table id="totals"></table>
<script>
"use strict";
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const CHARTS = [
  {key: "p50", title: "p50 latency", unit: "ms", scale: 1000},
  {key: "p90", title: "p90 latency", unit: "ms", scale: 1000},
  {key: "p99", title: "p99 latency", unit: "ms", scale: 1000},
  {key: "fetch_p50", title: "fetch time (p50)", unit: "s", scale: 1},
  {key: "error_rate", title: "error rate", unit: "%", scale: 100},
  {key: "runs", title: "runs per window", unit: "", scale: 1},
];
const $ = (id) => document.getElementById(id);
const svgNS = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const e = document.createElementNS(svgNS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}

function value(point, key) {
  if (key === "error_rate") {
    const events = point.runs + point.run_errors + point.load_errors + point.fetch_errors;
    return events ? (point.run_errors + point.load_errors + point.fetch_errors) / events : 0;
  }
  return point[key];
}

function drawChart(spec, data) {
  const box = document.createElement("div");
  box.className = "chart";
  box.dataset.chart = spec.key;
  box.innerHTML = "<h2></h2><div class='legend'></div>";
  box.querySelector("h2").textContent = spec.title + (spec.unit ? " (" + spec.unit + ")" : "");
  const W = 560, H = 200, L = 64, B = 22;
  const svg = el("svg", {width: "100%", viewBox: "0 0 " + W + " " + H}, box);
  const t0 = data.since, t1 = data.now;
  let vmax = 0;
  for (const s of data.series) for (const p of s.points) vmax = Math.max(vmax, value(p, spec.key) * spec.scale);
  if (vmax <= 0) vmax = 1;
  const x = (t) => L + (W - L - 8) * (t - t0) / Math.max(1, t1 - t0);
  const y = (v) => H - B - (H - B - 8) * v / vmax;
  for (let i = 0; i <= 4; ++i) {
    const v = vmax * i / 4;
    el("line", {x1: L, x2: W - 8, y1: y(v), y2: y(v), class: "grid"}, svg);
    el("text", {x: L - 4, y: y(v) + 4, "text-anchor": "end"}, svg).textContent = v.toPrecision(3);
  }
  el("line", {x1: L, x2: L, y1: 8, y2: H - B, class: "axis"}, svg);
  el("line", {x1: L, x2: W - 8, y1: H - B, y2: H - B, class: "axis"}, svg);
  [t0, (t0 + t1) / 2, t1].forEach((t, i) => {
    el("text", {x: x(t), y: H - 6, "text-anchor": ["start", "middle", "end"][i]}, svg).textContent =
        new Date(t * 1000).toISOString().substr(11, 5) + " UTC";
  });
  const legend = box.querySelector(".legend");
  data.series.forEach((s, i) => {
    const name = "v" + s.version + " " + s.device_class;
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map((p) => x(p.t + data.window_seconds / 2) + "," + y(value(p, spec.key) * spec.scale));
    const d = "M" + pts.join(" L");
    el("path", {d: d, fill: "none", stroke: color, "stroke-width": 2, class: "series", "data-series": name}, svg);
    for (const p of pts) {
      const [cx, cy] = p.split(",");
      el("circle", {cx: cx, cy: cy, r: 2.5, fill: color}, svg);
    }
    const item = document.createElement("span");
    item.innerHTML = "<i></i>";
    item.querySelector("i").style.background = color;
    item.appendChild(document.createTextNode(name));
    legend.appendChild(item);
  });
  return box;
}

function drawTotals(data) {
  const sizes = {};
  for (const a of data.artifacts) sizes[a.version + " " + a.device_class] = a.size;
  const head = ["version", "device class", "runs", "p50 ms", "p90 ms", "p99 ms", "errors", "loads",
                "fetches", "fetch p50 s", "fetch MB", "cache fallbacks", "artifact bytes"];
  const table = $("totals");
  table.innerHTML = "";
  const tr = table.insertRow();
  for (const h of head) { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); }
  for (const r of data.totals) {
    const row = table.insertRow();
    row.dataset.series = "v" + r.version + " " + r.device_class;
    const cells = [r.version, r.device_class, r.runs, (r.p50 * 1000).toFixed(3), (r.p90 * 1000).toFixed(3),
                   (r.p99 * 1000).toFixed(3), r.run_errors + r.load_errors + r.fetch_errors, r.loads, r.fetches,
                   r.fetch_p50.toFixed(3), (r.fetch_bytes / 1e6).toFixed(3), r.cache_fallbacks,
                   sizes[r.version + " " + r.device_class] ?? "—"];
    for (const c of cells) row.insertCell().textContent = c;
  }
}

async function load() {
  const model = $("model").value;
  if (!model) { $("status").textContent = "no model has reported telemetry yet"; return; }
  const response = await fetch("/v1/telemetry/summary?model=" + encodeURIComponent(model) +
                               "&hours=" + $("hours").value);
  if (!response.ok) { $("status").textContent = "summary: HTTP " + response.status; return; }
  const data = await response.json();
  $("status").textContent = data.series.length ? "" : "no telemetry for " + model + " in this range";
  const charts = $("charts");
  charts.innerHTML = "";
  for (const spec of CHARTS) charts.appendChild(drawChart(spec, data));
  drawTotals(data);
  document.body.dataset.loaded = "true";
}

async function start() {
  const response = await fetch("/v1/telemetry/summary");
  const models = response.ok ? (await response.json()).models : [];
  const select = $("model");
  for (const m of models) { const o = document.createElement("option"); o.textContent = m; select.appendChild(o); }
  const wanted = new URLSearchParams(location.search).get("model");
  if (wanted && models.includes(wanted)) select.value = wanted;
  select.onchange = load;
  $("hours").onchange = load;
  await load();
  setInterval(load, 30000);
}
start().catch((e) => { $("status").textContent = String(e); });
</script>
</body>
</html>
)HTML";
  return page;
}

}  // namespace kinglet::server
