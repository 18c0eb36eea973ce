import { sha256Of } from '../../core/io/stable-json.js';
import { compositeArrays } from '../../core/metrics/composite-arrays.js';
import type { Inpainter } from '../inpainter.js';
import type { ModelRunner } from '../model-runner.js';
import { decodeBatch, type ExternalOutputs, type Pair } from '../pair-inputs.js';
import type { Scorer } from '../scorers.js';
import { teleaInpainter } from '../telea.js';
import type { DrilldownPictureSource } from './drilldown-pictures.js';

/** Bumped when the pictures of a pair would come out otherwise for the same pair and models. */
const PICTURES_VERSION = 1;

/**
 * The drill-down's pictures of a pair, made as scoring made what it scored: the pair decoded from
 * its files, every model run on it alone (a batch of one, whatever --batch scored with), Telea and
 * other tools' outputs as scored, each composited with the known pixels as scorePair composites
 * (its metrics are kept already). Runs on this thread: a few pairs per bin and subset.
 */
export function rerunPairs(args: {
  readonly pairs: ReadonlyMap<number, Pair>;
  readonly size: number;
  readonly masksDir: string;
  readonly scorers: readonly Scorer[];
  /** A model's runner, loaded when first asked for; undefined for scorers without a model. */
  readonly runnerOf: (scorer: Scorer) => Promise<ModelRunner | undefined>;
  /** What a kept score of `scorer` on `pair` was computed from (pair-scores-store.ts). */
  readonly stampOf: (scorer: Scorer, pair: Pair) => string | Promise<string>;
  readonly externalStamp: (tool: ExternalOutputs, pair: Pair) => Promise<string>;
}): DrilldownPictureSource {
  const { size, scorers } = args;
  const pairOf = (k: number): Pair => {
    const pair = args.pairs.get(k);
    if (!pair) throw new Error(`drill-down: pair ${k} is not one of this evaluation's`);
    return pair;
  };
  const externals = scorers.flatMap((s) => (s.external ? [s.external] : []));
  const telea = scorers.find((s) => s.kind === 'classical')?.name;
  let inpainter: Promise<Inpainter> | undefined;
  return {
    // The scorers' fingerprints (checkpoint, engine, size, ...) and what each scored of the pair.
    keyOf: async (k) => {
      const pair = pairOf(k);
      const parts = await Promise.all(scorers.map(async (s) => [s.name, s.fingerprint, await args.stampOf(s, pair)]));
      return sha256Of(JSON.stringify([PICTURES_VERSION, size, parts]));
    },
    make: async (k) => {
      const [decoded] = await decodeBatch([pairOf(k)], size, args.masksDir, () => externals, args.externalStamp);
      if (!decoded) throw new Error(`drill-down: pair ${k} did not decode`);
      const outputs: { name: string; data: Float32Array }[] = [];
      for (const scorer of scorers) {
        const runner = await args.runnerOf(scorer);
        if (runner) outputs.push({ name: scorer.name, data: (await runner.predict([decoded.image], [decoded.valid]))[0] as Float32Array });
        const external = decoded.predictions.get(scorer.name);
        if (scorer.external && external) outputs.push({ name: scorer.name, data: external.data });
      }
      const { image, valid } = decoded;
      if (telea !== undefined) {
        inpainter ??= teleaInpainter();
        outputs.push({ name: telea, data: (await inpainter)(image, valid, size, size) });
      }
      // The composite that was scored (pair-scoring.ts), without scoring it again.
      return { image, valid, composites: outputs.map((o) => ({ name: o.name, data: compositeArrays(image, o.data, valid) })) };
    },
  };
}
