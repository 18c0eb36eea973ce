#!/usr/bin/env bash
# Issue 7's GPU comparison, run ON the lent GPU machine from the project root (it has no Node: the
# carry folder from bench/gpu/make-bundle.mjs brings it). Writes JSON and logs to $OUT (or ./gpu-out).
# Usage: bash bench/gpu/device-bench.sh [SIZES=512] [LOSSES=l1] ; env PROFILE=1 adds per-kernel GPU times,
#        TF32=1 adds PyTorch with TF32, WARMUP / REPEATS as the bench's flags (default 2 / 5).
set -uo pipefail
OUT=${OUT:-gpu-out}; mkdir -p "$OUT"
SIZES=${1:-512}; LOSSES=${2:-l1}; BATCH=${BATCH:-4}; WARMUP=${WARMUP:-2}; REPEATS=${REPEATS:-5}
source .gpu-carry/setup.sh >"$OUT/setup.log" 2>&1 || { cat "$OUT/setup.log"; exit 1; }
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
node --version
py=$(command -v python3)
for size in ${SIZES//,/ }; do
  for loss in ${LOSSES//,/ }; do
    tag="$size-$loss"
    echo "== $tag peer (fp32)"; timeout 300 "$py" bench/peers/pytorch_pconv.py --device cuda --size "$size" --batch "$BATCH" --loss "$loss" --warmup 3 --repeats 10 >"$OUT/peer-$tag.json" 2>"$OUT/peer-$tag.err"; echo "rc $?"
    if [ "${TF32:-0}" = 1 ]; then "$py" bench/peers/pytorch_pconv.py --device cuda --tf32 --size "$size" --batch "$BATCH" --loss "$loss" --warmup 3 --repeats 10 >"$OUT/peer-tf32-$tag.json" 2>>"$OUT/peer-$tag.err"; fi
    echo "== $tag ours (webgpu)"; timeout 400 node .gpu-carry/pconv.mjs bench --backend webgpu --json --size "$size" --batch "$BATCH" --loss "$loss" --warmup "$WARMUP" --repeats "$REPEATS" ${BENCH_FLAGS:-} 2>"$OUT/ours-$tag.err" | grep -v '"type":"progress"' >"$OUT/ours-$tag.jsonl"; echo "rc $?"
    if [ "${PROFILE:-0}" = 1 ]; then echo "== $tag profile"; timeout 300 node .gpu-carry/profile-webgpu.mjs --size "$size" --batch "$BATCH" --loss "$loss" --top 40 >"$OUT/profile-$tag.md" 2>>"$OUT/ours-$tag.err"; echo "rc $?"; fi
  done
done
# One line per setting: ours vs the peer (median ms per training step, inference images/s).
node -e '
const fs = require("fs"), out = process.argv[1];
for (const f of fs.readdirSync(out).filter((f) => f.startsWith("peer-") && f.endsWith(".json")).sort()) {
  const tag = f.slice(5, -5).replace(/^tf32-/, "");
  try {
    const peer = JSON.parse(fs.readFileSync(`${out}/${f}`, "utf8"));
    const lines = fs.readFileSync(`${out}/ours-${tag}.jsonl`, "utf8").trim().split("\n").map((l) => { try { return JSON.parse(l); } catch { return {}; } });
    const ours = lines.find((e) => e.type === "result")?.data;
    if (!ours) { console.log(tag, "ours: no result"); continue; }
    const o = ours.train.msPerStep.median, p = peer.train.msPerStep.median;
    console.log(`${f}: train ${o.toFixed(1)} / ${p.toFixed(1)} ms = ${(o / p).toFixed(2)}x; infer ${ours.inference.imagesPerSecond.toFixed(1)} / ${peer.inference.imagesPerSecond.toFixed(1)} img/s`);
  } catch (e) { console.log(f, String(e).slice(0, 200)); }
}' "$OUT"
