#!/usr/bin/env node
// Self time per function of a V8 CPU profile (node --cpu-prof --cpu-prof-dir DIR ...), largest first:
// where the JavaScript thread of a webgpu training step spends its time (docs/profile-webgpu.md).
// Usage: node bench/gpu/summarize-cpuprofile.mjs DIR [TOP=30]
import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2], top = Number(process.argv[3] ?? 30);
const f = readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))[0];
const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const agg = new Map();
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const n = byId.get(p.samples[i]); const t = p.timeDeltas[i] || 0; total += t;
  const k = `${n.callFrame.functionName || '(anon)'} ${(n.callFrame.url || '').split('/').slice(-1)[0]}:${n.callFrame.lineNumber}`;
  agg.set(k, (agg.get(k) || 0) + t);
}
console.log(`total ${(total / 1000).toFixed(0)} ms`);
for (const [k, t] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(t / 1000).toFixed(0).padStart(7)} ${((100 * t) / total).toFixed(1).padStart(5)}% ${k}`);
