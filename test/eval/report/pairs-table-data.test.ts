import { describe, expect, test } from 'vitest';
import { PAIR_ROW_FIXED, pairsTableData } from '../../../src/eval/report/pairs-table-data.js';
import type { Drilldown } from '../../../src/protocol/drilldown.js';
import { syntheticRun } from '../../helpers/synthetic-runs.js';

const run = syntheticRun('r', {
  pairs: [
    { stamp: 'a', binIndex: 1, border: 'border' },
    { stamp: 'b', binIndex: 0, border: 'no-border' },
    { stamp: 'c', binIndex: 0, border: 'border' },
  ],
  models: [
    { name: 'PConv', kind: 'pconv', psnr: [20.123456, 1 / 3, 25] },
    { name: 'Telea', kind: 'classical', psnr: [10, null, 12] },
  ],
  noHoles: [2],
});

describe('pairsTableData', () => {
  const data = pairsTableData({
    models: ['PConv', 'Telea'],
    entries: run.entries,
    scores: run.scores,
    drilldown: { pairs: [{ k: 2 }] } as unknown as Drilldown,
    masksDir: 'masks',
  });

  test('a row per pair in pair order: k, its group in the report order, hole ratio, mask file, in the drill-down, then each model metrics', () => {
    expect(PAIR_ROW_FIXED).toEqual(['k', 'group', 'holeRatio', 'mask', 'drilldown']);
    expect(data.groups).toEqual([
      { bin: '(0.01, 0.3]', border: 'no-border' },
      { bin: '(0.01, 0.3]', border: 'border' },
      { bin: '(0.3, 0.6]', border: 'border' },
    ]);
    // Rounded one digit past what is shown (hole L1 and L1 3 decimals, PSNR 2, SSIM 4).
    expect(data.rows).toEqual([
      [0, 2, 0.6, 'm0.png', 0, 2.0123, 0.2012, 20.123, 0.20123, 1, 0.1, 10, 0.1],
      [1, 0, 0.3, 'm1.png', 0, 0.0333, 0.0033, 0.333, 0.00333, null, null, null, null],
      // No holes: no hole L1.
      [2, 1, 0.3, 'm2.png', 1, null, 0.25, 25, 0.25, null, 0.12, 12, 0.12],
    ]);
    expect(data).toMatchObject({ models: ['PConv', 'Telea'], metrics: ['l1Hole', 'l1', 'psnr', 'ssim'], masksDir: 'masks' });
    expect(data.labels.l1Hole).toBe('hole L1');
    expect(data.titles.l1Hole).toBe('L1 in holes (x100)');
    expect(data.directions).toEqual({ l1Hole: 'lower', l1: 'lower', psnr: 'higher', ssim: 'higher' });
  });

  test('without a drill-down no row links to one', () => {
    const plain = pairsTableData({ models: ['PConv'], entries: run.entries, scores: run.scores, masksDir: 'masks' });
    expect(plain.rows.map((r) => r[4])).toEqual([0, 0, 0]);
    expect(plain.rows[0]).toHaveLength(PAIR_ROW_FIXED.length + 4);
  });
});
