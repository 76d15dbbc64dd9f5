// bench/engine's driver: times the engine (`kinglet bench`) and ONNX Runtime (ort_bench.js) on
// the same models, alternating them round by round so a noisy machine slows both alike, and
// prints one table (best median of the rounds, the ratio, model footprint, load time).
// run.sh prepares everything this reads; see it for the arguments.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const [kinglet, workDir, ...models] = process.argv.slice(2);
// Five: on a shared VM a slow spell of a few seconds can cover three rounds of one model.
const ROUNDS = 5;
const THREADS = [1, 2];

function runJson(cmd, args) {
  const out = execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

// Little-endian float32 .npy payload (the reference outputs make_fixtures writes).
function readNpyFloats(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const body = buf.subarray(10 + headerLen);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
}

// Largest |engine - PyTorch| relative to the reference's largest magnitude.
function checkAgainstReference(name, kgl) {
  const input = path.join(workDir, `${name}.input.npy`);
  const expected = path.join(workDir, `${name}.output.npy`);
  if (!fs.existsSync(input) || !fs.existsSync(expected)) return null;
  const got = path.join(workDir, `${name}.engine-output.npy`);
  execFileSync(kinglet, ['run', kgl, '--input', input, '--output', got], { encoding: 'utf8' });
  const a = readNpyFloats(got);
  const b = readNpyFloats(expected);
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

const runsFor = (name) => (/resnet|mobilenet|squeezenet/.test(name) ? 40 : 300);
const rows = [];
for (const name of models) {
  const onnx = path.join(workDir, `${name}.onnx`);
  const kgl = path.join(workDir, `${name}.kgl`);
  const int8 = path.join(workDir, `${name}.int8.kgl`);
  const diff = checkAgainstReference(name, kgl);
  for (const threads of THREADS) {
    const common = ['--threads', String(threads), '--runs', String(runsFor(name)), '--warmup', '5'];
    const best = { engine: null, ort: null, int8: null };
    const keep = (key, r) => {
      if (best[key] === null || r.median_ms < best[key].median_ms) best[key] = r;
    };
    for (let round = 0; round < ROUNDS; round++) {
      keep('engine', runJson(kinglet, ['bench', kgl, '--json', ...common]));
      keep('ort', runJson('node', [path.join(__dirname, 'ort_bench.js'), onnx, ...common]));
      if (fs.existsSync(int8)) keep('int8', runJson(kinglet, ['bench', int8, '--json', ...common]));
    }
    rows.push({ name, threads, diff, ...best });
    process.stderr.write(`  ${name} x${threads} done\n`);
  }
}

const mb = (r) => ((r.peak_rss_kb - r.rss_before_load_kb) / 1024).toFixed(1);
const pad = (s, n) => String(s).padStart(n);
console.log(
  `${'model'.padEnd(16)} thr  engine ms   ORT ms  ratio  int8 ms  int8/ORT  engine MB  ORT MB  ` +
    `load ms (engine/ORT)  max diff vs PyTorch`);
const ratios = { 1: [], 2: [] };
for (const r of rows) {
  const ratio = r.engine.median_ms / r.ort.median_ms;
  ratios[r.threads].push(ratio);
  const int8 = r.int8 ? r.int8.median_ms.toFixed(3) : '-';
  const int8Ratio = r.int8 ? (r.int8.median_ms / r.ort.median_ms).toFixed(2) : '-';
  console.log(
    `${r.name.padEnd(16)} ${pad(r.threads, 3)} ${pad(r.engine.median_ms.toFixed(3), 10)} ` +
      `${pad(r.ort.median_ms.toFixed(3), 8)} ${pad(ratio.toFixed(2), 6)} ${pad(int8, 8)} ${pad(int8Ratio, 9)} ` +
      `${pad(mb(r.engine), 10)} ${pad(mb(r.ort), 7)} ` +
      `${pad(`${r.engine.load_ms.toFixed(1)} / ${r.ort.load_ms.toFixed(1)}`, 21)} ` +
      `${pad(r.diff === null ? '-' : r.diff.toExponential(1), 20)}`);
}
const geomean = (v) => Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
for (const t of THREADS) {
  console.log(`geometric mean engine/ORT at ${t} thread(s): ${geomean(ratios[t]).toFixed(3)} (target <= 0.9)`);
}
console.log('MB = peak RSS minus RSS before the model was loaded (each runtime in its own process).');
