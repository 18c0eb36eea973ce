import { describe, expect, test } from 'vitest';
import { summariseSkips } from '../../../src/core/masks/import-masks.js';

const skips = (...reasons: string[]) => reasons.map((reason, i) => ({ file: `m${i}.png`, reason }));

describe('summariseSkips (issue 16, fault 8b): grouped reasons keep their numbers', () => {
  test('one reason repeated is counted with its real numbers, not N', () => {
    expect(summariseSkips(skips(...Array(12).fill('size 256x256, expected 512x512')))).toEqual(['12 x size 256x256, expected 512x512']);
  });

  test('a few distinct reasons of the same wording are a line each, the most common first', () => {
    expect(
      summariseSkips(
        skips(
          'size 256x256, expected 512x512',
          'size 300x200, expected 512x512',
          'size 300x200, expected 512x512',
          'hole ratio 0.0000 lies in no bin',
          'not a readable image (Input file is missing)',
        ),
      ),
    ).toEqual([
      '2 x size 300x200, expected 512x512',
      '1 x size 256x256, expected 512x512',
      '1 x hole ratio 0.0000 lies in no bin',
      '1 x not a readable image (Input file is missing)',
    ]);
  });

  test('many distinct numbers become their range, per number', () => {
    const ratios = ['0.0093', '0.0000', '0.0041', '0.0012', '0.0077'].map((r) => `hole ratio ${r} lies in no bin`);
    expect(summariseSkips(skips(...ratios, ...ratios))).toEqual(['10 x hole ratio 0.0000..0.0093 lies in no bin']);
    const sizes = ['100x80', '300x200', '120x90', '64x64'].map((s) => `size ${s}, expected 512x512`);
    expect(summariseSkips(skips(...sizes))).toEqual(['4 x size 64..300x64..200, expected 512x512']);
  });

  test('no skips, no lines', () => {
    expect(summariseSkips([])).toEqual([]);
  });
});
