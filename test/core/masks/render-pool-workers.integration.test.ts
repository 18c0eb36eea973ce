import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { binsFromEdges, PAPER_BIN_EDGES } from '../../../src/core/masks/bins.js';
import { type MaskSetSpec, planMaskSet } from '../../../src/core/masks/mask-plan.js';
import { type RenderItem, renderMasks } from '../../../src/core/masks/render-pool.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();

const spec = (perBin: number): MaskSetSpec => ({
  width: 48,
  height: 48,
  seed: 5,
  bins: binsFromEdges(PAPER_BIN_EDGES),
  binRule: '(lo,hi]',
  margin: 3,
  subsets: ['no-border', 'border'],
  perBin,
  generator: { kind: 'pconv-keras', sizeFactor: 0.03, minThickness: 3, lines: true, circles: true, ellipses: true },
  limits: { maxShapes: 5000, maxAttempts: 20 },
});

const itemsOf = (s: MaskSetSpec): RenderItem[] => planMaskSet(s).map((job, index) => ({ index, job, seed: job.seed }));

/** Worker threads run only from the built package: under vitest, src/'s render pool draws in this thread. */
async function builtRenderPool(): Promise<typeof import('../../../src/core/masks/render-pool.js')> {
  const file = resolve(repoRoot, 'dist/core/masks/render-pool.js');
  if (!existsSync(file)) throw new Error('dist/ is missing: these tests start the built mask workers; run `npm run build` (npm test does)');
  return import(pathToFileURL(file).href);
}

async function countFiles(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).length;
}

describe('renderMasks on worker threads (built package)', () => {
  test('writes every mask with the bytes of the in-thread path', async () => {
    const { renderMasks: renderInWorkers } = await builtRenderPool();
    const items = itemsOf(spec(8));
    const threaded = await renderInWorkers(spec(8), items, await tempDir(), { workers: 2 });
    const here = await renderMasks(spec(8), items, await tempDir(), { workers: 0 });
    expect(threaded.map((o) => o.index)).toEqual(items.map((item) => item.index));
    expect(threaded).toEqual(here);
  });

  test('an abort stops the workers between masks and settles only once they have exited: nothing is written after it', async () => {
    const { renderMasks: renderInWorkers } = await builtRenderPool();
    const dir = await tempDir();
    const controller = new AbortController();
    let reported = 0;
    const run = renderInWorkers(spec(500), itemsOf(spec(500)), dir, {
      workers: 3,
      signal: controller.signal,
      onProgress: (done) => {
        reported = done;
        controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'InterruptedError' });
    const written = await countFiles(dir);
    expect(written).toBeGreaterThanOrEqual(reported);
    expect(written).toBeLessThan(6000);
    // A thread still running after the rejection would go on writing (into a folder its caller removes).
    await new Promise((resolveWait) => setTimeout(resolveWait, 300));
    expect(await countFiles(dir)).toBe(written);
  });
});
