// The peer: ONNX Runtime (npm onnxruntime-node, CPU execution provider, all graph optimisations)
// timing one model the way `kinglet bench --json` times a .kgl, printing the same JSON fields.
//
//   node ort_bench.js MODEL.onnx --threads N --runs R --warmup W
'use strict';
const ort = require('onnxruntime-node');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

// Standard normal samples (Box-Muller), seeded so every run feeds the same input.
function normalSamples(count, seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 4294967297;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

async function main() {
  const path = process.argv[2];
  const threads = option('--threads', 1);
  const runs = option('--runs', 100);
  const warmup = option('--warmup', 10);
  const rssBeforeKb = Math.round(process.memoryUsage().rss / 1024);
  const loadStart = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(path, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
  const feeds = {};
  session.inputNames.forEach((name, index) => {
    const meta = Array.isArray(session.inputMetadata) ? session.inputMetadata[index] : session.inputMetadata[name];
    const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const count = dims.reduce((a, b) => a * b, 1);
    feeds[name] = new ort.Tensor('float32', normalSamples(count, index + 1), dims);
  });
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
  console.log(JSON.stringify({
    model: path, threads, runs, median_ms: at(0.5), p10_ms: at(0.1), p90_ms: at(0.9), load_ms: loadMs,
    peak_rss_kb: process.resourceUsage().maxRSS, rss_before_load_kb: rssBeforeKb,
  }));
}

main().catch((e) => {
  console.error(`ort_bench: ${e.message || e}`);
  process.exit(1);
});
