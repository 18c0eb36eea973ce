import { expect, test } from 'vitest';
import { summarizeTimings } from '../../src/bench/timing.js';

test('median, range and samples in their order', () => {
  expect(summarizeTimings([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, samples: [5, 1, 3] });
  expect(summarizeTimings([4, 1, 3, 10])).toEqual({ median: 3.5, min: 1, max: 10, samples: [4, 1, 3, 10] });
  expect(() => summarizeTimings([])).toThrow(RangeError);
});
