import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { BatchSource } from '../../../src/core/data/batch-source.js';
import { UserError } from '../../../src/core/errors.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
const good = join(repoRoot, 'data/photos/000_astronaut.png');
const masks = () => new Uint8Array(8 * 8).fill(255);

describe('BatchSource with an unreadable image', () => {
  // vitest fails the run on an unhandled rejection: these tests fail without the handler that
  // next() puts on the batches it builds ahead.
  test('batches built ahead that fail reject only when their step is asked for, never unhandled', async () => {
    const bad = join(await tempDir(), 'empty.png');
    await writeFile(bad, '');
    const source = new BatchSource({ files: [bad], size: 8, batchSize: 1, seed: 1, masks, prefetch: 2 });
    await expect(source.next(0)).rejects.toThrow(`cannot decode image ${bad}`);
    // Steps 1 and 2 were started with step 0 and have failed by now, with nothing awaiting them.
    await sleep(100);
    await expect(source.next(1)).rejects.toBeInstanceOf(UserError);
    await source.close();
    await expect(source.next(3)).rejects.toThrow('after close()');
  });

  test('the steps that do not draw the bad file still load; those that do name it', async () => {
    const bad = join(await tempDir(), 'empty.png');
    await writeFile(bad, '');
    const source = new BatchSource({ files: [good, bad], size: 8, batchSize: 1, seed: 1, masks, prefetch: 2 });
    const outcomes: string[] = [];
    for (let step = 0; step < 6; step++) {
      outcomes.push(
        await source.next(step).then(
          (batch) => `ok ${batch.step}`,
          (error: Error) => (error.message.includes(bad) ? 'bad file' : error.message),
        ),
      );
      await sleep(10);
    }
    await source.close();
    // One file an epoch each: every epoch of two steps has one of each.
    expect(outcomes.filter((o) => o === 'bad file')).toHaveLength(3);
    expect(outcomes.filter((o) => o.startsWith('ok'))).toHaveLength(3);
  });
});

describe('BatchSource loader figures', () => {
  const slowMasks = (ms: number) => async () => {
    await sleep(ms);
    return masks();
  };

  test('behind a slow step it builds ahead: training waits only for the first batch, and needed is below delivered', async () => {
    const source = new BatchSource({ files: [good], size: 8, batchSize: 2, seed: 1, masks: slowMasks(5), prefetch: 2 });
    for (let step = 0; step < 6; step++) {
      await source.next(step);
      await sleep(100); // the "training step"
    }
    const stats = source.stats();
    await source.close();
    expect(stats).toMatchObject({ batchSize: 2, batches: 6 });
    // Steps 0..7 were started (two ahead of step 5); at least the six taken were built.
    expect(stats.imagesBuilt).toBeGreaterThanOrEqual(12);
    // A wait would need a batch to take over two steps (200 ms) to build.
    expect(stats.waitSeconds).toBeLessThan(0.1);
    // 2 images per >= 100 ms step: at most 20 images/s needed.
    expect(stats.neededImagesPerSecond).toBeLessThanOrEqual(20.5);
    expect(stats.consumeSeconds).toBeGreaterThanOrEqual(0.5);
    expect(stats.deliveredImagesPerSecond).toBeGreaterThan(stats.neededImagesPerSecond as number);
  });

  test('in front of a quick step it cannot keep up: training waits for batches', async () => {
    const source = new BatchSource({ files: [good], size: 8, batchSize: 2, seed: 1, masks: slowMasks(80), prefetch: 1, concurrency: 1 });
    for (let step = 0; step < 4; step++) await source.next(step);
    const stats = source.stats();
    await source.close();
    // Each batch needs two 80 ms masks one after the other; nothing consumes time between asks.
    expect(stats.waitSeconds).toBeGreaterThan(0.3);
    expect(stats.deliveredImagesPerSecond).toBeLessThan(2 / 0.15);
  });
});
