import { type Results, ResultsSchema } from '../../src/protocol/results.js';

/** Schema-valid results: 3 models x 3 bins x 2 border subsets = 18 rows, every metric a number. */
export function syntheticResults(): Results {
  const summary = (mean: number) => ({ n: 4, mean, std: 0.1, ci95: [mean - 0.1, mean + 0.1] as [number, number] });
  const models = ['PConv', 'Conv', 'Telea'];
  const bins = ['(0.01, 0.1]', '(0.1, 0.3]', '(0.3, 0.6]'];
  const rows = models.flatMap((model, m) =>
    bins.flatMap((bin, binIndex) =>
      (['no-border', 'border'] as const).map((border) => ({
        model,
        bin,
        binIndex,
        border,
        metrics: { l1Hole: summary(30 + m + binIndex), l1: summary(2 + binIndex), psnr: summary(22 - binIndex - m), ssim: summary(0.9 - 0.05 * binIndex) },
      })),
    ),
  );
  return ResultsSchema.parse({
    format: 'pconv-bench/results@2',
    experiment: { name: 'synthetic', configHash: 'abc' },
    conventions: {},
    masks: { manifestSha256: '0', count: 24, width: 32, height: 32, binRule: '(lo,hi]', borderMargin: 2 },
    images: { split: 'test', count: 2, pairs: 48 },
    backend: { name: 'cpu', version: '4.22.0', device: 'cpu' },
    versions: {},
    models: models.map((name, m) => ({ name, kind: (['pconv', 'conv', 'classical'] as const)[m], checkpoint: null, step: null })),
    rows,
    samples: [],
    config: {},
    paired: [],
  });
}
