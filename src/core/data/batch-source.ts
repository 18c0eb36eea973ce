import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { deriveSeed, Rng } from '../rng.js';
import { type Crop, loadImageCrop } from './load-image.js';
import { LoaderClock, type LoaderStats } from './loader-stats.js';

/** One training batch, NHWC float32: images in [0, 1], masks 1 = valid (one channel). */
export interface Batch {
  readonly step: number;
  readonly size: number;
  readonly count: number;
  readonly images: Float32Array;
  readonly masks: Float32Array;
}

/** Draws the mask of one sample (255 = valid, 0 = hole, size x size) from its own seed. */
export type MaskSampler = (seed: number) => Uint8Array | Promise<Uint8Array>;

export interface BatchSourceOptions {
  readonly files: readonly string[];
  readonly size: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly masks: MaskSampler;
  /** Image decodes in flight at once. */
  readonly concurrency?: number;
  /** Batches prepared ahead of the one asked for. */
  readonly prefetch?: number;
}

/**
 * Training batches as a pure function of (seed, step): sample j of step t is image number
 * t * batchSize + j of a seeded shuffle of the files (a new shuffle each epoch), with its own
 * random crop, flip and mask. So a resumed run sees exactly the batches an uninterrupted one
 * would, and no RNG state beyond the step needs saving. Batches are decoded ahead with bounded
 * concurrency, so the engine does not wait for the disk.
 */
export class BatchSource {
  private readonly options: BatchSourceOptions;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly pending = new Map<number, Promise<Batch>>();
  private readonly permutations = new Map<number, number[]>();
  private readonly clock: LoaderClock;
  private closed = false;

  constructor(options: BatchSourceOptions) {
    if (options.files.length === 0) throw new RangeError('BatchSource: no files');
    this.options = options;
    this.clock = new LoaderClock(options.batchSize);
    this.limit = pLimit(options.concurrency ?? Math.max(2, availableParallelism() * 2));
  }

  /**
   * The batch of `step`, starting the next ones in the background. A batch that cannot be built
   * (an unreadable image: load-image's UserError naming the file) rejects when its own step is
   * asked for, never earlier: the steps before it train as usual.
   */
  async next(step: number): Promise<Batch> {
    if (this.closed) throw new Error('BatchSource: next() after close()');
    this.clock.asked(performance.now());
    const ahead = this.options.prefetch ?? 2;
    for (let s = step; s <= step + ahead; s++) {
      if (this.pending.has(s)) continue;
      const batch = this.build(s);
      // Built ahead, nothing awaits it yet: without a handler, its rejection would be an
      // unhandled one, which ends the process (exit 7 under the wasm backend's handler) before
      // the training loop gets to save a checkpoint and report the file. The promise itself keeps
      // the rejection for next(s).
      batch.catch(() => {});
      this.pending.set(s, batch);
    }
    for (const key of this.pending.keys()) if (key < step) this.pending.delete(key);
    const batch = this.pending.get(step) as Promise<Batch>;
    this.pending.delete(step);
    const built = await batch;
    this.clock.delivered(performance.now());
    return built;
  }

  /** Needed vs delivered images per second and the waits so far (loader-stats.ts). */
  stats(): LoaderStats {
    return this.clock.stats(performance.now());
  }

  /**
   * Stops building: drops the batches built ahead and waits for the decodes already running, so
   * nothing reads files once training has returned. Safe to call more than once.
   */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.pending.values()];
    this.pending.clear();
    await Promise.allSettled(running);
  }

  private permutation(epoch: number): number[] {
    let order = this.permutations.get(epoch);
    if (!order) {
      const rng = new Rng(deriveSeed(this.options.seed, 'epoch', epoch));
      order = this.options.files.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      this.permutations.clear();
      this.permutations.set(epoch, order);
    }
    return order;
  }

  private async build(step: number): Promise<Batch> {
    this.clock.buildStarted(performance.now());
    let built = 0;
    try {
      const batch = await this.assemble(step);
      built = batch.count;
      return batch;
    } finally {
      this.clock.buildEnded(performance.now(), built);
    }
  }

  private async assemble(step: number): Promise<Batch> {
    const { files, size, batchSize, seed } = this.options;
    const images = new Float32Array(batchSize * size * size * 3);
    const masks = new Float32Array(batchSize * size * size);
    const samples = Array.from({ length: batchSize }, (_, j) => {
      const index = step * batchSize + j;
      const epoch = Math.floor(index / files.length);
      const file = files[this.permutation(epoch)[index % files.length] as number] as string;
      const rng = new Rng(deriveSeed(seed, 'crop', index));
      const crop: Crop = { scale: rng.next(), fx: rng.next(), fy: rng.next(), flip: rng.next() < 0.5 };
      return { j, file, crop, maskSeed: deriveSeed(seed, 'train-mask', index) };
    });
    await Promise.all(
      samples.map(({ j, file, crop, maskSeed }) =>
        this.limit(async () => {
          if (this.closed) throw new Error('BatchSource: closed');
          images.set(await loadImageCrop(file, size, crop), j * size * size * 3);
          const mask = await this.options.masks(maskSeed);
          for (let i = 0; i < size * size; i++) masks[j * size * size + i] = mask[i] === 0 ? 0 : 1;
        }),
      ),
    );
    return { step, size, count: batchSize, images, masks };
  }
}
