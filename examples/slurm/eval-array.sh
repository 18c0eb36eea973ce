#!/bin/bash
# pconv-bench on Slurm: mask shards -> merge + train -> evaluation shards -> merge, each step a job
# that starts only when the one before it ended well (--dependency=afterok; for a job array, when
# every task of it did).
#
# Submit the whole chain from a login node, in a checkout of this repository after
# `npm ci && npm run build`, on a file system every compute node sees:
#
#   bash examples/slurm/eval-array.sh configs/imagenet.yaml /shared/runs/imagenet-pconv-512
#
# MASK_SHARDS, EVAL_SHARDS, TRAIN_GRES and EVAL_CPUS in the environment change the defaults below.
# The same file is the body of every job: the chain submits it again with a step name
# (masks-shard, train, eval-shard, merge-eval) as its first argument.
#
# `--shard auto` reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, counting from
# SLURM_ARRAY_TASK_MIN: --array=0-3 and --array=1-4 both give shards 0..3 of 4, and a throttle such
# as --array=0-15%4 (16 shards, 4 at a time) changes nothing. Arrays with gaps (--array=1,3,7) are
# refused. Where an old Slurm does not set SLURM_ARRAY_TASK_COUNT, set PCONV_SHARD=i/n instead.
#
#SBATCH --job-name=pconv-bench
#SBATCH --ntasks=1
#SBATCH --time=12:00:00

set -euo pipefail

case "${1:-}" in
  masks-shard | train | eval-shard | merge-eval) step="$1" ;;
  *) step=submit ;;
esac

if [ "$step" = submit ]; then
  config="$(realpath "${1:?usage: eval-array.sh CONFIG RUNS_DIR}")"
  runs="$(realpath -m "${2:?usage: eval-array.sh CONFIG RUNS_DIR}")"
  mask_shards="${MASK_SHARDS:-4}"
  eval_shards="${EVAL_SHARDS:-16}"
  repo="$(pwd)"
  script="$(realpath "$0")"
  mkdir -p "$runs/logs"
  # Every job runs this script in the checkout, with the chain's settings (and the login shell's
  # PATH, so the same Node.js); logs are named by job name, job id and array task id.
  common=(--chdir="$repo" --export=ALL,CONFIG="$config",RUNS="$runs",MASK_SHARDS="$mask_shards",EVAL_SHARDS="$eval_shards")
  array_log=(--output="$runs/logs/%x_%A_%a.out")
  job_log=(--output="$runs/logs/%x_%j.out")
  # sbatch --parsable prints "id" or, on a multi-cluster setup, "id;cluster".
  submit() { local id; id=$(sbatch --parsable "${common[@]}" "$@"); echo "${id%%;*}"; }

  masks=$(submit "${array_log[@]}" --job-name=pconv-masks --array=0-$((mask_shards - 1)) --cpus-per-task=2 --time=1:00:00 "$script" masks-shard)
  train=$(submit "${job_log[@]}" --job-name=pconv-train --dependency=afterok:"$masks" --gres="${TRAIN_GRES:-gpu:1}" --cpus-per-task=8 --mem=32G --time=7-00:00:00 "$script" train)
  evals=$(submit "${array_log[@]}" --job-name=pconv-eval --dependency=afterok:"$train" --array=0-$((eval_shards - 1)) --cpus-per-task="${EVAL_CPUS:-4}" --mem=8G "$script" eval-shard)
  merge=$(submit "${job_log[@]}" --job-name=pconv-merge --dependency=afterok:"$evals" --cpus-per-task=1 --time=1:00:00 "$script" merge-eval)
  echo "submitted: masks $masks, train $train, eval $evals, merge $merge; results in $runs/run; logs in $runs/logs"
  echo "a job that fails leaves the later ones pending with DependencyNeverSatisfied: scancel them, fix, resubmit"
  exit 0
fi

: "${CONFIG:?submit the chain with: bash eval-array.sh CONFIG RUNS_DIR}" "${RUNS:?}" "${MASK_SHARDS:?}" "${EVAL_SHARDS:?}"

# Folders of one array's tasks, named by task id: the ids the array was submitted with.
task_dirs() {
  local prefix="$1" count="$2" i
  for ((i = 0; i < count; i++)); do echo "$RUNS/$prefix-$i"; done
}

case "$step" in
  masks-shard)
    # This task's masks j with j mod MASK_SHARDS = shard, in a folder of its own; a requeued task
    # keeps what is intact there.
    npx pconv-bench masks "$CONFIG" --out "$RUNS/masks-shard-$SLURM_ARRAY_TASK_ID" --shard auto
    ;;
  train)
    # The whole mask set in the run folder (merging again writes the same bytes), then both models
    # once; --resume continues from the checkpoints a requeued or timed-out job left.
    mapfile -t shards < <(task_dirs masks-shard "$MASK_SHARDS")
    npx pconv-bench merge "${shards[@]}" --out "$RUNS/run"
    npx pconv-bench train "$CONFIG" --run "$RUNS/run" --resume
    ;;
  eval-shard)
    # Each shard needs the run's masks/ and checkpoints/ (and the training logs, for the report) in a
    # folder of its own: copied under another name and renamed, so a task killed mid-copy leaves no
    # half folder and a requeued one reuses the finished copy. Every shard runs the same backend.
    shard="$RUNS/eval-shard-$SLURM_ARRAY_TASK_ID"
    if [ ! -d "$shard" ]; then
      rm -rf "$shard.partial"
      cp -a "$RUNS/run" "$shard.partial"
      rm -rf "$shard.partial/results.json" "$shard.partial/index.html" "$shard.partial/eval-samples"
      mv "$shard.partial" "$shard"
    fi
    npx pconv-bench eval "$CONFIG" --run "$shard" --backend wasm --shard auto
    ;;
  merge-eval)
    # results.json and index.html in the run folder, the bytes an unsharded evaluation writes.
    mapfile -t shards < <(task_dirs eval-shard "$EVAL_SHARDS")
    npx pconv-bench merge "${shards[@]}" --out "$RUNS/run"
    ;;
esac
