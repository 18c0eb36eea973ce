import type { MaskGroup } from '../core/masks/manifest-counts.js';
import type { DrilldownPictureSource } from './drilldown/drilldown-pictures.js';
import { sampleFile, samplePictures } from './eval-samples.js';
import { intactSamplePictures, writeSamplePictures } from './sample-stamps.js';

/**
 * Once every pair is scored: each sample group whose pictures are not all on disk as its stamp
 * records them (deleted or edited since, a copied folder without them, a kill between pictures
 * and stamp, a run evaluated before stamps) gets the missing ones made again, its kept scores
 * untouched. The pair is decoded and each model run on it as the drill-down does
 * (rerun-pairs.ts), composited as scoring composited it and encoded by the same code
 * (eval-samples.ts), so a picture made here is the bytes scoring wrote. Returns how many pictures
 * were made, and of how many groups.
 */
export async function remakeSamplePictures(args: {
  readonly runDir: string;
  readonly size: number;
  /** The groups whose first pair (the one their pictures show) is this evaluation's: under --shard, this shard's. */
  readonly groups: readonly MaskGroup[];
  readonly models: readonly string[];
  readonly source: Pick<DrilldownPictureSource, 'make'>;
  readonly signal?: AbortSignal;
}): Promise<{ readonly made: number; readonly groups: number }> {
  const { runDir, size, models } = args;
  let made = 0;
  let groups = 0;
  for (const group of args.groups) {
    if (args.signal?.aborted) break;
    const k = group.indices[0] as number;
    const files = ['input', 'target', ...models].map((name) => sampleFile(group, name));
    const intact = await intactSamplePictures(runDir, group, k, files);
    if (intact.size === files.length) continue;
    const pair = await args.source.make(k);
    const composites = models.map((model) => {
      const composite = pair.composites.find((c) => c.name === model);
      if (!composite) throw new Error(`samples: no output of ${model} for pair ${k}`);
      return composite;
    });
    const pictures = (await samplePictures(group, pair, composites, size)).filter(([file]) => !intact.has(file));
    await writeSamplePictures(runDir, group, k, pictures);
    made += pictures.length;
    groups++;
  }
  return { made, groups };
}
