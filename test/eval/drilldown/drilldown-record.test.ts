import { describe, expect, test } from 'vitest';
import { groupMasks } from '../../../src/core/masks/manifest-counts.js';
import { drilldownRecord, drilldownText } from '../../../src/eval/drilldown/drilldown-record.js';
import type { ImageMetrics } from '../../../src/eval/metrics.js';
import { DrilldownSchema, drilldownPicturePaths } from '../../../src/protocol/drilldown.js';
import { syntheticRun } from '../../helpers/synthetic-runs.js';

const first = { binIndex: 0, border: 'no-border' } as const;
const second = { binIndex: 1, border: 'border' } as const;

/** Two groups; PConv's hole L1 is psnr / 10, so its highest PSNR is its worst hole L1. */
const run = syntheticRun('r', {
  pairs: [
    { stamp: 'a', ...first },
    { stamp: 'b', ...first },
    { stamp: 'c', ...first },
    { stamp: 'd', ...second },
    { stamp: 'e', ...second },
  ],
  models: [
    { name: 'PConv', kind: 'pconv', psnr: [20, 30, 25, 22, null] },
    { name: 'Telea', kind: 'classical', psnr: [10, 11, 12, 13, 14] },
  ],
  noHoles: [4],
});

function perModelOf(): Map<string, (ImageMetrics | undefined)[]> {
  return new Map(
    [...run.scores].map(([name, scores]) => {
      const values: (ImageMetrics | undefined)[] = new Array(run.entries.length);
      for (const [k, s] of scores) values[k] = s.metrics;
      return [name, values];
    }),
  );
}

describe('drilldownRecord', () => {
  const record = drilldownRecord({
    groups: groupMasks(run.entries),
    entries: run.entries,
    perModel: perModelOf(),
    models: ['PConv', 'Telea'],
    masksSha256: 'm',
  });

  test('lists each group and model its picks, and each chosen pair once, in pair order, with its pictures and every model metrics', () => {
    expect(record.groups).toEqual([
      {
        bin: '(0.01, 0.3]',
        binIndex: 0,
        border: 'no-border',
        picks: [
          { model: 'PConv', worst: [1, 2], best: [0] },
          { model: 'Telea', worst: [2, 1], best: [0] },
        ],
      },
      // PConv has no score of pair 4 and pair 4 has no holes: Telea ranks pair 3 alone.
      {
        bin: '(0.3, 0.6]',
        binIndex: 1,
        border: 'border',
        picks: [
          { model: 'PConv', worst: [3], best: [] },
          { model: 'Telea', worst: [3], best: [] },
        ],
      },
    ]);
    expect(record.pairs.map((p) => p.k)).toEqual([0, 1, 2, 3]);
    expect(record.pairs[3]).toEqual({
      k: 3,
      binIndex: 1,
      border: 'border',
      holeRatio: 0.6,
      input: 'drilldown/pair-00003.input.png',
      mask: 'drilldown/pair-00003.mask.png',
      target: 'drilldown/pair-00003.target.png',
      outputs: { PConv: 'drilldown/pair-00003.model-pconv.png', Telea: 'drilldown/pair-00003.model-telea.png' },
      metrics: { PConv: { l1Hole: 2.2, l1: 0.22, psnr: 22, ssim: 0.22 }, Telea: { l1Hole: 1.3, l1: 0.13, psnr: 13, ssim: 0.13 } },
    });
    expect(record).toMatchObject({ format: 'pconv-bench/drilldown@1', masksSha256: 'm', models: ['PConv', 'Telea'], metric: 'l1Hole', perSide: 3 });
    expect(drilldownPicturePaths(record).slice(0, 6)).toEqual([
      'drilldown/pair-00000.input.png',
      'drilldown/pair-00000.mask.png',
      'drilldown/pair-00000.model-pconv.png',
      'drilldown/pair-00000.model-telea.png',
      'drilldown/pair-00000.target.png',
      'drilldown/pair-00001.input.png',
    ]);
  });

  test('its text passes the schema and reads back to the same record (a missing hole L1 as null)', () => {
    const text = drilldownText(record);
    expect(DrilldownSchema.parse(JSON.parse(text))).toEqual(record);
    const withoutHoles = drilldownRecord(
      {
        groups: groupMasks(run.entries).slice(1),
        entries: run.entries,
        perModel: perModelOf(),
        models: ['Telea'],
        masksSha256: 'm',
        // Ranked by PSNR, pair 4 (no holes) counts; its hole L1 is null.
      },
      { metric: 'psnr', perSide: 1 },
    );
    expect(withoutHoles.pairs.find((p) => p.k === 4)?.metrics.Telea).toEqual({ l1Hole: null, l1: 0.14, psnr: 14, ssim: 0.14 });
    // A record the schema refuses is never written.
    expect(() => drilldownText({ ...record, perSide: 0 })).toThrow(/perSide/);
  });
});
