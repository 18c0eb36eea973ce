import { describe, expect, test } from 'vitest';
import { describeLoaderStats, LoaderClock } from '../../../src/core/data/loader-stats.js';

describe('LoaderClock', () => {
  test('a loader that keeps up: builds overlap into one busy span, training waits only for the first batch', () => {
    const clock = new LoaderClock(4);
    // t=0: training asks for step 0; steps 0..2 start building together and end at 40, 50, 60 ms.
    clock.asked(0);
    for (let i = 0; i < 3; i++) clock.buildStarted(0);
    clock.buildEnded(40, 4);
    clock.delivered(40);
    clock.buildEnded(50, 4);
    clock.buildEnded(60, 4);
    // A 200 ms step, then step 1 (ready since 50) is handed over at once and step 3 starts building.
    clock.asked(240);
    clock.buildStarted(240);
    clock.delivered(240);
    clock.buildEnded(280, 4);
    // Another 200 ms step; step 2 is ready.
    clock.asked(440);
    clock.delivered(440);
    expect(clock.stats(440)).toEqual({
      batchSize: 4,
      batches: 3,
      imagesBuilt: 16,
      busySeconds: 0.1,
      firstWaitSeconds: 0.04,
      waitSeconds: 0,
      consumeSeconds: 0.4,
      // Two asks after the first, 4 images each, over 400 ms of training's own work.
      neededImagesPerSecond: 20,
      // 16 images over the 60 + 40 ms it was building.
      deliveredImagesPerSecond: 160,
    });
  });

  test('a loader that cannot keep up: training waits for every batch, and the waits are not counted as its work', () => {
    const clock = new LoaderClock(2);
    let t = 0;
    for (let step = 0; step < 5; step++) {
      clock.asked(t);
      clock.buildStarted(t);
      t += 300; // each batch takes 300 ms, built only when asked for (no prefetch)
      clock.buildEnded(t, 2);
      clock.delivered(t);
      t += 100; // a 100 ms step
    }
    const stats = clock.stats(t);
    expect(stats.firstWaitSeconds).toBeCloseTo(0.3, 9);
    expect(stats.waitSeconds).toBeCloseTo(1.2, 9);
    // Asks 2..5 each follow a 100 ms step.
    expect(stats.consumeSeconds).toBeCloseTo(0.4, 9);
    expect(stats.neededImagesPerSecond).toBeCloseTo(20, 9);
    expect(stats.deliveredImagesPerSecond).toBeCloseTo(10 / 1.5, 9);
    expect(describeLoaderStats(stats)).toBe(
      'data loader: training needed 20.0 images/s, the loader built 6.7 images/s while busy; waited 0.30 s for the first batch and 1.20 s for the 4 after it',
    );
  });

  test('a failed build counts its busy time but no images; a build still running counts up to now', () => {
    const clock = new LoaderClock(4);
    clock.buildStarted(0);
    clock.buildEnded(10, 0);
    clock.buildStarted(20);
    expect(clock.stats(50)).toMatchObject({ imagesBuilt: 0, busySeconds: 0.04, deliveredImagesPerSecond: null, neededImagesPerSecond: null, batches: 0 });
  });
});
