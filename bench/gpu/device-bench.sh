#!/usr/bin/env bash
# Issue 7's GPU comparison, run ON the lent GPU machine from the project root (it has no Node: the
# carry folder from bench/gpu/make-bundle.mjs brings it). Logs and JSON go to $WORK (default
# /tmp/gpu-out), packed at the end into $OUT/gpu-out.tgz when OUT is set (the device tool returns
# at most 8 files). Prints one summary line per setting.
# Usage: bash bench/gpu/device-bench.sh [SIZES=512] [LOSSES=l1]
#   env KERNELS="stock all"   our webgpu kernels per run (PCONV_WEBGPU_KERNELS: stock, all, filter,input)
#       PROFILE=1             per-kernel GPU times of the last KERNELS setting (profile-webgpu.mjs)
#       TF32=1                also PyTorch with TF32; BATCH, WARMUP, REPEATS as the bench's flags
#       CHECK=1               our kernels against the cpu backend first (check-webgpu-kernels.mjs)
#       CPU_PROFILE=1         the JavaScript thread's time by function (node --cpu-prof) of the last
#                             KERNELS setting's bench, summarised (summarize-cpuprofile.mjs)
#       VERIFY=1              `bench --verify` of the last KERNELS setting (32 px, loss full, vs cpu)
set -uo pipefail
WORK=${WORK:-/tmp/gpu-out}; mkdir -p "$WORK"
SIZES=${1:-512}; LOSSES=${2:-l1}; BATCH=${BATCH:-4}; WARMUP=${WARMUP:-2}; REPEATS=${REPEATS:-5}
read -ra kernel_sets <<<"${KERNELS:-all}"
[ "${#kernel_sets[@]}" -gt 0 ] || kernel_sets=(all)
last=${kernel_sets[-1]}
source .gpu-carry/setup.sh >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log"; exit 1; }
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# setup.sh points Vulkan at the NVIDIA driver; elsewhere (a software Vulkan, for trying this script) let the loader look.
[ -f "${VK_DRIVER_FILES:-}" ] || unset VK_DRIVER_FILES
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
py=$(command -v python3)
if [ "${CHECK:-0}" = 1 ]; then
  echo "== kernel check"
  timeout 300 node .gpu-carry/check-webgpu-kernels.mjs 2>"$WORK/check.err" | tee "$WORK/check.txt" | grep -v '^filter\|^input\|^adam'
  check_rc=${PIPESTATUS[0]}
  [ "$check_rc" = 0 ] || echo "kernel check: exit $check_rc (see check.txt, check.err)"
fi
for size in ${SIZES//,/ }; do
  for loss in ${LOSSES//,/ }; do
    tag="$size-$loss"
    timeout 300 "$py" bench/peers/pytorch_pconv.py --device cuda --size "$size" --batch "$BATCH" --loss "$loss" --warmup 3 --repeats 10 >"$WORK/peer-$tag.json" 2>"$WORK/peer-$tag.err" || echo "peer $tag failed: $(tail -c 300 "$WORK/peer-$tag.err")"
    if [ "${TF32:-0}" = 1 ]; then "$py" bench/peers/pytorch_pconv.py --device cuda --tf32 --size "$size" --batch "$BATCH" --loss "$loss" --warmup 3 --repeats 10 >"$WORK/peer-tf32-$tag.json" 2>>"$WORK/peer-$tag.err"; fi
    for kernels in "${kernel_sets[@]}"; do
      PCONV_WEBGPU_KERNELS=$kernels timeout 400 node .gpu-carry/pconv.mjs bench --backend webgpu --json --size "$size" --batch "$BATCH" --loss "$loss" --warmup "$WARMUP" --repeats "$REPEATS" ${BENCH_FLAGS:-} 2>"$WORK/ours-$tag-$kernels.err" | grep -v '"type":"progress"' >"$WORK/ours-$tag-$kernels.jsonl" || echo "ours $tag $kernels failed: $(grep -v Warning "$WORK/ours-$tag-$kernels.err" | tail -c 400)"
    done
    if [ "${PROFILE:-0}" = 1 ]; then PCONV_WEBGPU_KERNELS=$last timeout 300 node .gpu-carry/profile-webgpu.mjs --size "$size" --batch "$BATCH" --loss "$loss" --top 40 >"$WORK/profile-$tag-$last.md" 2>>"$WORK/ours-$tag-$last.err" || echo "profile $tag failed (see ours-$tag-$last.err)"; head -16 "$WORK/profile-$tag-$last.md"; fi
  done
done
if [ "${CPU_PROFILE:-0}" = 1 ]; then
  echo "== JavaScript thread, kernels=$last, ${SIZES%%,*} px ${LOSSES%%,*}"
  rm -rf "$WORK/cpuprof"
  PCONV_WEBGPU_KERNELS=$last timeout 300 node --cpu-prof --cpu-prof-dir="$WORK/cpuprof" .gpu-carry/pconv.mjs bench --backend webgpu --size "${SIZES%%,*}" --batch "$BATCH" --loss "${LOSSES%%,*}" --warmup "$WARMUP" --repeats "$REPEATS" ${BENCH_FLAGS:-} 2>"$WORK/cpuprof.err" | grep "train step"
  if [ -d "$WORK/cpuprof" ]; then node .gpu-carry/summarize-cpuprofile.mjs "$WORK/cpuprof" 25 | tee "$WORK/cpuprofile.txt"; else echo "no CPU profile written (see cpuprof.err)"; fi
  rm -rf "$WORK/cpuprof"
fi
if [ "${VERIFY:-0}" = 1 ]; then
  echo "== verify, kernels=$last"
  PCONV_WEBGPU_KERNELS=$last timeout 300 node .gpu-carry/pconv.mjs bench --backend webgpu --size 64 --batch 2 --loss full --verify --warmup 0 --repeats 1 2>"$WORK/verify.err" | tail -4 | tee "$WORK/verify.txt"
  [ -s "$WORK/verify.txt" ] || echo "verify printed nothing (see verify.err)"
fi
# One line per setting: ours vs the fp32 peer (median ms per training step, inference images/s).
node -e '
const fs = require("fs"), dir = process.argv[1];
const read = (f) => { try { return JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8")); } catch { return null; } };
for (const f of fs.readdirSync(dir).filter((f) => f.startsWith("ours-") && f.endsWith(".jsonl")).sort()) {
  const [, size, loss, kernels] = f.slice(0, -6).split("-");
  const lines = fs.readFileSync(`${dir}/${f}`, "utf8").trim().split("\n").map((l) => { try { return JSON.parse(l); } catch { return {}; } });
  const ours = lines.find((e) => e.type === "result")?.data;
  const peer = read(`peer-${size}-${loss}.json`), tf32 = read(`peer-tf32-${size}-${loss}.json`);
  if (!ours || !peer) { console.log(f, "missing result"); continue; }
  const o = ours.train.msPerStep, p = peer.train.msPerStep.median;
  console.log(`${size} ${loss} kernels=${kernels}: train ${o.median.toFixed(1)} ms (min ${o.min.toFixed(1)}) / torch fp32 ${p.toFixed(1)} = ${(o.median / p).toFixed(2)}x` +
    (tf32 ? ` (TF32 ${tf32.train.msPerStep.median.toFixed(1)})` : "") +
    `; infer ${ours.inference.imagesPerSecond.toFixed(1)} / ${peer.inference.imagesPerSecond.toFixed(1)} img/s; GPU bytes ${ours.memory.framework.numBytesAllocatedInGPU ?? "?"} vs ${peer.memory.framework.peakDeviceBytes ?? "?"}`);
}' "$WORK"
if [ -n "${OUT:-}" ]; then tar czf "$OUT/gpu-out.tgz" -C "$(dirname "$WORK")" "$(basename "$WORK")"; fi
