#!/usr/bin/env bash
# Issue 20's whole pipeline, run ON the lent GPU machine from the project root: `pconv-bench run`
# of configs/gpu-rehearsal.yaml on webgpu (masks, both trainings with the real data loader, the
# streaming evaluation, the report), from the carry folder of `node bench/gpu/make-bundle.mjs
# .gpu-carry --pipeline` (the machine has no Node and no node_modules). While it runs, GPU memory
# (nvidia-smi) and the process's resident memory are sampled every ~0.5 s. At the end
# bench/gpu/summarize-pipeline.mjs turns the events into stage times, memory peaks and the data
# loader's figures (printed, and in summary.md), and everything that comes back is packed into
# $OUT/$NAME.tar.xz (in 15 MiB parts when larger): the events, samples and logs, and the run folder's report, results.json,
# training.json, run.json, logs and scores (the device returns at most 8 files).
# Usage: bash bench/gpu/device-pipeline.sh
#   env CONFIG=configs/gpu-rehearsal.yaml  the experiment (a small one to try the script on a CPU machine)
#       BACKEND=webgpu                     --backend of run; models run forward on tfjs (--inference tfjs)
#       DEADLINE=570                       seconds this whole script may take (the device call's limit
#                                          less a margin): run gets what setup left, less 60 s to stop and pack
#       WORK=/tmp/pipeline-out             where logs and the run folder go
#       NAME=gpu-pipeline                  the tarball's name and its top folder
#       RUN_FLAGS=                         more flags for run (e.g. --workers 8)
set -uo pipefail
started=$(date +%s)
CONFIG=${CONFIG:-configs/gpu-rehearsal.yaml}
BACKEND=${BACKEND:-webgpu}
DEADLINE=${DEADLINE:-570}
WORK=${WORK:-/tmp/pipeline-out}
NAME=${NAME:-gpu-pipeline}
rm -rf "$WORK" && mkdir -p "$WORK"
source .gpu-carry/setup.sh >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log"; exit 1; }
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# setup.sh points Vulkan at the NVIDIA driver; elsewhere (a software Vulkan, for trying this script) let the loader look.
[ -f "${VK_DRIVER_FILES:-}" ] || unset VK_DRIVER_FILES
{
  echo "date: $(date -u +%FT%TZ)"
  echo "node: $(node --version)"
  echo "cores: $(nproc)"
  grep MemTotal /proc/meminfo
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "gpu: none (nvidia-smi missing)"
  echo "config: $CONFIG; backend: $BACKEND; setup: $(($(date +%s) - started)) s"
} | tee "$WORK/machine.txt"

run_seconds=$((DEADLINE - ($(date +%s) - started) - 60))
[ "$run_seconds" -gt 10 ] || { echo "no time left for run ($run_seconds s)"; exit 1; }
node .gpu-carry/pconv.mjs run "$CONFIG" --run "$WORK/run" --backend "$BACKEND" --inference tfjs --json ${RUN_FLAGS:-} >"$WORK/events.jsonl" 2>"$WORK/run.err" &
node_pid=$!
# Every ~0.5 s while run lives: epoch seconds, GPU memory used (MiB), GPU utilisation (%), the
# process's resident memory (kB). At the deadline run is stopped as Ctrl-C stops it (SIGINT: a
# checkpoint saved, the stage ended cleanly, exit 130), and killed 20 s later if still there.
stop_at=$(($(date +%s) + run_seconds))
has_gpu=$(command -v nvidia-smi >/dev/null && echo 1 || echo 0)
(
  stopped=0
  while kill -0 "$node_pid" 2>/dev/null; do
    now=$(date +%s)
    if [ "$stopped" = 0 ] && [ "$now" -ge "$stop_at" ]; then
      kill -INT "$node_pid" && stopped=$now && echo "run stopped at the deadline, after $run_seconds s" >>"$WORK/machine.txt"
    elif [ "$stopped" != 0 ] && [ "$now" -ge $((stopped + 20)) ]; then
      kill -KILL "$node_pid" && echo "run killed 20 s after the stop" >>"$WORK/machine.txt"
    fi
    gpu=,
    [ "$has_gpu" = 1 ] && gpu=$(nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv,noheader,nounits 2>/dev/null | head -1 | tr -d ' ')
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$node_pid/status" 2>/dev/null)
    echo "$(date +%s.%N),$gpu,$rss"
    sleep 0.5
  done
) >"$WORK/memory.csv" &
sampler=$!
wait "$node_pid"
rc=$?
wait "$sampler"
echo "run exit code: $rc ($(($(date +%s) - started)) s since the script started)" | tee -a "$WORK/machine.txt"
grep -v '^\s*$' "$WORK/run.err" | grep -v 'Warning' | tail -n 15

node bench/gpu/summarize-pipeline.mjs "$WORK" --json "$WORK/summary.json" | tee "$WORK/summary.md"

if [ -n "${OUT:-}" ]; then
  # The work folder as it is (summarize-pipeline.mjs reads the unpacked tarball the same way), its
  # run folder without what is large and can be made again: checkpoints (~400 MB each at 512 px),
  # mask PNGs, TensorBoard files, the chart PNGs (inlined in index.html, as are the sample
  # pictures: most of its ~90 MB at 512 px). Validation grids and drill-down pictures come along when small.
  pack() {
    rm -rf "$WORK/pack" && mkdir -p "$WORK/pack/$NAME/run"
    local to=$WORK/pack/$NAME
    find "$WORK" -maxdepth 1 -type f -exec cp {} "$to"/ \;
    [ -d "$WORK/run" ] || return 0
    find "$WORK/run" -maxdepth 1 -type f ! -name '.pconv-bench.lock' ! -name "${2:-.pconv-bench.lock}" -exec cp {} "$to/run"/ \;
    for dir in stages logs scores; do [ -d "$WORK/run/$dir" ] && cp -r "$WORK/run/$dir" "$to/run"/; done
    [ -f "$WORK/run/masks/manifest.json" ] && mkdir -p "$to/run/masks" && cp "$WORK/run/masks/manifest.json" "$to/run/masks/"
    for dir in ${1:-}; do
      [ -d "$WORK/run/$dir" ] && [ "$(du -sm "$WORK/run/$dir" | cut -f1)" -le 15 ] && cp -r "$WORK/run/$dir" "$to/run"/
    done
    rm -f "$OUT/$NAME".tar.xz*
    # xz, not gzip: the report holds each sample picture twice (thumbnail and enlargement), which
    # xz's window finds again and gzip's 32 KB does not (an 87 MB report: 33 MB against 67).
    tar -C "$WORK/pack" -cf - "$NAME" | xz -T0 -6 >"$OUT/$NAME.tar.xz"
  }
  # The device returns at most 8 files of 16 MiB each, 64 MiB in all: without the pictures, then
  # without the report itself (results.json and the rest still come back) if it is too large.
  too_large() { [ "$(du -m "$OUT/$NAME.tar.xz" | cut -f1)" -gt 56 ]; }
  pack "samples drilldown eval-samples"
  too_large && pack
  too_large && pack "" index.html && echo "index.html left out: over the device's 64 MiB even compressed" | tee -a "$WORK/machine.txt"
  if [ "$(du -m "$OUT/$NAME.tar.xz" | cut -f1)" -ge 16 ]; then
    split -b 15M -d -a 1 "$OUT/$NAME.tar.xz" "$OUT/$NAME.tar.xz." && rm "$OUT/$NAME.tar.xz"
    echo "packed into $(ls "$OUT" | grep -c "^$NAME.tar.xz.") parts: cat $NAME.tar.xz.? > $NAME.tar.xz"
  fi
  ls -l "$OUT"
fi
exit "$rc"
