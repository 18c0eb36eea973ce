import type { BenchResult, VerifyResult } from '../protocol/bench.js';

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The bench's figures for people, one per line. */
export function formatBenchResult(r: BenchResult): string {
  const s = r.settings;
  const t = r.train.msPerStep;
  const i = r.inference.msPerBatch;
  return [
    `${r.tool} on ${r.backend.name} (${r.backend.device}), ${r.machine.cpu}, ${r.machine.cores} cores`,
    `model: PConv UNet, ${s.levels} levels, ${s.baseChannels}..${s.maxChannels} channels, head ${s.head}, ${r.parameters.trainable.toLocaleString('en-US')} trainable parameters`,
    `input: ${s.size}x${s.size}, batch ${s.batch}; loss ${s.loss}${s.vgg ? ` (${s.vgg})` : ''}; ${s.warmup} warm-up + ${s.repeats} timed`,
    `train step: ${ms(t.median)} ms median (min ${ms(t.min)}, max ${ms(t.max)}); ${r.train.stepsPerSecond.toFixed(2)} steps/s, ${r.train.imagesPerSecond.toFixed(2)} images/s`,
    `inference${r.inference.engine ? ` (${r.inference.engine})` : ''}: ${ms(i.median)} ms per batch median (min ${ms(i.min)}, max ${ms(i.max)}); ${r.inference.imagesPerSecond.toFixed(2)} images/s`,
    `memory: peak RSS ${mib(r.memory.peakRssBytes)}${r.memory.framework.numBytes === undefined ? '' : `, tensors ${mib(r.memory.framework.numBytes)} in ${r.memory.framework.numTensors} tensors`}${r.memory.tensorsLeakedPerStep ? `, ${r.memory.tensorsLeakedPerStep} tensors leaked per step` : ''}`,
  ].join('\n');
}

export function formatVerifyResult(v: VerifyResult): string {
  return [
    `verify against cpu (${v.size}x${v.size}, batch ${v.batch}, loss ${v.loss}, ${v.seconds.toFixed(1)} s): ${v.ok ? 'ok' : 'FAILED'}`,
    ...v.checks.map(
      (c) =>
        `  ${c.name}: max relative difference ${c.maxRelativeDifference.toExponential(2)} (${c.worst}), tolerance ${c.tolerance}: ${c.ok ? 'ok' : 'FAILED'}`,
    ),
  ].join('\n');
}
